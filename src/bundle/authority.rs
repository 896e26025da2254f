//! Who may change what (docs/trust-model.md §4): each revision a bundle brings is applied, or
//! held as a proposal for this vault to review, by rules that depend only on the revision,
//! the record as this vault has it, and this vault's own contacts.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::error::Result;
use crate::model::{
    Attachment, ConsentScope, ContactTrust, HeldReason, Op, RecordKind, Revision, Status, Testimony,
};
use crate::store::{StoreTx, only_appends_custody};
use crate::vault::Vault;

/// The devices with authority over records in this vault besides each record's creator:
/// this device, and the contacts it trusts as the same organisation. A device is known by
/// any of its keys. A key that was replaced or marked compromised can be used by whoever
/// took it, with any date: what it signs — a bundle, or a revision this vault does not have
/// yet — is held, whatever its date, unless the revision comes in a bundle its device's
/// current, uncompromised key signed (that device vouches for its own history).
pub(super) struct Authority {
    me: String,
    /// Signing key (hex) → the device it belongs to ("me", or a contact's id).
    devices: HashMap<String, String>,
    organisation: HashSet<String>,
    /// Earlier and compromised keys.
    stale: HashSet<String>,
    /// The key that signed the bundle under review.
    signer: Option<String>,
    /// Revisions of the bundle reviewed so far: changes are judged against what the vault
    /// had before the bundle, never against a step of the bundle's own chain.
    arrived: HashSet<String>,
}

const ME: &str = "me";

impl Vault {
    pub(super) fn authority(&self) -> Result<Authority> {
        let me = self.device_key();
        let mut devices = HashMap::from([(me.clone(), ME.to_string())]);
        let mut organisation = HashSet::new();
        let mut keys = Vec::new();
        for c in self.contacts()? {
            let device = c.id.to_string();
            if c.trust == ContactTrust::Organisation {
                organisation.insert(device.clone());
            }
            keys.push(c.signing_key.clone());
            devices.insert(c.signing_key, device.clone());
            for p in c.previous_keys {
                keys.push(p.signing_key.clone());
                devices.insert(p.signing_key, device.clone());
            }
        }
        for change in self.key_changes()? {
            if let Ok(old) = crate::keys::ContactCard::parse(&change.old) {
                let key = hex::encode(old.verifying_key().as_bytes());
                keys.push(key.clone());
                devices.insert(key, ME.to_string());
            }
        }
        let mut stale = HashSet::new();
        for key in keys {
            if let Some(k) = self.known_key(&key)?
                && k.stale_since().is_some()
            {
                stale.insert(key);
            }
        }
        Ok(Authority {
            me,
            devices,
            organisation,
            stale,
            signer: None,
            arrived: HashSet::new(),
        })
    }
}

impl Authority {
    /// Counts `key` as a key of the contact `id` (a key change an import brings).
    pub(super) fn same_device(&mut self, key: String, id: uuid::Uuid) {
        self.devices.insert(key, id.to_string());
    }

    /// The bundle under review was signed by `key`.
    pub(super) fn signed_by(&mut self, key: String) {
        self.signer = Some(key);
    }

    /// Why a revision signed by `author` is held for the key alone: the bundle's signer, or
    /// the author, is replaced or compromised (and the author's device does not vouch for it).
    fn revoked(&self, author: &str) -> bool {
        let Some(signer) = &self.signer else {
            return self.stale.contains(author);
        };
        if self.stale.contains(signer) {
            return true;
        }
        self.stale.contains(author)
            && !(self.devices.contains_key(author)
                && self.devices.contains_key(signer)
                && self.device(author) == self.device(signer))
    }

    /// The device a key belongs to (an unknown key is a device of its own).
    fn device<'a>(&'a self, key: &'a str) -> &'a str {
        self.devices.get(key).map_or(key, String::as_str)
    }

    fn may_change(&self, author: &str, creators: &[Option<String>]) -> bool {
        let device = self.device(author);
        device == ME
            || self.organisation.contains(device)
            || creators.iter().flatten().any(|c| self.device(c) == device)
    }

    /// Whether `rev` (not yet in the vault) needs this vault's review, and why. Called with
    /// the vault as it stands just before `rev` would be applied.
    pub(super) fn review(
        &mut self,
        tx: &StoreTx<'_>,
        rev: &Revision,
    ) -> Result<Option<HeldReason>> {
        let why = self.review_one(tx, rev);
        self.arrived.insert(rev.hash.clone());
        why
    }

    /// Whether erasure `rev`, which builds on changes held here for review (a deletion
    /// awaiting review), comes from a device with authority to erase: it then applies, and
    /// brings those changes into the history with it — it takes their content anyway.
    pub(super) fn erasure_applies_over_proposals(
        &self,
        tx: &StoreTx<'_>,
        rev: &Revision,
    ) -> Result<bool> {
        if rev.op != Op::Erase || self.revoked(&rev.author) {
            return Ok(false);
        }
        if rev.author == self.me {
            return Ok(true);
        }
        Ok(match rev.kind {
            RecordKind::Testimony => self.review_testimony(tx, rev)?.is_none(),
            RecordKind::Attachment => self.review_attachment(tx, rev)?.is_none(),
            _ => false,
        })
    }

