//! Amanat: an offline-first, encrypted vault for witness testimonies.
//!
//! This crate is the core: it owns the vault format, the data model and every rule; the CLI
//! and the desktop shell are thin layers over [`Vault`]. See DESIGN.md for the why.
//!
//! ```no_run
//! use amanat::{CreateOptions, KdfCost, Testimony, Vault};
//! use amanat::secrecy::SecretString;
//! # fn main() -> amanat::Result<()> {
//! let pass = SecretString::from("a long passphrase".to_string());
//! let opts = CreateOptions { name: "Aigerim".into(), kdf: KdfCost::Calibrated };
//! let (mut vault, recovery_key) = Vault::create("/tmp/demo.amanat".as_ref(), &pass, &opts)?;
//! let id = vault.add_testimony(Testimony::from_json(r#"{"code": "ALA-2025-0412"}"#)?)?;
//! vault.close()?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod attachments;
mod blobs;
pub mod bundle;
mod conflicts;
mod contacts;
mod crypto;
mod datetext;
mod datewords;
mod drafts;
mod edits;
pub mod edtf;
mod erase;
mod error;
#[doc(hidden)]
pub mod forensics;
mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
mod log;
mod media;
pub mod model;
mod people;
mod proposals;
mod readahead;
mod records;
pub mod search;
pub mod settings;
mod snapbuf;
mod snapshot;
mod store;
mod vault;
mod withdraw;

pub use age::secrecy;
pub use attachments::{AttachOptions, AttachmentReader, MediaChunk, Progress};
pub use blobs::display_name;
pub use conflicts::ConflictSide;
pub use datetext::{DateReading, understand_date};
pub use drafts::{DraftInfo, DraftList, SavedDraft};
pub use edits::EditOutcome;
pub use erase::{ErasurePreview, ErasureReport};
pub use error::{Error, Result};
pub use keys::{ContactCard, KdfCost, PassphraseStrength, RecoveryKey, passphrase_strength};
pub use model::{ContactInfo, Testimony};
pub use people::{DuplicatePair, PersonEvent, PersonGroup, PersonRecord};
pub use proposals::{Acceptance, Proposal};
pub use records::{CodeClash, VerifyReport};
pub use search::{FacetCount, Facets, Filters, SearchHit, SearchQuery, SearchResults, SnippetPart};
pub use store::{
    Accepted, HistoryEntry, IndexSize, SCHEMA_VERSION, StoredAttachment, StoredTestimony,
    TestimonySummary,
};
pub use vault::{
    CreateOptions, DEFAULT_SNAPSHOT_AFTER_BYTES, KeyChange, KeyChangeReport, OpenReport, Vault,
};
pub use withdraw::{WITHDRAWAL_DAYS_MAX, Withdrawn};
