//! An attachment record: one encrypted file (a call recording, a photographed document)
//! belonging to one testimony, and its custody log.
//!
//! The custody log is append-only and hash-chained: each entry's `hash` is
//! `SHA-256("amanat/custody/v1\n" || canonical JSON of the entry without "hash")` and its
//! `prev` is the previous entry's hash. A revision of an attachment may only add entries at
//! the end (checked when the revision is applied), and never changes the file it describes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::validate::{list_len, long_opt, short, short_opt};
use super::vocab::{AttachmentKind, AttachmentRole, CustodyAction};
use crate::crypto::{self, DOMAIN_CUSTODY};
use crate::error::{Error, Result};

const NAME_MAX: usize = 255;
const MEDIA_TYPE_MAX: usize = 127;

/// What a vault knows about one attached file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The testimony the file belongs to.
    pub testimony: Uuid,
    /// The random name of the encrypted file: `blobs/<blob>.age` (32 lower-case hex digits).
    pub blob: String,
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    /// Plaintext size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Sniffed from the content, never taken from the name.
    pub media_type: String,
    /// The file's name when it was imported (no folder).
    pub name: String,
    pub kind: AttachmentKind,
    pub role: AttachmentRole,
    /// The attachment this one was made from (a transcript of a recording, a redacted copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub captured_at: Option<jiff::Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_method: Option<String>,
    /// Whether the file may go into an anonymised (publication) export.
    #[serde(default)]
    pub safe_to_publish: bool,
    pub custody: Vec<CustodyEvent>,
}

/// One entry of an attachment's custody log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct CustodyEvent {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    /// Hex Ed25519 key of the device that did it.
    pub actor: String,
    pub action: CustodyAction,
    pub tool: String,
    pub tool_version: String,
    /// SHA-256 of the content as the actor saw it, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The previous entry's hash; absent for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub hash: String,
}

impl CustodyEvent {
    /// A new entry following `prev`, by this tool, with its hash computed.
    pub(crate) fn new(
        prev: Option<&CustodyEvent>,
        actor: String,
        action: CustodyAction,
        hash_seen: Option<String>,
        note: Option<String>,
    ) -> Result<CustodyEvent> {
        Self::new_at(jiff::Timestamp::now(), prev, actor, action, hash_seen, note)
    }

    /// A new entry at a given time (for copies that must come out the same every time).
    pub(crate) fn new_at(
        at: jiff::Timestamp,
        prev: Option<&CustodyEvent>,
        actor: String,
        action: CustodyAction,
        hash_seen: Option<String>,
        note: Option<String>,
    ) -> Result<CustodyEvent> {
        let mut e = CustodyEvent {
            at,
            actor,
            action,
            tool: "amanat".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            hash_seen,
            note,
            prev: prev.map(|p| p.hash.clone()),
            hash: String::new(),
        };
        e.hash = e.compute_hash()?;
        Ok(e)
    }

    fn compute_hash(&self) -> Result<String> {
        let mut v = serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))?;
        if let Value::Object(m) = &mut v {
            m.remove("hash");
        }
        Ok(hex::encode(crypto::labelled_hash(
            DOMAIN_CUSTODY,
            &crypto::canonical_json(&v),
        )))
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `s` is a blob name this build writes: it can never name a path outside `blobs/`.
pub(crate) fn is_blob_id(s: &str) -> bool {
    is_hex(s, 32)
}

