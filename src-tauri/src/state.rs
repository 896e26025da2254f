//! The one piece of state the shell holds: `Some(vault)` while unlocked, `None` when locked.
//! Locking drops the vault, whose secret keys zeroize on drop; the window is then reloaded so
//! no decrypted text stays in the page.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set to stop the long job in progress (an import, an extract) at its next chunk.
    cancel: AtomicBool,
    /// Where files dropped on the window are reported, once the page asks for them.
    drops: Mutex<Option<tauri::ipc::Channel<Vec<String>>>>,
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
            cancel: AtomicBool::new(false),
            drops: Mutex::new(None),
        }
    }

    /// Runs a long job on the open vault. `f` gets a check that turns true once the job is
    /// cancelled (by the user, or by a lock, which must not wait for the job to finish).
    pub fn with_job<T>(
        &self,
        f: impl FnOnce(&mut Vault, &dyn Fn() -> bool) -> amanat::Result<T>,
    ) -> CmdResult<T> {
        self.cancel.store(false, Ordering::SeqCst);
        self.with_vault(|v| f(v, &|| self.cancel.load(Ordering::SeqCst)))
    }

    pub fn cancel_job(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn watch_drops(&self, channel: tauri::ipc::Channel<Vec<String>>) {
        *guard(&self.drops) = Some(channel);
    }

    /// Files dropped on the window: their paths go to the page, which decides what to do.
    pub fn dropped(&self, paths: Vec<String>) {
        if let Some(c) = guard(&self.drops).as_ref() {
            let _ = c.send(paths);
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
        // A long job holds the vault: stop it first, so that locking is immediate.
        self.cancel_job();
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
