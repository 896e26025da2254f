//! The erasure of anonymised copies (docs/erasure.md §4). An anonymised copy is a record of
//! its own, made and signed by the exporting vault; the export's transfer record keeps which
//! testimony each copy was made from and the proof of its revision. Once that testimony is
//! erased here, each copy is erased too: at its recipients, by the next bundle to them, and
//! here, if a partner sent it back.

use crate::error::Result;
use crate::model::revision::Draft;
use crate::model::{CopySent, Op, RecordKind, Revision, TransferDirection};
use crate::vault::Vault;

use super::anonymise::Anonymiser;

/// The reason an anonymised copy's erasure gives: nothing of the original's own reason (which
/// may name the witness).
const COPY_ERASED: &str = "the witness withdrew; this anonymised copy is erased with the testimony";

impl Vault {
    /// The erasure of anonymised copy `copy`, signed by this vault, which made it (so its
    /// recipients apply it). Deterministic — the copy's own date (the year it already shows),
    /// a derived salt — so every bundle that carries it, and this vault, hold the same
    /// revision, and it tells nothing of when the witness withdrew or of the original.
    pub(super) fn copy_erasure(&self, copy: &CopySent) -> Result<Revision> {
        let anon = Anonymiser::new(self.secret.signing_key());
        Revision::sign_with_salt(
            Draft {
                record: copy.proof.record,
                kind: RecordKind::Testimony,
                op: Op::Erase,
                parents: vec![copy.proof.hash.clone()],
                reason: Some(COPY_ERASED.into()),
                state: None,
            },
            self.secret.signing_key(),
            copy.proof.at,
            anon.erasure_salt(copy.proof.record),
        )
    }

    /// Every anonymised copy this vault sent of a testimony erased here, each once.
    pub(super) fn copies_of_erased(&self) -> Result<Vec<CopySent>> {
        let mut out: Vec<CopySent> = Vec::new();
        for (_, t) in self.store.transfers(TransferDirection::Export)? {
            for c in t.copies {
                if !out.iter().any(|o| o.proof.record == c.proof.record)
                    && self.store.erasure(c.original)?.is_some()
                {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Erases the anonymised copies of testimonies erased here that this vault holds itself (a
    /// partner sent one back): the same erasure their recipients get. Run after an erasure
    /// here or by import, and on opening (so a crash between the two commits is made good).
    /// Returns how many.
    pub(crate) fn erase_held_copies(&mut self) -> Result<u64> {
        // Nothing erased here, no copy to erase: opening need not read the export records.
        if self.store.erased_records()?.is_empty() {
            return Ok(0);
        }
        let mut revs = Vec::new();
        for c in self.copies_of_erased()? {
            let id = c.proof.record;
            if self.store.record_kind(id)?.as_deref() == Some(RecordKind::Testimony.as_str())
                && self.store.erasure(id)?.is_none()
            {
                revs.push(self.copy_erasure(&c)?);
            }
        }
        let n = revs.len() as u64;
        if n > 0 {
            self.commit_revisions(revs)?;
        }
        Ok(n)
    }

    /// `erase_held_copies` after an erasure has been made: should it fail (a full disk), the
    /// erasure stands, and the next opening tries again.
    pub(crate) fn erase_held_copies_or_note(&mut self) {
        if let Err(e) = self.erase_held_copies() {
            self.note_failure(e);
        }
    }
}
