//! The export plan: which testimonies go, to whom, and which consent keeps out (with the
//! reason), worked out and shown before anything is written.

use std::collections::HashSet;

use serde::Serialize;
use uuid::Uuid;

use super::consent::{self, ConsentProblem};
use super::policy;
use crate::error::{Error, Result};
use crate::model::{
    ConsentScope, ContactInfo, ExportProfile, PersonRef, RecordKind, Revision, Testimony,
};
use crate::store::{StoredAttachment, StoredTestimony};
use crate::vault::Vault;

/// Which testimonies to export.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// These testimonies (ids).
    Ids(Vec<Uuid>),
    /// Every testimony not yet sent, as it is now, to each of the recipients.
    SinceLast,
    /// Every testimony.
    All,
    /// Only the erasures ("Send withdrawals", docs/erasure.md): each testimony erased here
    /// since it was last sent to the recipients, as the proof of its erasure.
    Withdrawals,
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Contacts, by name, fingerprint or id.
    pub to: Vec<String>,
    pub profile: ExportProfile,
    pub selection: Selection,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlannedTestimony {
    pub id: Uuid,
    pub code: String,
    /// Attachments that go with it (for `anonymised`: only those safe to publish).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachment_bytes: u64,
    /// Attachments left behind because they are not marked safe to publish.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments_withheld: u64,
}

/// A testimony that consent keeps out of this export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LeftOut {
    pub id: Uuid,
    pub code: String,
    /// The scope the export needs.
    pub scope: ConsentScope,
    pub problem: ConsentProblem,
    /// The recipient it is refused for.
    pub recipient: String,
}

/// A testimony deleted here after it was sent: its deletion goes to the recipients.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeletedTestimony {
    pub id: Uuid,
    pub code: String,
    /// Its deleted attachments that every recipient had: their proofs go with the deletion
    /// (one a recipient never had is not mentioned at all, not even its times).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub attachments: Vec<Uuid>,
}

/// An anonymised copy, sent to the recipients, of a testimony erased here: its erasure goes
/// to them (docs/erasure.md §4).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasedCopy {
    /// The copy's record and code, as its recipients know it.
    pub id: Uuid,
    pub code: String,
    /// The proof of the copy's revision, and the erasure that follows it.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub(super) proof: Revision,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub(super) erasure: Revision,
}

/// A file erased alone here (a witness withdrew it, the testimony stays) that recipients had:
/// its erasure goes to them whatever the testimony's state or consent (docs/erasure.md §1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasedFile {
    pub id: Uuid,
    /// The code of the testimony it belonged to, as last saved here (its own name is gone).
    pub code: String,
}

/// What an export would do, shown before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportPlan {
    pub recipients: Vec<ContactInfo>,
    pub profile: ExportProfile,
    pub included: Vec<PlannedTestimony>,
    pub left_out: Vec<LeftOut>,
    /// Testimonies deleted since they were sent in full ("since the last export"): a bare
    /// tombstone goes to the recipients, never their content.
    pub deleted: Vec<DeletedTestimony>,
    /// Deletions not sent because some recipients of this bundle never had the testimony:
    /// export to the others on their own to send them.
    pub deletions_withheld: Vec<DeletedTestimony>,
    /// Anonymised copies of testimonies erased here that the recipients were sent ("since
    /// the last export" and "only withdrawals", either profile): their erasures go.
    pub copies_erased: Vec<ErasedCopy>,
    /// Erasures of anonymised copies not sent because some recipients of this bundle never
    /// had the copy: export to the others on their own to send them.
    pub copies_withheld: Vec<ErasedCopy>,
    /// Files erased alone here that the recipients had ("since the last export" and "only
    /// withdrawals", full): their erasures go.
    pub files_erased: Vec<ErasedFile>,
    /// Those some recipients of this bundle never had: export to the others on their own.
    pub files_withheld: Vec<ErasedFile>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
}

