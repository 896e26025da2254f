//! Attachment operations on an open vault: attach a file, list, read at any offset, extract
//! (plaintext out only on an explicit request), delete, and the attachment part of `verify`.
//!
//! Order of writes, so that a crash at any instant leaves a consistent vault:
//! - attach: the blob is written and made durable first, then its revision is committed. A
//!   crash between the two leaves an orphan blob, removed when the vault next opens.
//! - delete: the tombstone is committed first, then the blob removed (again, an orphan at
//!   worst). A blob is never removed while a live attachment refers to it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::blobs;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::media;
use crate::model::attachment::{Attachment, CustodyEvent};
use crate::model::revision::Draft;
use crate::model::vocab::{AttachmentKind, AttachmentRole, CustodyAction};
use crate::model::{Op, RecordKind};
use crate::records::required_reason;
use crate::store::StoredAttachment;
use crate::vault::Vault;

/// How a file is attached.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    /// What the file is; by default from its content (image → photo, …).
    pub kind: Option<AttachmentKind>,
    /// By default `evidentiary`.
    pub role: Option<AttachmentRole>,
}

/// Progress of a long job: bytes done of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// An attachment's content, decrypted on demand at any offset (for playback). Reads fail
/// with an error, never with wrong bytes, if the file on disk was damaged.
pub struct AttachmentReader {
    inner: age::stream::StreamReader<std::io::BufReader<File>>,
    pub len: u64,
    pub media_type: String,
}

impl Read for AttachmentReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Seek for AttachmentReader {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A range of an attachment's bytes, for a media element.
pub struct MediaChunk {
    pub bytes: Vec<u8>,
    pub start: u64,
    /// Inclusive.
    pub end: u64,
    /// The whole attachment's size.
    pub size: u64,
    pub media_type: String,
}

/// What the vault recorded about an attachment's file.
pub(crate) fn expected(a: &Attachment) -> blobs::Expected<'_> {
    blobs::Expected {
        id: &a.blob,
        size: a.size,
        sha256: &a.sha256,
    }
}

fn hex_eq(hash: &[u8; 32], hex_text: &str) -> bool {
    hex::encode(hash) == hex_text
}

