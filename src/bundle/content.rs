//! What goes into a bundle: for `full`, each testimony's and attachment's current version
//! with its history as stubs (docs/trust-model.md §1) plus a custody entry per file sent; for
//! `anonymised`, one new revision per testimony and per file that may be published, made by
//! the anonymiser.

use std::collections::{BTreeMap, HashSet};

use super::Redaction;
use super::anonymise::{Anonymiser, Replaced};
use super::plan::{Chosen, ErasedCopy, ExportPlan};
use super::policy;
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Attachment, CopySent, CustodyAction, CustodyEvent, Op, RecordKind, Revision};
use crate::vault::Vault;

/// The revisions and files of a bundle, before it is written.
#[derive(Default)]
pub(super) struct Content {
    pub revisions: Vec<Revision>,
    /// Revisions this export adds to this vault (custody entries), committed once the
    /// bundle is durable.
    pub local: Vec<Revision>,
    /// (original blob id, sha256, size), in member order, each file once.
    pub blobs: Vec<(String, String, u64)>,
    pub redactions: Vec<Redaction>,
    /// Per testimony: the heads of it and its attachments once this export is committed.
    pub sent: BTreeMap<uuid::Uuid, Vec<String>>,
    /// Anonymised copies made by this export (`Transfer::copies`).
    pub copies: Vec<CopySent>,
    /// The SHA-256s already in `blobs`.
    shas: HashSet<String>,
}

/// One testimony's anonymised copy: its record id, its state, what was changed (for the
/// manifest) and every replacement (for the preview).
pub(super) struct AnonymisedCopy {
    pub record: uuid::Uuid,
    pub testimony: crate::model::Testimony,
    pub fields: Vec<String>,
    pub replaced: Vec<Replaced>,
}

impl Content {
    /// Adds an attachment's file, unless a file with the same content is already in.
    fn add_file(&mut self, a: &Attachment) {
        if self.shas.insert(a.sha256.clone()) {
            self.blobs.push((a.blob.clone(), a.sha256.clone(), a.size));
        }
    }
}

impl Vault {
    /// Each testimony and each of its attachments at their current version, with every
    /// earlier revision as a stub, plus a custody entry on each attachment recording this
    /// transfer.
    pub(super) fn full_content(
        &self,
        chosen: &[Chosen],
        plan: &ExportPlan,
        seq: u64,
    ) -> Result<Content> {
        // Who received it is this vault's transfer record, which never leaves: the custody
        // log travels with the file to later recipients, who must not learn the earlier ones
        // (review finding 16).
        let note = format!("bundle {seq}");
        let mut c = Content::default();
        for t in chosen {
            let testimony_heads = self.record_heads(t.id)?;
            c.revisions.extend(policy::history_for_recipients(
                self.store.revisions_of(t.id)?,
                &testimony_heads,
            ));
            let mut heads = t.heads.clone();
            for a in &t.attachments {
                c.revisions.extend(self.attachment_history(a)?);
                let draft = self.custody_draft(
                    a,
                    CustodyAction::Transferred,
                    Some(a.attachment.sha256.clone()),
                    Some(note.clone()),
                )?;
                let signed = self.sign(vec![draft])?;
                heads.retain(|h| !a.heads.contains(h));
                heads.extend(signed.iter().map(|r| r.hash.clone()));
                c.revisions.extend(signed.iter().cloned());
                c.local.extend(signed);
                c.add_file(&a.attachment);
            }
            for id in &t.deleted_attachments {
                c.revisions
                    .extend(deletion_proofs(self.store.revisions_of(*id)?));
            }
            heads.sort();
            c.sent.insert(t.id, heads);
        }
        // Deletions: stubs of the testimony's and its attachments' history, ending in bare
        // tombstones — what the recipients need to verify the deletion, no content at all.
        for d in &plan.deleted {
            c.revisions
                .extend(deletion_proofs(self.store.revisions_of(d.id)?));
            for &id in &d.attachments {
                c.revisions
                    .extend(deletion_proofs(self.store.revisions_of(id)?));
            }
            let mut heads = match self.store.erasure(d.id)? {
                Some(_) => self.erased_state(d.id)?,
                None => self.record_heads(d.id)?,
            };
            heads.sort();
            c.sent.insert(d.id, heads);
        }
        // Files erased alone: every proof of the file, and its erasure.
        for f in &plan.files_erased {
            c.revisions
                .extend(deletion_proofs(self.store.revisions_of(f.id)?));
            c.sent.insert(f.id, self.erased_state(f.id)?);
        }
        Ok(c)
    }