    fn review_one(&self, tx: &StoreTx<'_>, rev: &Revision) -> Result<Option<HeldReason>> {
        if self.revoked(&rev.author) {
            return Ok(Some(HeldReason::RevokedKey));
        }
        for p in &rev.parents {
            if tx.is_proposal(p)? {
                return Ok(Some(HeldReason::BuildsOnProposal));
            }
        }
        if rev.author == self.me {
            return Ok(None);
        }
        match rev.kind {
            RecordKind::Testimony => self.review_testimony(tx, rev),
            RecordKind::Attachment => self.review_attachment(tx, rev),
            // Bundles carry no other kind (the reader refuses them).
            _ => Ok(None),
        }
    }

    /// Whether a deletion removes nothing this vault had before the bundle: a record new here
    /// (no revision of it, not even a proposal, was here before the bundle) whose history, as
    /// it arrives, holds a deletion (perhaps undone by a later version in the same bundle).
    /// Holding it would keep the whole record out of this vault, and with it the files
    /// another vault then sends for it.
    fn deletes_nothing_held(&self, tx: &StoreTx<'_>, rev: &Revision) -> Result<bool> {
        // Not "no version with content before the bundle": a record relayed through another
        // vault is held here partly as proofs without content, and a deletion following one
        // of those would then slip past review (independent review, tests/relayed_deletions.rs).
        Ok(!tx.had_before(rev.record, &self.arrived)?)
    }

    fn review_testimony(&self, tx: &StoreTx<'_>, rev: &Revision) -> Result<Option<HeldReason>> {
        if rev.op == Op::Create {
            return Ok(None);
        }
        if !self.may_change(&rev.author, &[tx.creator(rev.record)?]) {
            return Ok(Some(HeldReason::NoAuthority));
        }
        if rev.op == Op::Delete {
            if tx.already_deleted(rev.record)? || self.deletes_nothing_held(tx, rev)? {
                return Ok(None);
            }
            return Ok(Some(HeldReason::Deletion));
        }
        // A witness's withdrawal from a device with authority over the testimony is applied
        // at once (docs/erasure.md §3): holding it would keep the content here, readable,
        // until someone reviewed it. From any other device it is held above.
        if rev.op == Op::Erase {
            return Ok(None);
        }
        let Some(new) = rev.state.as_ref() else {
            // A proof without content changes nothing this vault shows.
            return Ok(None);
        };
        let Ok(new) = Testimony::deserialize(new) else {
            // Malformed states are refused when applied.
            return Ok(None);
        };
        // Judged against every version this vault had before the bundle (findings 06, 09 of
        // the review: a proof followed by content, or an unlock followed by an edit, once
        // slipped through when judged step by step).
        for before in tx.baseline_states(&rev.parents, &self.arrived)? {
            let Ok(current) = Testimony::deserialize(&before) else {
                continue;
            };
            if current.status == Status::Locked {
                let mut unlocked = current.clone();
                unlocked.status = new.status;
                if unlocked != new {
                    return Ok(Some(HeldReason::Locked));
                }
            }
            if widens_consent(&current, &new) {
                return Ok(Some(HeldReason::ConsentWidened));
            }
        }
        Ok(None)
    }

    fn review_attachment(&self, tx: &StoreTx<'_>, rev: &Revision) -> Result<Option<HeldReason>> {
        let current = tx.shown_state(rev.record)?;
        let testimony = match (&rev.state, &current) {
            (Some(s), _) | (None, Some(s)) => Attachment::deserialize(s).ok().map(|a| a.testimony),
            (None, None) => None,
        };
        let testimony_creator = match testimony {
            Some(t) => tx.creator(t)?,
            None => None,
        };
        let now_safe = rev
            .state
            .as_ref()
            .and_then(|s| Attachment::deserialize(s).ok())
            .is_some_and(|a| a.safe_to_publish);
        if rev.op == Op::Create {
            // A new file on a testimony: by someone with authority over that testimony, and
            // marked safe to publish only once this vault confirms it.
            if !self.may_change(&rev.author, &[testimony_creator]) {
                return Ok(Some(HeldReason::NoAuthority));
            }
            return Ok(now_safe.then_some(HeldReason::PublishFlag));
        }
        if let Some(cur) = &current
            && only_appends_custody(cur, rev)
        {
            return Ok(None);
        }
        if !self.may_change(&rev.author, &[tx.creator(rev.record)?, testimony_creator]) {
            return Ok(Some(HeldReason::NoAuthority));
        }
        // A witness's withdrawal of one file, from a device with authority: at once, as for a
        // testimony (docs/erasure.md §3).
        if rev.op == Op::Erase {
            return Ok(None);
        }
        if rev.op == Op::Delete {
            if tx.already_deleted(rev.record)? || self.deletes_nothing_held(tx, rev)? {
                return Ok(None);
            }
            return Ok(Some(HeldReason::Deletion));
        }
        let before: Vec<Attachment> = tx
            .baseline_states(&rev.parents, &self.arrived)?
            .iter()
            .filter_map(|c| Attachment::deserialize(c).ok())
            .collect();
        let was_safe = !before.is_empty() && before.iter().all(|a| a.safe_to_publish);
        Ok((now_safe && !was_safe).then_some(HeldReason::PublishFlag))
    }
}

/// Whether `new` grants a scope that `current` does not.
fn widens_consent(current: &Testimony, new: &Testimony) -> bool {
    ConsentScope::ALL.iter().any(|s| {
        super::consent::check(new, *s).is_ok() && super::consent::check(current, *s).is_err()
    })
}
