//! Saving an edit that started from an older version: the editor (or a draft restored days
//! later) was opened on revision `base`, and the testimony moved on since — an import, a
//! "same person" decision, a resolution. Writing the edit over the head would undo those
//! unseen, so the edit is merged three ways (`model::merge`) when the two changes touch
//! different fields or elements, and otherwise kept beside the newer version as a conflict
//! the user resolves (both versions stay; nothing is lost either way).

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Op, RecordKind, Status, Testimony};
use crate::records::check_reason;
use crate::vault::Vault;

/// What saving an edit did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EditOutcome {
    /// Saved as the testimony's next version (nothing happened to it meanwhile, or the edit
    /// changed nothing).
    Saved,
    /// It had changed meanwhile, in other fields: saved with those changes kept. `fields`
    /// are the top-level fields that came from the newer version.
    Merged { fields: Vec<String> },
    /// It had changed meanwhile in the same fields (or was deleted): the edit is kept as a
    /// version beside the newer one, for the user to resolve.
    Conflict,
}

impl Vault {
    /// Saves `t` as an edit of testimony `id` that started from revision `base` (the head the
    /// editor was opened on; `StoredTestimony::heads`).
    pub fn save_edit(
        &mut self,
        id: Uuid,
        t: Testimony,
        base: &str,
        reason: Option<&str>,
    ) -> Result<EditOutcome> {
        t.validate()?;
        let reason = check_reason(reason)?;
        // Withdrawn, waiting to be erased: an editor left open writes nothing into it.
        if self.store.is_withdrawn(id)? {
            return Err(Error::NotFound(id.to_string()));
        }
        let base_rev = self
            .store
            .revision(base)?
            .filter(|r| r.record == id && r.kind == RecordKind::Testimony)
            .ok_or_else(|| Error::invalid("base", "is not a version of this testimony"))?;
        let heads = self.record_heads(id)?;
        if heads == [base] {
            self.update_testimony(id, t, reason.as_deref())?;
            return Ok(EditOutcome::Saved);
        }
        let base_state = base_rev
            .state
            .ok_or_else(|| Error::invalid("base", "is a deletion"))?;
        let ours = t.to_value()?;
        if ours == base_state {
            // Nothing changed in the editor: nothing to save over what arrived.
            return Ok(EditOutcome::Saved);
        }
        // One current version (not deleted, not in conflict): try the three-way merge.
        if let ([_], Ok(current)) = (heads.as_slice(), self.store.testimony(id)) {
            let theirs = current.testimony.to_value()?;
            if let Some((merged, fields)) =
                crate::model::merge::three_way(&base_state, &ours, &theirs)
            {
                let merged: Testimony = serde_json::from_value(merged)
                    .map_err(|e| Error::invalid("testimony", e.to_string()))?;
                self.update_testimony(id, merged, reason.as_deref())?;
                return Ok(EditOutcome::Merged { fields });
            }
            if current.testimony.status == Status::Locked {
                return Err(Error::RecordLocked(current.testimony.code));
            }
        }
        // Kept beside the newer version(s): a revision that follows `base` only. The rules of
        // an edit still hold against every version: none locked, no linked person dropped.
        let before: Testimony = serde_json::from_value(base_state)
            .map_err(|e| Error::Internal(format!("stored testimony: {e}")))?;
        crate::records::refuse_dropping_links(&before, &t)?;
        for side in self.conflict_sides(id)? {
            if let Some(now) = side.testimony {
                if now.status == Status::Locked {
                    return Err(Error::RecordLocked(now.code));
                }
                crate::records::refuse_dropping_links(&now, &t)?;
            }
        }
        self.check_code_free(&t.code, Some(id))?;
        self.commit(vec![Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Update,
            parents: vec![base.to_string()],
            reason,
            state: Some(ours),
        }])?;
        Ok(EditOutcome::Conflict)
    }
}
