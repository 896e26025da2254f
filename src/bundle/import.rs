//! Import: check the whole bundle, stage its files as new encrypted blobs, then commit every
//! revision it brings (and a transfer record) as one batch of log frames. All or nothing: on
//! any error the staged files are removed and the vault is as it was.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use uuid::Uuid;

use super::export::transfer_draft;
use super::read::{Revisions, Verified, discard, read_bundle};
use crate::attachments::Progress;
use crate::blobs;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::keys::ContactCard;
use crate::model::revision::Draft;
use crate::model::{
    Attachment, Contact, ContactTrust, ExportProfile, Held, HeldReason, Op, RecordKind, Transfer,
    TransferDirection,
};
use crate::store::short_hash;
use crate::vault::Vault;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The fingerprint of a sender who is not a contact, confirmed by the user (read from
    /// the "unknown sender" error or from `verify_bundle`). They are added as a contact.
    pub accept_sender: Option<String>,
}

/// Who made a bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Sender {
    /// The name on their card.
    pub name: String,
    pub fingerprint: String,
    /// The contact it matches, if any (the name this vault shows).
    pub contact: Option<String>,
    /// Whether that contact's fingerprint was compared with them.
    pub verified: bool,
    /// The bundle was made by this vault itself.
    pub is_self: bool,
    /// For a sender who is not a contact: the contact whose key this one says it replaces
    /// (a key change statement signed by both keys). Still to be confirmed by comparing the
    /// new fingerprint with them: whoever stole the old key can sign such a statement too.
    pub replaces: Option<String>,
    /// That contact's key was marked compromised: the statement may be the thief's.
    pub replaces_compromised: bool,
}

/// A testimony whose history forked: two devices changed the same version differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    pub id: Uuid,
    pub code: String,
    pub heads: Vec<String>,
}

/// A testimony an import holds changes of for review, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProposalSummary {
    pub id: Uuid,
    pub code: String,
    pub why: HeldReason,
}

/// What a bundle holds and what importing it does (or did).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub sender: Sender,
    pub profile: ExportProfile,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: jiff::Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub manifest_sha256: String,
    /// Testimonies this vault did not have.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub testimonies_new: u64,
    /// Testimonies this vault had that the bundle changes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub testimonies_changed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments_new: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions_new: u64,
    /// Revisions this vault already had.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions_known: u64,
    /// Bytes of attachments in the bundle.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachment_bytes: u64,
    /// Testimonies that will have (or have) two versions to choose between.
    pub conflicts: Vec<Conflict>,
    /// Codes the import left on more than one testimony (each device had used the code for a
    /// testimony of its own): one is renamed to end the clash. Known after the import only.
    pub code_clashes: Vec<crate::CodeClash>,
    /// Revisions kept as proposals for this vault to review instead of applied: from a
    /// device without authority over the record, or changes that need confirmation here
    /// (docs/trust-model.md §4).
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(skip)]
    pub held: Vec<Held>,
    /// The testimonies those proposals are for, and why each was held.
    pub proposals: Vec<ProposalSummary>,
    /// Testimonies the bundle erases here (a witness's withdrawal, docs/erasure.md).
    pub erased: Vec<ErasedSummary>,
    /// Whether this bundle was already imported (nothing would change).
    pub already_imported: bool,
    /// Whether the revisions were committed (false for `verify_bundle`).
    pub imported: bool,
}

/// A testimony an imported erasure takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasedSummary {
    pub id: Uuid,
    /// The code it had here (for a file, its testimony's).
    pub code: String,
    /// The name of the file, when the erasure took one file of the testimony alone.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub file: Option<String>,
    /// Why, as the erasing device said.
    pub reason: Option<String>,
}

