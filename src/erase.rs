//! A witness's withdrawal (docs/erasure.md): "Withdraw and erase" on a testimony. One signed,
//! reasoned revision; the index drops the content of every revision of the testimony and
//! its attachments at once (`store::erase`), and the vault rewrites every file that held it
//! before this returns (`vault::purge`).

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Op, RecordKind, Testimony, TransferDirection};
use crate::records::check_reason;
use crate::vault::Vault;

/// What the confirmation of an erasure shows: what will go, and who has a copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasurePreview {
    pub id: Uuid,
    /// The code the user types to confirm (the last one it had, if it was deleted).
    pub code: String,
    /// Whether it is deleted already (its history still holds its content).
    pub deleted: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub drafts: u64,
    /// The contacts this vault sent it to, or got it from (by the name it gives them; a key's
    /// fingerprint where the contact is gone), each once, sorted.
    pub copies: Vec<String>,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasureReport {
    /// The erasure's revision: the signed trace `history` shows.
    pub erasure: String,
    /// Revisions of the testimony and its attachments whose content was removed (their
    /// proofs remain).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions: u64,
    /// Attachments erased with it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments: u64,
    /// Drafts of it removed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub drafts: u64,
    /// Attachment files removed from disk.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
}

impl Vault {
    /// What erasing testimony `id` would take, and who has copies (for the confirmation).
    pub fn erasure_preview(&self, id: Uuid) -> Result<ErasurePreview> {
        let revisions = self.erasable(id)?;
        let drafts = self
            .drafts()?
            .drafts
            .iter()
            .filter(|d| d.record == Some(id))
            .count();
        Ok(ErasurePreview {
            id,
            code: last_code(&revisions),
            deleted: self.store.heads(id)?.is_some_and(|(_, d)| d),
            revisions: revisions.len() as u64,
            attachments: self.attachment_count(id)?,
            drafts: drafts as u64,
            copies: self.copies_of(id)?,
        })
    }

    /// The revisions of testimony `id`, if it may be erased: a testimony (live or deleted)
    /// not erased already.
    pub(crate) fn erasable(&self, id: Uuid) -> Result<Vec<crate::model::Revision>> {
        if self.store.record_kind(id)?.as_deref() != Some(RecordKind::Testimony.as_str()) {
            return Err(Error::NotFound(id.to_string()));
        }
        if self.store.erasure(id)?.is_some() {
            return Err(Error::invalid("testimony", "was erased already"));
        }
        self.store.revisions_of(id)
    }

    /// How many attachments testimony `id` has here, live or deleted.
    fn attachment_count(&self, id: Uuid) -> Result<u64> {
        let deleted = self.store.deleted_attachments()?;
        let n = self.store.attachments_of(id)?.len() + deleted.get(&id).map_or(0, Vec::len);
        Ok(n as u64)
    }

    /// The code testimony `id` last had here ("" if it never had content here).
    pub(crate) fn last_code(&self, id: Uuid) -> Result<String> {
        Ok(last_code(&self.store.revisions_of(id)?))
    }

