//! The attachments table: each live attachment's current state, kept in step with its
//! revisions, and the reads over it.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Store;
use crate::error::{Error, Result};
use crate::model::Revision;
use crate::model::attachment::Attachment;

/// An attachment as stored now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredAttachment {
    pub id: Uuid,
    pub attachment: Attachment,
    pub heads: Vec<String>,
    pub added_at: String,
    pub updated_at: String,
}

fn parse(what: &dyn Fn() -> String, v: &Value) -> Result<Attachment> {
    let a = Attachment::deserialize(v)
        .map_err(|e| Error::tampered(what(), format!("its state is not an attachment: {e}")))?;
    a.validate()
        .map_err(|e| Error::tampered(what(), format!("its state is not valid: {e}")))?;
    Ok(a)
}

/// Updates the row of attachment `id` for revision `rev` (already recorded, parents known).
/// Refuses a state that is malformed, belongs to no testimony, takes another attachment's
/// file, or does not follow each parent (same file, custody log only extended).
pub(super) fn reindex(
    conn: &Connection,
    id: &str,
    rev: &Revision,
    added_at: &str,
    what: &dyn Fn() -> String,
) -> Result<()> {
    let state = match &rev.state {
        Some(v) if !rev.op.removes() => v,
        _ => return show_heads(conn, id, added_at, &rev.at.to_string()),
    };
    let a = parse(what, state)?;
    let owner: Option<String> = conn
        .query_row(
            "SELECT kind FROM records WHERE id = ?1",
            [a.testimony.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if owner.as_deref() != Some("testimony") {
        return Err(Error::tampered(
            what(),
            "it belongs to no testimony in this vault",
        ));
    }
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM attachments WHERE blob = ?1 AND id != ?2)",
        params![a.blob, id],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::tampered(
            what(),
            "its file belongs to another attachment",
        ));
    }
    for parent in &rev.parents {
        let json: String = conn.query_row(
            "SELECT json FROM revisions WHERE hash = ?1",
            [parent],
            |r| r.get(0),
        )?;
        let prev: Revision =
            serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?;
        if let Some(v) = &prev.state {
            // The parent's state was validated when it was applied: only read it here.
            Attachment::deserialize(v)
                .map_err(|e| Error::Internal(format!("stored attachment: {e}")))?
                .check_successor(&a)
                .map_err(|why| Error::tampered(what(), why))?;
        }
    }
    show_heads(conn, id, added_at, &rev.at.to_string())
}

