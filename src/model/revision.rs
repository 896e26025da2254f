//! A revision: one signed, hash-linked change to one record. Revisions are the source of
//! truth; everything else in a vault is derived from them.
//!
//! `hash = SHA-256("amanat/revision/v1\n" || canonical JSON of every field but hash and sig)`,
//! `sig = Ed25519(author, hash)`. `parents` are the hashes of the record's heads that this
//! revision replaces, so each record's history is a DAG that a verifier can walk.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_REVISION};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Testimony,
    Attachment,
    /// Local to the vault: never exported, refused in a bundle.
    Contact,
    /// Local to the vault: one bundle exported or imported.
    Transfer,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Testimony => "testimony",
            RecordKind::Attachment => "attachment",
            RecordKind::Contact => "contact",
            RecordKind::Transfer => "transfer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    /// A tombstone: the record's text leaves the live tables and the search index.
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    pub record: Uuid,
    pub kind: RecordKind,
    pub op: Op,
    /// Hex hashes of the revisions this one follows, sorted.
    pub parents: Vec<String>,
    /// Hex Ed25519 public key of the signer.
    pub author: String,
    pub at: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The record's full new state; absent for a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    pub hash: String,
    pub sig: String,
}

/// Everything a revision says, before it is hashed and signed.
pub(crate) struct Draft {
    pub record: Uuid,
    pub kind: RecordKind,
    pub op: Op,
    pub parents: Vec<String>,
    pub reason: Option<String>,
    pub state: Option<Value>,
}

impl Revision {
    pub(crate) fn sign(draft: Draft, key: &SigningKey, at: jiff::Timestamp) -> Result<Revision> {
        let mut parents = draft.parents;
        parents.sort();
        parents.dedup();
        let mut rev = Revision {
            record: draft.record,
            kind: draft.kind,
            op: draft.op,
            parents,
            author: hex::encode(key.verifying_key().as_bytes()),
            at,
            reason: draft.reason,
            state: draft.state,
            hash: String::new(),
            sig: String::new(),
        };
        let hash = rev.compute_hash()?;
        rev.hash = hex::encode(hash);
        rev.sig = hex::encode(crypto::sign(key, &hash));
        Ok(rev)
    }

    fn compute_hash(&self) -> Result<crypto::Hash> {
        let mut v = serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))?;
        if let Value::Object(m) = &mut v {
            m.remove("hash");
            m.remove("sig");
        }
        Ok(crypto::labelled_hash(
            DOMAIN_REVISION,
            &crypto::canonical_json(&v),
        ))
    }

    /// Checks the hash and the author's signature. Returns what is wrong, if anything.
    pub fn check(&self) -> std::result::Result<(), &'static str> {
        let hash = self.compute_hash().map_err(|_| "cannot be encoded")?;
        if hex::encode(hash) != self.hash {
            return Err("its hash does not match its content");
        }
        let key =
            crypto::verifying_key_from_hex(&self.author).ok_or("its author key is not valid")?;
        let sig = hex::decode(&self.sig).map_err(|_| "its signature is not valid")?;
        if !crypto::verify(&key, &hash, &sig) {
            return Err("its signature does not verify");
        }
        if self.op == Op::Delete && self.state.is_some() {
            return Err("a delete carries a state");
        }
        if self.op != Op::Delete && self.state.is_none() {
            return Err("it carries no state");
        }
        if (self.op == Op::Create) != self.parents.is_empty() {
            return Err("its parents do not fit its operation");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev() -> Result<(Revision, SigningKey)> {
        let key = crypto::new_signing_key();
        let r = Revision::sign(
            Draft {
                record: Uuid::now_v7(),
                kind: RecordKind::Testimony,
                op: Op::Create,
                parents: vec![],
                reason: None,
                state: Some(
                    serde_json::json!({"code": "A", "narrative": "Ержанат ئەرجانات 叶尔扎那提"}),
                ),
            },
            &key,
            jiff::Timestamp::now(),
        )?;
        Ok((r, key))
    }

    #[test]
    fn a_signed_revision_checks_and_survives_a_json_round_trip() -> Result<()> {
        let (r, _) = rev()?;
        assert_eq!(r.check(), Ok(()));
        let json = serde_json::to_string(&r).map_err(|e| Error::Internal(e.to_string()))?;
        let back: Revision =
            serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(back.check(), Ok(()));
        Ok(())
    }

    #[test]
    fn any_change_to_a_revision_is_detected() -> Result<()> {
        let (r, _) = rev()?;
        let mut changed = r.clone();
        changed.state = Some(serde_json::json!({"code": "B"}));
        assert_eq!(changed.check(), Err("its hash does not match its content"));

        let mut resigned = r.clone();
        let other = crypto::new_signing_key();
        resigned.sig = hex::encode(crypto::sign(
            &other,
            &crypto::hash_from_hex(&r.hash).unwrap_or_default(),
        ));
        assert_eq!(resigned.check(), Err("its signature does not verify"));

        let mut later = r;
        later.at = jiff::Timestamp::UNIX_EPOCH;
        assert!(later.check().is_err());
        Ok(())
    }
}
