//! Withdrawals waiting to be erased (docs/erasure.md §5). While one is pending, its testimony
//! has no live row and no search entry, as if deleted; its history and files stay until the
//! erasure, or until this vault's user keeps it, which shows it again.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use uuid::Uuid;

use super::{Store, StoreTx, queries};
use crate::error::{Error, Result};
use crate::model::{Revision, Withdrawal};

fn live(rev: &Revision) -> Option<Withdrawal> {
    rev.state
        .as_ref()
        .filter(|_| !rev.op.removes())
        .and_then(|v| Withdrawal::deserialize(v).ok())
}

/// Whether testimony `id` is withdrawn, waiting to be erased.
pub(super) fn hidden(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM withdrawn WHERE testimony = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

/// A withdrawal record applied: its testimony hidden (a pending withdrawal) or shown again
/// (one that ended: kept, or erased — then there is nothing left to show).
pub(super) fn reindex(tx: &StoreTx<'_>, rev: &Revision, what: &dyn Fn() -> String) -> Result<()> {
    let record = rev.record.to_string();
    let testimony = match rev.state.as_ref().filter(|_| !rev.op.removes()) {
        Some(v) => {
            let w = Withdrawal::deserialize(v).map_err(|e| {
                Error::tampered(what(), format!("its state is not a withdrawal: {e}"))
            })?;
            tx.0.execute(
                "INSERT OR REPLACE INTO withdrawn (testimony, record_id) VALUES (?1, ?2)",
                params![w.testimony.to_string(), record],
            )?;
            w.testimony.to_string()
        }
        None => {
            let Some(t) =
                tx.0.query_row(
                    "DELETE FROM withdrawn WHERE record_id = ?1 RETURNING testimony",
                    [&record],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            else {
                return Ok(());
            };
            t
        }
    };
    let Some(heads) = queries::record_heads(&tx.0, &testimony)? else {
        return Err(Error::tampered(
            what(),
            "it withdraws a testimony that is not here",
        ));
    };
    let last = heads.last().cloned().unwrap_or_default();
    tx.show_testimony(&testimony, &heads, &last, &rev.at.to_string(), what)
}

/// A withdrawal waiting to be erased: its local record, the record's heads, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingWithdrawal {
    pub record: Uuid,
    pub heads: Vec<String>,
    pub withdrawal: Withdrawal,
}

impl Store {
    /// Every withdrawal waiting to be erased, by testimony.
    pub(crate) fn pending_withdrawals(&self) -> Result<Vec<PendingWithdrawal>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT record_id FROM withdrawn ORDER BY testimony")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let heads = queries::record_heads(self.conn(), &id)?.unwrap_or_default();
            let withdrawal = heads
                .iter()
                .filter_map(|h| queries::revision(self.conn(), h).ok().flatten())
                .find_map(|r| live(&r));
            let (Some(withdrawal), Ok(record)) = (withdrawal, Uuid::parse_str(&id)) else {
                return Err(Error::Internal(format!("withdrawal {id} has no state")));
            };
            out.push(PendingWithdrawal {
                record,
                heads,
                withdrawal,
            });
        }
        Ok(out)
    }

    /// The withdrawal waiting to erase testimony `id`, if any.
    pub(crate) fn pending_withdrawal(&self, id: Uuid) -> Result<Option<PendingWithdrawal>> {
        Ok(self
            .pending_withdrawals()?
            .into_iter()
            .find(|p| p.withdrawal.testimony == id))
    }
}
