//! Reads over the index: a testimony's current state, the list, a record's history, full-text
//! search, and the raw revisions for `verify`.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Op, Revision, Status, Testimony};

/// A testimony as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestimonySummary {
    pub id: Uuid,
    pub code: String,
    pub interview_date: Option<String>,
    pub status: Status,
    pub medium: Option<String>,
    pub interviewer: Option<String>,
    pub summary: String,
    pub persons: u32,
    pub events: u32,
    pub updated_at: String,
}

/// How large the in-memory index is (what a snapshot holds, before encryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexSize {
    /// The whole database, in bytes.
    pub database: u64,
    /// The search index's share of it, in bytes.
    pub search: u64,
}

/// A testimony's current state and where it stands in its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredTestimony {
    pub id: Uuid,
    pub testimony: Testimony,
    /// The revision(s) the state comes from; more than one means unresolved conflict.
    pub heads: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One line of a record's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    pub hash: String,
    pub op: Op,
    pub at: String,
    /// Hex Ed25519 key of the author.
    pub author: String,
    pub reason: Option<String>,
    pub parents: Vec<String>,
    /// Top-level fields whose value differs from the (first) parent's.
    pub changed: Vec<String>,
    /// Only the proof of this revision is here, not its content: it was not shared with this
    /// vault (consent-limited history) or it was erased.
    pub content_withheld: bool,
    /// This vault held the revision for review and its user accepted it (docs/trust-model.md
    /// §4): when, and the reason they gave.
    pub accepted: Option<Accepted>,
}

/// A proposal's acceptance, as this vault recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Accepted {
    pub at: String,
    pub reason: Option<String>,
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| Error::Internal(format!("stored id: {e}")))
}

/// A stored revision by its hash.
pub(super) fn revision(conn: &Connection, hash: &str) -> Result<Option<Revision>> {
    let json: Option<String> = conn
        .query_row("SELECT json FROM revisions WHERE hash = ?1", [hash], |r| {
            r.get(0)
        })
        .optional()?;
    json.as_deref().map(parse_revision).transpose()
}

/// The version of a record that is shown while it has several heads (a conflict): among the
/// heads that are not deletions and carry content, the one with the latest time, the hash
/// breaking ties. The same on every vault with the same heads; the heads list tells the
/// user there is more than one.
/// A record's current heads, if the record is known.
pub(super) fn record_heads(conn: &Connection, record: &str) -> Result<Option<Vec<String>>> {
    let heads: Option<String> = conn
        .query_row("SELECT heads FROM records WHERE id = ?1", [record], |r| {
            r.get(0)
        })
        .optional()?;
    heads
        .map(|h| serde_json::from_str(&h).map_err(|e| Error::Internal(e.to_string())))
        .transpose()
}

pub(super) fn shown_head(conn: &Connection, heads: &[String]) -> Result<Option<Revision>> {
    let mut shown: Option<Revision> = None;
    for h in heads {
        let rev = revision(conn, h)?.ok_or_else(|| Error::Internal("missing head".into()))?;
        if rev.op.removes() || rev.state.is_none() {
            continue;
        }
        if shown
            .as_ref()
            .is_none_or(|s| (rev.at, &rev.hash) > (s.at, &s.hash))
        {
            shown = Some(rev);
        }
    }
    Ok(shown)
}

