//! "Change keys" (docs/key-change.md): after a coerced unlock or a lost laptop, the vault gets a
//! new secret — a new age identity, a new signing key, so a new contact card — and a new
//! recovery key. Everything it writes from then on is under the new key; its snapshots (which
//! hold the whole index) and its drafts are written again under it at once, and its attachment
//! files are encrypted again one by one. A statement signed by the old key and the new goes
//! with every bundle, for contacts to follow (and to decide whether to believe).
//!
//! Crash safety: the key files are written first, holding the new key marked as a change in
//! progress (with the statement, the recovery key's public half and the work factor). Until
//! the change is finished the vault opens under either key, and opening finishes it. Each
//! attachment file is replaced whole (write, fsync, rename); one not yet re-encrypted is
//! still read, after a check of its whole content.

use std::sync::Arc;

use age::secrecy::SecretString;
use serde::Serialize;

use super::Vault;
use super::key_change::{CHAIN_MAX, KeyChange};
use crate::attachments::Progress;
use crate::blobs;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::keys::{self, ContactCard, KdfCost, RecoveryKey, Rotating, VaultSecret};

const KEY_CHANGES: &str = "key_changes";

/// What a key change did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyChangeReport {
    /// The new fingerprint: what contacts compare before they accept the new key.
    pub fingerprint: String,
    /// Attachment files encrypted again under the new key.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_reencrypted: u64,
    /// Attachment files still under an old key (the re-encryption was cancelled): they are
    /// read after a check of their whole content, and the next key change (or
    /// `reencrypt_files`) takes them on.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_left: u64,
}

impl Vault {
    /// A new recovery key for [`Vault::change_keys`]: shown to the user (and written down)
    /// before the change begins, so that no crash can leave a vault whose recovery key
    /// nobody saw.
    pub fn new_recovery_key() -> RecoveryKey {
        RecoveryKey::generate()
    }

    /// Replaces the vault's keys (see the module doc). `passphrase` wraps the new key (it may
    /// be the old passphrase, but after a coerced unlock it should not be); `recovery` is the
    /// new recovery key from [`Vault::new_recovery_key`]. `progress` follows the attachment
    /// files; cancelling it stops the re-encryption there (the keys are changed by then).
    pub fn change_keys(
        &mut self,
        passphrase: &SecretString,
        kdf: KdfCost,
        recovery: &RecoveryKey,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<KeyChangeReport> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        keys::check_passphrase_strength(passphrase)?;
        self.reap_job(true);
        // An unfinished change (a crash during it) is finished first.
        self.complete_key_change(passphrase)?;
        if self.key_changes()?.len() >= CHAIN_MAX {
            return Err(Error::invalid(
                "keys",
                format!("have been changed {CHAIN_MAX} times, the most a vault keeps"),
            ));
        }
        let old = Arc::clone(&self.secret);
        let next = old.successor();
        let name = self.store.meta("name")?.unwrap_or_default();
        let new_card = ContactCard::new(&name, &next.recipient(), next.verifying_key())?;
        let statement = KeyChange::sign(
            &self.contact_card()?,
            old.signing_key(),
            &new_card,
            next.signing_key(),
            jiff::Timestamp::now(),
        );
        let rotating = Rotating {
            statement: serde_json::to_string(&statement)
                .map_err(|e| Error::Internal(e.to_string()))?,
            recovery: recovery.recipient(),
            log_n: kdf.log_n(),
        };
        let next = next.with_rotating(Some(rotating));
        self.write_key_files(&next, passphrase)?;
        self.secret = Arc::new(next);
        self.legacy_checked = blobs::LegacyChecked::default();
        self.complete_key_change(passphrase)?;
        let (files_reencrypted, files_left) = self.reencrypt_files(progress)?;
        Ok(KeyChangeReport {
            fingerprint: new_card.fingerprint(),
            files_reencrypted,
            files_left,
        })
    }