    /// The contacts that have testimony `id` from this vault or gave it to this vault.
    fn copies_of(&self, id: Uuid) -> Result<Vec<String>> {
        let contacts = self.contacts()?;
        let mut out = std::collections::BTreeSet::new();
        for direction in [TransferDirection::Export, TransferDirection::Import] {
            for (_, t) in self.store.transfers(direction)? {
                if !t.sent.contains_key(&id) {
                    continue;
                }
                let keys: Vec<&String> = match direction {
                    TransferDirection::Export => t.recipients.iter().collect(),
                    TransferDirection::Import => vec![&t.exporter],
                };
                for key in keys {
                    let name = contacts.iter().find(|c| {
                        c.fingerprint == *key
                            || c.signs_with(key)
                            || c.previous_keys.iter().any(|p| p.fingerprint == *key)
                    });
                    out.insert(name.map_or_else(|| key.clone(), |c| c.name.clone()));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Erases testimony `id` (live or deleted; locked too — a withdrawal overrides a lock)
    /// with its attachments and drafts, for `reason`. Returns once no file of the vault holds
    /// its content any more; should rewriting the files fail (a full disk), the erasure
    /// stands, the content is gone from everything the vault shows, and the files are
    /// rewritten after the next save or on the next opening.
    /// `typed_code` is what the user typed to confirm: it must be the testimony's code
    /// (`ErasurePreview::code`; case and surrounding spaces aside).
    pub fn erase(&mut self, id: Uuid, typed_code: &str, reason: &str) -> Result<ErasureReport> {
        let reason = erasure_reason(reason)?;
        // What the confirmation needs, not the whole preview (its drafts and copies).
        let revisions = self.confirmed(id, typed_code)?;
        self.erase_confirmed(id, reason, revisions)
    }

    /// The revisions of testimony `id`, if it may be erased and `typed_code` is its code.
    pub(crate) fn confirmed(
        &self,
        id: Uuid,
        typed_code: &str,
    ) -> Result<Vec<crate::model::Revision>> {
        let revisions = self.erasable(id)?;
        if !typed_code
            .trim()
            .eq_ignore_ascii_case(last_code(&revisions).trim())
        {
            return Err(Error::invalid(
                "confirmation",
                "is not the code of the testimony to erase",
            ));
        }
        Ok(revisions)
    }

    /// Erases testimony `id` (see `erase`), its confirmation checked and its `revisions`
    /// (`erasable`) read; a withdrawal waiting to erase it ends in the same commit.
    pub(crate) fn erase_confirmed(
        &mut self,
        id: Uuid,
        reason: String,
        revisions: Vec<crate::model::Revision>,
    ) -> Result<ErasureReport> {
        // Counted before the erasure takes them.
        let attachments = self.attachment_count(id)?;
        let (heads, _) = self
            .store
            .heads(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        // Links to its persons leave the other testimonies in the same commit (as a deletion
        // does): a link to a testimony that is gone would keep them out of every full export.
        let mut drafts = if self.store.testimony(id).is_ok() {
            self.unlink_drafts(id)?
        } else {
            Vec::new()
        };
        drafts.push(Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Erase,
            parents: heads,
            reason: Some(reason),
            state: None,
        });
        let erasure_at = drafts.len() - 1;
        if let Some(pending) = self.store.pending_withdrawal(id)? {
            drafts.push(crate::withdraw::ended(pending, "erased"));
        }
        let report = self.commit_erasure(drafts, erasure_at, revisions.len(), attachments)?;
        // Its anonymised copies this vault holds itself (a partner sent one back).
        self.erase_held_copies_or_note();
        Ok(report)
    }

    /// Signs and commits `drafts` (the erasure at `erasure_at` among them) as one frame, and
    /// rewrites every file that held what it erased; reports it with the counts given.
    fn commit_erasure(
        &mut self,
        drafts: Vec<Draft>,
        erasure_at: usize,
        revisions: usize,
        attachments: u64,
    ) -> Result<ErasureReport> {
        let revs = self.commit_frame(self.sign(drafts)?)?;
        let erasure = revs
            .get(erasure_at)
            .map(|r| r.hash.clone())
            .ok_or_else(|| Error::Internal("the erasure was not signed".into()))?;
        let purged = self.finish_erasure()?;
        Ok(ErasureReport {
            erasure,
            revisions: revisions as u64,
            attachments,
            drafts: purged.drafts,
            files: purged.files,
        })
    }

    /// Erases one file of a testimony (a witness withdraws it, the testimony stays), live or
    /// deleted, for `reason`: every revision of it keeps only its proof, its content leaves
    /// every file of the vault before this returns, and the erasure goes with the
    /// testimony's next bundle to everyone who had it (docs/erasure.md §1).
    pub fn erase_attachment(&mut self, id: Uuid, reason: &str) -> Result<ErasureReport> {
        let reason = erasure_reason(reason)?;
        if self.store.record_kind(id)?.as_deref() != Some(RecordKind::Attachment.as_str()) {
            return Err(Error::NotFound(id.to_string()));
        }
        if self.store.erasure(id)?.is_some() {
            return Err(Error::invalid("file", "was erased already"));
        }
        let revisions = self.store.revisions_of(id)?.len();
        let (heads, _) = self
            .store
            .heads(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let erasure = Draft {
            record: id,
            kind: RecordKind::Attachment,
            op: Op::Erase,
            parents: heads,
            reason: Some(reason),
            state: None,
        };
        self.commit_erasure(vec![erasure], 0, revisions, 1)
    }
}

/// The reason an erasure must give.
fn erasure_reason(reason: &str) -> Result<String> {
    check_reason(Some(reason))?.ok_or_else(|| Error::invalid("reason", "is required to erase"))
}

fn last_code(revisions: &[crate::model::Revision]) -> String {
    revisions
        .iter()
        .rev()
        .filter(|r| !r.op.removes())
        .find_map(|r| r.state.as_ref())
        .and_then(|s| Testimony::from_value(s).ok())
        .map(|t| t.code)
        .unwrap_or_default()
}
