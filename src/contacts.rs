//! Contacts on an open vault: add from a card, list, rename, mark verified, remove. Each
//! change is a revision of a `contact` record, so the list survives crashes like any data.

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::keys::{self, ContactCard};
use crate::model::revision::Draft;
use crate::model::{
    Compromised, Contact, ContactInfo, ContactTrust, Op, RecordKind, TransferDirection,
};
use crate::vault::Vault;

/// A key this vault knows: a contact's current or earlier key, or one of its own earlier keys.
pub(crate) struct KnownKey {
    /// The contact (`None`: this vault's own earlier key).
    pub contact: Option<(Uuid, Contact)>,
    /// The name to show: the contact's, or this device's.
    pub name: String,
    /// Replaced at this time (an earlier key).
    pub until: Option<jiff::Timestamp>,
    pub compromised: Option<Compromised>,
}

impl KnownKey {
    /// From when a bundle signed with this key, said to be made at `created_at` with number
    /// `seq`, is not its owner's: after the key was replaced, or once it was compromised.
    pub(crate) fn refuses(&self, created_at: jiff::Timestamp, seq: u64) -> Option<jiff::Timestamp> {
        if let Some(c) = &self.compromised
            && c.refuses(created_at, seq)
        {
            return Some(c.from);
        }
        self.until.filter(|until| created_at > *until)
    }

    /// From when the key is not its owner's alone, if ever: marked compromised, or replaced.
    /// Whoever holds such a key can put any date on what it signs, so nothing it signs is
    /// taken on its word again, whatever date it carries (docs/trust-model.md §5).
    pub(crate) fn stale_since(&self) -> Option<jiff::Timestamp> {
        self.compromised.as_ref().map(|c| c.from).or(self.until)
    }
}

/// A card file is one line; anything much larger is not a card.
const CARD_FILE_MAX: u64 = 4096;

impl Vault {
    /// Adds a contact from their card (one line, as pasted or read from a file). The name
    /// shown is the card's unless `name` is given. Refuses this vault's own card and a
    /// second contact with the same key or name.
    pub fn add_contact(
        &mut self,
        card_text: &str,
        name: Option<&str>,
        trust: ContactTrust,
    ) -> Result<ContactInfo> {
        let card = ContactCard::parse(card_text)?;
        let key = hex::encode(card.verifying_key().as_bytes());
        if key == self.device_key() {
            return Err(Error::invalid("card", "is this vault's own card"));
        }
        if let Some(known) = self.known_key(&key)? {
            return Err(Error::invalid(
                "card",
                match known.contact {
                    Some(_) => format!("belongs to a contact you already have ({})", known.name),
                    None => "is an earlier card of this vault".to_string(),
                },
            ));
        }
        let name = name.map(str::trim).unwrap_or(card.name()).to_string();
        keys::check_device_name(&name)?;
        self.check_contact_name_free(&name, None)?;
        let contact = Contact {
            card: card.to_string(),
            name,
            trust,
            added_at: jiff::Timestamp::now(),
            verified_at: None,
            previous: Vec::new(),
            compromised: None,
        };
        let id = Uuid::now_v7();
        self.commit(vec![contact_draft(id, Op::Create, vec![], &contact)?])?;
        ContactInfo::new(id, contact)
    }

    /// Reads a card from a file (as saved by another device's "Save my card").
    pub fn read_card_file(path: &std::path::Path) -> Result<String> {
        let bytes = crate::fsutil::read_capped(path, CARD_FILE_MAX)
            .map_err(|_| Error::InvalidCard("the file cannot be read or is too large"))?;
        String::from_utf8(bytes).map_err(|_| Error::InvalidCard("the file is not text"))
    }

    /// Every contact, by name.
    pub fn contacts(&self) -> Result<Vec<ContactInfo>> {
        self.store.contact_infos()
    }

    /// A contact by its name (any case), its fingerprint or its id.
    pub fn contact(&self, name_or_id: &str) -> Result<ContactInfo> {
        let wanted = name_or_id.trim();
        self.contacts()?
            .into_iter()
            .find(|c| {
                c.name.to_lowercase() == wanted.to_lowercase()
                    || c.fingerprint == wanted
                    || c.id.to_string() == wanted
            })
            .ok_or_else(|| Error::NotFound(format!("contact {wanted}")))
    }

    /// Records that the fingerprint was compared with the contact (by voice or in person).
    pub fn verify_contact(&mut self, name_or_id: &str) -> Result<ContactInfo> {
        self.change_contact(name_or_id, |c| {
            c.verified_at.get_or_insert_with(jiff::Timestamp::now);
            Ok(())
        })
    }

    pub fn rename_contact(&mut self, name_or_id: &str, new_name: &str) -> Result<ContactInfo> {
        let new_name = new_name.trim().to_string();
        keys::check_device_name(&new_name)?;
        let id = self.contact(name_or_id)?.id;
        self.check_contact_name_free(&new_name, Some(id))?;
        self.change_contact(name_or_id, |c| {
            c.name = new_name;
            Ok(())
        })
    }

    pub fn set_contact_trust(
        &mut self,
        name_or_id: &str,
        trust: ContactTrust,
    ) -> Result<ContactInfo> {
        self.change_contact(name_or_id, |c| {
            c.trust = trust;
            Ok(())
        })
    }

