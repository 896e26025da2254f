//! The one place that decides what of a testimony may leave this vault, for every export path
//! (docs/trust-model.md §1): which consent scope each recipient needs, what a testimony in
//! conflict does, which attachments go, and that only current versions carry content while
//! their history goes as stubs.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::consent::{self, ConsentProblem};
use crate::error::Result;
use crate::model::{
    Attachment, AttachmentKind, ConsentScope, ContactInfo, CopySent, ExportProfile, PersonRef,
    Revision, Testimony, TransferDirection,
};
use crate::store::{StoredAttachment, StoredTestimony};
use crate::vault::Vault;

/// Why a testimony stays out, and for which recipient.
pub(super) struct Refusal {
    pub scope: ConsentScope,
    pub problem: ConsentProblem,
    pub recipient: String,
}

/// Whether a testimony may go to every one of `recipients` in `profile`: consent of its
/// current version grants each recipient's scope. A testimony in conflict has several
/// current versions (`versions`; for a deleting side, those it deleted): it goes in a full
/// export only if every version's consent grants the scope, so the recipient holds the same
/// conflict (and every vault converges on it, docs/merge-model.md); an anonymised copy needs
/// one version, so it waits until the conflict is resolved.
///
/// In a full export the current version goes as it was signed, with its persons' links to
/// persons of other testimonies (`same_as`, `not_same_as`): those name the other testimony.
/// So it goes only if each linked testimony's consent would let it go to the same recipient
/// too (`linked_allows`); otherwise the recipient would learn that a testimony they may not
/// see exists, and about whom (review round 2, finding 18). A link the recipient already
/// knows (`knows_link`: a version of this testimony that holds it was sent to them in a full
/// export, or they signed one) tells them nothing new: it is not checked again. (A revision
/// hash a contact's bundle names is not enough: history travels as stubs without content.)
pub(super) fn verdict(
    stored: &StoredTestimony,
    versions: &Versions,
    recipients: &[ContactInfo],
    profile: ExportProfile,
    linked_allows: &dyn Fn(Uuid, ConsentScope) -> bool,
    knows_link: &dyn Fn(&ContactInfo, &PersonRef) -> bool,
) -> std::result::Result<(), Refusal> {
    for r in recipients {
        let scope = consent::scope_for(profile, r.trust);
        let refuse = |problem| Refusal {
            scope,
            problem,
            recipient: r.name.clone(),
        };
        if stored.heads.len() > 1 && profile == ExportProfile::Anonymised {
            return Err(refuse(ConsentProblem::Conflict));
        }
        for t in versions.all() {
            consent::check(t, scope).map_err(refuse)?;
        }
        // Links travel only in the content of the versions sent: a deleted version goes as a
        // proof, so its links to a testimony deleted since do not keep the deletion from the
        // vaults that hold the testimony; and a link that came from the recipient may go back
        // to them (a version of theirs, or one this vault resolved a conflict into) though it
        // names a testimony this vault never had (both found by the convergence property
        // test).
        for t in &versions.sent {
            if profile == ExportProfile::Full
                && links(t).any(|l| !linked_allows(l.testimony, scope) && !knows_link(r, l))
            {
                return Err(refuse(ConsentProblem::Linked));
            }
        }
    }
    Ok(())
}

/// The versions of a testimony an export must respect.
#[derive(Default)]
pub(super) struct Versions {
    /// The current versions, which go with their content (one, or each side of a conflict).
    pub sent: Vec<Testimony>,
    /// The versions a deleting side of a conflict deleted: they go only as proofs without
    /// content, but their consent still binds (narrowed, then deleted).
    pub deleted: Vec<Testimony>,
    /// Whether a side of a conflict deletes the testimony.
    pub a_side_deletes: bool,
}

impl Versions {
    fn all(&self) -> impl Iterator<Item = &Testimony> {
        self.sent.iter().chain(&self.deleted)
    }