/// One testimony chosen for the export, with its attachments.
pub(super) struct Chosen {
    pub id: Uuid,
    pub code: String,
    pub heads: Vec<String>,
    pub testimony: Testimony,
    pub attachments: Vec<StoredAttachment>,
    /// Deleted attachments: their history (ending in the deletion) goes in a full export.
    pub deleted_attachments: Vec<Uuid>,
    pub withheld: u64,
}

impl Vault {
    /// Works out what an export would carry and what consent keeps out of it.
    pub fn plan_export(&self, req: &ExportRequest) -> Result<ExportPlan> {
        let (plan, _) = self.choose(req)?;
        Ok(plan)
    }

    fn recipients(&self, to: &[String]) -> Result<Vec<ContactInfo>> {
        if to.is_empty() {
            return Err(Error::invalid("to", "name at least one contact"));
        }
        let mut out: Vec<ContactInfo> = Vec::new();
        for name in to {
            let c = self.contact(name)?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The versions whose consent a testimony's export must respect: the one it shows, or
    /// each side of a conflict — for a side that deleted it, the versions that deletion
    /// followed (consent narrowed there, then deleted, still binds).
    fn versions(&self, stored: &StoredTestimony) -> Result<policy::Versions> {
        if stored.heads.len() < 2 {
            return Ok(policy::Versions {
                sent: vec![stored.testimony.clone()],
                ..policy::Versions::default()
            });
        }
        self.versions_of_heads(&stored.heads)
    }

    /// For a testimony deleted here, the versions its deletions deleted (judged as a deleting
    /// side of a conflict is); none if it is not deleted.
    fn last_versions_of_deleted(&self, id: Uuid) -> Result<policy::Versions> {
        match self.store.heads(id)? {
            Some((heads, true)) => self.versions_of_heads(&heads),
            _ => Ok(policy::Versions::default()),
        }
    }

    fn versions_of_heads(&self, heads: &[String]) -> Result<policy::Versions> {
        let mut out = policy::Versions::default();
        for h in heads {
            let Some(rev) = self.store.revision(h)? else {
                continue;
            };
            if !rev.op.removes() {
                if let Some(state) = &rev.state {
                    out.sent.push(Testimony::from_value(state)?);
                }
                continue;
            }
            out.a_side_deletes = true;
            for p in &rev.parents {
                if let Some(parent) = self.store.revision(p)?
                    && !parent.op.removes()
                    && let Some(state) = parent.state
                {
                    out.deleted.push(Testimony::from_value(&state)?);
                }
            }
        }
        Ok(out)
    }

    pub(super) fn choose(&self, req: &ExportRequest) -> Result<(ExportPlan, Vec<Chosen>)> {
        let recipients = self.recipients(&req.to)?;
        let ids: Vec<Uuid> = match &req.selection {
            Selection::Ids(ids) => ids.clone(),
            Selection::All | Selection::SinceLast => self
                .store
                .list_testimonies()?
                .into_iter()
                .map(|t| t.id)
                .collect(),
            Selection::Withdrawals => Vec::new(),
        };
        let received = self.received(&recipients)?;
        let deleted_attachments_of = self.store.deleted_attachments()?;
        let mut chosen = Vec::new();
        let mut left_out = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                continue;
            }
            let stored = self.store.testimony(id)?;
            let all_attachments = self.store.attachments_of(id)?;
            let mut heads = stored.heads.clone();
            heads.extend(all_attachments.iter().flat_map(|a| a.heads.iter().cloned()));
            heads.sort();
            if req.selection == Selection::SinceLast
                && recipients
                    .iter()
                    .all(|r| received.last_sent(&r.fingerprint, req.profile, id) == Some(&heads))
            {
                continue;
            }
            let linked_allows = |t: Uuid, scope| match self.store.testimony(t) {
                Ok(s) => self.versions(&s).is_ok_and(|v| v.all_allow(scope)),
                // Deleted here: the versions its deletion deleted decide, as a live one's
                // consent does (consent narrowed, then deleted, still binds). Refused always,
                // a version in conflict that still linked to it (made before the deletion
                // arrived) kept its testimony from every vault for ever (found by the
                // convergence property test).
                // Erased (a witness's withdrawal, perhaps on another device): nothing of it is
                // left anywhere to reveal, and the links to it must not keep the others here.
                Err(_) if self.store.erasure(t).is_ok_and(|e| e.is_some()) => true,
                Err(_) => self
                    .last_versions_of_deleted(t)
                    .is_ok_and(|v| v.all_allow(scope)),
            };
            // Asked only of a link the recipient may not otherwise hear of.
            let knows_link = |r: &ContactInfo, link: &PersonRef| {
                self.store.revisions_of(id).is_ok_and(|revs| {
                    revs.iter().any(|rev| {
                        (r.signs_with(&rev.author)
                            || received.sent_content(&r.fingerprint, &rev.hash))
                            && rev
                                .state
                                .as_ref()
                                .and_then(|s| Testimony::from_value(s).ok())
                                .is_some_and(|t| policy::links(&t).any(|l| l == link))
                    })
                })
            };
            let versions = self.versions(&stored)?;
            // A testimony one side deleted reaches no one who did not already hold it.
            let refusal = if versions.a_side_deletes && !received.all_hold(&recipients, id) {
                recipients.first().map(|r| policy::Refusal {
                    scope: consent::scope_for(req.profile, r.trust),
                    problem: ConsentProblem::Conflict,
                    recipient: r.name.clone(),
                })
            } else {
                policy::verdict(
                    &stored,
                    &versions,
                    &recipients,
                    req.profile,
                    &linked_allows,
                    &knows_link,
                )
                .err()
            };
            if let Some(refusal) = refusal {
                left_out.push(LeftOut {
                    id,
                    code: stored.testimony.code.clone(),
                    scope: refusal.scope,
                    problem: refusal.problem,
                    recipient: refusal.recipient,
                });
                continue;
            }
            let total = all_attachments.len() as u64;
            let attachments: Vec<StoredAttachment> = all_attachments
                .into_iter()
                .filter(|a| policy::attachment_goes(req.profile, &stored.testimony, &a.attachment))
                .collect();
            // A deleted attachment is mentioned (as proofs ending in its deletion) only to
            // recipients that all had it: the others never hear of it, not even its name.
            let deleted_attachments = match req.profile {
                ExportProfile::Full => self.deleted_attachments_all_had(
                    deleted_attachments_of.get(&id),
                    &received,
                    &recipients,
                )?,
                ExportProfile::Anonymised => Vec::new(),
            };
            chosen.push(Chosen {
                id,
                code: stored.testimony.code.clone(),
                heads,
                testimony: stored.testimony,
                withheld: total - attachments.len() as u64,
                attachments,
                deleted_attachments,
            });
        }
        let included: Vec<PlannedTestimony> = chosen
            .iter()
            .map(|c| PlannedTestimony {
                id: c.id,
                code: c.code.clone(),
                attachments: c.attachments.len() as u64,
                attachment_bytes: c.attachments.iter().map(|a| a.attachment.size).sum(),
                attachments_withheld: c.withheld,
            })
            .collect();
        let (deleted, deletions_withheld) = match (&req.selection, req.profile) {
            (Selection::SinceLast, ExportProfile::Full) => {
                self.deleted_since(&received, &recipients, false)?
            }
            (Selection::Withdrawals, ExportProfile::Full) => {
                self.deleted_since(&received, &recipients, true)?
            }
            _ => (Vec::new(), Vec::new()),
        };
        let (mut copies_erased, copies_withheld) = match req.selection {
            Selection::SinceLast | Selection::Withdrawals => {
                self.copies_erased(&received, &recipients)?
            }
            Selection::Ids(_) | Selection::All => (Vec::new(), Vec::new()),
        };
        // A copy the recipients sent back here goes with the deletions already, erasure and all.
        copies_erased.retain(|c| !deleted.iter().any(|d| d.id == c.id));
        let (files_erased, files_withheld) = match (&req.selection, req.profile) {
            (Selection::SinceLast | Selection::Withdrawals, ExportProfile::Full) => {
                self.files_erased(&received, &recipients)?
            }
            _ => (Vec::new(), Vec::new()),
        };
        let plan = ExportPlan {
            total_bytes: included.iter().map(|p| p.attachment_bytes).sum(),
            recipients,
            profile: req.profile,
            included,
            left_out,
            deleted,
            deletions_withheld,
            copies_erased,
            copies_withheld,
            files_erased,
            files_withheld,
        };
        Ok((plan, chosen))
    }

