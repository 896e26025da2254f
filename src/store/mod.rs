//! The in-memory SQLite index: current state, full revision history and the search index.
//! It never touches the disk; it is persisted only as an encrypted snapshot
//! (`snapshot.rs`) plus the encrypted log. Writes go through [`StoreTx`], which rolls back
//! unless committed, so a revision, its index rows and its search entry land together.

mod attachments;
mod erase;
mod index;
mod local;
mod people;
mod proposals;
mod queries;
mod schema;
mod search;
mod withdraw;

use std::io::Read;

use rusqlite::{Connection, MAIN_DB, OptionalExtension, params};
use serde::Deserialize;
use serde_json::Value;

use crate::bundle::Conflict;
use crate::error::{Error, Result};
use crate::model::{Op, RecordKind, Revision, Testimony};

pub use attachments::StoredAttachment;
pub(crate) use proposals::{Held, Review, only_appends_custody};
pub use queries::{Accepted, HistoryEntry, IndexSize, StoredTestimony, TestimonySummary};
pub use schema::SCHEMA_VERSION;
pub(crate) use withdraw::PendingWithdrawal;

/// SQLite's allocator takes an `int`: a serialized index cannot exceed this.
pub(crate) const MAX_DB_BYTES: usize = i32::MAX as usize;

pub(crate) struct Store {
    conn: Connection,
}

