//! Proposals in an open vault: the changes an import held for review (docs/trust-model.md
//! §4), shown beside the version this vault has, and accepted or rejected by the user.
//!
//! Accepting brings the proposal (and the proposals it builds on) into the history, and a
//! local review record says when it was accepted and why: the history shows who proposed what
//! and that this vault accepted it. A proposal that builds on every current version becomes
//! the current version; one made beside a version of this vault stands beside it as a
//! conflict. Rejecting is a local record too; the record stays as it was.

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Attachment, HeldReason, Op, RecordKind, Revision, Status, Testimony};
use crate::records::check_reason;
use crate::store::Review;
use crate::vault::Vault;

/// One change held for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Proposal {
    /// The proposed revision's hash: what accepting or rejecting names.
    pub revision: String,
    /// The testimony it concerns (for an attachment: the testimony it belongs to).
    pub testimony: Uuid,
    pub code: String,
    /// `testimony` or `attachment`.
    pub kind: String,
    pub why: HeldReason,
    /// Hex key of the device that made it, and its name among the contacts ("" if none).
    pub author: String,
    pub author_name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    pub reason: Option<String>,
    /// The testimony as proposed (`None`: it proposes to delete it, or concerns an attachment).
    pub proposed: Option<Testimony>,
    /// The testimony as this vault has it now.
    pub current: Option<Testimony>,
    /// For an attachment: its name and whether the proposal marks it safe to publish.
    pub attachment_name: Option<String>,
    pub safe_to_publish: Option<bool>,
}

/// What accepting a proposal did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// The proposal is the record's current version.
    Current,
    /// A testimony's change made beside a version this vault has (a change made here, or
    /// accepted from elsewhere meanwhile): both are kept, a conflict for the user to resolve.
    /// (An attachment's versions merge by rule instead, and a deletion beside deletions
    /// leaves the testimony deleted.)
    Conflict,
}

impl Vault {
    /// The testimony revision `r` concerns: its own record, or for a file the testimony its
    /// state names (or, for one without, this vault's copy of the file).
    pub(crate) fn testimony_of(&self, r: &Revision) -> Option<Uuid> {
        match r.kind {
            RecordKind::Attachment => r
                .state
                .as_ref()
                .and_then(|s| serde_json::from_value::<Attachment>(s.clone()).ok())
                .map(|a| a.testimony)
                .or_else(|| {
                    self.store
                        .attachment(r.record)
                        .ok()
                        .map(|a| a.attachment.testimony)
                }),
            _ => Some(r.record),
        }
    }

    /// Every change held for review, oldest first.
    pub fn proposals(&self) -> Result<Vec<Proposal>> {
        let contacts = self.contacts()?;
        let mut out = Vec::new();
        for p in self.store.proposals()? {
            let r = p.revision;
            // A proof without content proposes nothing: it is accepted with the change that
            // follows it, and alone it is not listed (it once read as "delete it").
            if r.state.is_none() && !r.op.removes() {
                continue;
            }
            let attachment = match r.kind {
                RecordKind::Attachment => r
                    .state
                    .as_ref()
                    .and_then(|s| serde_json::from_value::<Attachment>(s.clone()).ok())
                    .or_else(|| self.store.attachment(r.record).ok().map(|a| a.attachment)),
                _ => None,
            };
            let testimony = attachment.as_ref().map_or(r.record, |a| a.testimony);
            // Withdrawn, waiting to be erased: hidden here too (its proposals are erased with it,
            // or shown again once it is kept).
            if self.store.is_withdrawn(testimony)? {
                continue;
            }
            let current = self.store.testimony(testimony).ok().map(|s| s.testimony);
            let proposed = match (r.kind, r.op, &r.state) {
                (RecordKind::Testimony, op, Some(s)) if !op.removes() => {
                    Some(Testimony::from_value(s)?)
                }
                _ => None,
            };
            out.push(Proposal {
                code: current
                    .as_ref()
                    .or(proposed.as_ref())
                    .map(|t| t.code.clone())
                    .unwrap_or_default(),
                revision: r.hash,
                testimony,
                kind: r.kind.as_str().into(),
                why: p.why,
                author_name: contacts
                    .iter()
                    // An earlier key names its contact too: revisions it signs are held.
                    .find(|c| c.signs_with(&r.author))
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                author: r.author,
                at: r.at,
                reason: r.reason,
                proposed,
                current,
                attachment_name: attachment.as_ref().map(|a| a.name.clone()),
                safe_to_publish: attachment.as_ref().map(|a| a.safe_to_publish),
            });
        }
        Ok(out)
    }

