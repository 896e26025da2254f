//! The desktop app's own settings: which vault folder to offer and when to lock. They hold no
//! secret and no testimony content, so they live in plain JSON in the user's config folder.
//! A damaged or hostile file is ignored in favour of the defaults, never trusted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;

pub const DEFAULT_IDLE_MINUTES: u32 = 5;
/// The languages the app speaks (BCP 47). The UI has one catalog per tag.
pub const LANGUAGES: [&str; 5] = ["en", "kk", "ru", "ug", "zh-Hans"];
pub const MAX_IDLE_MINUTES: u32 = 240;
const SETTINGS_MAX: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppSettings {
    /// The vault folder last opened or created.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub vault: Option<PathBuf>,
    /// Lock after this many minutes without a key press or click (1–240).
    #[serde(default = "default_idle")]
    pub idle_minutes: u32,
    /// The language the user chose (one of [`LANGUAGES`]); none yet means "follow the system".
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub language: Option<String>,
}

/// The app language for a POSIX locale (`kk_KZ.UTF-8`, `zh_CN`, `ug`, `C`): English if none fits.
pub fn language_for_locale(locale: &str) -> &'static str {
    let primary = locale
        .split(['_', '-', '.', '@'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match primary.as_str() {
        "kk" => "kk",
        "ru" => "ru",
        "ug" => "ug",
        "zh" => "zh-Hans",
        _ => "en",
    }
}

/// The language of this session's locale, in POSIX precedence: the GNU `LANGUAGE` list, then
/// `LC_ALL`, `LC_MESSAGES`, `LANG`. (WebKitGTK does not pass the locale on to the page.)
pub fn system_language() -> &'static str {
    let var = |v: &str| {
        std::env::var(v)
            .ok()
            .filter(|s| !s.is_empty() && s != "C" && s != "POSIX")
    };
    var("LANGUAGE")
        .and_then(|list| {
            list.split(':')
                .map(language_for_locale)
                .find(|l| *l != "en")
        })
        .or_else(|| {
            ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|v| var(v))
                .map(|l| language_for_locale(&l))
        })
        .unwrap_or("en")
}

fn default_idle() -> u32 {
    DEFAULT_IDLE_MINUTES
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            vault: None,
            idle_minutes: DEFAULT_IDLE_MINUTES,
            language: None,
        }
    }
}

impl AppSettings {
    /// Reads the settings; anything missing, unreadable or out of range gives the default.
    pub fn load(path: &Path) -> AppSettings {
        let Ok(bytes) = fsutil::read_capped(path, SETTINGS_MAX) else {
            return AppSettings::default();
        };
        AppSettings::from_bytes(&bytes)
    }

    /// Settings from a file's bytes, with the same fallbacks as [`Self::load`].
    pub fn from_bytes(bytes: &[u8]) -> AppSettings {
        let mut s: AppSettings = serde_json::from_slice(bytes).unwrap_or_default();
        if s.set_idle_minutes(s.idle_minutes).is_err() {
            s.idle_minutes = DEFAULT_IDLE_MINUTES;
        }
        if let Some(lang) = s.language.take() {
            // An unknown tag is dropped: the UI then follows the system language.
            let _ = s.set_language(&lang);
        }
        s
    }

    pub fn set_idle_minutes(&mut self, minutes: u32) -> Result<()> {
        if !(1..=MAX_IDLE_MINUTES).contains(&minutes) {
            return Err(Error::invalid("idle_minutes", "must be between 1 and 240"));
        }
        self.idle_minutes = minutes;
        Ok(())
    }

    pub fn set_language(&mut self, tag: &str) -> Result<()> {
        if !LANGUAGES.contains(&tag) {
            return Err(Error::invalid("language", "not a language of this app"));
        }
        self.language = Some(tag.to_string());
        Ok(())
    }

    /// Writes the settings atomically, creating the folder if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent()
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        fsutil::write_atomic(path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_or_out_of_range_settings_fall_back_to_defaults() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let path = tmp.path().join("conf/settings.json");
        assert_eq!(AppSettings::load(&path), AppSettings::default());
        let mut s = AppSettings::default();
        s.set_idle_minutes(12)?;
        s.vault = Some(tmp.path().join("v"));
        s.save(&path)?;
        assert_eq!(AppSettings::load(&path), s);
        std::fs::write(&path, r#"{"idle_minutes": 0}"#)
            .map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(AppSettings::load(&path).idle_minutes, DEFAULT_IDLE_MINUTES);
        std::fs::write(&path, b"\xff{").map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(AppSettings::load(&path), AppSettings::default());
        assert!(s.set_idle_minutes(241).is_err());
        Ok(())
    }

    #[test]
    fn locales_map_to_the_app_languages() {
        assert_eq!(language_for_locale("kk_KZ.UTF-8"), "kk");
        assert_eq!(language_for_locale("zh_CN.UTF-8"), "zh-Hans");
        assert_eq!(language_for_locale("ug_CN"), "ug");
        assert_eq!(language_for_locale("ru"), "ru");
        assert_eq!(language_for_locale("C.UTF-8"), "en");
        assert_eq!(language_for_locale("de_DE@euro"), "en");
        assert!(LANGUAGES.contains(&system_language()));
    }

    #[test]
    fn the_chosen_language_survives_a_restart_and_an_unknown_one_is_dropped() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let path = tmp.path().join("settings.json");
        let mut s = AppSettings::default();
        s.set_language("ug")?;
        s.save(&path)?;
        assert_eq!(AppSettings::load(&path).language.as_deref(), Some("ug"));
        assert!(s.set_language("xx").is_err());
        assert_eq!(s.language.as_deref(), Some("ug"));
        std::fs::write(&path, r#"{"language": "../../etc", "idle_minutes": 7}"#)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let loaded = AppSettings::load(&path);
        assert_eq!((loaded.language, loaded.idle_minutes), (None, 7));
        Ok(())
    }
}
