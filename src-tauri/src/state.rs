//! The one piece of state the shell holds: `Some(vault)` while unlocked, `None` when locked.
//! Locking drops the vault, whose secret keys zeroize on drop; the window is then reloaded so
//! no decrypted text stays in the page.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use amanat::settings::AppSettings;
use amanat::{RecoveryKey, Vault};

use crate::error::{CmdError, CmdResult};

pub struct AppState {
    vault: Mutex<Option<Vault>>,
    /// A new vault's recovery key, kept only until the user confirms it is written down, so
    /// that "save to a file" does not need it sent back from the page.
    recovery: Mutex<Option<RecoveryKey>>,
    settings: Mutex<AppSettings>,
    settings_path: PathBuf,
    last_activity: Mutex<Instant>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock must not make the app unlockable or un-lockable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub fn new(settings_path: PathBuf) -> Self {
        AppState {
            vault: Mutex::new(None),
            recovery: Mutex::new(None),
            settings: Mutex::new(AppSettings::load(&settings_path)),
            settings_path,
            last_activity: Mutex::new(Instant::now()),
        }
    }

    /// Runs `f` on the open vault, or fails with `locked`.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> amanat::Result<T>) -> CmdResult<T> {
        self.touch();
        let mut v = guard(&self.vault);
        let vault = v.as_mut().ok_or_else(CmdError::locked)?;
        Ok(f(vault)?)
    }

    pub fn is_unlocked(&self) -> bool {
        guard(&self.vault).is_some()
    }

    /// Installs a just-opened vault and remembers its folder for the next start.
    pub fn unlock(&self, vault: Vault) -> CmdResult<()> {
        let dir = vault.dir().to_path_buf();
        *guard(&self.vault) = Some(vault);
        self.touch();
        self.update_settings(|s| {
            s.vault = Some(dir);
            Ok(())
        })
    }

    /// Drops the vault and any pending recovery key. Returns whether anything was open.
    pub fn lock(&self) -> bool {
        guard(&self.recovery).take();
        let vault = guard(&self.vault).take();
        let was_open = vault.is_some();
        if let Some(v) = vault {
            // close() finishes a snapshot in progress; the secret zeroizes when `v` drops.
            let _ = v.close();
        }
        was_open
    }

    pub fn set_recovery(&self, key: RecoveryKey) {
        *guard(&self.recovery) = Some(key);
    }

    pub fn with_recovery<T>(&self, f: impl FnOnce(&RecoveryKey) -> CmdResult<T>) -> CmdResult<T> {
        let r = guard(&self.recovery);
        let key = r.as_ref().ok_or_else(|| {
            CmdError::from(amanat::Error::NotFound(
                "the recovery key (shown only once)".into(),
            ))
        })?;
        f(key)
    }

    pub fn forget_recovery(&self) {
        guard(&self.recovery).take();
    }

    pub fn settings(&self) -> AppSettings {
        guard(&self.settings).clone()
    }

    pub fn update_settings(
        &self,
        f: impl FnOnce(&mut AppSettings) -> amanat::Result<()>,
    ) -> CmdResult<()> {
        let mut s = guard(&self.settings);
        f(&mut s)?;
        Ok(s.save(&self.settings_path)?)
    }

    /// A key press, click or command: the idle timer starts again.
    pub fn touch(&self) {
        *guard(&self.last_activity) = Instant::now();
    }

    pub fn idle_for(&self) -> std::time::Duration {
        guard(&self.last_activity).elapsed()
    }
}