    /// Accepts a proposal: it and the proposals it builds on join the history, and this
    /// vault records its acceptance and the reason. It becomes the current version when it
    /// builds on every current version; otherwise it stands beside them as a conflict. A
    /// locked testimony must be unlocked first.
    pub fn accept_proposal(&mut self, revision: &str, reason: Option<&str>) -> Result<Acceptance> {
        let reason = check_reason(reason)?;
        let proposal = self
            .store
            .proposal(revision)?
            .ok_or_else(|| Error::NotFound(revision.to_string()))?
            .revision;
        if proposal.state.is_none() && !proposal.op.removes() {
            // A proof without content proposes nothing to take (review finding 13: accepting
            // one once left a testimony without a current version); it joins the history
            // when the change that follows it is accepted.
            return Err(Error::invalid(
                "proposal",
                "is a proof of an earlier version without its content; accept the change that follows it",
            ));
        }
        // Withdrawn, waiting to be erased: not listed, and not taken.
        if let Some(t) = self.testimony_of(&proposal)
            && self.store.is_withdrawn(t)?
        {
            return Err(Error::NotFound(revision.to_string()));
        }
        let chain = self.store.proposal_chain(revision)?;
        let record = proposal.record;
        // A proposed new record has no heads yet: the chain brings its first revision.
        let heads = self
            .store
            .heads(record)?
            .map(|(h, _)| h)
            .unwrap_or_default();
        // A locked testimony is not deleted, nor its files, until someone unlocks it.
        if proposal.kind == RecordKind::Testimony
            && proposal.op == Op::Delete
            && let Ok(current) = self.store.testimony(record)
            && current.testimony.status == Status::Locked
        {
            return Err(Error::RecordLocked(current.testimony.code));
        }
        if proposal.kind == RecordKind::Testimony
            && let Ok(current) = self.store.testimony(record)
            && current.testimony.status == Status::Locked
            && proposal.op != Op::Delete
        {
            let mut unlocked = current.testimony.clone();
            if let Some(s) = &proposal.state {
                unlocked.status = Testimony::from_value(s)?.status;
            }
            if proposal
                .state
                .as_ref()
                .map(Testimony::from_value)
                .transpose()?
                != Some(unlocked)
            {
                return Err(Error::RecordLocked(current.testimony.code));
            }
        }
        // A proposal that follows every version this vault has (the usual case) becomes the
        // record's current version. One made beside a version of this vault (a change made
        // here, or another vault's decision meanwhile) stands beside it as a conflict the user
        // resolves: never a silent win over the change made here. The proposal itself joins
        // the history — no revision of this vault restates it (one would be a new version
        // beside every later change its author makes, and two vaults accepting each other's
        // concurrent decisions would override each other in turn); the acceptance is this
        // vault's own record, shown in the history.
        // The versions of this vault the proposal was made beside (it does not build on them).
        let beside = self.store.not_followed_by(&proposal.hash, &heads)?;
        // Whether every one of them deletes the record, and whether any does.
        let (mut beside_deletes, mut beside_any_deletes) = (true, false);
        let mut beside_states = Vec::new();
        for h in &beside {
            match self.store.revision(h)? {
                Some(r) if r.op == Op::Delete => beside_any_deletes = true,
                Some(r) => {
                    beside_deletes = false;
                    beside_states.extend(r.state);
                }
                None => beside_deletes = false,
            }
        }
        let mut drafts = vec![review_draft(&Review {
            proposal: proposal.hash.clone(),
            rejected: false,
            reason,
        })?];
        // An attachment has no conflicts: its versions merge (docs/merge-model.md §2). One
        // accepted beside a version here (a custody entry every export appends) is merged with
        // it by this vault, keeping what the user accepted (a "safe to publish" flag) and
        // every custody entry. A deletion wins over any other version on its own (and a file
        // deleted here stays deleted).
        if proposal.kind == RecordKind::Attachment
            && proposal.op != Op::Delete
            && !beside.is_empty()
            && !beside_any_deletes
            && let Some(state) = &proposal.state
        {
            let accepted: Attachment = serde_json::from_value(state.clone())
                .map_err(|e| Error::invalid("proposal", format!("not an attachment: {e}")))?;
            let others = beside_states
                .into_iter()
                .map(serde_json::from_value::<Attachment>)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Internal(format!("stored attachment: {e}")))?;
            let mut merged = Attachment::merged(&accepted, &others);
            merged.safe_to_publish = accepted.safe_to_publish;
            let mut parents = heads.clone();
            parents.push(proposal.hash.clone());
            drafts.push(Draft {
                record,
                kind: RecordKind::Attachment,
                op: Op::Update,
                parents,
                reason: Some("accepted a change made beside this vault's version".into()),
                state: Some(merged.to_value()?),
            });
        }
        // The testimony ends deleted when the proposal deletes it and every version it was
        // made beside deletes it too. Then the acceptance does what a deletion made here does:
        // the testimony's attachments go with it (their files after the commit, below), and
        // the links to its persons leave the other testimonies (a dangling link would keep
        // them out of every full export).
        let ends_deleted = proposal.op == Op::Delete && beside_deletes;
        if ends_deleted
            && proposal.kind == RecordKind::Testimony
            && self.store.testimony(record).is_ok()
        {
            let why = proposal
                .reason
                .clone()
                .unwrap_or_else(|| "deleted with its testimony".into());
            drafts.extend(self.attachment_tombstones(record, &why)?.0);
            drafts.extend(self.unlink_drafts(record)?);
        }
        let blobs_before = self.store.live_blobs()?;
        let mut revs: Vec<Revision> = chain;
        revs.extend(self.sign(drafts)?);
        self.commit_revisions(revs)?;
        // An accepted deletion of an attachment: its file goes now (an orphan at worst).
        for gone in blobs_before.difference(&self.store.live_blobs()?) {
            let _ = crate::blobs::remove(self.dir(), gone);
        }
        Ok(
            if proposal.kind == RecordKind::Testimony && !beside.is_empty() && !ends_deleted {
                Acceptance::Conflict
            } else {
                Acceptance::Current
            },
        )
    }

    /// Rejects a proposal (and the proposals built on it): the record stays as it is.
    pub fn reject_proposal(&mut self, revision: &str) -> Result<()> {
        if self.store.proposal(revision)?.is_none() {
            return Err(Error::NotFound(revision.to_string()));
        }
        self.commit(vec![review_draft(&Review {
            proposal: revision.to_string(),
            rejected: true,
            reason: None,
        })?])?;
        Ok(())
    }
}

/// This vault's own record of a decision on a proposal (never exported).
fn review_draft(review: &Review) -> Result<Draft> {
    Ok(Draft {
        record: Uuid::now_v7(),
        kind: RecordKind::Review,
        op: Op::Create,
        parents: vec![],
        reason: None,
        state: Some(serde_json::to_value(review).map_err(|e| Error::Internal(e.to_string()))?),
    })
}