impl Attachment {
    /// The attachment's own rules: well-formed hashes and names, and an unbroken custody chain.
    pub fn validate(&self) -> Result<()> {
        if !is_blob_id(&self.blob) {
            return Err(Error::invalid("blob", "is not a blob name"));
        }
        if !is_hex(&self.sha256, 64) {
            return Err(Error::invalid("sha256", "is not a SHA-256 in hex"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > NAME_MAX {
            return Err(Error::invalid("name", "must have 1 to 255 characters"));
        }
        if self.name.contains(['/', '\\']) {
            return Err(Error::invalid("name", "must not contain a folder"));
        }
        short("name", &self.name)?;
        let mt = &self.media_type;
        if mt.is_empty()
            || mt.len() > MEDIA_TYPE_MAX
            || !mt.contains('/')
            || !mt.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::invalid("media_type", "is not a media type"));
        }
        short_opt("captured_by", &self.captured_by)?;
        short_opt("collection_method", &self.collection_method)?;
        list_len("custody", &self.custody)?;
        self.check_custody()
    }

    fn check_custody(&self) -> Result<()> {
        if self.custody.is_empty() {
            return Err(Error::invalid("custody", "is empty"));
        }
        let mut prev: Option<&str> = None;
        for (i, e) in self.custody.iter().enumerate() {
            let field = format!("custody[{i}]");
            if e.prev.as_deref() != prev {
                return Err(Error::invalid(field, "does not follow the entry before it"));
            }
            if e.compute_hash()? != e.hash {
                return Err(Error::invalid(field, "its hash does not match its content"));
            }
            if crypto::verifying_key_from_hex(&e.actor).is_none() {
                return Err(Error::invalid(field, "its actor is not a device key"));
            }
            if e.hash_seen.as_deref().is_some_and(|h| !is_hex(h, 64)) {
                return Err(Error::invalid(field, "its hash_seen is not a SHA-256"));
            }
            short(&format!("{field}.tool"), &e.tool)?;
            short(&format!("{field}.tool_version"), &e.tool_version)?;
            long_opt(&format!("{field}.note"), &e.note)?;
            prev = Some(&e.hash);
        }
        Ok(())
    }

    /// Whether `next` may follow this state: the same file, and this custody log extended.
    pub(crate) fn check_successor(&self, next: &Attachment) -> std::result::Result<(), &str> {
        if next.testimony != self.testimony
            || next.blob != self.blob
            || next.sha256 != self.sha256
            || next.size != self.size
        {
            return Err("it changes which file the attachment is");
        }
        if !next.custody.starts_with(&self.custody) {
            return Err("it rewrites the custody log");
        }
        Ok(())
    }

    pub(crate) fn to_value(&self) -> Result<Value> {
        serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Result<Attachment> {
        let actor = hex::encode(crypto::new_signing_key().verifying_key().as_bytes());
        let first = CustodyEvent::new(
            None,
            actor.clone(),
            CustodyAction::Imported,
            Some("ab".repeat(32)),
            None,
        )?;
        let second = CustodyEvent::new(Some(&first), actor, CustodyAction::Exported, None, None)?;
        Ok(Attachment {
            testimony: Uuid::now_v7(),
            blob: "0123456789abcdef0123456789abcdef".into(),
            sha256: "ab".repeat(32),
            size: 3,
            media_type: "image/png".into(),
            name: "паспорт.png".into(),
            kind: AttachmentKind::Photo,
            role: AttachmentRole::Evidentiary,
            derived_from: None,
            captured_at: None,
            captured_by: None,
            collection_method: None,
            safe_to_publish: false,
            custody: vec![first, second],
        })
    }

    #[test]
    fn a_custody_chain_checks_and_any_edit_or_reordering_breaks_it() -> Result<()> {
        let a = sample()?;
        a.validate()?;
        let mut edited = a.clone();
        edited.custody[0].note = Some("added later".into());
        assert!(edited.validate().is_err());
        let mut swapped = a.clone();
        swapped.custody.swap(0, 1);
        assert!(swapped.validate().is_err());
        let mut dropped = a.clone();
        dropped.custody.remove(0);
        assert!(dropped.validate().is_err());
        Ok(())
    }

    #[test]
    fn a_blob_name_cannot_leave_the_blob_folder() -> Result<()> {
        let mut a = sample()?;
        for bad in [
            "../keys/pass",
            "0123456789ABCDEF0123456789ABCDEF",
            "",
            "a/b",
        ] {
            a.blob = bad.into();
            assert_eq!(a.validate().err().map(|e| e.code()), Some("invalid_input"));
        }
        Ok(())
    }

    #[test]
    fn a_successor_keeps_the_file_and_only_appends_custody() -> Result<()> {
        let a = sample()?;
        let mut shorter = a.clone();
        shorter.custody.pop();
        assert!(shorter.check_successor(&a).is_ok());
        assert!(a.check_successor(&shorter).is_err());
        let mut other_file = a.clone();
        other_file.sha256 = "cd".repeat(32);
        assert!(a.check_successor(&other_file).is_err());
        Ok(())
    }
}