    /// One new revision per testimony and per attachment safe to publish, signed by this
    /// device and deterministic (the same state exported again gives the same revisions).
    pub(super) fn anonymised_content(&self, chosen: &[Chosen]) -> Result<Content> {
        let anon = Anonymiser::new(self.secret.signing_key());
        let mut c = Content::default();
        for (t, copy) in chosen.iter().zip(self.anonymise_all(&anon, chosen)?) {
            let AnonymisedCopy {
                record,
                testimony,
                fields,
                ..
            } = copy;
            // The year of the original's latest revision: deterministic, and no finer.
            let at = self.latest_at(&t.heads)?;
            let rev = Revision::sign_with_salt(
                Draft {
                    record,
                    kind: RecordKind::Testimony,
                    op: Op::Create,
                    parents: vec![],
                    reason: Some("anonymised copy".into()),
                    state: Some(testimony.to_value()?),
                },
                self.secret.signing_key(),
                at,
                anon.salt(record),
            )?;
            c.redactions.push(Redaction {
                record,
                revision: rev.hash.clone(),
                original: self.store.testimony(t.id)?.heads,
                fields,
                attachments_dropped: t.withheld,
            });
            c.copies.push(CopySent {
                original: t.id,
                proof: rev.stub(),
            });
            c.revisions.push(rev);
            for (i, a) in t.attachments.iter().enumerate() {
                let custody = CustodyEvent::new_at(
                    at,
                    None,
                    self.device_key(),
                    CustodyAction::Redacted,
                    Some(a.attachment.sha256.clone()),
                    Some("anonymised copy for publication".into()),
                )?;
                let copy = anon.attachment(&a.attachment, record, i + 1, custody);
                let copy_id = anon.record_id(a.id, &a.heads, record.as_bytes());
                let rev = Revision::sign_with_salt(
                    Draft {
                        record: copy_id,
                        kind: RecordKind::Attachment,
                        op: Op::Create,
                        parents: vec![],
                        reason: Some("anonymised copy".into()),
                        state: Some(copy.to_value()?),
                    },
                    self.secret.signing_key(),
                    at,
                    anon.salt(copy_id),
                )?;
                c.revisions.push(rev);
                c.add_file(&a.attachment);
            }
            c.sent.insert(t.id, t.heads.clone());
        }
        Ok(c)
    }

    /// Each chosen testimony anonymised (as the preview shows it and the bundle carries it),
    /// in the same order.
    pub(super) fn anonymise_all(
        &self,
        anon: &Anonymiser,
        chosen: &[Chosen],
    ) -> Result<Vec<AnonymisedCopy>> {
        // The current versions and every earlier one with content: a person removed from the
        // record may still be named in its text.
        let mut versions: Vec<crate::model::Testimony> = Vec::new();
        for t in chosen {
            for r in self.store.revisions_of(t.id)? {
                if let Some(state) = r.state.as_ref().filter(|_| !r.op.removes()) {
                    versions.push(crate::model::Testimony::from_value(state)?);
                }
            }
        }
        let needles = anon.needles(chosen.iter().map(|c| &c.testimony).chain(versions.iter()));
        let mut out = Vec::with_capacity(chosen.len());
        for t in chosen {
            let a = anon.testimony(&t.testimony, "", &needles);
            let state = a.testimony.to_value()?;
            let record = anon.record_id(t.id, &t.heads, &crypto::canonical_json(&state));
            let mut testimony = a.testimony;
            testimony.code = super::anonymise::copy_code(record);
            // Every id inside (persons, events, consents, places) replaced: a UUIDv7 carries
            // the moment it was made, which would date the interview.
            let testimony = anon.remap_ids(&testimony)?;
            out.push(AnonymisedCopy {
                record,
                testimony,
                fields: a.fields,
                replaced: a.replaced,
            });
        }
        Ok(out)
    }

    /// The first day of the year of the latest of `heads`: the time an anonymised copy
    /// carries, deterministic and no finer than the year.
    /// The erasure of each anonymised copy in `copies` (its original was erased here), after
    /// the proof of the copy's revision (`Vault::copy_erasure`).
    pub(super) fn copy_erasures(&self, c: &mut Content, copies: &[ErasedCopy]) {
        for copy in copies {
            c.revisions.push(copy.proof.clone());
            c.sent.insert(copy.id, vec![copy.erasure.hash.clone()]);
            c.revisions.push(copy.erasure.clone());
        }
    }

    fn latest_at(&self, heads: &[String]) -> Result<jiff::Timestamp> {
        let mut latest = jiff::Timestamp::UNIX_EPOCH;
        for h in heads {
            if let Some(r) = self.store.revision(h)? {
                latest = latest.max(r.at);
            }
        }
        let year = latest.to_zoned(jiff::tz::TimeZone::UTC).year();
        jiff::civil::date(year, 1, 1)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| Error::Internal(e.to_string()))
    }
}

/// What a recipient needs to verify a deletion: stubs of the revisions that lead to its
/// tombstones, in order. A branch beside them (a custody entry another device appended to a
/// file deleted here) is left out: it changes nothing, and alone at the recipient it would be
/// a proof standing as a current version. An erased record's revisions all go: it is all
/// proofs, at the recipient too, and a version made beside the erasure (before it arrived)
/// must reach the others, or their histories differ (found by the convergence property test).
fn deletion_proofs(revisions: Vec<Revision>) -> Vec<Revision> {
    use std::collections::{HashMap, HashSet};
    if revisions.iter().any(|r| r.op == crate::model::Op::Erase) {
        return revisions.iter().map(proof).collect();
    }
    let by_hash: HashMap<&str, &Revision> =
        revisions.iter().map(|r| (r.hash.as_str(), r)).collect();
    let parents: HashSet<&str> = revisions
        .iter()
        .flat_map(|r| r.parents.iter().map(String::as_str))
        .collect();
    let mut todo: Vec<&str> = revisions
        .iter()
        .filter(|r| r.op.removes() && !parents.contains(r.hash.as_str()))
        .map(|r| r.hash.as_str())
        .collect();
    let mut keep: HashSet<&str> = HashSet::new();
    while let Some(h) = todo.pop() {
        if keep.insert(h)
            && let Some(r) = by_hash.get(h)
        {
            todo.extend(r.parents.iter().map(String::as_str));
        }
    }
    revisions
        .iter()
        .filter(|r| keep.is_empty() || keep.contains(r.hash.as_str()))
        .map(proof)
        .collect()
}

/// A revision as a deletion's proofs carry it: a stub — or, for an erasure, whole: it has no
/// content, and its reason is the trace the recipients keep (docs/erasure.md).
fn proof(r: &Revision) -> Revision {
    if r.op == crate::model::Op::Erase {
        r.clone()
    } else {
        r.stub()
    }
}