impl Vault {
    /// Checks everything in a bundle (decryption, signature, every member's hash and size,
    /// every revision) and says what importing it would change, without writing anything.
    /// An unknown sender is reported, not refused.
    pub fn verify_bundle(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ImportReport> {
        let mut already = false;
        let mut sniffed: HashMap<String, String> = HashMap::new();
        let verified = {
            let this = &*self;
            let mut check = |m: &super::Manifest, sender: &ContactCard, sha: &str| {
                already = this.store.imported(sha)?;
                this.check_sender_key(m, sender)
            };
            // Each file read through, its media type taken from its content.
            let mut sink = |m: &super::Member, r: &mut dyn Read| {
                let mut head = HeadOf::new(r);
                discard(&mut head)?;
                sniffed.insert(m.sha256.clone(), crate::media::sniff(&head.head));
                Ok(())
            };
            read_bundle(
                path,
                &self.secret.bundle_identities(),
                &self.own_fingerprints()?,
                &mut check,
                &mut sink,
                progress,
            )?
        };
        // Files the bundle does not carry (this vault has them): the type recorded here.
        check_media_types(&verified.revisions, &sniffed, &|sha| {
            self.store.media_type_of_sha(sha)
        })?;
        let mut report = self.preview(&verified)?;
        report.already_imported = already;
        Ok(report)
    }

    /// Imports a bundle: all or nothing. A sender who is not a contact is refused with
    /// `unknown_sender` unless `opts.accept_sender` is their fingerprint; a bundle imported
    /// before is refused with `bundle_already_imported`.
    pub fn import_bundle(
        &mut self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ImportReport> {
        if self.is_poisoned() {
            return Err(Error::Poisoned);
        }
        let mut staged: HashMap<String, PathBuf> = HashMap::new();
        let outcome = self.import_staged(path, opts, &mut staged, progress);
        for tmp in staged.values() {
            let _ = fsutil::remove_file_if_exists(tmp);
        }
        // A testimony the bundle erased may have anonymised copies this vault holds itself.
        if outcome.as_ref().is_ok_and(|r| !r.erased.is_empty()) {
            self.erase_held_copies_or_note();
        }
        outcome
    }

    fn import_staged(
        &mut self,
        path: &Path,
        opts: &ImportOptions,
        staged: &mut HashMap<String, PathBuf>,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ImportReport> {
        let me = self.device_key();
        // The media type of each file the bundle brings, from its content (as `attach` reads
        // it): an attachment that claims another (a photo sent as a PDF, to pass as a document
        // that shows no one) is refused.
        let mut sniffed: HashMap<String, String> = HashMap::new();
        let verified = {
            let this = &*self;
            let store = &self.store;
            let dir = self.dir().to_path_buf();
            let recipient = self.secret.storage_recipient();
            let mut check = |m: &super::Manifest, sender: &ContactCard, sha: &str| {
                if store.imported(sha)? {
                    return Err(Error::BundleAlreadyImported(imported_on(store, sha)?));
                }
                this.check_sender_key(m, sender)?;
                let key = hex::encode(sender.verifying_key().as_bytes());
                let known = key == me || this.known_key(&key)?.is_some();
                if !known && opts.accept_sender.as_deref() != Some(&sender.fingerprint()) {
                    return Err(Error::UnknownSender {
                        name: sender.name().to_string(),
                        fingerprint: sender.fingerprint(),
                    });
                }
                Ok(())
            };
            let mut sink = |m: &super::Member, r: &mut dyn Read| {
                if let Some(known) = store.media_type_of_sha(&m.sha256)? {
                    // This vault has the file already: check it (the reader hashes what is
                    // read) without writing a copy; its media type is the one recorded.
                    sniffed.insert(m.sha256.clone(), known);
                    return discard(r);
                }
                let mut head = HeadOf::new(r);
                let s = blobs::stage(&dir, &recipient, &mut head)?;
                sniffed.insert(m.sha256.clone(), crate::media::sniff(&head.head));
                if let Some(old) = staged.insert(m.sha256.clone(), s) {
                    let _ = fsutil::remove_file_if_exists(&old);
                }
                Ok(())
            };
            read_bundle(
                path,
                &self.secret.bundle_identities(),
                &self.own_fingerprints()?,
                &mut check,
                &mut sink,
                progress,
            )?
        };
        check_media_types(&verified.revisions, &sniffed, &|sha| {
            self.store.media_type_of_sha(sha)
        })?;
        let mut report = self.preview(&verified)?;

        // Place the file of every attachment that is live once the bundle is applied and
        // whose file this vault does not have yet.
        let mut placed: Vec<PathBuf> = Vec::new();
        let live_before = self.store.live_blobs()?;
        let outcome = (|| {
            let live = live_before.clone();
            let mut first_copy: HashMap<String, PathBuf> = HashMap::new();
            for (blob, sha) in files_needed(&verified.revisions)? {
                if live.contains(&blob) {
                    continue;
                }
                let dest = blobs::path(self.dir(), &blob);
                if let Some(src) = first_copy.get(&sha) {
                    // The same content in two attachments: a second copy of the file.
                    blobs::place_copy(self.dir(), src, &blob)?;
                } else if let Some(held) = self.store.blob_with_sha(&sha)? {
                    // The content is here already under another attachment: copy that file.
                    blobs::place_copy(self.dir(), &blobs::path(self.dir(), &held), &blob)?;
                } else {
                    let Some(tmp) = staged.get(&sha) else {
                        return Err(Error::BundleInvalid(format!(
                            "the file blobs/{sha} that an attachment needs is missing"
                        )));
                    };
                    blobs::place(self.dir(), tmp, &blob)?;
                    first_copy.insert(sha, dest.clone());
                }
                placed.push(dest);
            }
            if !placed.is_empty() {
                fsutil::sync_dir(&self.dir().join(blobs::DIR))?;
            }
            let mut drafts = Vec::new();
            let key = hex::encode(verified.sender.verifying_key().as_bytes());
            if opts.accept_sender.is_some() && key != me && self.known_key(&key)?.is_none() {
                drafts.push(self.sender_contact_draft(&verified)?);
            }
            drafts.push(transfer_draft(&Transfer {
                direction: TransferDirection::Import,
                manifest_sha256: verified.manifest_sha256.clone(),
                exporter: hex::encode(verified.sender.verifying_key().as_bytes()),
                seq: verified.manifest.seq,
                profile: verified.manifest.profile,
                recipients: verified.manifest.recipients.clone(),
                created_at: verified.manifest.created_at,
                file_name: blobs::display_name(path),
                revisions: report.revisions_new,
                attachments: placed.len() as u64,
                // What the sender holds: a deletion made here goes back to them
                // (`Vault::received`).
                sent: verified.revisions.record_hashes(),
                held: report.held.clone(),
                copies: Vec::new(),
            })?);
            // The transfer record goes first: it says which revisions after it are held.
            let local = self.sign(drafts)?;
            let revisions = &verified.revisions;
            let mut more = (0..revisions.len()).map(|i| Ok((revisions.get(i)?, revisions.size(i))));
            self.commit_batch(local, &mut more)
                .map(|_| ())
                .map_err(tampered_in_bundle)
        })();
        if let Err(e) = outcome {
            for p in &placed {
                let _ = fsutil::remove_file_if_exists(p);
            }
            return Err(e);
        }
        // Attachments the bundle deleted: their files go now (the deletions are durable; a
        // file that cannot be removed is an orphan the next open removes).
        let live_after = self.store.live_blobs()?;
        for gone in live_before.difference(&live_after) {
            let _ = blobs::remove(self.dir(), gone);
        }
        // A file placed for an attachment that is deleted once the bundle is applied.
        for p in &placed {
            let blob = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            if blob.is_some_and(|b| !live_after.contains(&b)) {
                let _ = fsutil::remove_file_if_exists(p);
            }
        }
        report.conflicts =
            self.shown_conflicts(self.conflicts_among(&verified.revisions.records())?)?;
        let touched: std::collections::HashSet<Uuid> = verified
            .revisions
            .records()
            .iter()
            .map(|(id, _)| *id)
            .collect();
        report.code_clashes = self
            .code_clashes()?
            .into_iter()
            .filter(|c| c.testimonies.iter().any(|id| touched.contains(id)))
            .collect();
        report.sender = self.sender_info(&verified.manifest, &verified.sender)?;
        report.imported = true;
        Ok(report)
    }

    /// What applying the bundle would change, worked out in a transaction that is rolled
    /// back (so every revision is checked against this vault exactly as the import will).
    fn preview(&mut self, v: &Verified) -> Result<ImportReport> {
        let mut report = ImportReport {
            sender: self.sender_info(&v.manifest, &v.sender)?,
            profile: v.manifest.profile,
            created_at: v.manifest.created_at,
            seq: v.manifest.seq,
            manifest_sha256: v.manifest_sha256.clone(),
            testimonies_new: 0,
            testimonies_changed: 0,
            attachments_new: 0,
            revisions_new: 0,
            revisions_known: 0,
            attachment_bytes: v
                .manifest
                .members
                .iter()
                .filter(|m| m.path != super::REVISIONS)
                .map(|m| m.size)
                .sum(),
            conflicts: Vec::new(),
            code_clashes: Vec::new(),
            held: Vec::new(),
            proposals: Vec::new(),
            erased: Vec::new(),
            already_imported: false,
            imported: false,
        };
        let live = self.store.live_blobs()?;
        for (blob, sha) in files_needed(&v.revisions)? {
            let path = format!("{}{sha}", super::BLOB_DIR);
            if !live.contains(&blob)
                && v.manifest.member(&path).is_none()
                && self.store.blob_with_sha(&sha)?.is_none()
            {
                return Err(Error::BundleInvalid(format!(
                    "the file {path} that an attachment needs is missing"
                )));
            }
        }
        let mut counted = HashSet::new();
        for r in v.revisions.lines() {
            // Known: in the history, or already held for review (a bundle brought it before).
            if self.store.revision(&r.hash)?.is_some() || self.store.proposal(&r.hash)?.is_some() {
                report.revisions_known += 1;
                continue;
            }
            report.revisions_new += 1;
            if !counted.insert(r.record) {
                continue;
            }
            let exists = self.store.record_kind(r.record)?.is_some();
            match (r.kind, exists) {
                (RecordKind::Testimony, false) => report.testimonies_new += 1,
                (RecordKind::Testimony, true) => report.testimonies_changed += 1,
                (RecordKind::Attachment, false) => report.attachments_new += 1,
                _ => {}
            }
        }
        // Proofs without content that lead only to held changes are held with them (applied,
        // they would stand as the current version): found by trying, at most once per proof.
        let mut with_held: HashMap<String, HeldReason> = HashMap::new();
        let mut first_reasons: HashMap<String, HeldReason> = HashMap::new();
        loop {
            let (mut held, conflicts, stub_heads) = self.review_revisions(v, &with_held)?;
            // A change held for its own reason keeps that reason once its proof is held
            // with it (it would otherwise read "builds on a proposal").
            if first_reasons.is_empty() {
                first_reasons = held.iter().map(|h| (h.hash.clone(), h.why)).collect();
            }
            for h in &mut held {
                if h.why == HeldReason::BuildsOnProposal
                    && let Some(why) = first_reasons.get(&h.hash)
                {
                    h.why = *why;
                }
            }
            let parked: Vec<(String, HeldReason)> = stub_heads
                .iter()
                .filter(|h| !with_held.contains_key(*h))
                .filter_map(|h| Some((h.clone(), held_child_reason(&v.revisions, &held, h)?)))
                .collect();
            if parked.is_empty() {
                if let Some(h) = stub_heads.first() {
                    return Err(Error::BundleInvalid(format!(
                        "revision {} would be left without content: a revision's proof alone \
                         cannot be the current version of a record",
                        short_hash(h)
                    )));
                }
                report.held = held;
                report.conflicts = self.shown_conflicts(conflicts)?;
                break;
            }
            with_held.extend(parked);
        }
        report.proposals = self.proposal_summaries(&v.revisions, &report.held)?;
        for (i, line) in v.revisions.lines().iter().enumerate() {
            if line.op == crate::model::Op::Erase
                && self.store.revision(&line.hash)?.is_none()
                && self.store.erasure(line.record)?.is_none()
                && !report.held.iter().any(|h| h.hash == line.hash)
            {
                let (code, file) = match line.kind {
                    // Live or deleted here: as its last version with content says.
                    RecordKind::Attachment => match self
                        .store
                        .revisions_of(line.record)?
                        .iter()
                        .rev()
                        .find_map(|r| serde_json::from_value::<Attachment>(r.state.clone()?).ok())
                    {
                        Some(a) => (self.last_code(a.testimony)?, Some(a.name)),
                        // A file this vault does not hold: nothing of it to erase here.
                        None => continue,
                    },
                    _ => (self.last_code(line.record)?, None),
                };
                report.erased.push(ErasedSummary {
                    id: line.record,
                    code,
                    file,
                    reason: v.revisions.get(i)?.reason,
                });
            }
        }
        Ok(report)
    }

    /// Reviews every new revision of the bundle in a transaction that is rolled back: which
    /// are held (and why), the conflicts left, and the heads that would be proofs without
    /// content. `with_held` are proofs held with the changes they lead to.
    fn review_revisions(
        &mut self,
        v: &Verified,
        with_held: &HashMap<String, HeldReason>,
    ) -> Result<(Vec<Held>, Vec<super::Conflict>, Vec<String>)> {
        let seq = self.log_pos().seq + 1;
        let mut authority = self.authority()?;
        authority.signed_by(hex::encode(v.sender.verifying_key().as_bytes()));
        // A key change the bundle brings is previewed as accepted (importing it needs the
        // user's word): the new key acts for the contact whose key it replaces.
        if let Some(((id, _), chain)) = self.replaced_contact(&v.manifest, &v.sender)? {
            authority.same_device(hex::encode(v.sender.verifying_key().as_bytes()), id);
            for (card, _) in chain {
                authority.same_device(hex::encode(card.verifying_key().as_bytes()), id);
            }
        }
        // Revisions an earlier bundle brought that are still held: they stay held (listed
        // again, so the import holds them again instead of applying them).
        let mut already_held = HashMap::new();
        for line in v.revisions.lines() {
            if let Some(p) = self.store.proposal(&line.hash)? {
                already_held.insert(line.hash.clone(), p.why);
            }
        }
        let tx = self.store.tx()?;
        let mut held = Vec::new();
        for r in v.revisions.iter() {
            let r = &r?;
            if let Some(why) = already_held.get(&r.hash) {
                held.push(Held {
                    hash: r.hash.clone(),
                    why: *why,
                });
                continue;
            }
            if tx.is_known(&r.hash)? {
                continue;
            }
            let why = match with_held.get(&r.hash) {
                Some(why) => Some(*why),
                None => authority.review(&tx, r)?,
            };
            // A withdrawal with authority over a change held here for review (its deletion,
            // awaiting review): the held changes join the history with it, and it erases them.
            let why = match why {
                Some(HeldReason::BuildsOnProposal)
                    if authority.erasure_applies_over_proposals(&tx, r)? =>
                {
                    None
                }
                other => other,
            };
            match why {
                Some(why) => {
                    tx.hold(r, why, seq).map_err(tampered_in_bundle)?;
                    held.push(Held {
                        hash: r.hash.clone(),
                        why,
                    });
                }
                None => tx.apply(r, seq).map_err(tampered_in_bundle)?,
            }
        }
        let records = v.revisions.records();
        let stub_heads = tx.stub_heads(&records)?;
        let conflicts = tx.conflicts_among(&records)?;
        Ok((held, conflicts, stub_heads))
    }

    /// Refuses a bundle signed with a key that is known and no longer its owner's: replaced
    /// before the bundle says it was made, or marked compromised (see `KnownKey::refuses`);
    /// and, from such a key, a bundle whose number this vault imported from it already — an
    /// honest device never numbers two bundles alike, whoever holds a stolen key can.
    fn check_sender_key(&self, m: &super::Manifest, sender: &ContactCard) -> Result<()> {
        let key = hex::encode(sender.verifying_key().as_bytes());
        let Some(k) = self.known_key(&key)? else {
            return Ok(());
        };
        let since = match (k.refuses(m.created_at, m.seq), k.stale_since()) {
            (Some(since), _) => since,
            (None, Some(since)) if self.seq_imported_from(&key, m.seq)? => since,
            _ => return Ok(()),
        };
        Err(Error::DeviceRevoked {
            name: k.name,
            since: since.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        })
    }

    /// Whether a bundle numbered `seq` signed by `key` was imported before.
    fn seq_imported_from(&self, key: &str, seq: u64) -> Result<bool> {
        Ok(self
            .store
            .transfers(TransferDirection::Import)?
            .iter()
            .any(|(_, t)| t.exporter == key && t.seq == seq))
    }

    fn sender_contact(&self, card: &ContactCard) -> Result<Option<(Uuid, Contact)>> {
        let key = hex::encode(card.verifying_key().as_bytes());
        Ok(self.known_key(&key)?.and_then(|k| k.contact))
    }

    /// The contact whose current key an unknown sender's key change statements lead back
    /// to, with those changes (oldest first), if any.
    fn replaced_contact(
        &self,
        m: &super::Manifest,
        card: &ContactCard,
    ) -> Result<Option<(StoredContact, KeyChain)>> {
        let key = hex::encode(card.verifying_key().as_bytes());
        let mut chain = crate::vault::key_change::predecessors(&m.key_changes, &key, &mut |k| {
            Ok(self.store.contact_by_key(k)?.is_some())
        })?;
        let Some((oldest, _)) = chain.last() else {
            return Ok(None);
        };
        let oldest = hex::encode(oldest.verifying_key().as_bytes());
        let Some(contact) = self.store.contact_by_key(&oldest)? else {
            return Ok(None);
        };
        chain.reverse();
        Ok(Some((contact, chain)))
    }

    fn sender_info(&self, m: &super::Manifest, card: &ContactCard) -> Result<Sender> {
        let contact = self.sender_contact(card)?;
        let replaced = match contact {
            Some(_) => None,
            None => self.replaced_contact(m, card)?,
        };
        Ok(Sender {
            name: card.name().to_string(),
            fingerprint: card.fingerprint(),
            verified: contact
                .as_ref()
                .is_some_and(|(_, c)| c.verified_at.is_some()),
            contact: contact.map(|(_, c)| c.name),
            is_self: hex::encode(card.verifying_key().as_bytes()) == self.device_key(),
            replaces_compromised: replaced
                .as_ref()
                .is_some_and(|((_, c), _)| c.compromised.is_some()),
            replaces: replaced.map(|((_, c), _)| c.name),
        })
    }

    /// The contact change an accepted unknown sender brings: their contact's new key, if
    /// their key change statements lead back to a contact; a new contact otherwise.
    fn sender_contact_draft(&self, v: &Verified) -> Result<Draft> {
        let Some(((id, mut contact), chain)) = self.replaced_contact(&v.manifest, &v.sender)?
        else {
            return self.new_contact_draft(&v.sender);
        };
        // Each key in the chain was replaced at the time of the statement that replaced it.
        let mut cards: Vec<String> = chain.iter().skip(1).map(|(c, _)| c.to_string()).collect();
        cards.push(v.sender.to_string());
        for ((_, at), card) in chain.iter().zip(cards) {
            let old = std::mem::replace(&mut contact.card, card);
            contact.previous.push(crate::model::PreviousKey {
                card: old,
                until: *at,
                compromised: contact.compromised.take(),
            });
        }
        contact.verified_at = None;
        Ok(Draft {
            record: id,
            kind: RecordKind::Contact,
            op: Op::Update,
            parents: self.record_heads(id)?,
            reason: Some("a contact's new key, from an imported bundle".into()),
            state: Some(
                serde_json::to_value(&contact).map_err(|e| Error::Internal(e.to_string()))?,
            ),
        })
    }

    /// A contact for a sender the user accepted: not verified, trusted as a partner, named
    /// as on their card (with a number if that name is taken).
    fn new_contact_draft(&self, card: &ContactCard) -> Result<Draft> {
        let taken: HashSet<String> = self
            .contacts()?
            .into_iter()
            .map(|c| c.name.to_lowercase())
            .collect();
        let mut name = card.name().to_string();
        let mut n = 2;
        while taken.contains(&name.to_lowercase()) {
            name = format!("{} ({n})", card.name());
            n += 1;
        }
        let contact = Contact {
            card: card.to_string(),
            name,
            trust: ContactTrust::Partner,
            added_at: jiff::Timestamp::now(),
            verified_at: None,
            previous: Vec::new(),
            compromised: None,
        };
        Ok(Draft {
            record: Uuid::now_v7(),
            kind: RecordKind::Contact,
            op: Op::Create,
            parents: vec![],
            reason: Some("sender of an imported bundle".into()),
            state: Some(
                serde_json::to_value(&contact).map_err(|e| Error::Internal(e.to_string()))?,
            ),
        })
    }

    /// One line per testimony with held revisions (an attachment's counts for its testimony).
    fn proposal_summaries(&self, revs: &Revisions, held: &[Held]) -> Result<Vec<ProposalSummary>> {
        let index: HashMap<&str, usize> = revs
            .lines()
            .iter()
            .enumerate()
            .map(|(i, l)| (l.hash.as_str(), i))
            .collect();
        let mut out: Vec<ProposalSummary> = Vec::new();
        for h in held {
            let Some(&i) = index.get(h.hash.as_str()) else {
                continue;
            };
            let r = revs.get(i)?;
            let Some(id) = self.testimony_of(&r) else {
                continue;
            };
            // Withdrawn here, waiting to be erased: not named.
            if self.store.is_withdrawn(id)? {
                continue;
            }
            if out.iter().any(|p| p.id == id) {
                continue;
            }
            let code = self
                .store
                .testimony(id)
                .map(|t| t.testimony.code)
                .unwrap_or_default();
            out.push(ProposalSummary {
                id,
                code,
                why: h.why,
            });
        }
        Ok(out)
    }

    /// `conflicts` but those of testimonies withdrawn here, waiting to be erased (not named).
    fn shown_conflicts(&self, conflicts: Vec<Conflict>) -> Result<Vec<Conflict>> {
        let mut shown = Vec::with_capacity(conflicts.len());
        for c in conflicts {
            if !self.store.is_withdrawn(c.id)? {
                shown.push(c);
            }
        }
        Ok(shown)
    }

    fn conflicts_among(&self, records: &[(Uuid, RecordKind)]) -> Result<Vec<Conflict>> {
        crate::store::conflicts_among(self.store.conn(), records)
    }
}

/// A contact as stored: its record id and state.
type StoredContact = (Uuid, Contact);
/// Keys a device replaced, oldest first, each with when it was replaced.
type KeyChain = Vec<(ContactCard, jiff::Timestamp)>;

/// Revisions that do not fit the vault are a property of the bundle: say so.
fn tampered_in_bundle(e: Error) -> Error {
    match e {
        Error::Tampered { what, detail } => Error::BundleTampered(format!("{what}: {detail}")),
        other => other,
    }
}

fn imported_on(store: &crate::store::Store, sha: &str) -> Result<String> {
    Ok(store
        .transfers(TransferDirection::Import)?
        .into_iter()
        .find(|(_, t)| t.manifest_sha256 == sha)
        .map(|(id, _)| {
            // A UUIDv7 carries the time it was made: when the import was recorded.
            id.get_timestamp()
                .and_then(|ts| {
                    let (s, _) = ts.to_unix();
                    jiff::Timestamp::from_second(s as i64).ok()
                })
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        })
        .unwrap_or_default())
}

/// (blob, sha256) of every attachment whose last revision in the bundle leaves it live.
fn files_needed(revs: &Revisions) -> Result<Vec<(String, String)>> {
    let mut last: HashMap<Uuid, usize> = HashMap::new();
    let mut order = Vec::new();
    for (i, l) in revs.lines().iter().enumerate() {
        if l.kind == RecordKind::Attachment && last.insert(l.record, i).is_none() {
            order.push(l.record);
        }
    }
    let mut out = Vec::new();
    for id in order {
        let Some(&i) = last.get(&id) else { continue };
        let r = revs.get(i)?;
        let Some(state) = r.state.as_ref().filter(|_| !r.op.removes()) else {
            continue;
        };
        let a: Attachment = serde_json::from_value(state.clone())
            .map_err(|e| Error::BundleInvalid(format!("an attachment revision: {e}")))?;
        a.validate()
            .map_err(|e| Error::BundleInvalid(format!("an attachment revision: {e}")))?;
        out.push((a.blob, a.sha256));
    }
    Ok(out)
}

/// Why a held revision of the bundle that follows `stub` was held: a proof that leads only
/// to held changes is held with them, for the same reason.
fn held_child_reason(revs: &Revisions, held: &[Held], stub: &str) -> Option<HeldReason> {
    let held: HashMap<&str, HeldReason> = held.iter().map(|h| (h.hash.as_str(), h.why)).collect();
    revs.iter()
        .filter_map(|r| r.ok())
        .filter(|r| r.parents.iter().any(|p| p == stub))
        .find_map(|r| held.get(r.hash.as_str()).copied())
}

/// Bytes read through it pass on unchanged; the first ones (as many as `attach` sniffs) are
/// kept, to read the file's media type from its content.
struct HeadOf<'a> {
    inner: &'a mut dyn Read,
    head: zeroize::Zeroizing<Vec<u8>>,
}

impl<'a> HeadOf<'a> {
    const LEN: usize = 1 << 20;

    fn new(inner: &'a mut dyn Read) -> Self {
        HeadOf {
            inner,
            head: zeroize::Zeroizing::new(Vec::new()),
        }
    }
}

impl Read for HeadOf<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = Self::LEN.saturating_sub(self.head.len()).min(n);
        self.head.extend_from_slice(&buf[..room]);
        Ok(n)
    }
}

/// Refuses an attachment revision whose declared media type is not what its file's content
/// is (for the files this bundle brings).
fn check_media_types(
    revs: &Revisions,
    sniffed: &HashMap<String, String>,
    recorded: &dyn Fn(&str) -> Result<Option<String>>,
) -> Result<()> {
    for (i, l) in revs.lines().iter().enumerate() {
        if l.kind != RecordKind::Attachment {
            continue;
        }
        let r = revs.get(i)?;
        let Some(state) = r.state.as_ref() else {
            continue;
        };
        let Ok(a) = serde_json::from_value::<Attachment>(state.clone()) else {
            continue; // refused with its reason when it is checked as an attachment
        };
        let real = match sniffed.get(&a.sha256) {
            Some(t) => Some(t.clone()),
            None => recorded(&a.sha256)?,
        };
        if let Some(real) = real
            && real != a.media_type
        {
            return Err(Error::BundleInvalid(format!(
                "an attachment says its file is {} but the file is {real}",
                a.media_type
            )));
        }
    }
    Ok(())
}
