//! A vault on disk and open in memory: creation, opening (snapshot + log replay), commits,
//! snapshots, passphrase change and recovery. Record-level operations are in `records.rs`.
//!
//! Invariants:
//! - A commit returns only after its frame is durable; the index changes in the same step
//!   and only if the frame was written.
//! - One process per vault (an OS lock on `lock`).
//! - Log segments are removed only when two durable snapshots cover them, so a damaged
//!   current snapshot can always fall back to the previous one plus the log.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use age::secrecy::SecretString;

use crate::blobs;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::keys::{self, ContactCard, KdfCost, RecoveryKey, VaultSecret};
use crate::log::{self, LogPos, LogWriter};
use crate::model::Revision;
use crate::model::revision::Draft;
use crate::snapbuf;
use crate::snapshot::{self, Meta};
use crate::store::Store;

pub(crate) mod key_change;
mod purge;
mod rotate;

pub use key_change::KeyChange;
pub use rotate::KeyChangeReport;

pub(crate) const VAULT_FILE: &str = "VAULT";
const VAULT_FORMAT_NAME: &str = "amanat-vault";
const VAULT_FORMAT_VERSION: u32 = 1;
const PASS_FILE: &str = "keys/pass.age";
const RECOVERY_FILE: &str = "keys/recovery.age";
const LOCK_FILE: &str = "lock";
const KEY_FILE_MAX: u64 = 64 * 1024;
/// About how many bytes of revisions one frame of a batch holds (`Vault::commit_batch`).
const BATCH_FRAME_BYTES: usize = 4 << 20;
/// Take a snapshot in the background once this much log has accumulated.
pub const DEFAULT_SNAPSHOT_AFTER_BYTES: u64 = 16 * 1024 * 1024;

/// Options for a new vault.
pub struct CreateOptions {
    /// This device's name on its contact card.
    pub name: String,
    pub kdf: KdfCost,
}

/// What opening found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The current snapshot was unusable and the previous one was used with the log.
    pub used_previous_snapshot: Option<String>,
    /// Bytes of an incomplete last save (a crash mid-write) that were cut off.
    pub torn_bytes_discarded: u64,
    /// Log frames replayed on top of the snapshot.
    pub frames_replayed: u64,
    /// Attachment files no record refers to (an import or delete cut short), removed.
    pub orphan_blobs_removed: u64,
    /// Withdrawn testimonies whose day had come, erased on this opening (docs/erasure.md §5).
    pub withdrawals_erased: u64,
}

struct SnapshotJob {
    /// The outcome, and the copy buffer handed back for the next snapshot.
    handle: JoinHandle<(Result<()>, snapbuf::Buffer)>,
    start_segment: u64,
}

pub struct Vault {
    dir: PathBuf,
    _lock: File,
    /// On the heap, in one place: moving the vault, or handing the keys to the snapshot
    /// thread, moves a pointer, never a copy of the keys.
    pub(crate) secret: Arc<VaultSecret>,
    pub(crate) store: Store,
    log: LogWriter,
    /// The start segment of the installed current snapshot.
    snapshot_start: u64,
    job: Option<SnapshotJob>,
    copy_buf: snapbuf::SnapshotBuffer,
    snapshot_after: u64,
    batch_frame_bytes: usize,
    /// Set when a write failed in a way that leaves memory and disk possibly apart.
    poisoned: bool,
    report: OpenReport,
    last_snapshot_error: Option<Error>,
    /// Attachment files of the older kind whose content was checked this session.
    pub(crate) legacy_checked: blobs::LegacyChecked,
}

fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let f = opts.open(&path).map_err(|e| Error::io("open", &path, e))?;
    // A lock can outlive its holder for a moment: a process that is exiting, or a child being
    // started by another thread that holds a copy of the descriptor until it runs its
    // program. So a held lock is tried again for up to two seconds before the answer is that
    // the vault is open elsewhere.
    for attempt in 0.. {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) if attempt < 20 => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::VaultLocked),
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
    }
    Err(Error::VaultLocked)
}

/// Checks the plaintext `VAULT` marker: format name and version only.
fn check_vault_file(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::VaultNotFound(dir.to_path_buf()));
    }
    let path = dir.join(VAULT_FILE);
    if !path.exists() {
        return Err(Error::NotAVault(dir.to_path_buf()));
    }
    let text = fsutil::read_capped(&path, 1024)?;
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    if lines.next() != Some(VAULT_FORMAT_NAME) {
        return Err(Error::NotAVault(dir.to_path_buf()));
    }
    let version: u32 = lines
        .next()
        .and_then(|l| l.strip_prefix("format "))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::NotAVault(dir.to_path_buf()))?;
    if version > VAULT_FORMAT_VERSION {
        return Err(Error::UnsupportedVersion(format!("vault format {version}")));
    }
    Ok(())
}

