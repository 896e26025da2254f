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

    /// Whether testimony `id` is withdrawn, waiting to be erased (hidden from everything the
    /// app shows).
    pub(crate) fn is_withdrawn(&self, id: Uuid) -> Result<bool> {
        hidden(self.conn(), &id.to_string())
    }

    /// The withdrawal waiting to erase testimony `id`, if any.
    pub(crate) fn pending_withdrawal(&self, id: Uuid) -> Result<Option<PendingWithdrawal>> {
        Ok(self
            .pending_withdrawals()?
            .into_iter()
            .find(|p| p.withdrawal.testimony == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto;
    use crate::model::revision::Draft;
    use crate::model::{Op, RecordKind};

    /// Found by an independent review: rebuilding the index (after an upgrade that changes
    /// how text is indexed) put every withdrawn testimony back in the list and the search.
    #[test]
    fn rebuilding_the_index_keeps_a_withdrawn_testimony_hidden() -> Result<()> {
        let mut store = Store::new()?;
        let key = crypto::new_signing_key();
        let id = Uuid::now_v7();
        let sign = |d: Draft| Revision::sign(d, &key, jiff::Timestamp::now());
        let t = sign(Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Create,
            parents: vec![],
            reason: None,
            state: Some(serde_json::json!({"code": "W-1", "narrative": "Hiddenwordq"})),
        })?;
        let w = sign(Draft {
            record: Uuid::now_v7(),
            kind: RecordKind::Withdrawal,
            op: Op::Create,
            parents: vec![],
            reason: None,
            state: Some(
                serde_json::json!({"testimony": id, "erase_on": "2030-01-01",
                                           "reason": "asked"}),
            ),
        })?;
        let tx = store.tx()?;
        tx.apply(&t, 1)?;
        tx.apply(&w, 2)?;
        tx.commit()?;
        let listed = |s: &Store| -> Result<usize> { Ok(s.list_testimonies()?.len()) };
        assert_eq!(listed(&store)?, 0);
        super::super::index::rebuild_derived(store.conn())?;
        assert_eq!(listed(&store)?, 0, "shown again after the rebuild");
        assert!(store.is_withdrawn(id)?);
        Ok(())
    }
}