impl Vault {
    /// Encrypts a file into the vault and attaches it to a testimony. `progress` is called
    /// after every MiB; returning `false` cancels, and a cancelled or failed import leaves no
    /// file and no revision.
    pub fn attach_file(
        &mut self,
        testimony: Uuid,
        file: &Path,
        opts: &AttachOptions,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<Uuid> {
        self.unlocked_testimony(testimony)?;
        if self.is_poisoned() {
            return Err(Error::Poisoned);
        }
        let src = blobs::Source::open(file)?;
        let name = blobs::display_name(file);
        let media_type = media::sniff(src.head());
        let kind = opts
            .kind
            .unwrap_or_else(|| media::default_kind(&media_type));
        media::check(&name, &media_type, kind)?;
        let total = src.len;
        let written = blobs::import(
            self.dir(),
            &self.secret.storage_recipient(),
            src,
            &mut |done| progress(Progress { done, total }),
        )?;
        let sha256 = hex::encode(written.sha256);
        let commit = (|| {
            let imported = CustodyEvent::new(
                None,
                self.device_key(),
                CustodyAction::Imported,
                Some(sha256.clone()),
                None,
            )?;
            let a = Attachment {
                testimony,
                blob: written.id.clone(),
                sha256,
                size: written.size,
                media_type,
                name,
                kind,
                role: opts.role.unwrap_or(AttachmentRole::Evidentiary),
                derived_from: None,
                captured_at: None,
                captured_by: None,
                collection_method: None,
                safe_to_publish: false,
                custody: vec![imported],
            };
            a.validate()?;
            let id = Uuid::now_v7();
            self.commit(vec![Draft {
                record: id,
                kind: RecordKind::Attachment,
                op: Op::Create,
                parents: vec![],
                reason: None,
                state: Some(a.to_value()?),
            }])?;
            Ok(id)
        })();
        if commit.is_err() && !self.is_poisoned() {
            // Nothing refers to it. (If poisoned, the frame may be durable: keep the file and
            // let the next open decide.)
            let _ = blobs::remove(self.dir(), &written.id);
        }
        commit
    }

    /// A testimony's live attachments, oldest first.
    pub fn attachments(&self, testimony: Uuid) -> Result<Vec<StoredAttachment>> {
        self.store.testimony(testimony)?;
        self.store.attachments_of(testimony)
    }

    /// An attachment as the app may show it: not one of a testimony withdrawn and waiting to
    /// be erased (hidden like its testimony).
    fn shown_attachment(&self, id: Uuid) -> Result<StoredAttachment> {
        let stored = self.store.attachment(id)?;
        if self.store.is_withdrawn(stored.attachment.testimony)? {
            return Err(Error::NotFound(id.to_string()));
        }
        Ok(stored)
    }

    pub fn attachment(&self, id: Uuid) -> Result<StoredAttachment> {
        self.shown_attachment(id)
    }

    /// Opens an attachment's content for reading at any offset.
    pub fn read_attachment(&self, id: Uuid) -> Result<AttachmentReader> {
        self.reader_of(self.shown_attachment(id)?.attachment)
    }

    fn reader_of(&self, a: Attachment) -> Result<AttachmentReader> {
        Ok(AttachmentReader {
            inner: blobs::open(
                self.dir(),
                &self.secret,
                &expected(&a),
                &self.legacy_checked,
            )?,
            len: a.size,
            media_type: a.media_type,
        })
    }

    /// The bytes of an attachment a media element asked for with an HTTP `Range` header
    /// (`None`: from the start), at most `max` of them. Decrypts only the 64 KiB chunks that
    /// hold the range; a damaged chunk is an error, never wrong bytes.
    pub fn read_attachment_range(
        &self,
        id: Uuid,
        range: Option<&str>,
        max: u64,
    ) -> Result<MediaChunk> {
        let a = self.shown_attachment(id)?.attachment;
        let blob = a.blob.clone();
        let mut r = self.reader_of(a)?;
        let range = media::resolve_range(range, r.len, max)?;
        let len = usize::try_from(range.end - range.start + 1)
            .map_err(|_| Error::invalid("Range", "is too large"))?;
        let mut bytes = vec![0u8; len];
        r.seek(SeekFrom::Start(range.start))
            .and_then(|_| r.read_exact(&mut bytes))
            .map_err(|_| blobs::damaged(&blob))?;
        Ok(MediaChunk {
            bytes,
            start: range.start,
            end: range.end,
            size: r.len,
            media_type: r.media_type,
        })
    }

    /// Writes an attachment's plaintext to `out`, a new file (never overwrites), checks its
    /// SHA-256 against the recorded one, and records the export in the custody log. On any
    /// failure, cancel or mismatch the output file is removed.
    pub fn extract_attachment(
        &mut self,
        id: Uuid,
        out: &Path,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<()> {
        let stored = self.shown_attachment(id)?;
        let a = &stored.attachment;
        let mut f = fsutil::create_new_file(out).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                Error::invalid(
                    out.display().to_string(),
                    "already exists; it is not replaced",
                )
            }
            other => other,
        })?;
        let total = a.size;
        let outcome = (|| {
            let mut h = Sha256::new();
            let mut done = 0u64;
            blobs::read_all(
                self.dir(),
                &self.secret,
                &expected(a),
                &self.legacy_checked,
                &mut |chunk| {
                    h.update(chunk);
                    f.write_all(chunk).map_err(|e| Error::io("write", out, e))?;
                    done += chunk.len() as u64;
                    Ok(progress(Progress { done, total }))
                },
            )?;
            let digest: [u8; 32] = h.finalize().into();
            if !hex_eq(&digest, &a.sha256) || done != a.size {
                return Err(blobs::damaged(&a.blob));
            }
            f.sync_all().map_err(|e| Error::io("sync", out, e))?;
            fsutil::sync_parent(out)?;
            let note = format!("extracted to a file named {}", blobs::display_name(out));
            self.append_custody(&stored, CustodyAction::Exported, Some(&digest), Some(note))
        })();
        if outcome.is_err() {
            drop(f);
            let _ = std::fs::remove_file(out);
        }
        outcome
    }

    fn append_custody(
        &mut self,
        stored: &StoredAttachment,
        action: CustodyAction,
        seen: Option<&[u8; 32]>,
        note: Option<String>,
    ) -> Result<()> {
        let draft = self.custody_draft(stored, action, seen.map(hex::encode), note)?;
        self.commit(vec![draft])?;
        Ok(())
    }

    /// The revision that appends one entry to an attachment's custody log.
    pub(crate) fn custody_draft(
        &self,
        stored: &StoredAttachment,
        action: CustodyAction,
        seen: Option<String>,
        note: Option<String>,
    ) -> Result<Draft> {
        let mut a = stored.attachment.clone();
        let event = CustodyEvent::new(a.custody.last(), self.device_key(), action, seen, note)?;
        a.custody.push(event);
        Ok(Draft {
            record: stored.id,
            kind: RecordKind::Attachment,
            op: Op::Update,
            parents: stored.heads.clone(),
            reason: None,
            state: Some(a.to_value()?),
        })
    }

    /// Marks whether an attachment may go into an anonymised (publication) export.
    pub fn set_safe_to_publish(&mut self, id: Uuid, safe: bool) -> Result<()> {
        let stored = self.store.attachment(id)?;
        self.unlocked_testimony(stored.attachment.testimony)?;
        if stored.attachment.safe_to_publish == safe {
            return Ok(());
        }
        let mut a = stored.attachment.clone();
        a.safe_to_publish = safe;
        self.commit(vec![Draft {
            record: id,
            kind: RecordKind::Attachment,
            op: Op::Update,
            parents: stored.heads,
            reason: None,
            state: Some(a.to_value()?),
        }])?;
        Ok(())
    }

    /// Deletes an attachment: a tombstone revision, then its encrypted file.
    pub fn delete_attachment(&mut self, id: Uuid, reason: &str) -> Result<()> {
        let stored = self.store.attachment(id)?;
        self.unlocked_testimony(stored.attachment.testimony)?;
        let reason = required_reason(reason)?;
        self.commit(vec![tombstone(&stored, &reason)])?;
        // The delete is durable; a file that cannot be removed now is an orphan removed on
        // the next open.
        let _ = blobs::remove(self.dir(), &stored.attachment.blob);
        Ok(())
    }

    /// Tombstones for a testimony's attachments, to commit with the testimony's own.
    pub(crate) fn attachment_tombstones(
        &self,
        testimony: Uuid,
        reason: &str,
    ) -> Result<(Vec<Draft>, Vec<String>)> {
        let all = self.store.attachments_of(testimony)?;
        let blobs = all.iter().map(|s| s.attachment.blob.clone()).collect();
        Ok((all.iter().map(|s| tombstone(s, reason)).collect(), blobs))
    }

    /// Re-hashes one attachment's file against its recorded SHA-256 and size: `tampered` if
    /// it does not match or cannot be decrypted.
    pub fn verify_attachment(&self, id: Uuid) -> Result<()> {
        let a = self.store.attachment(id)?.attachment;
        if !self.file_matches(&a)? {
            return Err(blobs::damaged(&a.blob));
        }
        Ok(())
    }

    /// Whether an attachment's file decrypts to its recorded SHA-256 and size.
    fn file_matches(&self, a: &Attachment) -> Result<bool> {
        let (digest, size) = blobs::digest(self.dir(), &self.secret, &a.blob)?;
        Ok(hex_eq(&digest, &a.sha256) && size == a.size)
    }

    /// Re-hashes every attachment's file against its recorded SHA-256 and size. Returns one
    /// line per problem, naming the attachment.
    pub(crate) fn verify_attachments(&self) -> Result<(u64, Vec<String>)> {
        let mut problems = Vec::new();
        let all = self.store.all_attachments()?;
        for s in &all {
            let a = &s.attachment;
            let name = format!("attachment {} ({})", a.name, s.id);
            if let Err(e) = a.validate() {
                problems.push(format!("{name}: {e}"));
            }
            match self.file_matches(a) {
                Ok(true) => {}
                Ok(false) => problems.push(format!("{name}: its file does not match its SHA-256")),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        Ok((all.len() as u64, problems))
    }
}

fn tombstone(s: &StoredAttachment, reason: &str) -> Draft {
    Draft {
        record: s.id,
        kind: RecordKind::Attachment,
        op: Op::Delete,
        parents: s.heads.clone(),
        reason: Some(reason.to_string()),
        state: None,
    }
}
