//! What goes into a bundle: for `full`, every revision of each testimony and of its
//! attachments plus a custody entry per file sent; for `anonymised`, one new revision per
//! testimony and per file safe to publish, made by the anonymiser.

use std::collections::{BTreeMap, HashSet};

use super::Redaction;
use super::anonymise::Anonymiser;
use super::plan::{Chosen, ExportPlan};
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Attachment, CustodyAction, CustodyEvent, Op, RecordKind, Revision};
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
    /// The SHA-256s already in `blobs`.
    shas: HashSet<String>,
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
    /// Every revision of each testimony and of its attachments, plus a custody entry on
    /// each attachment recording this transfer.
    pub(super) fn full_content(
        &self,
        chosen: &[Chosen],
        plan: &ExportPlan,
        seq: u64,
    ) -> Result<Content> {
        let to: Vec<&str> = plan
            .recipients
            .iter()
            .map(|r| r.fingerprint.as_str())
            .collect();
        let note = format!("bundle {seq} to {}", to.join(", "));
        let mut c = Content::default();
        for t in chosen {
            c.revisions.extend(self.store.revisions_of(t.id)?);
            let mut heads = t.heads.clone();
            for a in &t.attachments {
                c.revisions.extend(self.store.revisions_of(a.id)?);
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
                c.revisions.extend(self.store.revisions_of(*id)?);
            }
            heads.sort();
            c.sent.insert(t.id, heads);
        }
        // Deletions: the whole history of the testimony and its attachments, ending in the
        // tombstones (no file goes with them).
        for d in &plan.deleted {
            c.revisions.extend(self.store.revisions_of(d.id)?);
            for id in self.store.deleted_attachments_of(d.id)? {
                c.revisions.extend(self.store.revisions_of(id)?);
            }
            let mut heads = self.record_heads(d.id)?;
            heads.sort();
            c.sent.insert(d.id, heads);
        }
        Ok(c)
    }

    /// One new revision per testimony and per attachment safe to publish, signed by this
    /// device and deterministic (the same state exported again gives the same revisions).
    pub(super) fn anonymised_content(&self, chosen: &[Chosen]) -> Result<Content> {
        let anon = Anonymiser::new(self.secret.signing_key());
        let mut c = Content::default();
        let needles = anon.needles(chosen.iter().map(|c| &c.testimony));
        for t in chosen {
            let (testimony, fields) = anon.testimony(&t.testimony, "", &needles);
            let state = testimony.to_value()?;
            let record = anon.record_id(t.id, &t.heads, &crypto::canonical_json(&state));
            let code = format!("ANON-{}", &record.simple().to_string()[..10].to_uppercase());
            let mut testimony = testimony;
            testimony.code = code;
            // Every id inside (persons, events, consents, places) replaced: a UUIDv7 carries
            // the moment it was made, which would date the interview.
            let testimony = anon.remap_ids(&testimony)?;
            // The day of the original's latest revision: deterministic, and no finer.
            let at = self.latest_at(&t.heads)?;
            let rev = Revision::sign(
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
            )?;
            c.redactions.push(Redaction {
                record,
                revision: rev.hash.clone(),
                original: self.store.testimony(t.id)?.heads,
                fields,
                attachments_dropped: t.withheld,
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
                let rev = Revision::sign(
                    Draft {
                        record: anon.record_id(a.id, &a.heads, record.as_bytes()),
                        kind: RecordKind::Attachment,
                        op: Op::Create,
                        parents: vec![],
                        reason: Some("anonymised copy".into()),
                        state: Some(copy.to_value()?),
                    },
                    self.secret.signing_key(),
                    at,
                )?;
                c.revisions.push(rev);
                c.add_file(&a.attachment);
            }
            c.sent.insert(t.id, t.heads.clone());
        }
        Ok(c)
    }

    fn latest_at(&self, heads: &[String]) -> Result<jiff::Timestamp> {
        let mut latest = jiff::Timestamp::UNIX_EPOCH;
        for h in heads {
            if let Some(r) = self.store.revision(h)? {
                latest = latest.max(r.at);
            }
        }
        let day = latest.as_second().div_euclid(86_400) * 86_400;
        jiff::Timestamp::from_second(day).map_err(|e| Error::Internal(e.to_string()))
    }
}
