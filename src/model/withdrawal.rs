//! A withdrawal waiting to be erased (docs/erasure.md §5): the testimony is hidden from
//! everything this vault shows and sends at once, and erased on the first opening on or after
//! `erase_on`, unless this vault's user keeps it first. A record local to the vault, like a
//! contact: it never leaves it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub testimony: Uuid,
    /// The day (UTC) from which it is erased.
    pub erase_on: jiff::civil::Date,
    /// Why, as the user gave it: the erasure's reason.
    pub reason: String,
}
