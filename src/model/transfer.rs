//! A transfer: one bundle this vault exported or imported, kept as a record so that the
//! next export knows what is new since the last one to a contact, each device's manifests
//! form a chain, and an imported bundle is recognised when it comes again. Like contacts,
//! transfers never leave the vault.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vocab::{ExportProfile, HeldReason, TransferDirection};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub direction: TransferDirection,
    /// SHA-256 of the bundle's `manifest.json`, hex.
    pub manifest_sha256: String,
    /// Hex Ed25519 key of the device that made the bundle.
    pub exporter: String,
    /// The exporter's bundle number (1 for its first).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub profile: ExportProfile,
    /// Fingerprints of the recipients.
    pub recipients: Vec<String>,
    /// When the bundle was made.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: jiff::Timestamp,
    /// The bundle's file name (no folder).
    pub file_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments: u64,
    /// Exports: each testimony sent, with the heads of it and its attachments at the time.
    /// Imports: each record (testimony or attachment) the bundle brought, with every revision
    /// of it the bundle held — what its sender has.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub sent: BTreeMap<Uuid, Vec<String>>,
    /// Imports: the revisions of the bundle kept as proposals, not applied. Part of the
    /// frame that commits them, so replaying the log holds them again whatever the contacts
    /// say by then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub held: Vec<Held>,
    /// Anonymised exports: each copy sent, with the testimony it was made from and the proof
    /// of the copy's revision — what erasing the copy at the recipients needs once the
    /// original's content is gone (docs/erasure.md §4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub copies: Vec<CopySent>,
}

/// An anonymised copy sent: the testimony it was made from and the proof (stub, no content)
/// of the copy's revision, which names the copy's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopySent {
    pub original: Uuid,
    pub proof: super::Revision,
}

/// One revision an import kept as a proposal, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Held {
    pub hash: String,
    pub why: HeldReason,
}