    /// The files erased alone here whose erasure some recipient that had the file has not
    /// had yet: those every recipient had (their erasures go) and those only some had (held
    /// back). Apart from their testimony: a file deleted before, of a deleted or erased
    /// testimony, or of one consent keeps back, must still lose its content everywhere.
    fn files_erased(
        &self,
        received: &policy::Received,
        recipients: &[ContactInfo],
    ) -> Result<(Vec<ErasedFile>, Vec<ErasedFile>)> {
        let (mut sent, mut withheld) = (Vec::new(), Vec::new());
        let mut ids: Vec<Uuid> = self.store.erased_records()?.into_iter().collect();
        ids.sort();
        for id in ids {
            let Some(erasure) = self.own_file_erasure(id)? else {
                continue;
            };
            let hashes = self.erased_state(id)?;
            let had: Vec<bool> = recipients
                .iter()
                .map(|r| received.all_had_any_of(std::slice::from_ref(r), &hashes))
                .collect();
            if !had.contains(&true)
                || recipients
                    .iter()
                    .zip(&had)
                    .all(|(r, had)| !had || received.has_revision(&r.fingerprint, &erasure.hash))
            {
                continue;
            }
            let code = match self.store.erased_file_testimony(id)? {
                Some(t) => self.last_code(t)?,
                None => String::new(),
            };
            let f = ErasedFile { id, code };
            if had.iter().all(|h| *h) {
                sent.push(f);
            } else {
                withheld.push(f);
            }
        }
        Ok((sent, withheld))
    }

