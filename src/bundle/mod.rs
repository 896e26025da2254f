//! Bundles: how testimonies leave a vault on a USB stick (DESIGN.md §4, docs/bundle-format.md).
//!
//! A bundle is one age file encrypted to the chosen contacts only, holding a tar stream:
//! `manifest.json` (what is inside, each member's SHA-256 and size), `manifest.sig`
//! (Ed25519 over the manifest), `revisions.jsonl` (the signed revisions) and
//! `blobs/<sha256>` (attachment plaintexts, inside the encryption). Import checks all of it
//! before anything is written, then commits every revision in one frame: all or nothing.

mod anonymise;
mod authority;
pub(crate) mod consent;
mod content;
mod copies;
mod export;
mod import;
mod plan;
mod policy;
mod preview;
mod read;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_MANIFEST};
use crate::error::{Error, Result};
use crate::model::ExportProfile;

pub use consent::ConsentProblem;
pub use export::ExportResult;
pub use import::{Conflict, ErasedSummary, ImportOptions, ImportReport, ProposalSummary, Sender};
pub use plan::{
    DeletedTestimony, ErasedCopy, ErasedFile, ExportPlan, ExportRequest, LeftOut, PlannedTestimony,
    Selection,
};
pub use preview::{AnonymisedPreview, PreviewField, PreviewPart};

pub(crate) const FORMAT: &str = "amanat-bundle";
/// The format this build writes. Version 2 carries format 2 revisions and stubs (revisions
/// without their content, docs/trust-model.md §2); version 1 bundles are still read.
pub(crate) const VERSION: u32 = 2;
const OLDEST_VERSION: u32 = 1;
pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const SIGNATURE: &str = "manifest.sig";
pub(crate) const REVISIONS: &str = "revisions.jsonl";
pub(crate) const BLOB_DIR: &str = "blobs/";

/// Limits that keep a hostile bundle from exhausting memory before it is refused.
pub(crate) const MANIFEST_MAX: u64 = 16 << 20;
pub(crate) const SIGNATURE_LEN: u64 = 128;
/// The revisions a bundle may carry: what bounds the memory a reader needs (docs/bundle-format.md
/// §2). Importing them grows the index, which is held in memory, to about five times their
/// size, and the snapshot after an import copies the index once more: at 16 MiB the worst
/// import stays under 256 MiB (BENCHMARKS.md). An export that would carry more is refused
/// ("export fewer testimonies at a time").
pub(crate) const REVISIONS_MAX: u64 = 16 << 20;
/// The most JSON values a manifest may hold: eight per member at the most members, and room
/// for the key change statements.
const MANIFEST_VALUES_MAX: u64 = MEMBERS_MAX as u64 * 8 + 10_000;
pub(crate) const REVISION_LINE_MAX: usize = crate::model::JSON_INPUT_MAX;
pub(crate) const MEMBERS_MAX: usize = 100_000;
/// One attachment: 1 TiB.
pub(crate) const BLOB_MAX: u64 = 1 << 40;

/// The table of contents of a bundle, signed by its exporter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always "amanat-bundle".
    pub format: String,
    /// 2 for what this build writes; 1 is still read.
    pub version: u32,
    /// The exporting device's contact card (name, age recipient, Ed25519 key, fingerprint).
    pub exporter: String,
    /// Fingerprints of the contacts it is encrypted to.
    pub recipients: Vec<String>,
    pub created_at: jiff::Timestamp,
    pub profile: ExportProfile,
    /// The exporter's bundle number, from 1.
    pub seq: u64,
    /// SHA-256 of the exporter's previous manifest (a chain per device), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_manifest: Option<String>,
    /// Every member after `manifest.sig`, in the order they appear.
    pub members: Vec<Member>,
    /// For an anonymised bundle: what was redacted in each record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redactions: Vec<Redaction>,
    /// Every key change the exporting vault made, oldest first: how a contact who knows one
    /// of its earlier keys can follow it to the one this bundle is signed with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_changes: Vec<crate::vault::KeyChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub path: String,
    /// SHA-256 of the member's bytes, hex.
    pub sha256: String,
    pub size: u64,
}

/// One anonymised record: which revision replaced which original, and what was taken out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    pub record: Uuid,
    /// Hash of the anonymised revision in this bundle.
    pub revision: String,
    /// Hashes of the original record's head revisions (not in this bundle).
    pub original: Vec<String>,
    /// The fields replaced or removed, as paths (`persons[].names`, `interviewer`, …).
    pub fields: Vec<String>,
    /// Attachments left out because they were not marked safe to publish.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments_dropped: u64,
}

