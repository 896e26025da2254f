//! The statement a device makes when it changes keys ("Change keys", after a coerced unlock
//! or a lost laptop): its old card, its new card and when, signed by the old key and by the
//! new. The vault keeps every statement it made (in the index's `meta`, so in the snapshot)
//! and every bundle it exports carries them, so a contact can follow the chain from the key
//! they know to the one a bundle is signed with — and still decides whether to believe it
//! (whoever stole the old key can sign such a statement too: docs/trust-model.md §5).

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{Error, Result};
use crate::keys::ContactCard;

/// The most statements a manifest or a vault holds (one per key change).
pub(crate) const CHAIN_MAX: usize = crate::model::contact::PREVIOUS_KEYS_MAX;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct KeyChange {
    /// The card of the key replaced.
    pub old: String,
    /// The card of the key that replaces it.
    pub new: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    /// Ed25519 signatures (hex) of the statement by the old key and by the new.
    pub old_sig: String,
    pub new_sig: String,
}

impl KeyChange {
    pub(crate) fn sign(
        old: &ContactCard,
        old_key: &ed25519_dalek::SigningKey,
        new: &ContactCard,
        new_key: &ed25519_dalek::SigningKey,
        at: jiff::Timestamp,
    ) -> KeyChange {
        let hash = message(&old.to_string(), &new.to_string(), at);
        KeyChange {
            old: old.to_string(),
            new: new.to_string(),
            at,
            old_sig: hex::encode(crypto::sign(old_key, &hash)),
            new_sig: hex::encode(crypto::sign(new_key, &hash)),
        }
    }

    /// The two cards, once both signatures are checked.
    pub(crate) fn check(&self) -> Result<(ContactCard, ContactCard)> {
        let bad = |why: &str| Error::BundleTampered(format!("a key change statement: {why}"));
        let old = ContactCard::parse(&self.old).map_err(|_| bad("the old card is invalid"))?;
        let new = ContactCard::parse(&self.new).map_err(|_| bad("the new card is invalid"))?;
        let hash = message(&self.old, &self.new, self.at);
        let sig = |s: &str| hex::decode(s).unwrap_or_default();
        if !crypto::verify(old.verifying_key(), &hash, &sig(&self.old_sig)) {
            return Err(bad("the old key's signature does not verify"));
        }
        if !crypto::verify(new.verifying_key(), &hash, &sig(&self.new_sig)) {
            return Err(bad("the new key's signature does not verify"));
        }
        Ok((old, new))
    }
}

fn message(old: &str, new: &str, at: jiff::Timestamp) -> crypto::Hash {
    let body = serde_json::json!({ "at": at.to_string(), "new": new, "old": old });
    crypto::labelled_hash(crypto::DOMAIN_KEY_CHANGE, &crypto::canonical_json(&body))
}

/// Follows `chain` back from the key that signed a bundle (`signer`, hex) to the keys it
/// replaced, newest first, with when each was replaced. Only statements that check are
/// followed; the first key that `known` accepts ends the walk.
pub(crate) fn predecessors(
    chain: &[KeyChange],
    signer: &str,
    known: &mut dyn FnMut(&str) -> Result<bool>,
) -> Result<Vec<(ContactCard, jiff::Timestamp)>> {
    let mut out = Vec::new();
    let mut current = signer.to_string();
    while out.len() < CHAIN_MAX {
        let Some((old, at)) = chain.iter().find_map(|c| {
            let (old, new) = c.check().ok()?;
            (hex::encode(new.verifying_key().as_bytes()) == current).then_some((old, c.at))
        }) else {
            break;
        };
        current = hex::encode(old.verifying_key().as_bytes());
        let stop = known(&current)?;
        out.push((old, at));
        if stop {
            break;
        }
    }
    Ok(out)
}