    /// Whether every version grants `scope` (a deletion with no version before it grants
    /// nothing and asks nothing).
    pub(super) fn all_allow(&self, scope: ConsentScope) -> bool {
        self.all().next().is_some() && self.all().all(|t| consent::check(t, scope).is_ok())
    }
}

/// The persons of other testimonies a testimony's persons are linked to.
pub(super) fn links(t: &Testimony) -> impl Iterator<Item = &PersonRef> + '_ {
    t.all_persons()
        .flat_map(|p| p.same_as.iter().chain(&p.not_same_as))
}

/// Whether an attachment goes with its testimony: always in a full export; in an anonymised
/// one only if marked safe to publish and, for a recording, photo or video of someone, if the
/// witness consented to publishing their image and voice.
pub(super) fn attachment_goes(profile: ExportProfile, t: &Testimony, a: &Attachment) -> bool {
    match profile {
        ExportProfile::Full => true,
        ExportProfile::Anonymised => {
            a.safe_to_publish
                && (!shows_a_person(a)
                    || consent::check(t, ConsentScope::PublishImageVoice).is_ok())
        }
    }
}

/// A recording, photo or video: by the kind it was filed under or by its content (a photo
/// filed as a document is still a photo of someone; review finding 07).
fn shows_a_person(a: &Attachment) -> bool {
    matches!(
        a.kind,
        AttachmentKind::Audio | AttachmentKind::Video | AttachmentKind::Photo
    ) || ["image/", "audio/", "video/"]
        .iter()
        .any(|p| a.media_type.starts_with(p))
}

/// A record's revisions as a recipient may see them: the current versions (`heads`) in full,
/// every earlier revision as a stub that proves the history without its content. A current
/// version that deletes (one side of a conflict) goes as a bare tombstone, without its reason,
/// like every deletion.
pub(super) fn history_for_recipients(revisions: Vec<Revision>, heads: &[String]) -> Vec<Revision> {
    revisions
        .into_iter()
        .map(|r| {
            if heads.contains(&r.hash) && !r.op.removes() {
                r
            } else {
                r.stub()
            }
        })
        .collect()
}

/// What the recipients of an export already hold, from this vault's transfer records.
#[derive(Default)]
pub(super) struct Received {
    /// Per recipient fingerprint and profile: each testimony sent, and its heads (with its
    /// attachments' heads) as last sent.
    sent: HashMap<(String, ExportProfile), HashMap<Uuid, Vec<String>>>,
    /// Per recipient fingerprint: every revision hash it was sent in a full export, or that
    /// it named in a bundle it sent here.
    full_heads: HashMap<String, HashSet<String>>,
    /// Per recipient fingerprint: every current version this vault sent it in a full export
    /// (those went with their content).
    content_sent: HashMap<String, HashSet<String>>,
    /// Per recipient fingerprint: the anonymised copies this vault sent it.
    copies: HashMap<String, Vec<CopySent>>,
}

impl Received {
    /// The heads last sent to `fingerprint` of testimony `id` in an export of `profile`.
    pub(super) fn last_sent(
        &self,
        fingerprint: &str,
        profile: ExportProfile,
        id: Uuid,
    ) -> Option<&Vec<String>> {
        self.sent
            .get(&(fingerprint.to_string(), profile))
            .and_then(|m| m.get(&id))
    }

    /// Whether `fingerprint` holds revision `hash`: this vault sent it to them (in an export
    /// of either profile), or they named it in a bundle they sent here.
    pub(super) fn has_revision(&self, fingerprint: &str, hash: &str) -> bool {
        self.full_heads
            .get(fingerprint)
            .is_some_and(|h| h.contains(hash))
            || self
                .sent
                .get(&(fingerprint.to_string(), ExportProfile::Anonymised))
                .is_some_and(|m| m.values().flatten().any(|h| h == hash))
    }

    /// The anonymised copies this vault sent to `fingerprint`.
    pub(super) fn copies_sent(&self, fingerprint: &str) -> &[CopySent] {
        self.copies.get(fingerprint).map_or(&[], Vec::as_slice)
    }