impl Manifest {
    /// Parses and checks a manifest's shape: version first (so a newer format gets its own
    /// error), then every member's name, hash and size.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Manifest> {
        // Counted before anything is built (a manifest of tiny objects would otherwise take
        // gigabytes as a tree), then read straight into its types.
        crate::model::bounded::count_values(bytes, MANIFEST_VALUES_MAX, read::DEPTH_MAX)
            .map_err(|e| Error::BundleInvalid(format!("manifest.json: {e}")))?;
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            version: Option<u64>,
        }
        let head: Head = serde_json::from_slice(bytes)
            .map_err(|_| Error::BundleInvalid("manifest.json is not JSON".into()))?;
        if head.format.as_deref() != Some(FORMAT) {
            return Err(Error::BundleInvalid(
                "manifest.json does not describe an Amanat bundle".into(),
            ));
        }
        match head.version {
            Some(n) if (u64::from(OLDEST_VERSION)..=u64::from(VERSION)).contains(&n) => {}
            Some(n) => {
                return Err(Error::UnsupportedVersion(format!(
                    "bundle format {n}, this build reads {VERSION}"
                )));
            }
            None => return Err(Error::BundleInvalid("manifest.json has no version".into())),
        }
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::BundleInvalid(format!("manifest.json: {e}")))?;
        m.check_members()?;
        if m.key_changes.len() > crate::vault::key_change::CHAIN_MAX {
            return Err(Error::BundleInvalid(
                "manifest.json lists too many key changes".into(),
            ));
        }
        Ok(m)
    }

    fn check_members(&self) -> Result<()> {
        let invalid = |p: &str, why: &str| Error::BundleInvalid(format!("member {p:?} {why}"));
        if self.members.len() > MEMBERS_MAX {
            return Err(Error::BundleInvalid(format!(
                "it lists {} members (at most {MEMBERS_MAX})",
                self.members.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        let mut has_revisions = false;
        for m in &self.members {
            if !seen.insert(m.path.as_str()) {
                return Err(invalid(&m.path, "is listed twice"));
            }
            if !is_hex(&m.sha256, 64) {
                return Err(invalid(&m.path, "has no valid SHA-256"));
            }
            if m.path == REVISIONS {
                has_revisions = true;
                if m.size > REVISIONS_MAX {
                    return Err(invalid(&m.path, "is larger than the limit"));
                }
            } else if let Some(sha) = m.path.strip_prefix(BLOB_DIR) {
                if !is_hex(sha, 64) || sha != m.sha256 {
                    return Err(invalid(&m.path, "is not named by its SHA-256"));
                }
                if m.size == 0 || m.size > BLOB_MAX {
                    return Err(invalid(&m.path, "is empty or larger than the limit"));
                }
            } else {
                return Err(invalid(&m.path, "is not a file a bundle may hold"));
            }
        }
        if !has_revisions {
            return Err(Error::BundleInvalid("it lists no revisions.jsonl".into()));
        }
        Ok(())
    }

    pub(crate) fn member(&self, path: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.path == path)
    }
}

/// The hash a manifest's signature covers.
pub(crate) fn manifest_hash(bytes: &[u8]) -> crypto::Hash {
    crypto::labelled_hash(DOMAIN_MANIFEST, bytes)
}

/// SHA-256 of a manifest's bytes, as transfers record it.
pub(crate) fn manifest_id(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Reads a decrypted bundle (a tar stream) the way import does, with every sender accepted
/// and file members discarded (for the fuzz target, `crate::fuzzing`). Returns how many
/// revisions it carried.
pub(crate) fn read_plain_accepting_anyone(bytes: &[u8], my_fingerprint: &str) -> Result<usize> {
    let mut check = |_: &Manifest, _: &crate::keys::ContactCard, _: &str| Ok(());
    let mut sink = |_: &Member, r: &mut dyn std::io::Read| read::discard(r);
    read::read_plain(
        bytes,
        &[my_fingerprint.to_string()],
        &mut check,
        &mut sink,
        &mut |_| true,
    )
    .map(|v| v.revisions.len())
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding 08: a manifest made of millions of tiny objects is refused by counting,
    /// before any of it is built in memory (it once took about 1.5 GB to refuse).
    #[test]
    fn a_manifest_of_tiny_objects_is_refused_before_it_is_built() {
        let mut bomb = format!(r#"{{"format":"{FORMAT}","version":{VERSION},"members":["#);
        bomb.push_str(&vec![r#"{"":0}"#; 2_000_000].join(","));
        bomb.push_str("]}");
        let err = Manifest::parse(bomb.as_bytes()).err();
        let text = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err.map(|e| e.code()), Some("bundle_invalid"));
        assert!(text.contains("more than"), "{text}");
    }
}
