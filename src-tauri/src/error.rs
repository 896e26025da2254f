//! Errors cross to the UI as `{code, message}`: the code is the core's stable `code()`, which
//! the UI translates; the message is the English detail, shown under the translation.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CmdError {
    pub code: String,
    pub message: String,
}

impl From<amanat::Error> for CmdError {
    fn from(e: amanat::Error) -> Self {
        CmdError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl CmdError {
    /// The vault is locked (or was never opened) and the command needs it open.
    pub fn locked() -> Self {
        CmdError {
            code: "locked".into(),
            message: "the vault is locked".into(),
        }
    }
}

pub type CmdResult<T> = Result<T, CmdError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_crosses_as_code_and_message() {
        let e: CmdError = amanat::Error::invalid("code", "is empty").into();
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "invalid code: is empty"})
        );
    }
}
