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

/// The custody entries of several versions of one log as one log, each entry once, in the
/// order every vault computes alike whatever order the versions came in: an entry after the
/// one it follows; among entries free to go next, the earliest, then by hash.
pub(crate) fn merge_custody(logs: &[&[CustodyEvent]]) -> Vec<CustodyEvent> {
    use std::cmp::Reverse;
    use std::collections::{BTreeMap, BinaryHeap, HashMap};
    let mut all: BTreeMap<&str, &CustodyEvent> = BTreeMap::new();
    for e in logs.iter().flat_map(|l| l.iter()) {
        all.entry(e.hash.as_str()).or_insert(e);
    }
    let mut children: HashMap<&str, Vec<&CustodyEvent>> = HashMap::new();
    let mut ready = BinaryHeap::new();
    for e in all.values() {
        match e.prev.as_deref() {
            None => ready.push(Reverse((e.at, e.hash.as_str()))),
            Some(p) => children.entry(p).or_default().push(e),
        }
    }
    // Entries whose `prev` is in none of the logs never become ready: a valid log has none.
    let mut out = Vec::with_capacity(all.len());
    while let Some(Reverse((_, hash))) = ready.pop() {
        if let Some(e) = all.get(hash) {
            out.push((*e).clone());
        }
        for c in children.remove(hash).unwrap_or_default() {
            ready.push(Reverse((c.at, c.hash.as_str())));
        }
    }
    out
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

    /// The custody log is a set of hash-linked entries: the first follows nothing, every other
    /// follows an entry before it in the list. Two devices that append at the same time make
    /// two entries that follow the same one; a merged log holds both ([`merge_custody`]).
    fn check_custody(&self) -> Result<()> {
        if self.custody.is_empty() {
            return Err(Error::invalid("custody", "is empty"));
        }
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, e) in self.custody.iter().enumerate() {
            let field = format!("custody[{i}]");
            let follows = match (i, e.prev.as_deref()) {
                (0, None) => true,
                (0, Some(_)) | (_, None) => false,
                (_, Some(p)) => seen.contains(p),
            };
            if !follows {
                return Err(Error::invalid(field, "does not follow an entry before it"));
            }
            if e.compute_hash()? != e.hash {
                return Err(Error::invalid(field, "its hash does not match its content"));
            }
            if !seen.insert(&e.hash) {
                return Err(Error::invalid(field, "is there twice"));
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
        }
        Ok(())
    }

    /// Whether `next` may follow this state: the same file, and every custody entry kept.
    pub(crate) fn check_successor(&self, next: &Attachment) -> std::result::Result<(), &str> {
        if next.testimony != self.testimony
            || next.blob != self.blob
            || next.sha256 != self.sha256
            || next.size != self.size
        {
            return Err("it changes which file the attachment is");
        }
        let kept: std::collections::HashSet<&str> =
            next.custody.iter().map(|e| e.hash.as_str()).collect();
        if !self.custody.iter().all(|e| kept.contains(e.hash.as_str())) {
            return Err("it rewrites the custody log");
        }
        Ok(())
    }

    /// The state every vault shows for an attachment whose history forked (each version a
    /// valid successor of the same file): the fields of `first` (the version shown, chosen
    /// by the caller's rule), not safe to publish unless every version says so, and every
    /// custody entry of every version ([`merge_custody`]).
    pub(crate) fn merged(first: &Attachment, others: &[Attachment]) -> Attachment {
        let mut out = first.clone();
        out.safe_to_publish = std::iter::once(first)
            .chain(others)
            .all(|a| a.safe_to_publish);
        out.custody = merge_custody(
            &std::iter::once(first)
                .chain(others)
                .map(|a| a.custody.as_slice())
                .collect::<Vec<_>>(),
        );
        out
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

    #[test]
    fn logs_that_forked_merge_into_one_order_whatever_order_they_come_in() -> Result<()> {
        let a = sample()?;
        let actor = a.custody[0].actor.clone();
        // Two devices append to the same log at once, then one appends after the merge.
        let mut left = a.clone();
        let l = CustodyEvent::new(
            a.custody.last(),
            actor.clone(),
            CustodyAction::Exported,
            None,
            Some("left".into()),
        )?;
        left.custody.push(l);
        let mut right = a.clone();
        let r = CustodyEvent::new(
            a.custody.last(),
            actor.clone(),
            CustodyAction::Exported,
            None,
            Some("right".into()),
        )?;
        right.custody.push(r);
        let one = Attachment::merged(&left, std::slice::from_ref(&right));
        let other = Attachment::merged(&right, std::slice::from_ref(&left));
        assert_eq!(one.custody, other.custody);
        assert_eq!(one.custody.len(), 4);
        one.validate()?;
        assert!(left.check_successor(&one).is_ok() && right.check_successor(&one).is_ok());
        let mut after = one.clone();
        let next = CustodyEvent::new(
            after.custody.last(),
            actor,
            CustodyAction::Exported,
            None,
            None,
        )?;
        after.custody.push(next);
        after.validate()?;
        assert!(left.check_successor(&after).is_ok() && right.check_successor(&after).is_ok());
        // A merged log without one side's entry is not a successor of that side.
        assert!(right.check_successor(&left).is_err());
        // Safe to publish only if every version says so.
        let mut safe = left.clone();
        safe.safe_to_publish = true;
        assert!(!Attachment::merged(&safe, std::slice::from_ref(&right)).safe_to_publish);
        Ok(())
    }

    #[test]
    fn a_custody_entry_twice_or_following_nothing_before_it_is_refused() -> Result<()> {
        let a = sample()?;
        let mut twice = a.clone();
        twice.custody.push(a.custody[1].clone());
        assert!(twice.validate().is_err());
        let mut dangling = a.clone();
        dangling.custody[1].prev = Some("ab".repeat(32));
        dangling.custody[1].hash = dangling.custody[1].compute_hash()?;
        assert!(dangling.validate().is_err());
        Ok(())
    }
}
