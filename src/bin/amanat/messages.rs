//! The CLI's user-facing error messages in the coordinator's language, from the same catalogs
//! as the app's UI (`ui/src/locales/*.json`), so a translation is made once. The language is
//! `AMANAT_LANG`, else the POSIX locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), else English.
//! The machine-readable code stays in every language: `ошибка[wrong_passphrase]: …`.

use std::collections::HashMap;

const CATALOGS: [(&str, &str); 5] = [
    ("en", include_str!("../../../ui/src/locales/en.json")),
    ("kk", include_str!("../../../ui/src/locales/kk.json")),
    ("ru", include_str!("../../../ui/src/locales/ru.json")),
    ("ug", include_str!("../../../ui/src/locales/ug.json")),
    (
        "zh-Hans",
        include_str!("../../../ui/src/locales/zh-Hans.json"),
    ),
];

/// `AMANAT_LANG` if set, else the session's locale.
pub fn language_from_env() -> &'static str {
    std::env::var("AMANAT_LANG")
        .ok()
        .filter(|v| !v.is_empty())
        .map_or_else(amanat::settings::system_language, |v| {
            amanat::settings::language_for_locale(&v)
        })
}

fn catalog(lang: &str) -> HashMap<String, String> {
    CATALOGS
        .iter()
        .find(|(l, _)| *l == lang)
        .and_then(|(_, text)| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// How an error is shown: in English the core's own sentence (it names the file, the field);
/// in another language the translated message for its code, then the detail below it.
pub fn error_text(lang: &str, e: &amanat::Error) -> String {
    let code = e.code();
    if lang == "en" {
        return format!("error[{code}]: {e}");
    }
    let cat = catalog(lang);
    let prefix = cat.get("cli.error").map_or("error", String::as_str);
    match cat.get(&format!("error.{code}")) {
        Some(title) => format!("{prefix}[{code}]: {title}\n  {e}"),
        None => format!("{prefix}[{code}]: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_parses_and_its_cli_messages_are_plain_text() {
        for (lang, _) in CATALOGS {
            let cat = catalog(lang);
            assert!(cat.len() > 100, "{lang} catalog parsed");
            for (k, v) in &cat {
                // Printed as they are: an ICU argument here would show as "{x}".
                if k.starts_with("error.") || k.starts_with("cli.") {
                    assert!(!v.contains('{'), "{lang} {k} has an argument");
                }
            }
            assert!(cat.contains_key("cli.error"), "{lang}");
        }
    }

    #[test]
    fn a_wrong_passphrase_reads_in_uyghur_with_its_code() {
        let text = error_text("ug", &amanat::Error::WrongPassphrase);
        assert!(
            text.starts_with("خاتالىق[wrong_passphrase]: مەخپىي ئىبارە خاتا."),
            "{text}"
        );
        assert_eq!(
            error_text("en", &amanat::Error::WrongPassphrase),
            "error[wrong_passphrase]: wrong passphrase"
        );
    }
}
