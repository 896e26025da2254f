//! "Keep the proof, drop the content" on disk (docs/erasure.md). Once the index has erased
//! content (`store::erase`), every file that may still hold it is rewritten or removed:
//!
//! 1. the drafts of erased records, and attachment files no live record or proposal needs;
//! 2. a snapshot of the index as it is now, installed as both the current and the previous
//!    snapshot (`snapshot::install_both`), which starts a new log segment;
//! 3. every log segment before it (removed once it is installed).
//!
//! Crash safety: until step 2's last rename the log on disk still holds the erasure after
//! the current snapshot, so reopening replays it, which marks the index again, and the vault
//! does all of this again on opening. After it, the current snapshot says no segment before
//! its own is needed, and opening removes any that step 3 left. Files removed in step 1 are
//! not needed by anything that remains.
//!
//! What it cannot reach: copies outside the vault, and blocks of the old files that the
//! file system or the flash memory under it has not overwritten yet (SECURITY.md).

use super::Vault;
use crate::blobs;
use crate::error::Result;

/// What rewriting the files removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Purged {
    pub drafts: u64,
    pub files: u64,
}

impl Vault {
    /// After every commit: finishes an erasure it made or brought, or snapshots if the log
    /// has grown enough. An erasure that cannot be finished now (a full disk) is tried again
    /// after the next commit and on opening; the commit itself stands.
    pub(super) fn after_commit(&mut self) {
        match self.store.erase_pending() {
            Ok(true) => {
                if let Err(e) = self.finish_erasure() {
                    self.last_snapshot_error = Some(e);
                }
            }
            _ => self.maybe_snapshot(),
        }
    }

    /// Rewrites every file that may still hold erased content (see the module doc).
    pub(crate) fn finish_erasure(&mut self) -> Result<Purged> {
        self.reap_job(true);
        let erased = self.store.erased_records()?;
        let drafts = self.remove_drafts_of(&erased)?;
        let files = blobs::remove_orphans(self.dir(), &self.store.live_blobs()?)?;
        self.store.erase_done()?;
        if let Err(e) = self.snapshot(false, true) {
            // Still to do: marked again, so the next commit or opening tries again.
            self.store.erase_again()?;
            return Err(e);
        }
        Ok(Purged { drafts, files })
    }
}
