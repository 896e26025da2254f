//! Erasure in the index (docs/erasure.md): a witness's withdrawal removes the content of every
//! revision of a testimony and of its attachments, and keeps their proofs — hash, parents,
//! author, time, signature and the salted commitment to the content, which still verify and
//! still link the history, and which do not let anyone confirm a guess of what was erased.
//!
//! The index forgets at once; what is on disk (snapshots, log segments, attachment files,
//! drafts) is rewritten by the vault as soon as the transaction commits
//! (`Vault::finish_erasure`), and on the next open if a crash came first: applying an
//! erasure, or a revision of an erased record, marks the index `erase_pending`.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{StoreTx, index, queries};
use crate::error::{Error, Result};
use crate::model::{Attachment, Op, RecordKind, Revision};
use crate::store::{Review, Store, short_hash};

/// The index's meta key that says content was erased here and the files on disk may still
/// hold it.
pub(crate) const PENDING: &str = "erase_pending";

/// The erasure that took `record`, if it was erased.
pub(super) fn erasure_of(conn: &Connection, record: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT erasure FROM erased WHERE record_id = ?1",
            [record],
            |r| r.get(0),
        )
        .optional()?)
}

/// The erasure a revision falls under: its record's, or for a new attachment its
/// testimony's.
pub(super) fn covering(conn: &Connection, rev: &Revision) -> Result<Option<String>> {
    if let Some(e) = erasure_of(conn, &rev.record.to_string())? {
        return Ok(Some(e));
    }
    if rev.kind != RecordKind::Attachment {
        return Ok(None);
    }
    let Some(testimony) = rev
        .state
        .as_ref()
        .and_then(|s| serde_json::from_value::<Attachment>(s.clone()).ok())
        .map(|a| a.testimony)
    else {
        return Ok(None);
    };
    erasure_of(conn, &testimony.to_string())
}

/// Keeps the proof of a revision of an erased record (one that arrives after its erasure:
/// a bundle made before it, a device that had not heard of it). The record stays erased; a
/// revision whose parents are not here is dropped (its record's proposals were erased too).
pub(super) fn keep_proof(conn: &Connection, rev: &Revision, seq: u64, erasure: &str) -> Result<()> {
    let record = rev.record.to_string();
    for parent in &rev.parents {
        let known: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM revisions WHERE hash = ?1 AND record_id = ?2)",
            params![parent, record],
            |r| r.get(0),
        )?;
        if !known {
            return Ok(());
        }
    }
    let at = rev.at.to_string();
    if rev.op == Op::Erase {
        // Another erasure of the same testimony (made on another device meanwhile): kept
        // whole, its reason is the trace. Every vault shows the same one as the head, the
        // smallest hash, whichever came first.
        insert(conn, rev, seq)?;
        let mut heads = queries::record_heads(conn, &record)?.unwrap_or_default();
        heads.push(rev.hash.clone());
        heads.sort();
        heads.truncate(1);
        conn.execute(
            "UPDATE records SET heads = ?2 WHERE id = ?1",
            params![record, json(&heads)?],
        )?;
        return Ok(());
    }
    insert(conn, &rev.stub(), seq)?;
    // A new attachment of an erased testimony: known as erased from now on.
    conn.execute(
        "INSERT INTO records (id, kind, heads, deleted, created_at, updated_at)
         VALUES (?1, ?2, ?3, 1, ?4, ?4) ON CONFLICT (id) DO NOTHING",
        params![
            record,
            rev.kind.as_str(),
            json(std::slice::from_ref(&rev.hash))?,
            at
        ],
    )?;
    let testimony = rev
        .state
        .as_ref()
        .and_then(|s| serde_json::from_value::<Attachment>(s.clone()).ok())
        .map(|a| a.testimony.to_string());
    conn.execute(
        "INSERT OR IGNORE INTO erased (record_id, erasure, testimony) VALUES (?1, ?2, ?3)",
        params![record, erasure, testimony],
    )?;
    mark_pending(conn)
}

