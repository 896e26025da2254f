//! The desktop app's own settings: which vault folder to offer and when to lock. They hold no
//! secret and no testimony content, so they live in plain JSON in the user's config folder.
//! A damaged or hostile file is ignored in favour of the defaults, never trusted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;

pub const DEFAULT_IDLE_MINUTES: u32 = 5;
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
}

fn default_idle() -> u32 {
    DEFAULT_IDLE_MINUTES
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            vault: None,
            idle_minutes: DEFAULT_IDLE_MINUTES,
        }
    }
}

impl AppSettings {
    /// Reads the settings; anything missing, unreadable or out of range gives the default.
    pub fn load(path: &Path) -> AppSettings {
        let Ok(bytes) = fsutil::read_capped(path, SETTINGS_MAX) else {
            return AppSettings::default();
        };
        let mut s: AppSettings = serde_json::from_slice(&bytes).unwrap_or_default();
        if s.set_idle_minutes(s.idle_minutes).is_err() {
            s.idle_minutes = DEFAULT_IDLE_MINUTES;
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
}
