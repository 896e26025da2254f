//! A contact: someone this vault exports bundles to or accepts bundles from. Contacts are
//! records of this vault like any other (signed revisions), but they never leave it: no
//! export carries them.

use serde::{Deserialize, Serialize};

use super::vocab::ContactTrust;
use crate::error::{Error, Result};
use crate::keys::ContactCard;

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
}

impl Contact {
    /// The parsed card; also checks that the stored line is still a valid card.
    pub fn parsed_card(&self) -> Result<ContactCard> {
        ContactCard::parse(&self.card)
    }

    pub fn validate(&self) -> Result<()> {
        self.parsed_card()?;
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
}

impl ContactInfo {
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
            card: c.card,
        })
    }
}