    /// Whether every recipient was sent testimony `id` in a full export.
    pub(super) fn all_hold(&self, recipients: &[ContactInfo], id: Uuid) -> bool {
        recipients.iter().all(|r| {
            self.last_sent(&r.fingerprint, ExportProfile::Full, id)
                .is_some()
        })
    }

    /// The testimonies any of the recipients was sent in full.
    pub(super) fn held_by_any(&self, recipients: &[ContactInfo]) -> HashSet<Uuid> {
        recipients
            .iter()
            .filter_map(|r| self.sent.get(&(r.fingerprint.clone(), ExportProfile::Full)))
            .flat_map(|m| m.keys().copied())
            .collect()
    }

    /// Whether this vault sent revision `hash` with its content (as a current version) to
    /// the recipient with `fingerprint` in a full export.
    pub(super) fn sent_content(&self, fingerprint: &str, hash: &str) -> bool {
        self.content_sent
            .get(fingerprint)
            .is_some_and(|sent| sent.contains(hash))
    }

    /// Whether every recipient was sent some version of a record whose revisions are
    /// `hashes` in a full export (so it may hear of that record's deletion).
    pub(super) fn all_had_any_of(&self, recipients: &[ContactInfo], hashes: &[String]) -> bool {
        recipients.iter().all(|r| {
            self.full_heads
                .get(&r.fingerprint)
                .is_some_and(|sent| hashes.iter().any(|h| sent.contains(h)))
        })
    }
}

impl Vault {
    /// What each of `recipients` was sent before, by profile (later exports replace earlier),
    /// keyed by their current fingerprint. Bundles made for a key a recipient had before they
    /// changed keys count as theirs: they hold what those brought, and must hear of its
    /// deletion.
    pub(super) fn received(&self, recipients: &[ContactInfo]) -> Result<Received> {
        let mut out = Received::default();
        for (_, t) in self.store.transfers(TransferDirection::Export)? {
            for r in recipients {
                let theirs = |fp: &String| {
                    *fp == r.fingerprint || r.previous_keys.iter().any(|p| p.fingerprint == *fp)
                };
                if !t.recipients.iter().any(theirs) {
                    continue;
                }
                let sent = out
                    .sent
                    .entry((r.fingerprint.clone(), t.profile))
                    .or_default();
                for (id, heads) in &t.sent {
                    sent.insert(*id, heads.clone());
                }
                out.copies
                    .entry(r.fingerprint.clone())
                    .or_default()
                    .extend(t.copies.iter().cloned());
                if t.profile == ExportProfile::Full {
                    out.full_heads
                        .entry(r.fingerprint.clone())
                        .or_default()
                        .extend(t.sent.values().flatten().cloned());
                    out.content_sent
                        .entry(r.fingerprint.clone())
                        .or_default()
                        .extend(t.sent.values().flatten().cloned());
                }
            }
        }
        // A contact holds what they sent us: a deletion made here must reach them too (the
        // interviewer whose testimony a coordinator deleted), and what they sent need not go
        // back to them.
        for (_, t) in self.store.transfers(TransferDirection::Import)? {
            for r in recipients {
                if !r.signs_with(&t.exporter) || t.profile != ExportProfile::Full {
                    continue;
                }
                let sent = out
                    .sent
                    .entry((r.fingerprint.clone(), ExportProfile::Full))
                    .or_default();
                for (id, hashes) in &t.sent {
                    sent.entry(*id).or_insert_with(|| hashes.clone());
                }
                out.full_heads
                    .entry(r.fingerprint.clone())
                    .or_default()
                    .extend(t.sent.values().flatten().cloned());
            }
        }
        Ok(out)
    }

    /// The revisions of a live attachment as recipients may see them (its current state in
    /// full, its history as stubs).
    pub(super) fn attachment_history(&self, a: &StoredAttachment) -> Result<Vec<Revision>> {
        Ok(history_for_recipients(
            self.store.revisions_of(a.id)?,
            &a.heads,
        ))
    }
}