    /// Every key change this vault made, oldest first.
    pub fn key_changes(&self) -> Result<Vec<KeyChange>> {
        match self.store.meta(KEY_CHANGES)? {
            None => Ok(Vec::new()),
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Internal(format!("stored key changes: {e}"))),
        }
    }

    /// The fingerprints this vault had: its current one and those of every key it replaced
    /// (bundles made for an old card are still for this vault).
    pub(crate) fn own_fingerprints(&self) -> Result<Vec<String>> {
        let mut out = vec![self.contact_card()?.fingerprint()];
        for c in self.key_changes()? {
            if let Ok(card) = ContactCard::parse(&c.old) {
                out.push(card.fingerprint());
            }
        }
        Ok(out)
    }

    /// Finishes a key change that was begun (by `change_keys`, or before a crash): records
    /// its statement, writes both snapshots and every draft under the new key, and marks the
    /// change finished in both key files. Nothing to do when none is in progress.
    pub(crate) fn complete_key_change(&mut self, passphrase: &SecretString) -> Result<()> {
        let Some(r) = self.secret.rotating().cloned() else {
            return Ok(());
        };
        let damaged = || Error::KeyFileCorrupt {
            file: self.dir.join(super::PASS_FILE),
            detail: "its key change statement is damaged",
        };
        let statement: KeyChange = serde_json::from_str(&r.statement).map_err(|_| damaged())?;
        let (old_card, new_card) = statement.check().map_err(|_| damaged())?;
        if new_card.verifying_key() != &self.secret.verifying_key() {
            return Err(damaged());
        }
        let mut history = self.key_changes()?;
        if !history.contains(&statement) {
            history.push(statement);
            let json =
                serde_json::to_string(&history).map_err(|e| Error::Internal(e.to_string()))?;
            let tx = self.store.tx()?;
            tx.set_meta(KEY_CHANGES, &json)?;
            tx.commit()?;
        }
        // Twice: the current snapshot and the previous one are then both under the new key,
        // and the log segments before them (under the old key) are removed.
        self.reap_job(true);
        self.start_snapshot(false)?;
        self.start_snapshot(false)?;
        if let Some(old) = self.secret.rotating_from() {
            self.reseal_drafts(old, old_card.verifying_key())?;
        }
        let done = self.secret.with_rotating(None);
        let recovery_ct = done.wrap_to_recipient(&r.recovery)?;
        fsutil::write_atomic(&self.dir.join(super::RECOVERY_FILE), &recovery_ct)?;
        let ct = done.wrap_with_passphrase(passphrase, r.log_n)?;
        fsutil::write_atomic(&self.dir.join(super::PASS_FILE), &ct)?;
        self.secret = Arc::new(done);
        Ok(())
    }

    /// Writes the recovery file, then the passphrase file, for `secret`.
    fn write_key_files(&self, secret: &VaultSecret, passphrase: &SecretString) -> Result<()> {
        let Some(r) = secret.rotating() else {
            return Err(Error::Internal("key files without a key change".into()));
        };
        let recovery_ct = secret.wrap_to_recipient(&r.recovery)?;
        fsutil::write_atomic(&self.dir.join(super::RECOVERY_FILE), &recovery_ct)?;
        let ct = secret.wrap_with_passphrase(passphrase, r.log_n)?;
        fsutil::write_atomic(&self.dir.join(super::PASS_FILE), &ct)
    }

    /// Encrypts every attachment file that is still under an earlier key again under the
    /// current one, each replaced whole once its content matched its record: the files of
    /// live attachments and those of attachments held as proposals (an import placed them
    /// in `blobs/` too). Returns how many were re-encrypted and how many are left (when
    /// `progress` cancelled).
    pub fn reencrypt_files(
        &mut self,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<(u64, u64)> {
        let mut all: Vec<_> = self
            .store
            .all_attachments()?
            .into_iter()
            .map(|a| a.attachment)
            .collect();
        for a in self.store.held_attachments()? {
            // A held change of a live attachment shares its file; a rejected one's file may be
            // gone already (an orphan removed on open).
            if !all.iter().any(|o| o.blob == a.blob) && blobs::path(self.dir(), &a.blob).exists() {
                all.push(a);
            }
        }
        let mut old = Vec::new();
        for a in all {
            if !blobs::is_current(self.dir(), &self.secret, &a.blob)? {
                old.push(a);
            }
        }
        let total: u64 = old.iter().map(|a| a.size).sum();
        let mut done_bytes = 0u64;
        let mut done = 0u64;
        let recipient = self.secret.storage_recipient();
        for a in &old {
            if !progress(Progress {
                done: done_bytes,
                total,
            }) {
                break;
            }
            let mut reader = blobs::open(
                self.dir(),
                &self.secret,
                &crate::attachments::expected(a),
                &self.legacy_checked,
            )?;
            let tmp = blobs::stage(self.dir(), &recipient, &mut reader)?;
            let dest = blobs::path(self.dir(), &a.blob);
            if let Err(e) = fsutil::rename(&tmp, &dest) {
                let _ = fsutil::remove_file_if_exists(&tmp);
                return Err(e);
            }
            fsutil::sync_parent(&dest)?;
            done += 1;
            done_bytes += a.size;
        }
        progress(Progress {
            done: done_bytes,
            total,
        });
        Ok((done, old.len() as u64 - done))
    }
}