    /// What this vault knows of a signing key (hex): whose it is, whether it was replaced, and
    /// whether it was marked compromised. `None` for a key it has never met (or its own
    /// current key).
    pub(crate) fn known_key(&self, key_hex: &str) -> Result<Option<KnownKey>> {
        if let Some((id, c)) = self.store.contact_by_key(key_hex)? {
            return Ok(Some(KnownKey {
                name: c.name.clone(),
                until: None,
                compromised: c.compromised.clone(),
                contact: Some((id, c)),
            }));
        }
        for (id, c) in self.store.contacts()? {
            for p in &c.previous {
                if card_key(&p.card).as_deref() == Some(key_hex) {
                    return Ok(Some(KnownKey {
                        name: c.name.clone(),
                        until: Some(p.until),
                        compromised: p.compromised.clone(),
                        contact: Some((id, c.clone())),
                    }));
                }
            }
        }
        for change in self.key_changes()? {
            if card_key(&change.old).as_deref() == Some(key_hex) {
                return Ok(Some(KnownKey {
                    contact: None,
                    name: self.store.meta("name")?.unwrap_or_default(),
                    until: Some(change.at),
                    compromised: None,
                }));
            }
        }
        Ok(None)
    }

    /// Marks a contact's key as compromised from `from` on (docs/trust-model.md §5): their
    /// current key, or the earlier one with fingerprint `key`. Bundles it signed that say
    /// they were made at or after `from`, any newer than the last one imported from it, and
    /// any with a number already imported from it are refused from then on; whatever it
    /// signs that does arrive — a bundle, or revisions in other bundles — is held for review,
    /// whatever its date.
    ///
    /// `from` is RFC 3339 (`2026-11-30T08:00:00Z`) or a date (the start of that day, UTC).
    pub fn mark_compromised(
        &mut self,
        name_or_id: &str,
        from: &str,
        key: Option<&str>,
    ) -> Result<ContactInfo> {
        let from = parse_moment("from", from)?;
        let info = self.contact(name_or_id)?;
        let target = match key {
            None => info.signing_key.clone(),
            Some(fp) => info
                .previous_keys
                .iter()
                .find(|p| p.fingerprint == fp.trim())
                .map(|p| p.signing_key.clone())
                .or_else(|| (info.fingerprint == fp.trim()).then(|| info.signing_key.clone()))
                .ok_or_else(|| Error::NotFound(format!("key {fp} of {}", info.name)))?,
        };
        let last_seq = self
            .store
            .transfers(TransferDirection::Import)?
            .into_iter()
            .filter(|(_, t)| t.exporter == target)
            .map(|(_, t)| t.seq)
            .max()
            .unwrap_or(0);
        let mark = Compromised {
            from,
            last_seq,
            marked_at: jiff::Timestamp::now(),
        };
        self.change_contact(name_or_id, |c| {
            if target == info.signing_key {
                c.compromised = Some(mark);
            } else if let Some(p) = c
                .previous
                .iter_mut()
                .find(|p| card_key(&p.card).as_deref() == Some(target.as_str()))
            {
                p.compromised = Some(mark);
            }
            Ok(())
        })
    }

    /// Removes a contact. Bundles from them are then "unknown sender" again.
    pub fn remove_contact(&mut self, name_or_id: &str) -> Result<()> {
        let info = self.contact(name_or_id)?;
        let heads = self.record_heads(info.id)?;
        self.commit(vec![Draft {
            record: info.id,
            kind: RecordKind::Contact,
            op: Op::Delete,
            parents: heads,
            reason: Some("contact removed".into()),
            state: None,
        }])?;
        Ok(())
    }

    fn change_contact(
        &mut self,
        name_or_id: &str,
        change: impl FnOnce(&mut Contact) -> Result<()>,
    ) -> Result<ContactInfo> {
        let info = self.contact(name_or_id)?;
        let (_, mut contact) = self
            .store
            .contact_by_key(&info.signing_key)?
            .ok_or_else(|| Error::NotFound(format!("contact {name_or_id}")))?;
        let before = contact.clone();
        change(&mut contact)?;
        if contact != before {
            let heads = self.record_heads(info.id)?;
            self.commit(vec![contact_draft(info.id, Op::Update, heads, &contact)?])?;
        }
        ContactInfo::new(info.id, contact)
    }

    fn check_contact_name_free(&self, name: &str, except: Option<Uuid>) -> Result<()> {
        let lower = name.to_lowercase();
        if self
            .contacts()?
            .iter()
            .any(|c| c.name.to_lowercase() == lower && Some(c.id) != except)
        {
            return Err(Error::invalid(
                "name",
                format!("another contact is called {name}"),
            ));
        }
        Ok(())
    }

    /// The current heads of a record.
    pub(crate) fn record_heads(&self, id: Uuid) -> Result<Vec<String>> {
        self.store
            .heads(id)?
            .map(|(h, _)| h)
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }
}

/// A moment as typed: RFC 3339, or a date (the start of that day, UTC).
fn parse_moment(field: &str, s: &str) -> Result<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Error::invalid(field, "is not a date (2026-11-30) or a time (RFC 3339)"))
}

/// The signing key (hex) of a card line.
fn card_key(card: &str) -> Option<String> {
    ContactCard::parse(card)
        .ok()
        .map(|c| hex::encode(c.verifying_key().as_bytes()))
}

fn contact_draft(id: Uuid, op: Op, parents: Vec<String>, c: &Contact) -> Result<Draft> {
    Ok(Draft {
        record: id,
        kind: RecordKind::Contact,
        op,
        parents,
        reason: None,
        state: Some(serde_json::to_value(c).map_err(|e| Error::Internal(e.to_string()))?),
    })
}