/// Sets the row of attachment `id` to what its heads (each already checked) say: removed when
/// any version deletes it; otherwise the version shown by the same rule as a testimony's
/// (`queries::shown_head`) with every version's custody entries merged, so that every vault
/// with these heads shows the same state whatever order they arrived in, and a custody log
/// that forked (two devices that extracted or exported the file at once) stays usable.
fn show_heads(conn: &Connection, id: &str, added_at: &str, updated_at: &str) -> Result<()> {
    let heads = super::queries::record_heads(conn, id)?.unwrap_or_default();
    let internal = |e: &dyn std::fmt::Display| Error::Internal(format!("stored attachment: {e}"));
    // A deletion wins over what another device did to the file meanwhile (a custody entry it
    // appended, a flag): a file removed here, perhaps at the witness's request, never comes
    // back because a copy elsewhere was handled at the same time.
    let mut deleted = false;
    for h in &heads {
        deleted |= super::queries::revision(conn, h)?.is_some_and(|r| r.op.removes());
    }
    let shown = if deleted {
        None
    } else {
        super::queries::shown_head(conn, &heads)?
    };
    let Some(shown) = shown else {
        conn.execute("DELETE FROM attachments WHERE id = ?1", [id])?;
        return Ok(());
    };
    let first = shown
        .state
        .as_ref()
        .map(Attachment::deserialize)
        .transpose()
        .map_err(|e| internal(&e))?
        .ok_or_else(|| internal(&"no state"))?;
    let mut others = Vec::new();
    for h in heads.iter().filter(|h| **h != shown.hash) {
        if let Some(rev) = super::queries::revision(conn, h)?
            && !rev.op.removes()
            && let Some(state) = &rev.state
        {
            others.push(Attachment::deserialize(state).map_err(|e| internal(&e))?);
        }
    }
    let a = Attachment::merged(&first, &others);
    let json = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
    conn.execute(
        "INSERT INTO attachments (id, testimony_id, blob, added_at, updated_at, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, json = excluded.json",
        params![
            id,
            a.testimony.to_string(),
            a.blob,
            added_at,
            updated_at,
            json
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "a.id, a.json, r.heads, a.added_at, a.updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<[String; 5]> {
    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
}

fn stored([id, json, heads, added_at, updated_at]: [String; 5]) -> Result<StoredAttachment> {
    let internal = |e: &dyn std::fmt::Display| Error::Internal(format!("stored attachment: {e}"));
    Ok(StoredAttachment {
        id: Uuid::parse_str(&id).map_err(|e| internal(&e))?,
        attachment: serde_json::from_str(&json).map_err(|e| internal(&e))?,
        heads: serde_json::from_str(&heads).map_err(|e| internal(&e))?,
        added_at,
        updated_at,
    })
}

impl Store {
    fn attachments_where<P: rusqlite::Params>(
        &self,
        filter: &str,
        p: P,
    ) -> Result<Vec<StoredAttachment>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM attachments a JOIN records r ON r.id = a.id {filter}
             ORDER BY a.added_at, a.id"
        ))?;
        let rows = stmt.query_map(p, from_row)?;
        rows.map(|r| stored(r?)).collect()
    }

    /// The live attachments of a testimony, oldest first.
    pub(crate) fn attachments_of(&self, testimony: Uuid) -> Result<Vec<StoredAttachment>> {
        self.attachments_where("WHERE a.testimony_id = ?1", [testimony.to_string()])
    }

    /// Every live attachment.
    pub(crate) fn all_attachments(&self) -> Result<Vec<StoredAttachment>> {
        self.attachments_where("", [])
    }

    pub(crate) fn attachment(&self, id: Uuid) -> Result<StoredAttachment> {
        self.attachments_where("WHERE a.id = ?1", [id.to_string()])?
            .pop()
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The blob names live attachments use, and those of attachments held as proposals
    /// (their files wait with them for this vault's review).
    pub(crate) fn live_blobs(&self) -> Result<HashSet<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT blob FROM attachments
             UNION SELECT json_extract(json, '$.state.blob') FROM proposals
                 WHERE json_extract(json, '$.kind') = 'attachment'
                   AND json_extract(json, '$.state.blob') IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The attachments held as proposals, one per file: their files wait in `blobs/` for
    /// this vault's review, and are encrypted again by a key change like any other.
    pub(crate) fn held_attachments(&self) -> Result<Vec<Attachment>> {
        let mut stmt = self.conn().prepare(
            "SELECT json_extract(json, '$.state') FROM proposals
                 WHERE json_extract(json, '$.kind') = 'attachment'
                   AND json_extract(json, '$.state.blob') IS NOT NULL
                 ORDER BY seq, hash",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out: Vec<Attachment> = Vec::new();
        for row in rows {
            let a: Attachment = serde_json::from_str(&row?)
                .map_err(|e| Error::Internal(format!("a held attachment: {e}")))?;
            if !out.iter().any(|o| o.blob == a.blob) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// The blob of a live attachment whose content has this SHA-256, if any.
    pub(crate) fn blob_with_sha(&self, sha256: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT blob FROM attachments WHERE json_extract(json, '$.sha256') = ?1 LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The media type this vault recorded for a file with this content, if it has one.
    pub(crate) fn media_type_of_sha(&self, sha256: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT json_extract(json, '$.media_type') FROM attachments
                 WHERE json_extract(json, '$.sha256') = ?1 LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every deleted attachment (its record keeps its history), by the testimony it belonged
    /// to, oldest first: one pass over the deleted records, for an export to look up per
    /// testimony.
    pub(crate) fn deleted_attachments(&self) -> Result<HashMap<Uuid, Vec<Uuid>>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, COALESCE(
                    (SELECT json_extract(r.json, '$.state.testimony') FROM revisions r
                     WHERE r.record_id = c.id
                       AND json_extract(r.json, '$.state.testimony') IS NOT NULL
                     ORDER BY r.ord LIMIT 1),
                    (SELECT e.testimony FROM erased e WHERE e.record_id = c.id))
             FROM records c WHERE c.kind = 'attachment' AND c.deleted = 1
             ORDER BY c.created_at, c.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for row in rows {
            let (id, testimony) = row?;
            let parse = |s: &str| {
                Uuid::parse_str(s).map_err(|e| Error::Internal(format!("stored id: {e}")))
            };
            if let Some(t) = testimony {
                out.entry(parse(&t)?).or_default().push(parse(&id)?);
            }
        }
        Ok(out)
    }

    /// The kind of a record (`testimony`, `attachment`), if it exists.
    pub(crate) fn record_kind(&self, id: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT kind FROM records WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }
}
