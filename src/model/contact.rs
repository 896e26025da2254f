//! A contact: someone this vault exports bundles to or accepts bundles from. Contacts are
//! records of this vault like any other (signed revisions), but they never leave it: no
//! export carries them.

use serde::{Deserialize, Serialize};

use super::vocab::ContactTrust;
use crate::error::{Error, Result};
use crate::keys::ContactCard;

/// The most earlier keys a contact (or this vault) keeps: one per key change.
pub const PREVIOUS_KEYS_MAX: usize = 64;

/// What this vault knows about one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Their card, as one line (`amanat-card:v1:…`).
    pub card: String,
    /// The name this vault shows for them (their card's name unless renamed).
    pub name: String,
    pub trust: ContactTrust,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub added_at: jiff::Timestamp,
    /// When the fingerprint was compared with them by voice or in person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub verified_at: Option<jiff::Timestamp>,
    /// Keys they had before they changed keys, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous: Vec<PreviousKey>,
    /// This vault marked their current key compromised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<Compromised>,
}

/// A key a contact replaced: bundles it signed after `until` are not theirs, and what it
/// signs now is held for review whatever its date (whoever copied it can backdate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct PreviousKey {
    pub card: String,
    /// When they replaced it (the time in their key change statement).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub until: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<Compromised>,
}

/// A key marked compromised (docs/trust-model.md §5): a bundle it signed is refused if it
/// says it was made at or after `from`, and also if it is newer than the last one imported
/// from that key before it was marked (whoever stole a key can put any date on a bundle) or
/// reuses a number imported from it; what it signed is held for review, whatever its date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Compromised {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: jiff::Timestamp,
    /// The highest bundle number imported from the key when it was marked (0: none).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_seq: u64,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub marked_at: jiff::Timestamp,
}

impl Compromised {
    /// Whether a bundle made at `created_at` with number `seq` is refused.
    pub fn refuses(&self, created_at: jiff::Timestamp, seq: u64) -> bool {
        created_at >= self.from || seq > self.last_seq
    }
}

impl Contact {
    /// The parsed card; also checks that the stored line is still a valid card.
    pub fn parsed_card(&self) -> Result<ContactCard> {
        ContactCard::parse(&self.card)
    }

    pub fn validate(&self) -> Result<()> {
        self.parsed_card()?;
        for p in &self.previous {
            ContactCard::parse(&p.card)?;
        }
        if self.previous.len() > PREVIOUS_KEYS_MAX {
            return Err(Error::invalid("contact", "has too many earlier keys"));
        }
        crate::keys::check_device_name(&self.name)
    }
}

/// A contact as the UI and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactInfo {
    pub id: uuid::Uuid,
    pub name: String,
    /// The name on their card (what they call themselves).
    pub card_name: String,
    pub fingerprint: String,
    /// Hex Ed25519 key: matches revision authors and bundle exporters.
    pub signing_key: String,
    pub trust: ContactTrust,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub added_at: jiff::Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub verified_at: Option<jiff::Timestamp>,
    pub card: String,
    /// Marked compromised from this time on.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub compromised_from: Option<jiff::Timestamp>,
    /// Keys they replaced, newest first.
    pub previous_keys: Vec<PreviousKeyInfo>,
}

/// A contact's earlier key as the UI and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviousKeyInfo {
    pub fingerprint: String,
    pub signing_key: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub until: jiff::Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub compromised_from: Option<jiff::Timestamp>,
}

impl ContactInfo {
    /// Whether `key` (hex Ed25519) is theirs, now or before a key change.
    pub fn signs_with(&self, key: &str) -> bool {
        self.signing_key == key || self.previous_keys.iter().any(|p| p.signing_key == key)
    }

    pub(crate) fn new(id: uuid::Uuid, c: Contact) -> Result<ContactInfo> {
        let card = c
            .parsed_card()
            .map_err(|e| Error::Internal(format!("stored contact: {e}")))?;
        Ok(ContactInfo {
            id,
            name: c.name,
            card_name: card.name().to_string(),
            fingerprint: card.fingerprint(),
            signing_key: hex::encode(card.verifying_key().as_bytes()),
            trust: c.trust,
            added_at: c.added_at,
            verified_at: c.verified_at,
            compromised_from: c.compromised.as_ref().map(|x| x.from),
            previous_keys: c
                .previous
                .iter()
                .rev()
                .filter_map(|p| {
                    let card = ContactCard::parse(&p.card).ok()?;
                    Some(PreviousKeyInfo {
                        fingerprint: card.fingerprint(),
                        signing_key: hex::encode(card.verifying_key().as_bytes()),
                        until: p.until,
                        compromised_from: p.compromised.as_ref().map(|x| x.from),
                    })
                })
                .collect(),
            card: c.card,
        })
    }
}