    /// The erasure of file `id` made for it alone (not its testimony's), if any.
    pub(super) fn own_file_erasure(&self, id: Uuid) -> Result<Option<Revision>> {
        if self.store.record_kind(id)?.as_deref() != Some(RecordKind::Attachment.as_str()) {
            return Ok(None);
        }
        Ok(self.store.erasure(id)?.filter(|e| e.record == id))
    }

    /// The anonymised copies of testimonies erased here whose erasure some recipient of this
    /// bundle has not had yet: those every recipient was sent (their erasures go), and those
    /// only some were (held back: a bundle's content is read by all its recipients, and the
    /// others must not learn of a copy).
    fn copies_erased(
        &self,
        received: &policy::Received,
        recipients: &[ContactInfo],
    ) -> Result<(Vec<ErasedCopy>, Vec<ErasedCopy>)> {
        let (mut sent, mut withheld) = (Vec::new(), Vec::new());
        for copy in self.copies_of_erased()? {
            let id = copy.proof.record;
            let got: Vec<bool> = recipients
                .iter()
                .map(|r| {
                    received
                        .copies_sent(&r.fingerprint)
                        .iter()
                        .any(|c| c.proof.record == id)
                })
                .collect();
            if !got.contains(&true) {
                continue;
            }
            let erasure = self.copy_erasure(&copy)?;
            // Told already: by this vault, or the copy came back here with its erasure.
            if recipients
                .iter()
                .zip(&got)
                .all(|(r, got)| !got || received.has_revision(&r.fingerprint, &erasure.hash))
            {
                continue;
            }
            let e = ErasedCopy {
                id,
                code: super::anonymise::copy_code(id),
                proof: copy.proof,
                erasure,
            };
            if got.iter().all(|g| *g) {
                sent.push(e);
            } else {
                withheld.push(e);
            }
        }
        sent.sort_by(|a, b| a.code.cmp(&b.code));
        withheld.sort_by(|a, b| a.code.cmp(&b.code));
        Ok((sent, withheld))
    }