/// Applies an erasure of a testimony, or of one of its files alone (the record is known:
/// checked by the caller): it becomes the record's only head, and every record it takes (a
/// testimony takes its files) loses its content everywhere in the index.
pub(super) fn apply(tx: &StoreTx<'_>, rev: &Revision, seq: u64) -> Result<()> {
    let conn = &tx.0;
    let record = rev.record.to_string();
    let what = || format!("revision {} of record {record}", short_hash(&rev.hash));
    let testimony = match rev.kind {
        RecordKind::Testimony => true,
        RecordKind::Attachment => false,
        _ => {
            return Err(Error::tampered(
                what(),
                "only a testimony or a file is erased",
            ));
        }
    };
    insert(conn, rev, seq)?;
    let at = rev.at.to_string();
    conn.execute(
        "UPDATE records SET heads = ?2, deleted = 1, updated_at = ?3 WHERE id = ?1",
        params![record, json(std::slice::from_ref(&rev.hash))?, at],
    )?;
    let mut records = vec![record.clone()];
    // Erased (here or by a bundle): no longer waiting to be erased (docs/erasure.md §5).
    conn.execute("DELETE FROM withdrawn WHERE testimony = ?1", [&record])?;
    // The testimony the erased records belong to, before their states (which say so) go.
    let owner = if testimony {
        // The search entry is removed first: removing it needs the text it was made from.
        index::reindex(conn, &record, &rev.hash, None, &at)?;
        records.extend(attachments_of(conn, &record)?);
        Some(record.clone())
    } else {
        attachment_owner(conn, &record)?
    };
    let mut hashes = HashSet::new();
    for r in &records {
        conn.execute(
            "INSERT OR IGNORE INTO erased (record_id, erasure, testimony) VALUES (?1, ?2, ?3)",
            params![r, rev.hash, owner],
        )?;
        hashes.extend(stub_all(conn, r, &rev.hash)?);
        hashes.extend(drop_proposals(conn, r)?);
        if *r != record {
            conn.execute("UPDATE records SET deleted = 1 WHERE id = ?1", [r])?;
            conn.execute("DELETE FROM attachments WHERE id = ?1", [r])?;
        }
    }
    // Files proposed for it by devices without authority (new attachments this vault does
    // not have as records yet): their proposals go, and with them their files.
    if testimony {
        hashes.extend(drop_proposed_attachments(conn, &record)?);
    } else {
        conn.execute("DELETE FROM attachments WHERE id = ?1", [&record])?;
    }
    for h in &hashes {
        conn.execute("DELETE FROM acceptances WHERE hash = ?1", [h])?;
    }
    stub_reviews_of(conn, &hashes)?;
    mark_pending(conn)
}

fn mark_pending(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [PENDING],
    )?;
    Ok(())
}

fn json(heads: &[String]) -> Result<String> {
    serde_json::to_string(heads).map_err(|e| Error::Internal(e.to_string()))
}

fn insert(conn: &Connection, rev: &Revision, seq: u64) -> Result<()> {
    let body = serde_json::to_string(rev).map_err(|e| Error::Internal(e.to_string()))?;
    conn.execute(
        "INSERT INTO revisions (hash, record_id, op, at, author, seq, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            rev.hash,
            rev.record.to_string(),
            rev.op.as_str(),
            rev.at.to_string(),
            rev.author,
            seq as i64,
            body
        ],
    )?;
    Ok(())
}

