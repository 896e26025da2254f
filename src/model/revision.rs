//! A revision: one signed, hash-linked change to one record. Revisions are the source of
//! truth; everything else in a vault is derived from them.
//!
//! Format 2 (written since bundle format 2) commits to its content instead of hashing it:
//! `digest = SHA-256("amanat/content/v1\n" || salt || canonical JSON of {reason, state})`
//! with 32 random bytes of salt, and
//! `hash = SHA-256("amanat/revision/v2\n" || canonical JSON of {v: 2, record, kind, op,
//! parents, author, at, digest})`, `sig = Ed25519(author, hash)`. So the content can be removed
//! — by consent on export, by a witness's withdrawal — and what remains (a *stub*: the
//! metadata, the digest, the hash and the signature) still verifies and still links the
//! history together. The salt goes with the content: a stub does not let anyone confirm a
//! guess of what it held.
//!
//! Format 1 (`hash` over the canonical JSON of every field but hash and sig) is still read.
//! A format 1 revision whose content was removed keeps its hash and signature and is marked
//! `redacted`: its signature over the hash still verifies, but its other fields are vouched
//! for only by whoever signed the frame or bundle that holds it.
//!
//! `parents` are the hashes of the record's heads that this revision replaces, so each
//! record's history is a DAG that a verifier can walk.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_CONTENT, DOMAIN_REVISION, DOMAIN_REVISION_V2};
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
    /// Local to the vault: this vault's decision on a proposal it rejected.
    Review,
    /// Local to the vault: a witness's withdrawal waiting to be erased (hide now, erase
    /// later; docs/erasure.md §5). Deleted when it is erased or kept.
    Withdrawal,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Testimony => "testimony",
            RecordKind::Attachment => "attachment",
            RecordKind::Contact => "contact",
            RecordKind::Transfer => "transfer",
            RecordKind::Review => "review",
            RecordKind::Withdrawal => "withdrawal",
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
    /// A witness's withdrawal (docs/erasure.md): the record and, for a testimony, its
    /// attachments are deleted, and the content of every revision of them — those before it
    /// and any that arrive after — is removed for good; only their proofs remain. Its reason
    /// says why. Nothing follows an erasure.
    Erase,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Erase => "erase",
        }
    }

    /// Whether the revision removes its record (a deletion or an erasure): it carries no
    /// state.
    pub fn removes(self) -> bool {
        matches!(self, Op::Delete | Op::Erase)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// The record's full new state; absent for a delete, and in a stub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Format 2: the salt of the content commitment, hex; absent in a stub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Format 2: the commitment to `reason` and `state`, hex. What `hash` covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// A format 1 revision whose content was removed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub redacted: bool,
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

/// The commitment to a revision's content: `SHA-256(label || salt || canonical {reason, state})`.
fn content_digest(salt: &[u8; 32], reason: Option<&str>, state: Option<&Value>) -> String {
    let mut content = Map::new();
    if let Some(r) = reason {
        content.insert("reason".into(), Value::String(r.to_string()));
    }
    if let Some(s) = state {
        content.insert("state".into(), s.clone());
    }
    let mut data = salt.to_vec();
    data.extend_from_slice(&crypto::canonical_json(&Value::Object(content)));
    hex::encode(crypto::labelled_hash(DOMAIN_CONTENT, &data))
}

impl Revision {
    /// Signs `draft` in format 2 with a fresh random salt.
    pub(crate) fn sign(draft: Draft, key: &SigningKey, at: jiff::Timestamp) -> Result<Revision> {
        let salt: [u8; 32] = rand::random();
        Revision::sign_with_salt(draft, key, at, salt)
    }

    /// Signs `draft` with a given salt: for copies that must come out the same every time
    /// (anonymised exports derive the salt from a key only the exporting vault has).
    pub(crate) fn sign_with_salt(
        draft: Draft,
        key: &SigningKey,
        at: jiff::Timestamp,
        salt: [u8; 32],
    ) -> Result<Revision> {
        let mut parents = draft.parents;
        parents.sort();
        parents.dedup();
        let digest = content_digest(&salt, draft.reason.as_deref(), draft.state.as_ref());
        let mut rev = Revision {
            record: draft.record,
            kind: draft.kind,
            op: draft.op,
            parents,
            author: hex::encode(key.verifying_key().as_bytes()),
            at,
            reason: draft.reason,
            state: draft.state,
            salt: Some(hex::encode(salt)),
            digest: Some(digest),
            redacted: false,
            hash: String::new(),
            sig: String::new(),
        };
        let hash = rev.compute_hash()?;
        rev.hash = hex::encode(hash);
        rev.sig = hex::encode(crypto::sign(key, &hash));
        Ok(rev)
    }

    /// Format 2 revisions commit to their content by a digest; format 1 hash it directly.
    pub fn format(&self) -> u8 {
        if self.digest.is_some() { 2 } else { 1 }
    }

    /// Whether the content (reason and state) was removed and only the proof remains.
    pub fn is_stub(&self) -> bool {
        match self.format() {
            2 => self.salt.is_none(),
            _ => self.redacted,
        }
    }

    /// The same revision without its content: its metadata, hash and signature, which still
    /// verify (fully for format 2) and still link the history together.
    pub fn stub(&self) -> Revision {
        let mut s = self.clone();
        s.reason = None;
        s.state = None;
        s.salt = None;
        s.redacted = s.digest.is_none();
        s
    }

    fn compute_hash(&self) -> Result<crypto::Hash> {
        if let Some(digest) = &self.digest {
            let meta = serde_json::json!({
                "v": 2,
                "record": self.record,
                "kind": self.kind,
                "op": self.op,
                "parents": self.parents,
                "author": self.author,
                "at": self.at,
                "digest": digest,
            });
            return Ok(crypto::labelled_hash(
                DOMAIN_REVISION_V2,
                &crypto::canonical_json(&meta),
            ));
        }
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

    /// Checks the hash and the author's signature (and, unless it is a stub, that the content
    /// is what was committed to). Returns what is wrong, if anything.
    pub fn check(&self) -> std::result::Result<(), &'static str> {
        let key =
            crypto::verifying_key_from_hex(&self.author).ok_or("its author key is not valid")?;
        let hash = if self.format() == 1 && self.redacted {
            // The content a format 1 hash covers is gone: only the signature can be checked.
            if self.reason.is_some() || self.state.is_some() || self.salt.is_some() {
                return Err("a redacted revision carries content");
            }
            crypto::hash_from_hex(&self.hash).ok_or("its hash is not valid")?
        } else {
            if self.redacted {
                return Err("a redacted revision carries content");
            }
            let hash = self.compute_hash().map_err(|_| "cannot be encoded")?;
            if hex::encode(hash) != self.hash {
                return Err("its hash does not match its content");
            }
            hash
        };
        let sig = hex::decode(&self.sig).map_err(|_| "its signature is not valid")?;
        if !crypto::verify(&key, &hash, &sig) {
            return Err("its signature does not verify");
        }
        if (self.op == Op::Create) != self.parents.is_empty() {
            return Err("its parents do not fit its operation");
        }
        if self.format() == 2 {
            match &self.salt {
                None => {
                    if self.reason.is_some() || self.state.is_some() {
                        return Err("it carries content without the salt that commits to it");
                    }
                    return Ok(());
                }
                Some(salt) => {
                    let salt: [u8; 32] = hex::decode(salt)
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or("its salt is not valid")?;
                    let digest = content_digest(&salt, self.reason.as_deref(), self.state.as_ref());
                    if Some(&digest) != self.digest.as_ref() {
                        return Err("its content does not match its digest");
                    }
                }
            }
        } else if self.redacted {
            return Ok(());
        }
        if self.op.removes() && self.state.is_some() {
            return Err("a delete carries a state");
        }
        if !self.op.removes() && self.state.is_none() {
            return Err("it carries no state");
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
        assert_eq!(
            changed.check(),
            Err("its content does not match its digest")
        );
        let mut moved = r.clone();
        moved.parents = vec!["00".repeat(32)];
        assert_eq!(moved.check(), Err("its hash does not match its content"));

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

    /// A format 1 revision, signed the way builds before format 2 signed them.
    fn rev_v1() -> Result<Revision> {
        let key = crypto::new_signing_key();
        let mut v = serde_json::json!({
            "record": Uuid::now_v7(), "kind": "testimony", "op": "create", "parents": [],
            "author": hex::encode(key.verifying_key().as_bytes()),
            "at": "2025-04-01T10:00:00Z",
            "state": {"code": "A", "narrative": "Ержанат ئەرجانات"},
        });
        let hash = crypto::labelled_hash(DOMAIN_REVISION, &crypto::canonical_json(&v));
        v["hash"] = Value::String(hex::encode(hash));
        v["sig"] = Value::String(hex::encode(crypto::sign(&key, &hash)));
        serde_json::from_value(v).map_err(|e| Error::Internal(e.to_string()))
    }

    #[test]
    fn a_stub_keeps_the_proof_and_drops_the_content() -> Result<()> {
        let (r, _) = rev()?;
        assert_eq!(r.format(), 2);
        let stub = r.stub();
        assert!(stub.is_stub() && !r.is_stub());
        assert_eq!(stub.check(), Ok(()), "a stub verifies");
        assert_eq!(
            stub.hash, r.hash,
            "and links the history as the full revision did"
        );
        let json = serde_json::to_string(&stub).map_err(|e| Error::Internal(e.to_string()))?;
        assert!(
            !json.contains("Ержанат") && !json.contains("salt"),
            "{json}"
        );
        // Its metadata is still bound by the hash: moving it to another record breaks it.
        let mut moved = stub.clone();
        moved.record = Uuid::now_v7();
        assert_eq!(moved.check(), Err("its hash does not match its content"));
        // Content put back without the salt is not accepted, and content that differs from
        // what was committed to is caught.
        let mut refilled = stub.clone();
        refilled.state = Some(serde_json::json!({"code": "B"}));
        assert!(refilled.check().is_err());
        let mut swapped = r.clone();
        swapped.state = Some(serde_json::json!({"code": "B"}));
        assert_eq!(
            swapped.check(),
            Err("its content does not match its digest")
        );
        Ok(())
    }

    #[test]
    fn a_format_1_revision_still_verifies_and_its_stub_keeps_its_signature() -> Result<()> {
        let r = rev_v1()?;
        assert_eq!((r.format(), r.check()), (1, Ok(())));
        let stub = r.stub();
        assert!(stub.redacted && stub.state.is_none());
        assert_eq!(stub.check(), Ok(()));
        let mut forged = stub.clone();
        forged.hash = "00".repeat(32);
        assert_eq!(forged.check(), Err("its signature does not verify"));
        let mut refilled = stub;
        refilled.state = r.state.clone();
        assert_eq!(refilled.check(), Err("a redacted revision carries content"));
        Ok(())
    }
}