fn parse_revision(json: &str) -> Result<Revision> {
    serde_json::from_str(json).map_err(|e| Error::Internal(format!("stored revision: {e}")))
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<(String, TestimonySummary)> {
    let status: String = r.get(3)?;
    let status = serde_json::from_value(Value::String(status)).unwrap_or(Status::Draft);
    Ok((
        r.get(0)?,
        TestimonySummary {
            id: Uuid::nil(),
            code: r.get(1)?,
            interview_date: r.get(2)?,
            status,
            medium: r.get(4)?,
            interviewer: r.get(5)?,
            summary: r.get(6)?,
            persons: r.get(7)?,
            events: r.get(8)?,
            updated_at: r.get(9)?,
        },
    ))
}

pub(super) const SUMMARY_COLUMNS: &str =
    "t.id, t.code, t.interview_date, t.status, t.medium, t.interviewer,
     t.summary, t.persons, t.events, t.updated_at";

impl Store {
    /// Live testimonies, newest interview first, then by code.
    pub(crate) fn list_testimonies(&self) -> Result<Vec<TestimonySummary>> {
        self.summaries(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM testimonies t
                 ORDER BY t.date_lo IS NULL, t.date_lo DESC, t.code"
            ),
            [],
        )
    }

    pub(super) fn summaries<P: rusqlite::Params>(
        &self,
        sql: &str,
        p: P,
    ) -> Result<Vec<TestimonySummary>> {
        let mut stmt = self.conn().prepare(sql)?;
        let rows = stmt.query_map(p, summary_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut s) = row?;
            s.id = parse_uuid(&id)?;
            out.push(s);
        }
        Ok(out)
    }

    pub(crate) fn count_testimonies(&self) -> Result<u64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM testimonies", [], |r| r.get(0))?)
    }

    /// Bytes of the whole index and of its search index (the FTS5 tables' contents).
    pub(crate) fn index_size(&self) -> Result<IndexSize> {
        let c = self.conn();
        let pages: u64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page: u64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let search: u64 = c.query_row(
            "SELECT (SELECT coalesce(sum(length(block)), 0) FROM search_data)
                  + (SELECT coalesce(sum(length(term)) + 16 * count(*), 0) FROM search_idx)
                  + (SELECT coalesce(sum(length(sz)) + 8 * count(*), 0) FROM search_docsize)",
            [],
            |r| r.get(0),
        )?;
        Ok(IndexSize {
            database: pages * page,
            search,
        })
    }

    /// The live testimony with this code, if any.
    /// The live testimonies with this code: one, or more after an import brought a
    /// testimony whose code another device had also used (a clash the user resolves).
    pub(crate) fn ids_by_code(&self, code: &str) -> Result<Vec<Uuid>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id FROM testimonies WHERE code = ?1 ORDER BY id")?;
        let ids = stmt
            .query_map([code], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse_uuid(s)).collect()
    }

    /// Every code used by more than one live testimony, with those testimonies (by id).
    pub(crate) fn code_clashes(&self) -> Result<Vec<(String, Vec<Uuid>)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT code, group_concat(id) FROM (SELECT code, id FROM testimonies \
             WHERE code IN (SELECT code FROM testimonies GROUP BY code HAVING count(*) > 1) \
             ORDER BY code, id) GROUP BY code ORDER BY code",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(code, ids)| {
                let ids = ids.split(',').map(parse_uuid).collect::<Result<Vec<_>>>()?;
                Ok((code, ids))
            })
            .collect()
    }

    /// (heads, deleted) of a record, if it exists at all.
    pub(crate) fn heads(&self, id: Uuid) -> Result<Option<(Vec<String>, bool)>> {
        let row: Option<(String, bool)> = self
            .conn()
            .query_row(
                "SELECT heads, deleted FROM records WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((h, d)) => Ok(Some((
                serde_json::from_str(&h).map_err(|e| Error::Internal(e.to_string()))?,
                d,
            ))),
        }
    }

    pub(crate) fn revision(&self, hash: &str) -> Result<Option<Revision>> {
        revision(self.conn(), hash)
    }

    pub(crate) fn testimony(&self, id: Uuid) -> Result<StoredTestimony> {
        let not_found = || Error::NotFound(id.to_string());
        let (heads, deleted) = self.heads(id)?.ok_or_else(not_found)?;
        // A withdrawn one waiting to be erased is hidden like a deleted one.
        if deleted
            || self.record_kind(id)?.as_deref() != Some("testimony")
            || super::withdraw::hidden(self.conn(), &id.to_string())?
        {
            return Err(not_found());
        }
        // With several heads (a conflict) one is shown by a fixed rule; the heads list tells.
        let rev = shown_head(self.conn(), &heads)?.ok_or_else(not_found)?;
        let state = rev.state.as_ref().ok_or_else(not_found)?;
        let (created_at, updated_at): (String, String) = self.conn().query_row(
            "SELECT created_at, updated_at FROM records WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(StoredTestimony {
            id,
            testimony: Testimony::from_value(state)?,
            heads,
            created_at,
            updated_at,
        })
    }

    /// A record's revisions, oldest first, with the fields each one changed.
    pub(crate) fn history(&self, id: Uuid) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT json FROM revisions WHERE record_id = ?1 ORDER BY ord")?;
        let revs: Vec<Revision> = stmt
            .query_map([id.to_string()], |r| r.get::<_, String>(0))?
            .map(|j| parse_revision(&j?))
            .collect::<Result<_>>()?;
        if revs.is_empty() {
            return Err(Error::NotFound(id.to_string()));
        }
        let mut out = Vec::with_capacity(revs.len());
        for r in &revs {
            let parent = r
                .parents
                .first()
                .and_then(|p| revs.iter().find(|x| &x.hash == p));
            out.push(HistoryEntry {
                hash: r.hash.clone(),
                op: r.op,
                at: r.at.to_string(),
                author: r.author.clone(),
                reason: r.reason.clone(),
                parents: r.parents.clone(),
                changed: if r.is_stub() || parent.is_some_and(Revision::is_stub) {
                    Vec::new()
                } else {
                    changed_fields(parent.and_then(|p| p.state.as_ref()), r.state.as_ref())
                },
                content_withheld: r.is_stub(),
                accepted: self.accepted(&r.hash)?,
            });
        }
        Ok(out)
    }

    fn accepted(&self, hash: &str) -> Result<Option<Accepted>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT at, reason FROM acceptances WHERE hash = ?1",
                [hash],
                |r| {
                    Ok(Accepted {
                        at: r.get(0)?,
                        reason: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Calls `f` on every stored revision in the order they were applied.
    pub(crate) fn for_each_revision(
        &self,
        mut f: impl FnMut(u64, Revision) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self
            .conn()
            .prepare("SELECT seq, json FROM revisions ORDER BY ord")?;
        let mut rows = stmt.query(params![])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let json: String = row.get(1)?;
            f(seq as u64, parse_revision(&json)?)?;
        }
        Ok(())
    }

    /// Every revision of one record, in the order they were applied.
    pub(crate) fn revisions_of(&self, id: Uuid) -> Result<Vec<Revision>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT json FROM revisions WHERE record_id = ?1 ORDER BY ord")?;
        let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0))?;
        rows.map(|json| parse_revision(&json?)).collect()
    }

    /// Every record id with its heads, for `verify`.
    pub(crate) fn all_heads(&self) -> Result<Vec<(String, Vec<String>)>> {
        let mut stmt = self.conn().prepare("SELECT id, heads FROM records")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, h) = row?;
            out.push((
                id,
                serde_json::from_str(&h).map_err(|e| Error::Internal(e.to_string()))?,
            ));
        }
        Ok(out)
    }
}

fn changed_fields(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .cloned()
        .collect()
}