    /// Of a testimony's deleted attachments, those every recipient had: only they are
    /// mentioned (as proofs ending in their deletion); the others never hear of them.
    fn deleted_attachments_all_had(
        &self,
        deleted: Option<&Vec<Uuid>>,
        received: &policy::Received,
        recipients: &[ContactInfo],
    ) -> Result<Vec<Uuid>> {
        let mut out = Vec::new();
        for &a in deleted.into_iter().flatten() {
            // Erased alone: its erasure goes on its own (`files_erased`).
            if self.own_file_erasure(a)?.is_some() {
                continue;
            }
            let hashes: Vec<String> = self
                .store
                .revisions_of(a)?
                .into_iter()
                .map(|r| r.hash)
                .collect();
            if received.all_had_any_of(recipients, &hashes) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// What "sent" records of an erased testimony: every revision of it. Its heads never
    /// change once erased, but proofs of versions made beside the erasure (before it reached
    /// their device) keep arriving, and must go on to the others (found by the convergence
    /// property test). Its files are erased with it wherever it goes, and their proofs stay
    /// where they are.
    pub(super) fn erased_state(&self, id: Uuid) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .store
            .revisions_of(id)?
            .into_iter()
            .map(|r| r.hash)
            .collect();
        out.sort();
        Ok(out)
    }

    /// Testimonies deleted here since they were last sent in full. A deletion goes only to
    /// recipients that all had the testimony from a full export (`deleted`); one that some
    /// recipients of this bundle never had is held back (`deletions_withheld`), since a
    /// bundle's content is read by all its recipients.
    /// With `erased_only`, only the testimonies erased here.
    fn deleted_since(
        &self,
        received: &policy::Received,
        recipients: &[ContactInfo],
        erased_only: bool,
    ) -> Result<(Vec<DeletedTestimony>, Vec<DeletedTestimony>)> {
        let deleted_attachments_of = self.store.deleted_attachments()?;
        let mut candidates: Vec<Uuid> = received.held_by_any(recipients).into_iter().collect();
        candidates.sort();
        let (mut sent, mut withheld) = (Vec::new(), Vec::new());
        for id in candidates {
            let Some((now, true)) = self.store.heads(id)? else {
                continue;
            };
            // What a contact sent us names its attachments too (`Vault::received`).
            if self.store.record_kind(id)?.as_deref() != Some("testimony")
                || (erased_only && self.store.erasure(id)?.is_none())
            {
                continue;
            }
            let mut now = match self.store.erasure(id)? {
                Some(_) => self.erased_state(id)?,
                None => now,
            };
            now.sort();
            let news = recipients
                .iter()
                .any(|r| received.last_sent(&r.fingerprint, ExportProfile::Full, id) != Some(&now));
            if !news {
                continue;
            }
            // The code as it was last saved.
            let code = self
                .store
                .revisions_of(id)?
                .iter()
                .rev()
                .find_map(|r| r.state.as_ref()?.get("code")?.as_str().map(String::from))
                .unwrap_or_default();
            // An erased testimony's erasure takes its files wherever it goes: their proofs stay.
            let attachments = if self.store.erasure(id)?.is_some() {
                Vec::new()
            } else {
                self.deleted_attachments_all_had(
                    deleted_attachments_of.get(&id),
                    received,
                    recipients,
                )?
            };
            let d = DeletedTestimony {
                id,
                code,
                attachments,
            };
            if received.all_hold(recipients, id) {
                sent.push(d);
            } else {
                withheld.push(d);
            }
        }
        sent.sort_by(|a, b| a.code.cmp(&b.code));
        withheld.sort_by(|a, b| a.code.cmp(&b.code));
        Ok((sent, withheld))
    }
}
