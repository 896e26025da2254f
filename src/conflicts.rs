//! Conflicts: a testimony that two devices changed from the same version in different ways
//! has two heads after an import. Both versions are kept; the user sees them side by side and
//! resolves the conflict with a revision that follows both (one side, or fields merged).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bundle::Conflict;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Op, RecordKind, Testimony};
use crate::records::check_reason;
use crate::vault::Vault;

/// One version of a testimony in conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictSide {
    /// The revision (head) this version is.
    pub revision: String,
    /// Hex key of the device that made it.
    pub author: String,
    /// The contact it belongs to, or "" for this device or a device not in the contacts.
    pub author_name: String,
    pub is_self: bool,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    /// This version, or `None` when this side deleted the testimony.
    pub testimony: Option<Testimony>,
    /// Why the side changed it (a deletion's reason).
    pub reason: Option<String>,
}

impl Vault {
    /// Every testimony with more than one version to choose between.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut out = Vec::new();
        for t in self.store.list_testimonies()? {
            let heads = self.record_heads(t.id)?;
            if heads.len() > 1 {
                out.push(Conflict {
                    id: t.id,
                    code: t.code,
                    heads,
                });
            }
        }
        Ok(out)
    }

    /// The versions of a testimony in conflict, oldest first.
    pub fn conflict_sides(&self, id: Uuid) -> Result<Vec<ConflictSide>> {
        // Withdrawn, waiting to be erased: hidden here too.
        if self.store.is_withdrawn(id)? {
            return Err(Error::NotFound(id.to_string()));
        }
        let me = self.device_key();
        let contacts = self.contacts()?;
        let mut sides = Vec::new();
        for h in self.record_heads(id)? {
            let rev = self
                .store
                .revision(&h)?
                .ok_or_else(|| Error::Internal(format!("head {h} has no revision")))?;
            let testimony = match (&rev.state, rev.op) {
                (_, Op::Delete | Op::Erase) => None,
                (Some(state), _) => Some(
                    Testimony::deserialize(state)
                        .map_err(|e| Error::Internal(format!("stored testimony: {e}")))?,
                ),
                (None, _) => continue,
            };
            sides.push(ConflictSide {
                author_name: contacts
                    .iter()
                    .find(|c| c.signing_key == rev.author)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                is_self: rev.author == me,
                revision: h,
                author: rev.author,
                at: rev.at,
                testimony,
                reason: rev.reason,
            });
        }
        sides.sort_by_key(|s| s.at);
        Ok(sides)
    }

    /// Refuses with `stale` unless `seen` names exactly the versions the testimony has now:
    /// each of its heads, by its revision or a prefix of at least 8 hex digits. A resolution
    /// follows every head, so one that arrived after the user looked would be overridden
    /// unseen.
    fn check_seen(&self, id: Uuid, seen: &[String]) -> Result<()> {
        let heads: Vec<String> = self
            .conflict_sides(id)?
            .into_iter()
            .map(|s| s.revision)
            .collect();
        let names = |s: &String, h: &String| s.len() >= 8 && h.starts_with(s.as_str());
        let all_seen = heads.iter().all(|h| seen.iter().any(|s| names(s, h)));
        let all_current = seen.iter().all(|s| heads.iter().any(|h| names(s, h)));
        if all_seen && all_current {
            return Ok(());
        }
        let code = match self.store.testimony(id) {
            Ok(t) => t.testimony.code,
            Err(_) => id.to_string(),
        };
        Err(Error::Stale(code))
    }

    /// Resolves a conflict with `t` (one side as it was, or fields merged by the user): a
    /// revision whose parents are all the heads, so history keeps both sides. `seen` are the
    /// versions the user was shown (`conflict_sides`); if the testimony has others now, nothing
    /// is written and the answer is `stale`.
    pub fn resolve_conflict(
        &mut self,
        id: Uuid,
        t: Testimony,
        seen: &[String],
        reason: Option<&str>,
    ) -> Result<()> {
        t.validate()?;
        let reason = check_reason(reason)?;
        if self.store.is_withdrawn(id)? {
            return Err(Error::NotFound(id.to_string()));
        }
        self.check_seen(id, seen)?;
        let heads = self.record_heads(id)?;
        if heads.len() < 2 {
            return Err(Error::invalid("testimony", "has no conflict to resolve"));
        }
        for side in self.conflict_sides(id)? {
            if let Some(before) = &side.testimony {
                crate::records::refuse_dropping_links(before, &t)?;
            }
        }
        self.check_code_free(&t.code, Some(id))?;
        self.commit(vec![Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Update,
            parents: heads,
            reason: Some(reason.unwrap_or_else(|| "conflict resolved".into())),
            state: Some(t.to_value()?),
        }])?;
        Ok(())
    }

    /// Resolves a conflict with a merged version given as JSON (the command line's `resolve
    /// --json`): persons, events, places and consents written without their ids keep those of
    /// the version shown (`model::patch`).
    pub fn resolve_conflict_json(
        &mut self,
        id: Uuid,
        json: &serde_json::Value,
        seen: &[String],
        reason: Option<&str>,
    ) -> Result<()> {
        let shown = self.store.testimony(id)?;
        let t = crate::model::patch::with_stable_ids(&shown.testimony, json)?;
        self.resolve_conflict(id, t, seen, reason)
    }

    /// Resolves a conflict by taking one version as it is, named by its revision (a prefix of
    /// at least 8 hex digits): an edit becomes the testimony, a deletion deletes it. Either
    /// way the resolution follows every head, so history keeps both sides. `seen` as for
    /// `resolve_conflict`.
    pub fn take_side(
        &mut self,
        id: Uuid,
        revision: &str,
        seen: &[String],
        reason: Option<&str>,
    ) -> Result<()> {
        self.check_seen(id, seen)?;
        let side = self
            .conflict_sides(id)?
            .into_iter()
            .find(|s| revision.len() >= 8 && s.revision.starts_with(revision))
            .ok_or_else(|| Error::invalid("revision", "is not one of the versions"))?;
        match side.testimony {
            Some(t) => self.resolve_conflict(id, t, seen, reason),
            None => {
                let why = reason
                    .map(str::to_string)
                    .or(side.reason)
                    .unwrap_or_else(|| "conflict resolved: deleted".into());
                self.delete_testimony(id, &why)
            }
        }
    }
}
