//! The one public error type. Every failure a user can meet has a stable, machine-readable
//! `code()` that the CLI prints and the UI translates. Messages name files and fields but never
//! contain a secret or a record's content.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in Amanat.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("wrong recovery key")]
    WrongRecoveryKey,
    #[error("the passphrase is too weak: {0}")]
    WeakPassphrase(&'static str),
    #[error("the vault is open in another process")]
    VaultLocked,
    #[error("no vault at {0}")]
    VaultNotFound(PathBuf),
    #[error("a vault or other files already exist at {0}")]
    VaultExists(PathBuf),
    #[error("{0} is not an Amanat vault")]
    NotAVault(PathBuf),
    #[error("this was made by a newer version of Amanat ({0})")]
    UnsupportedVersion(String),
    #[error("the key file {file} is damaged: {detail}")]
    KeyFileCorrupt { file: PathBuf, detail: &'static str },
    #[error("no usable snapshot: {0}")]
    SnapshotCorrupt(String),
    #[error("the revision log is damaged at {file} offset {offset}: {detail}")]
    LogCorrupt {
        file: PathBuf,
        offset: u64,
        detail: String,
    },
    #[error("tampering detected in {what}: {detail}")]
    Tampered { what: String, detail: String },
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    #[error("invalid contact card: {0}")]
    InvalidCard(&'static str),
    #[error("invalid recovery key: {0}")]
    InvalidRecoveryKey(&'static str),
    #[error("no record {0}")]
    NotFound(String),
    #[error("testimony {0} is locked; set its status back to reviewed or draft to edit it")]
    RecordLocked(String),
    #[error("testimony {0} has two versions from different devices; choose or merge them first")]
    Conflict(String),
    /// The testimony changed after the versions the user acted on were shown (an import, or
    /// another window): acting now would override a version nobody looked at.
    #[error("testimony {0} changed since it was shown; look at it again")]
    Stale(String),
    #[error("the disk is full while {op} {path}")]
    DiskFull { op: &'static str, path: PathBuf },
    #[error("could not {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("verification found {0} problem(s)")]
    VerifyFailed(usize),
    #[error("an earlier write failed; close and reopen the vault")]
    Poisoned,
    #[error("cancelled; nothing was changed")]
    Cancelled,
    #[error("this bundle is not addressed to this vault")]
    BundleNotForYou,
    #[error("the bundle is damaged or incomplete: {0}")]
    BundleDamaged(String),
    #[error("the bundle is not a valid Amanat bundle: {0}")]
    BundleInvalid(String),
    #[error("the bundle was altered after it was signed: {0}")]
    BundleTampered(String),
    #[error(
        "the bundle comes from {name}, who is not one of your contacts (fingerprint {fingerprint})"
    )]
    UnknownSender { name: String, fingerprint: String },
    #[error(
        "the bundle is signed with a key of {name} that is not theirs since {since}: replaced, \
         or marked compromised; ask them for a bundle made with their current key"
    )]
    DeviceRevoked { name: String, since: String },
    #[error("this bundle was already imported on {0}")]
    BundleAlreadyImported(String),
    #[error("nothing to export: {0}")]
    NothingToExport(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A stable identifier for the kind of error, safe to match on and to translate.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassphrase => "wrong_passphrase",
            Error::WrongRecoveryKey => "wrong_recovery_key",
            Error::WeakPassphrase(_) => "weak_passphrase",
            Error::VaultLocked => "vault_locked",
            Error::VaultNotFound(_) => "vault_not_found",
            Error::VaultExists(_) => "vault_exists",
            Error::NotAVault(_) => "not_a_vault",
            Error::UnsupportedVersion(_) => "unsupported_version",
            Error::KeyFileCorrupt { .. } => "key_file_corrupt",
            Error::SnapshotCorrupt(_) => "snapshot_corrupt",
            Error::LogCorrupt { .. } => "log_corrupt",
            Error::Tampered { .. } => "tampered",
            Error::InvalidInput { .. } => "invalid_input",
            Error::InvalidCard(_) => "invalid_card",
            Error::InvalidRecoveryKey(_) => "invalid_recovery_key",
            Error::NotFound(_) => "not_found",
            Error::RecordLocked(_) => "record_locked",
            Error::Conflict(_) => "conflict",
            Error::Stale(_) => "stale",
            Error::DiskFull { .. } => "disk_full",
            Error::Io { .. } => "io",
            Error::VerifyFailed(_) => "verify_failed",
            Error::Poisoned => "poisoned",
            Error::Cancelled => "cancelled",
            Error::BundleNotForYou => "bundle_not_for_you",
            Error::BundleDamaged(_) => "bundle_damaged",
            Error::BundleInvalid(_) => "bundle_invalid",
            Error::BundleTampered(_) => "bundle_tampered",
            Error::UnknownSender { .. } => "unknown_sender",
            Error::DeviceRevoked { .. } => "device_revoked",
            Error::BundleAlreadyImported(_) => "bundle_already_imported",
            Error::NothingToExport(_) => "nothing_to_export",
            Error::Internal(_) => "internal",
        }
    }

    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Error {
        if source.raw_os_error() == Some(28) || source.kind() == io::ErrorKind::StorageFull {
            return Error::DiskFull {
                op,
                path: path.to_path_buf(),
            };
        }
        Error::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// An `invalid_input` error naming the field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn tampered(what: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Tampered {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// SQLite errors inside the in-memory index are never caused by user input that passed
/// validation; they are reported as internal errors without the statement's parameters.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Internal(format!("index: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case_and_messages_name_the_field() {
        let e = Error::invalid("events[0].start", "month 13 does not exist");
        assert_eq!(e.code(), "invalid_input");
        assert_eq!(
            e.to_string(),
            "invalid events[0].start: month 13 does not exist"
        );
        let full = Error::io(
            "write",
            Path::new("/v/log/000001.seg"),
            io::Error::from_raw_os_error(28),
        );
        assert_eq!(full.code(), "disk_full");
    }
}
