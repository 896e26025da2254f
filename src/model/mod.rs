//! The data model: a testimony and everything it reports (DESIGN.md §5, DATA-MODEL.md).
//!
//! A testimony is one record: the persons it mentions (with their roles in it), the events
//! and acts it reports, the places they happened and the witness's consent are parts of that
//! record, each with its own stable id. One save is one revision of the whole testimony, so
//! every state a coordinator sees was once saved as a whole by someone.

pub mod attachment;
pub(crate) mod bounded;
pub mod contact;
pub mod merge;
pub mod patch;
pub(crate) mod revision;
mod testimony;
pub mod transfer;
mod validate;
pub mod vocab;
pub mod withdrawal;

pub use attachment::{Attachment, CustodyEvent};
pub use contact::{Compromised, Contact, ContactInfo, PreviousKey, PreviousKeyInfo};
pub use revision::{Op, RecordKind, Revision};
pub use testimony::{
    Act, Consent, Event, JSON_INPUT_MAX, LocalName, Person, PersonName, PersonRef, Place,
    Testimony, read_json_input,
};
pub use transfer::{CopySent, Held, Transfer};
pub use vocab::*;
pub use withdrawal::Withdrawal;