impl Vault {
    /// Creates a vault in `dir` (which must not exist, or be empty). Returns the open vault
    /// and the recovery key, which the caller must show to the user once.
    pub fn create(
        dir: &Path,
        passphrase: &SecretString,
        opts: &CreateOptions,
    ) -> Result<(Vault, RecoveryKey)> {
        keys::check_passphrase_strength(passphrase)?;
        keys::check_device_name(&opts.name)?;
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
            if entries.next().is_some() {
                return Err(Error::VaultExists(dir.to_path_buf()));
            }
        } else {
            fsutil::create_dir(dir)?;
        }
        for sub in ["keys", "log", "blobs", "drafts"] {
            fsutil::create_dir(&dir.join(sub))?;
        }
        let lock = lock(dir)?;
        let secret = VaultSecret::generate();
        let recovery = RecoveryKey::generate();
        fsutil::write_atomic(
            &dir.join(RECOVERY_FILE),
            &secret.wrap_to_recovery(&recovery)?,
        )?;
        fsutil::write_atomic(
            &dir.join(PASS_FILE),
            &secret.wrap_with_passphrase(passphrase, opts.kdf.log_n())?,
        )?;
        let mut store = Store::new()?;
        {
            let tx = store.tx()?;
            tx.set_meta("name", opts.name.trim())?;
            tx.set_meta("vault_id", &uuid::Uuid::now_v7().to_string())?;
            tx.commit()?;
        }
        let meta = Meta {
            format: 1,
            pos: LogPos::genesis(),
            start_segment: 1,
            prev_start_segment: 1,
            db_len: 0,
            created_at: jiff::Timestamp::now(),
        };
        let mut db = Vec::new();
        store.serialize_into(&mut db)?;
        write_snapshot_files(dir, &secret, meta, &db)?;
        let log = LogWriter::open(&dir.join("log"), 1, 0, LogPos::genesis())?;
        // The marker is written last: a half-created folder is not mistaken for a vault.
        fsutil::write_atomic(
            &dir.join(VAULT_FILE),
            format!("{VAULT_FORMAT_NAME}\nformat {VAULT_FORMAT_VERSION}\n").as_bytes(),
        )?;
        let vault = Vault::assemble(dir, lock, secret, store, log, 1, OpenReport::default());
        Ok((vault, recovery))
    }

    /// Whether `dir` looks like a vault (its `VAULT` marker is there and readable).
    pub fn exists_at(dir: &Path) -> bool {
        check_vault_file(dir).is_ok()
    }

    /// This device's signing key in hex, as history entries name their author.
    pub fn device_key(&self) -> String {
        hex::encode(self.secret.verifying_key().as_bytes())
    }

    /// Opens a vault with its passphrase.
    pub fn open(dir: &Path, passphrase: &SecretString) -> Result<Vault> {
        check_vault_file(dir)?;
        let lock = lock(dir)?;
        let pass_path = dir.join(PASS_FILE);
        let ct = read_key_file(&pass_path)?;
        let secret = VaultSecret::unwrap_with_passphrase(&ct, passphrase, &pass_path)?;
        let mut vault = Vault::open_with_secret(dir, lock, secret)?;
        // A key change a crash interrupted is finished before anything else is written.
        vault.complete_key_change(passphrase)?;
        Ok(vault)
    }

    /// Opens a vault with its recovery key and sets a new passphrase.
    pub fn recover(
        dir: &Path,
        recovery_key: &RecoveryKey,
        new_passphrase: &SecretString,
        kdf: KdfCost,
    ) -> Result<Vault> {
        keys::check_passphrase_strength(new_passphrase)?;
        check_vault_file(dir)?;
        let lock = lock(dir)?;
        let path = dir.join(RECOVERY_FILE);
        let ct = read_key_file(&path)?;
        let secret = VaultSecret::unwrap_with_recovery(&ct, recovery_key, &path)?;
        let mut vault = Vault::open_with_secret(dir, lock, secret)?;
        vault.write_pass_file(new_passphrase, kdf)?;
        vault.complete_key_change(new_passphrase)?;
        Ok(vault)
    }

    fn open_with_secret(dir: &Path, lock: File, secret: VaultSecret) -> Result<Vault> {
        remove_leftover_temp_files(dir)?;
        let mut report = OpenReport::default();
        let (meta, store, key, identity) = load_snapshot(dir, &secret, &mut report)?;
        let mut store = store;
        store.migrate()?;
        let log_dir = dir.join("log");
        // The segment a snapshot points to is created before the snapshot is written, so its
        // absence means a deleted log: refuse rather than silently lose the saves in it.
        if !log_dir.join(log::segment_name(meta.start_segment)).exists() {
            return Err(Error::tampered(
                format!("log segment {}", log::segment_name(meta.start_segment)),
                "it is missing",
            ));
        }
        // A batch (an import written as several frames) is applied in one transaction that
        // is committed at its last frame; one the log ends inside is dropped with it.
        let replayed = {
            let shared = &store;
            let mut batch: Option<(crate::store::StoreTx<'_>, crate::store::Held)> = None;
            let replayed = log::replay(
                &log_dir,
                identity,
                &key,
                meta.start_segment,
                meta.pos.clone(),
                |seq, revs, open| {
                    let (tx, mut held) = match batch.take() {
                        Some(b) => b,
                        None => (shared.tx_shared()?, Default::default()),
                    };
                    tx.apply_batch_frame(revs, seq, &mut held)?;
                    if open {
                        batch = Some((tx, held));
                        Ok(())
                    } else {
                        tx.commit()
                    }
                },
            )?;
            drop(batch);
            replayed
        };
        report.torn_bytes_discarded = replayed.torn_bytes;
        report.frames_replayed = replayed.frames;
        log::remove_segments_before(&log_dir, meta.prev_start_segment.min(meta.start_segment))?;
        report.orphan_blobs_removed = blobs::remove_orphans(dir, &store.live_blobs()?)?;
        let (segment, len) = replayed.last_segment.unwrap_or((meta.start_segment, 0));
        let log = LogWriter::open(&log_dir, segment, len, replayed.pos)?;
        let mut vault = Vault::assemble(dir, lock, secret, store, log, meta.start_segment, report);
        // An erasure the files on disk may still hold (a crash came before they were
        // rewritten): rewritten now.
        if vault.store.erase_pending()?
            && let Err(e) = vault.finish_erasure()
        {
            vault.last_snapshot_error = Some(e);
        }
        // Withdrawals whose day has come (hide now, erase later): erased before anything is
        // shown. Should that fail (a full disk), the vault still opens; the next opening tries
        // again.
        match vault.erase_withdrawals_due(crate::withdraw::today()) {
            Ok(n) => vault.report.withdrawals_erased = n,
            Err(e) => vault.last_snapshot_error = Some(e),
        }
        // Anonymised copies of erased testimonies held here (a crash came between the two
        // commits, docs/erasure.md §4).
        vault.erase_held_copies_or_note();
        // Ready before the first snapshot needs it, prepared while the user starts working.
        vault
            .copy_buf
            .prepare(usize::try_from(meta.db_len).unwrap_or(0));
        Ok(vault)
    }

    /// Keeps a failure of work done after a commit that stood (rewriting files, erasing held
    /// copies), reported like a failed snapshot; the next commit or opening tries again.
    pub(crate) fn note_failure(&mut self, e: Error) {
        self.last_snapshot_error = Some(e);
    }

    fn assemble(
        dir: &Path,
        lock: File,
        secret: VaultSecret,
        store: Store,
        log: LogWriter,
        snapshot_start: u64,
        report: OpenReport,
    ) -> Vault {
        Vault {
            dir: dir.to_path_buf(),
            _lock: lock,
            secret: Arc::new(secret),
            store,
            log,
            snapshot_start,
            job: None,
            copy_buf: snapbuf::SnapshotBuffer::default(),
            snapshot_after: DEFAULT_SNAPSHOT_AFTER_BYTES,
            batch_frame_bytes: BATCH_FRAME_BYTES,
            poisoned: false,
            report,
            last_snapshot_error: None,
            legacy_checked: blobs::LegacyChecked::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// Log bytes written since the last snapshot was started.
    pub fn log_tail_bytes(&self) -> u64 {
        self.log.tail_bytes()
    }

    /// How much log triggers a background snapshot (tests and benchmarks lower it).
    pub fn set_snapshot_after_bytes(&mut self, bytes: u64) {
        self.snapshot_after = bytes.max(1);
    }

    /// About how many bytes of revisions one frame of a large commit holds (tests lower it to
    /// make every import a batch of many frames).
    pub fn set_batch_frame_bytes(&mut self, bytes: usize) {
        self.batch_frame_bytes = bytes.max(1);
    }

    /// This device's contact card.
    pub fn contact_card(&self) -> Result<ContactCard> {
        let name = self.store.meta("name")?.unwrap_or_default();
        ContactCard::new(&name, &self.secret.recipient(), self.secret.verifying_key())
    }

    /// Checks that `passphrase` opens this vault (before a change of passphrase, so that an
    /// unattended unlocked laptop is not enough to change it).
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<()> {
        let pass_path = self.dir.join(PASS_FILE);
        let ct = read_key_file(&pass_path)?;
        let secret = VaultSecret::unwrap_with_passphrase(&ct, passphrase, &pass_path)?;
        if secret.verifying_key() != self.secret.verifying_key() {
            return Err(Error::Tampered {
                what: PASS_FILE.into(),
                detail: "it holds another vault's key".into(),
            });
        }
        Ok(())
    }

    /// Replaces the passphrase (rewrites `keys/pass.age` only).
    pub fn change_passphrase(&mut self, new_passphrase: &SecretString, kdf: KdfCost) -> Result<()> {
        keys::check_passphrase_strength(new_passphrase)?;
        self.write_pass_file(new_passphrase, kdf)
    }

    fn write_pass_file(&self, pass: &SecretString, kdf: KdfCost) -> Result<()> {
        let ct = self.secret.wrap_with_passphrase(pass, kdf.log_n())?;
        fsutil::write_atomic(&self.dir.join(PASS_FILE), &ct)
    }

    /// Signs `drafts` as revisions and commits them as one frame: all or none. Returns once
    /// the frame is durable.
    pub(crate) fn commit(&mut self, drafts: Vec<Draft>) -> Result<Vec<Revision>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let revs = self.sign(drafts)?;
        self.commit_revisions(revs)
    }

    /// Signs drafts as this device, now.
    pub(crate) fn sign(&self, drafts: Vec<Draft>) -> Result<Vec<Revision>> {
        let at = jiff::Timestamp::now();
        drafts
            .into_iter()
            .map(|d| Revision::sign(d, self.secret.signing_key(), at))
            .collect()
    }

    /// Commits revisions already signed (here, or by the devices a bundle came from) as one
    /// frame: all or none. Revisions already in the vault are skipped by the index.
    pub(crate) fn commit_revisions(&mut self, revs: Vec<Revision>) -> Result<Vec<Revision>> {
        let revs = self.commit_frame(revs)?;
        self.after_commit();
        Ok(revs)
    }

    /// Commits one frame (`commit_revisions`) and leaves what follows a commit (a snapshot,
    /// finishing an erasure) to the caller.
    pub(crate) fn commit_frame(&mut self, revs: Vec<Revision>) -> Result<Vec<Revision>> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let seq = self.log.pos().seq + 1;
        let tx = self.store.tx()?;
        tx.apply_frame(&revs, seq)?;
        match self.log.append(
            &self.secret.recipient(),
            self.secret.signing_key(),
            &revs,
            false,
        ) {
            Ok(_) => {}
            Err(Error::Poisoned) => {
                self.poisoned = true;
                return Err(Error::Poisoned);
            }
            Err(e) => return Err(e),
        }
        if let Err(e) = tx.commit() {
            // The frame is durable but memory lags it: reopening replays it.
            self.poisoned = true;
            return Err(e);
        }
        Ok(revs)
    }

    /// Commits `local` (revisions signed here) and then every revision `more` yields that the
    /// vault does not have, as one *batch* of log frames of about `BATCH_FRAME_BYTES` each,
    /// applied in one transaction: all or none, durable once the last frame is. What a large
    /// import needs in memory is one frame, not the whole import. `more` yields each revision
    /// with the size of its JSON. Returns how many revisions were committed.
    pub(crate) fn commit_batch(
        &mut self,
        local: Vec<Revision>,
        more: &mut dyn Iterator<Item = Result<(Revision, usize)>>,
    ) -> Result<u64> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let mark = self.log.mark();
        let tx = self.store.tx()?;
        let mut held = crate::store::Held::default();
        let mut more = more.peekable();
        let mut frame = local;
        let mut bytes = 0usize;
        let mut count = 0u64;
        let outcome = loop {
            let next = match more.next().transpose() {
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            if let Some((r, size)) = next {
                match tx.is_known(&r.hash) {
                    Ok(true) => {}
                    Ok(false) => {
                        bytes += size;
                        frame.push(r);
                    }
                    Err(e) => break Err(e),
                }
                if bytes < self.batch_frame_bytes && more.peek().is_some() {
                    continue;
                }
            }
            let open = more.peek().is_some();
            if frame.is_empty() && open {
                continue;
            }
            let seq = self.log.pos().seq + 1;
            if let Err(e) = tx.apply_batch_frame(&frame, seq, &mut held) {
                break Err(e);
            }
            let key = self.secret.signing_key();
            if let Err(e) = self.log.append(&self.secret.recipient(), key, &frame, open) {
                break Err(e);
            }
            count += frame.len() as u64;
            frame.clear();
            bytes = 0;
            if !open {
                break Ok(());
            }
        };
        if let Err(e) = outcome {
            // Frames of the batch already written are cut off: the log is as it was.
            if matches!(e, Error::Poisoned) || self.log.truncate_to(mark).is_err() {
                self.poisoned = true;
                return Err(Error::Poisoned);
            }
            return Err(e);
        }
        if let Err(e) = tx.commit() {
            // The batch is durable but memory lags it: reopening replays it.
            self.poisoned = true;
            return Err(e);
        }
        self.after_commit();
        Ok(count)
    }

    fn maybe_snapshot(&mut self) {
        self.reap_job(false);
        if self.job.is_none()
            && self.log.tail_bytes() >= self.snapshot_after
            && let Err(e) = self.start_snapshot(true)
        {
            self.last_snapshot_error = Some(e);
        }
    }

    /// Collects a finished (or, with `wait`, any) background snapshot.
    fn reap_job(&mut self, wait: bool) {
        let finished = self.job.as_ref().is_some_and(|j| j.handle.is_finished());
        if !(finished || wait) {
            return;
        }
        if let Some(job) = self.job.take() {
            let outcome = match job.handle.join() {
                Ok((outcome, buf)) => {
                    self.copy_buf.give_back(buf);
                    outcome
                }
                Err(_) => Err(Error::Internal("snapshot thread failed".into())),
            };
            self.finish_snapshot(outcome, job.start_segment);
        }
    }

    pub(crate) fn wait_for_snapshot(&mut self) {
        self.reap_job(true);
    }

    pub(crate) fn log_pos(&self) -> &LogPos {
        self.log.pos()
    }

    /// The error of the last snapshot attempt, if it failed (the log still holds everything).
    pub fn last_snapshot_error(&self) -> Option<&Error> {
        self.last_snapshot_error.as_ref()
    }

    /// Starts a snapshot: the index is copied and the log rotated here (the only part that
    /// holds up commits); encryption and writing run on another thread when `background`.
    fn start_snapshot(&mut self, background: bool) -> Result<()> {
        self.snapshot(background, false)
    }

    /// Starts a snapshot (see `start_snapshot`); with `both`, it becomes the previous snapshot
    /// too and every log segment before it is removed (`purge.rs`).
    fn snapshot(&mut self, background: bool, both: bool) -> Result<()> {
        self.reap_job(true);
        let mut db = self.copy_buf.take();
        if let Err(e) = self.store.serialize_into(&mut db) {
            self.copy_buf.give_back(db);
            return Err(e);
        }
        let prev_start = self.snapshot_start;
        let pos = self.log.pos().clone();
        let start_segment = match self.log.rotate() {
            Ok(s) => s,
            Err(e) => {
                self.copy_buf.give_back(db);
                return Err(e);
            }
        };
        let meta = Meta {
            format: 1,
            pos,
            start_segment,
            // Both snapshots are this one: nothing before it is needed.
            prev_start_segment: if both { start_segment } else { prev_start },
            db_len: db.len() as u64,
            created_at: jiff::Timestamp::now(),
        };
        let dir = self.dir.clone();
        let recipient = self.secret.recipient();
        let secret = Arc::clone(&self.secret);
        let work = move || {
            let tmp = fsutil::tmp_path(&dir.join(snapshot::CURRENT));
            let outcome = snapshot::write(&tmp, &recipient, secret.signing_key(), &meta, &db)
                .inspect_err(|_| {
                    let _ = fsutil::remove_file_if_exists(&tmp);
                })
                .and_then(|()| {
                    if both {
                        snapshot::install_both(&dir, &tmp)
                    } else {
                        snapshot::install(&dir, &tmp)
                    }
                })
                .and_then(|()| {
                    log::remove_segments_before(&dir.join("log"), meta.prev_start_segment)
                });
            (outcome, db)
        };
        if background {
            let handle = std::thread::Builder::new()
                .name("amanat-snapshot".into())
                .spawn(work)
                .map_err(|e| Error::Internal(format!("snapshot thread: {e}")))?;
            self.job = Some(SnapshotJob {
                handle,
                start_segment,
            });
            Ok(())
        } else {
            let (outcome, buf) = work();
            self.copy_buf.give_back(buf);
            outcome?;
            self.finish_snapshot(Ok(()), start_segment);
            Ok(())
        }
    }

    /// Records a snapshot's outcome: on success the log from `start_segment` on is what
    /// follows the current snapshot.
    fn finish_snapshot(&mut self, outcome: Result<()>, start_segment: u64) {
        match outcome {
            Ok(()) => {
                self.snapshot_start = start_segment;
                self.last_snapshot_error = None;
            }
            Err(e) => self.last_snapshot_error = Some(e),
        }
    }

    /// Takes a snapshot now and waits until it is durable.
    pub fn snapshot_now(&mut self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        self.start_snapshot(false)
    }

    /// Waits for background work, snapshots if the log has grown since the last one, and
    /// releases the vault.
    pub fn close(mut self) -> Result<()> {
        self.reap_job(true);
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        if self.log.tail_bytes() > 0 || self.last_snapshot_error.is_some() {
            self.start_snapshot(false)?;
        }
        Ok(())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        // Never leave a snapshot half-installed by exiting under it.
        self.reap_job(true);
    }
}

fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    if !path.exists() {
        return Err(Error::KeyFileCorrupt {
            file: path.to_path_buf(),
            detail: "it is missing",
        });
    }
    fsutil::read_capped(path, KEY_FILE_MAX).map_err(|_| Error::KeyFileCorrupt {
        file: path.to_path_buf(),
        detail: "it cannot be read or is too large",
    })
}

fn write_snapshot_files(dir: &Path, secret: &VaultSecret, mut meta: Meta, db: &[u8]) -> Result<()> {
    meta.db_len = db.len() as u64;
    let tmp = fsutil::tmp_path(&dir.join(snapshot::CURRENT));
    snapshot::write(&tmp, &secret.recipient(), secret.signing_key(), &meta, db)?;
    snapshot::install(dir, &tmp)
}

/// The current snapshot, or the previous one if the current cannot be read, with the key
/// that signed it and the identity that opened it. While a key change is unfinished, a
/// snapshot still under the key it replaces is accepted too (and the change is finished
/// right after opening).
fn load_snapshot<'a>(
    dir: &Path,
    secret: &'a VaultSecret,
    report: &mut OpenReport,
) -> Result<(
    Meta,
    Store,
    ed25519_dalek::VerifyingKey,
    &'a age::x25519::Identity,
)> {
    let mut keys = vec![(secret.identity(), secret.verifying_key())];
    if let (Some(old), Some(r)) = (secret.rotating_from(), secret.rotating()) {
        let old_key = serde_json::from_str::<KeyChange>(&r.statement)
            .ok()
            .and_then(|c| c.check().ok())
            .map(|(old_card, _)| *old_card.verifying_key());
        if let Some(old_key) = old_key {
            keys.push((old, old_key));
        }
    }
    let mut first = None;
    for file in [snapshot::CURRENT, snapshot::PREVIOUS] {
        for (identity, key) in &keys {
            match snapshot::read(&dir.join(file), identity, key, true) {
                Ok((meta, Some(store))) => {
                    if let (snapshot::PREVIOUS, Some(e)) = (file, &first) {
                        report.used_previous_snapshot = Some(format!("{e}"));
                    }
                    return Ok((meta, store, *key, identity));
                }
                Ok((_, None)) => return Err(Error::Internal("snapshot not loaded".into())),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
    }
    Err(first.unwrap_or_else(|| Error::Internal("no snapshot".into())))
}

/// Temporary files are only ever complete-or-discardable copies; a crash may leave them.
fn remove_leftover_temp_files(dir: &Path) -> Result<()> {
    for sub in [
        dir.to_path_buf(),
        dir.join("keys"),
        dir.join(crate::drafts::DRAFTS_DIR),
    ] {
        if sub != dir && !sub.is_dir() {
            continue;
        }
        let entries = std::fs::read_dir(&sub).map_err(|e| Error::io("list", &sub, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name
                .to_str()
                .is_some_and(|n| n.ends_with(fsutil::TMP_SUFFIX))
            {
                fsutil::remove_file_if_exists(&entry.path())?;
            }
        }
    }
    Ok(())
}