impl Store {
    /// A new, empty index.
    pub(crate) fn new() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        index::rebuild_derived(&conn)?;
        // Re-load it as a memdb database: its pages are then one buffer that a snapshot
        // copies with one memcpy instead of reading page by page through the pager, which
        // keeps commits from waiting on a snapshot of a large index.
        let bytes = conn.serialize(MAIN_DB)?.to_vec();
        Store::load(bytes.as_slice(), bytes.len())
    }

    /// Loads a serialized index of `size` bytes streamed from `reader` (the decrypting
    /// snapshot reader), then migrates it. The caller verifies the snapshot's signature
    /// before trusting the result.
    pub(crate) fn load(reader: impl Read, size: usize) -> Result<Store> {
        if size > MAX_DB_BYTES {
            return Err(Error::SnapshotCorrupt(
                "the index is larger than 2 GiB".into(),
            ));
        }
        let mut conn = Connection::open_in_memory()?;
        conn.deserialize_read_exact(MAIN_DB, reader, size, false)
            .map_err(|_| Error::SnapshotCorrupt("the index could not be read".into()))?;
        schema::configure(&conn)?;
        Ok(Store { conn })
    }

    /// Migrates a loaded index (only after its signature was verified: the bytes are ours),
    /// and rebuilds its search entries if they were made by other folding rules.
    pub(crate) fn migrate(&mut self) -> Result<()> {
        schema::migrate(&mut self.conn)?;
        if self.meta("index_version")?.as_deref() != Some(crate::search::INDEX_VERSION) {
            let tx = self.conn.transaction()?;
            index::rebuild_derived(&tx)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// SQLite's own structural check of the index, for `verify`.
    pub(crate) fn integrity_problem(&self) -> Result<Option<String>> {
        let ok: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        Ok((ok != "ok").then_some(ok))
    }

    /// Copies the whole index into `buf` (replacing its content, reusing its memory).
    pub(crate) fn serialize_into(&self, buf: &mut Vec<u8>) -> Result<()> {
        let data = self.conn.serialize(MAIN_DB)?;
        buf.clear();
        buf.extend_from_slice(&data);
        Ok(())
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn tx(&mut self) -> Result<StoreTx<'_>> {
        Ok(StoreTx(self.conn.transaction()?))
    }

    /// A transaction through a shared borrow, for one that spans several calls (a batch of
    /// log frames replayed). Still rolled back unless committed.
    pub(crate) fn tx_shared(&self) -> Result<StoreTx<'_>> {
        Ok(StoreTx(self.conn.unchecked_transaction()?))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// A write transaction over the index; dropped without `commit`, it changes nothing.
pub(crate) struct StoreTx<'a>(rusqlite::Transaction<'a>);

impl StoreTx<'_> {
    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.0.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Applies one verified revision: records it, moves the record's heads, and rebuilds the
    /// record's rows in the live tables and the search index. Applying a revision that is
    /// already present changes nothing. A revision whose parents are unknown, or that
    /// does not fit the record's state, is refused.
    pub(crate) fn apply(&self, rev: &Revision, seq: u64) -> Result<()> {
        let exists: bool = self.0.query_row(
            "SELECT EXISTS (SELECT 1 FROM revisions WHERE hash = ?1)",
            [&rev.hash],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(());
        }
        // A proposal brought into the history (this vault accepted it).
        self.promote(&rev.hash)?;
        if let Some(erasure) = erase::covering(&self.0, rev)? {
            return erase::keep_proof(&self.0, rev, seq, &erasure);
        }
        // An erasure applied over changes held here for review (a deletion awaiting review):
        // they join the history first, and it erases them (docs/erasure.md §3).
        if rev.op == Op::Erase {
            for held in self.proposals_under(rev)? {
                self.apply(&held, seq)?;
            }
        }
        let record = rev.record.to_string();
        let what = || format!("revision {} of record {record}", short_hash(&rev.hash));
        for parent in &rev.parents {
            let parent_record: Option<String> = self
                .0
                .query_row(
                    "SELECT record_id FROM revisions WHERE hash = ?1",
                    [parent],
                    |r| r.get(0),
                )
                .optional()?;
            if parent_record.as_deref() != Some(record.as_str()) {
                return Err(Error::tampered(
                    what(),
                    "it follows a revision that is not in this vault",
                ));
            }
        }
        let current: Option<(String, String, String)> = self
            .0
            .query_row(
                "SELECT heads, created_at, kind FROM records WHERE id = ?1",
                [&record],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if current.as_ref().is_some_and(|c| c.2 != rev.kind.as_str()) {
            return Err(Error::tampered(what(), "it changes the kind of its record"));
        }
        let at = rev.at.to_string();
        let (mut heads, created_at) = match (&current, rev.op) {
            (None, Op::Create) => (Vec::new(), at.clone()),
            (None, _) => {
                return Err(Error::tampered(
                    what(),
                    "it changes a record that does not exist",
                ));
            }
            (Some(_), Op::Create) => {
                return Err(Error::tampered(what(), "it creates a record that exists"));
            }
            (Some(_), Op::Erase) => return erase::apply(self, rev, seq),
            (Some((h, c, _)), _) => (
                serde_json::from_str::<Vec<String>>(h)
                    .map_err(|e| Error::Internal(e.to_string()))?,
                c.clone(),
            ),
        };
        heads.retain(|h| !rev.parents.contains(h));
        heads.push(rev.hash.clone());
        heads.sort();
        let json = serde_json::to_string(rev).map_err(|e| Error::Internal(e.to_string()))?;
        self.0.execute(
            "INSERT INTO revisions (hash, record_id, op, at, author, seq, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                rev.hash,
                record,
                rev.op.as_str(),
                at,
                rev.author,
                seq as i64,
                json
            ],
        )?;
        let heads_json =
            serde_json::to_string(&heads).map_err(|e| Error::Internal(e.to_string()))?;
        // A testimony is deleted only when every version is a deletion: an edit made beside a
        // deletion keeps it in view, as a conflict to resolve, whichever arrived first. An
        // attachment is deleted when any version deletes it (`attachments::show_heads`).
        let mut ops = Vec::with_capacity(heads.len());
        for h in &heads {
            let op: String =
                self.0
                    .query_row("SELECT op FROM revisions WHERE hash = ?1", [h], |r| {
                        r.get(0)
                    })?;
            ops.push(op == Op::Delete.as_str() || op == Op::Erase.as_str());
        }
        let deleted = match rev.kind {
            RecordKind::Attachment => ops.iter().any(|d| *d),
            _ => ops.iter().all(|d| *d),
        };
        self.0.execute(
            "INSERT INTO records (id, kind, heads, deleted, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET heads = excluded.heads,
                 deleted = excluded.deleted, updated_at = excluded.updated_at",
            params![
                record,
                rev.kind.as_str(),
                heads_json,
                deleted,
                created_at,
                at
            ],
        )?;
        match rev.kind {
            RecordKind::Testimony => {
                if let Some(v) = rev.state.as_ref().filter(|_| rev.op != Op::Delete) {
                    testimony_state(v, &what)?;
                }
                self.show_testimony(&record, &heads, &rev.hash, &at, &what)
            }
            RecordKind::Attachment => {
                attachments::reindex(&self.0, &record, rev, &created_at, &what)
            }
            RecordKind::Contact => local::reindex_contact(&self.0, &record, rev, &what),
            RecordKind::Transfer => local::reindex_transfer(&self.0, &record, rev, &what),
            RecordKind::Review => proposals::reindex_review(self, rev, &what),
            RecordKind::Withdrawal => withdraw::reindex(self, rev, &what),
        }
    }

    /// The live row and search entry of testimony `record`, whose heads are `heads` (`last`
    /// the newest): the version every vault with these heads shows (whatever order the
    /// revisions came in), so search and `show` never disagree — or none, while it is
    /// deleted or withdrawn waiting to be erased.
    pub(super) fn show_testimony(
        &self,
        record: &str,
        heads: &[String],
        last: &str,
        at: &str,
        what: &dyn Fn() -> String,
    ) -> Result<()> {
        if withdraw::hidden(&self.0, record)? {
            return index::reindex(&self.0, record, last, None, at);
        }
        match queries::shown_head(&self.0, heads)? {
            Some(shown) => {
                let state = shown.state.as_ref().map(|v| testimony_state(v, what));
                let state = state.transpose()?;
                index::reindex(&self.0, record, &shown.hash, state.as_ref(), at)
            }
            None => index::reindex(&self.0, record, last, None, at),
        }
    }

    pub(crate) fn commit(self) -> Result<()> {
        Ok(self.0.commit()?)
    }

    /// The heads of `records` that are proofs without content (stubs that are not
    /// deletions): a proof cannot stand as a current version, so an import that would leave
    /// one holds it with the change it leads to, or is refused.
    pub(crate) fn stub_heads(&self, records: &[(uuid::Uuid, RecordKind)]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (record, _) in records {
            // An erased record is all proofs, and stays so.
            if erase::erasure_of(&self.0, &record.to_string())?.is_some() {
                continue;
            }
            let Some(heads) = queries::record_heads(&self.0, &record.to_string())? else {
                continue;
            };
            for h in heads {
                if let Some(head) = queries::revision(&self.0, &h)?
                    && head.is_stub()
                    && head.op != Op::Delete
                {
                    out.push(h);
                }
            }
        }
        Ok(out)
    }

    /// The testimonies among `records` that have more than one head in this transaction.
    pub(crate) fn conflicts_among(
        &self,
        records: &[(uuid::Uuid, RecordKind)],
    ) -> Result<Vec<Conflict>> {
        conflicts_among(&self.0, records)
    }
}

