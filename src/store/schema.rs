//! The index schema and its migrations. `PRAGMA user_version` is the schema version; a
//! migration runs once, in order, inside the transaction that opens an older snapshot.
//!
//! Everything here is derived from revisions except `revisions` itself and `meta`, so a
//! migration may drop and rebuild any derived table from the revisions.

use rusqlite::Connection;

use crate::error::{Error, Result};

const V1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Every revision ever applied, verbatim: the history and the merge base.
CREATE TABLE revisions (
    ord INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    record_id TEXT NOT NULL,
    op TEXT NOT NULL,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL
) STRICT;
CREATE INDEX revisions_by_record ON revisions (record_id, ord);

-- One row per record: its current heads (more than one is a conflict).
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    heads TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Live testimonies (deleted ones have no row), for lists and sorting.
CREATE TABLE testimonies (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    interview_date TEXT,
    date_lo INTEGER,
    date_hi INTEGER,
    status TEXT NOT NULL,
    medium TEXT,
    interviewer TEXT,
    summary TEXT NOT NULL,
    persons INTEGER NOT NULL,
    events INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX testimonies_by_code ON testimonies (code);

CREATE TABLE persons (
    testimony_id TEXT NOT NULL,
    id TEXT NOT NULL,
    roles TEXT NOT NULL,
    sex TEXT,
    birth TEXT,
    birth_lo INTEGER,
    birth_hi INTEGER,
    hometown TEXT,
    PRIMARY KEY (testimony_id, id)
) STRICT;
CREATE TABLE person_names (
    testimony_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    name TEXT NOT NULL,
    script TEXT,
    kind TEXT
) STRICT;
CREATE INDEX person_names_by_testimony ON person_names (testimony_id);
CREATE TABLE events (
    testimony_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_text TEXT,
    start_lo INTEGER,
    start_hi INTEGER,
    end_text TEXT,
    end_lo INTEGER,
    end_hi INTEGER,
    place TEXT,
    PRIMARY KEY (testimony_id, id)
) STRICT;
CREATE TABLE consent_scopes (
    testimony_id TEXT NOT NULL,
    person_id TEXT,
    scope TEXT NOT NULL,
    decision TEXT NOT NULL,
    withdrawn INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_scopes_by_testimony ON consent_scopes (testimony_id);

-- Full text of live testimonies. Contentless: the index holds no copy of the text, and a
-- deleted testimony's entries are removed with it.
CREATE VIRTUAL TABLE search USING fts5 (
    body, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#;

/// Attachments: one row per live attachment, with its current state.
const V2: &str = r#"
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    testimony_id TEXT NOT NULL,
    blob TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    json TEXT NOT NULL
) STRICT;
CREATE INDEX attachments_by_testimony ON attachments (testimony_id);
"#;

/// Contacts and transfers (bundles exported and imported): records that never leave the vault.
const V3: &str = r#"
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    json TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX contacts_by_name ON contacts (lower(name));
CREATE UNIQUE INDEX contacts_by_key ON contacts (signing_key);
CREATE TABLE transfers (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    exporter TEXT NOT NULL,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL
) STRICT;
CREATE INDEX transfers_by_manifest ON transfers (manifest_sha256);
"#;

/// Search across scripts (DESIGN.md §7): the text, its names and places folded to
/// cross-script keys, and Han bigrams. Contentless (the index holds no copy of the text);
/// a row is deleted by giving FTS5 its columns again, which with secure-delete on removes
/// its terms from the index at once (contentless_delete would only mark the row deleted
/// and leave its terms until segments merge). The rows are filled by
/// `index::rebuild_search`, which runs this first.
pub(crate) const SEARCH_TABLE: &str = r#"
DROP TABLE IF EXISTS search;
CREATE VIRTUAL TABLE search USING fts5 (
    body, folded, han, content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
"#;

/// The revision whose text a testimony's search entry was made from.
const V4: &str = "ALTER TABLE testimonies ADD COLUMN search_rev TEXT;";

/// What search filters, facets and people need beyond the tables above: every name of an
/// event's place and of the places above it, tags, the consent scopes a testimony grants,
/// events' victims, and persons linked across testimonies.
const V5: &str = r#"
CREATE TABLE event_places (
    testimony_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    norm TEXT NOT NULL,
    key TEXT NOT NULL
) STRICT;
CREATE INDEX event_places_by_testimony ON event_places (testimony_id);
CREATE INDEX event_places_by_norm ON event_places (norm);
CREATE TABLE tags (testimony_id TEXT NOT NULL, tag TEXT NOT NULL) STRICT;
CREATE INDEX tags_by_testimony ON tags (testimony_id);
CREATE TABLE consent_granted (testimony_id TEXT NOT NULL, scope TEXT NOT NULL) STRICT;
CREATE INDEX consent_granted_by_testimony ON consent_granted (testimony_id);
CREATE INDEX events_by_testimony ON events (testimony_id);
CREATE TABLE event_victims (
    testimony_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    person_id TEXT NOT NULL
) STRICT;
CREATE INDEX event_victims_by_testimony ON event_victims (testimony_id);
-- A person's "same as" (same = 1) and "not the same as" (same = 0) another testimony's.
CREATE TABLE person_links (
    testimony_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    other_testimony TEXT NOT NULL,
    other_person TEXT NOT NULL,
    same INTEGER NOT NULL
) STRICT;
CREATE INDEX person_links_by_testimony ON person_links (testimony_id);
CREATE INDEX persons_by_id ON persons (id);
"#;

/// Revisions an import kept as proposals (docs/trust-model.md §4): verified, shown for review,
/// not part of any record's history until accepted.
const V6: &str = r#"
CREATE TABLE proposals (
    hash TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    why TEXT NOT NULL,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL
) STRICT;
CREATE INDEX proposals_by_record ON proposals (record_id);
"#;

/// Proposals this vault accepted (a local review record each): when, and the reason given,
/// shown in the accepted revision's history line.
const V7: &str = r#"
CREATE TABLE acceptances (
    hash TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    reason TEXT
) STRICT;
"#;

/// Records erased by a witness's withdrawal (docs/erasure.md): a testimony and its
/// attachments, each with the erasure that took it. Every revision of them, those that arrive
/// later included, is kept as a proof without content.
const V8: &str = r#"
CREATE TABLE erased (
    record_id TEXT PRIMARY KEY,
    erasure TEXT NOT NULL
) STRICT;
"#;

/// Withdrawals waiting to be erased (docs/erasure.md §5): each hidden testimony with the
/// local record that hides it. A testimony listed here has no live row and no search entry.
/// And the testimony each erased file belonged to (its states, which said so, are erased):
/// a file erased alone goes to the others with its testimony.
const V9: &str = r#"
CREATE TABLE withdrawn (
    testimony TEXT PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE
) STRICT;
ALTER TABLE erased ADD COLUMN testimony TEXT;
"#;

const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Settings that keep every byte of the index in memory and overwrite what is deleted.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;",
    )?;
    Ok(())
}

/// Brings the schema up to `SCHEMA_VERSION`; refuses a newer one. Returns the version the
/// index had.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::UnsupportedVersion(format!(
            "index schema {version}, this build knows {SCHEMA_VERSION}"
        )));
    }
    let tx = conn.transaction()?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(m)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_bring_an_old_index_up_and_refuse_a_newer_one() -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(v, SCHEMA_VERSION);
        // Running again changes nothing (every migration runs once).
        migrate(&mut conn)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
        let newer = migrate(&mut conn);
        assert_eq!(newer.err().map(|e| e.code()), Some("unsupported_version"));
        Ok(())
    }

    #[test]
    fn the_index_keeps_temporary_data_in_memory_and_overwrites_deletions() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        let secure_delete: i64 = conn.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
        assert_eq!((temp_store, secure_delete), (2, 1), "MEMORY and ON");
        let compiled: Vec<String> = conn
            .prepare("PRAGMA compile_options")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        assert!(compiled.iter().any(|o| o == "TEMP_STORE=3"), "{compiled:?}");
        assert!(
            compiled.iter().any(|o| o == "SECURE_DELETE"),
            "{compiled:?}"
        );
        Ok(())
    }
}