/// The testimony file `record` belongs to, from the first of its revisions that says.
fn attachment_owner(conn: &Connection, record: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT json_extract(json, '$.state.testimony') FROM revisions
             WHERE record_id = ?1 AND json_extract(json, '$.state.testimony') IS NOT NULL
             ORDER BY ord LIMIT 1",
            [record],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every attachment of a testimony this vault knows, live or deleted.
fn attachments_of(conn: &Connection, testimony: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = conn
        .prepare("SELECT id FROM attachments WHERE testimony_id = ?1")?
        .query_map([testimony], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let deleted: Vec<String> = conn
        .prepare(
            "SELECT c.id FROM records c WHERE c.kind = 'attachment' AND c.deleted = 1
               AND (SELECT json_extract(r.json, '$.state.testimony') FROM revisions r
                    WHERE r.record_id = c.id
                      AND json_extract(r.json, '$.state.testimony') IS NOT NULL
                    ORDER BY r.ord LIMIT 1) = ?1",
        )?
        .query_map([testimony], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for d in deleted {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Replaces every revision of `record` (but the erasure) by its proof; returns their hashes.
fn stub_all(conn: &Connection, record: &str, erasure: &str) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT hash, json FROM revisions WHERE record_id = ?1")?
        .query_map([record], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (hash, body) in rows {
        if hash == erasure {
            continue;
        }
        let rev: Revision = serde_json::from_str(&body)
            .map_err(|e| Error::Internal(format!("stored revision: {e}")))?;
        if !rev.is_stub() {
            let stub =
                serde_json::to_string(&rev.stub()).map_err(|e| Error::Internal(e.to_string()))?;
            conn.execute(
                "UPDATE revisions SET json = ?2 WHERE hash = ?1",
                params![hash, stub],
            )?;
        }
        out.push(hash);
    }
    Ok(out)
}

/// Forgets every proposal of `record` (their files become orphans, removed from disk with
/// the rest); returns their hashes.
fn drop_proposals(conn: &Connection, record: &str) -> Result<Vec<String>> {
    let hashes: Vec<String> = conn
        .prepare("SELECT hash FROM proposals WHERE record_id = ?1")?
        .query_map([record], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute("DELETE FROM proposals WHERE record_id = ?1", [record])?;
    Ok(hashes)
}

/// Forgets every proposal of an attachment of `testimony` (and those that build on them);
/// returns their hashes.
fn drop_proposed_attachments(conn: &Connection, testimony: &str) -> Result<Vec<String>> {
    let records: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT record_id FROM proposals
             WHERE json_extract(json, '$.kind') = 'attachment'
               AND json_extract(json, '$.state.testimony') = ?1",
        )?
        .query_map([testimony], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for r in records {
        out.extend(drop_proposals(conn, &r)?);
    }
    Ok(out)
}

/// This vault's review records of erased revisions keep their proofs only: the reason a
/// reviewer typed may quote what was erased.
fn stub_reviews_of(conn: &Connection, hashes: &HashSet<String>) -> Result<()> {
    if hashes.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT hash, json FROM revisions WHERE op != 'delete' AND record_id IN (SELECT id FROM records WHERE kind = 'review')")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (hash, body) in rows {
        let rev: Revision = serde_json::from_str(&body)
            .map_err(|e| Error::Internal(format!("stored revision: {e}")))?;
        let about = rev
            .state
            .as_ref()
            .and_then(|s| serde_json::from_value::<Review>(s.clone()).ok())
            .is_some_and(|r| hashes.contains(&r.proposal));
        if about {
            let stub =
                serde_json::to_string(&rev.stub()).map_err(|e| Error::Internal(e.to_string()))?;
            conn.execute(
                "UPDATE revisions SET json = ?2 WHERE hash = ?1",
                params![hash, stub],
            )?;
        }
    }
    Ok(())
}

impl Store {
    /// Whether content was erased here that the files on disk may still hold.
    pub(crate) fn erase_pending(&self) -> Result<bool> {
        Ok(self.meta(PENDING)?.as_deref() == Some("1"))
    }

    /// The files on disk no longer hold erased content (the vault rewrote them).
    pub(crate) fn erase_done(&self) -> Result<()> {
        self.conn()
            .execute("DELETE FROM meta WHERE key = ?1", [PENDING])?;
        Ok(())
    }

    /// Marks the files on disk as still holding erased content (rewriting them failed).
    pub(crate) fn erase_again(&self) -> Result<()> {
        mark_pending(self.conn())
    }

    /// Every erased record.
    pub(crate) fn erased_records(&self) -> Result<HashSet<Uuid>> {
        let ids: Vec<String> = self
            .conn()
            .prepare("SELECT record_id FROM erased")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|s| Uuid::parse_str(s).map_err(|e| Error::Internal(format!("stored id: {e}"))))
            .collect()
    }

    /// The testimony erased file `record` belonged to, as the index kept it.
    pub(crate) fn erased_file_testimony(&self, record: Uuid) -> Result<Option<Uuid>> {
        let t: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT testimony FROM erased WHERE record_id = ?1",
                [record.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(t.flatten().and_then(|s| Uuid::parse_str(&s).ok()))
    }

    /// The erasure that took `record`, if it was erased.
    pub(crate) fn erasure(&self, record: Uuid) -> Result<Option<Revision>> {
        match erasure_of(self.conn(), &record.to_string())? {
            Some(h) => queries::revision(self.conn(), &h),
            None => Ok(None),
        }
    }
}