/// The testimonies among `records` whose history forked (more than one head).
pub(crate) fn conflicts_among(
    conn: &Connection,
    records: &[(uuid::Uuid, RecordKind)],
) -> Result<Vec<Conflict>> {
    let mut out = Vec::new();
    for (record, _) in records.iter().filter(|(_, k)| *k == RecordKind::Testimony) {
        let row: Option<(String, Option<String>)> = conn
            .query_row(
                "SELECT r.heads, t.code FROM records r LEFT JOIN testimonies t ON t.id = r.id
                 WHERE r.id = ?1",
                [record.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if let Some((heads, code)) = row {
            let heads: Vec<String> =
                serde_json::from_str(&heads).map_err(|e| Error::Internal(e.to_string()))?;
            if heads.len() > 1 {
                out.push(Conflict {
                    id: *record,
                    code: code.unwrap_or_default(),
                    heads,
                });
            }
        }
    }
    Ok(out)
}

fn testimony_state(v: &Value, what: &dyn Fn() -> String) -> Result<Testimony> {
    let t = Testimony::deserialize(v)
        .map_err(|e| Error::tampered(what(), format!("its state is not a testimony: {e}")))?;
    t.validate()
        .map_err(|e| Error::tampered(what(), format!("its state is not valid: {e}")))?;
    Ok(t)
}

pub(crate) fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto;
    use crate::model::revision::Draft;
    use crate::search::{SearchQuery, SearchResults};

    fn codes(r: SearchResults) -> Vec<String> {
        r.hits.into_iter().map(|h| h.testimony.code).collect()
    }

    #[test]
    fn an_index_from_before_cross_script_search_gets_its_rows_rebuilt() -> Result<()> {
        let mut store = Store::new()?;
        let rev = Revision::sign(
            Draft {
                record: uuid::Uuid::now_v7(),
                kind: RecordKind::Testimony,
                op: Op::Create,
                parents: vec![],
                reason: None,
                state: Some(serde_json::json!({"code": "A-1", "narrative": "他被拘留了",
                    "persons": [{"names": [{"name": "Ержанат Абай"}]}],
                    "events": [{"kind": "detention"}]})),
            },
            &crypto::new_signing_key(),
            jiff::Timestamp::now(),
        )?;
        let tx = store.tx()?;
        tx.apply(&rev, 1)?;
        tx.commit()?;
        // The index as schema 3 had it: one column of text, no record of what was indexed.
        store.conn.execute_batch(
            "DROP TABLE search;
             CREATE VIRTUAL TABLE search USING fts5 (body, content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 2');
             INSERT INTO search (rowid, body) SELECT rowid, summary FROM testimonies;
             ALTER TABLE testimonies DROP COLUMN search_rev;
             DROP TABLE event_places; DROP TABLE tags; DROP TABLE consent_granted;
             DROP TABLE event_victims; DROP TABLE person_links;
             DROP INDEX events_by_testimony; DROP INDEX persons_by_id; DROP TABLE proposals;
             DROP TABLE acceptances; DROP TABLE erased; DROP TABLE withdrawn;
             DELETE FROM meta WHERE key = 'index_version';
             PRAGMA user_version = 3;",
        )?;
        store.migrate()?;
        assert_eq!(
            codes(store.search(&SearchQuery::new("Yerzhanat"))?),
            ["A-1"]
        );
        assert_eq!(codes(store.search(&SearchQuery::new("拘留"))?), ["A-1"]);
        let mut q = SearchQuery::new("");
        q.filters.event_kinds = vec![crate::model::vocab::EventKind::Detention];
        assert_eq!(
            codes(store.search(&q)?),
            ["A-1"],
            "the filters' rows are filled too"
        );
        Ok(())
    }
}
