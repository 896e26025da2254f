//! The rows derived from a testimony's current state: its line in the list, its persons,
//! names, events and consent scopes, and its full-text entry. Rebuilt whole on every
//! revision of the record, so no stale text survives an edit or a delete.

use rusqlite::{Connection, OptionalExtension, params};

use crate::bundle::consent;
use crate::error::{Error, Result};
use crate::model::vocab::ConsentScope;
use crate::model::{Op, Person, Testimony};
use crate::search;

const DERIVED: &[&str] = &["persons", "person_names", "events", "consent_scopes"];
/// Derived rows that came with search filters and people.
const FILTERED: &[&str] = &[
    "event_places",
    "tags",
    "consent_granted",
    "person_links",
    "event_victims",
];

pub(super) fn reindex(
    conn: &Connection,
    id: &str,
    rev: &str,
    state: Option<&Testimony>,
    at: &str,
) -> Result<()> {
    let old: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT rowid, search_rev FROM testimonies WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((rowid, Some(indexed))) = old {
        delete_search(conn, rowid, &indexed)?;
    }
    for table in DERIVED.iter().chain(FILTERED) {
        conn.execute(
            &format!("DELETE FROM {table} WHERE testimony_id = ?1"),
            [id],
        )?;
    }
    let Some(t) = state else {
        conn.execute("DELETE FROM testimonies WHERE id = ?1", [id])?;
        return Ok(());
    };
    let date = t.interview_date;
    conn.execute(
        "INSERT INTO testimonies (id, code, interview_date, date_lo, date_hi, status, medium,
             interviewer, summary, persons, events, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code,
             interview_date = excluded.interview_date, date_lo = excluded.date_lo,
             date_hi = excluded.date_hi, status = excluded.status, medium = excluded.medium,
             interviewer = excluded.interviewer, summary = excluded.summary,
             persons = excluded.persons, events = excluded.events,
             updated_at = excluded.updated_at",
        params![
            id,
            t.code,
            date.map(|d| d.to_string()),
            date.and_then(|d| d.lower()),
            date.and_then(|d| d.upper()),
            t.status.as_str(),
            t.medium.map(|m| m.as_str()),
            t.interviewer,
            t.summary,
            t.all_persons().count() as i64,
            t.events.len() as i64,
            at,
        ],
    )?;
    let rowid: i64 = conn.query_row("SELECT rowid FROM testimonies WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    insert_search(conn, rowid, rev, t)?;
    insert_filtered(conn, id, t)?;
    for p in t.all_persons() {
        index_person(conn, id, p)?;
    }
    for e in &t.events {
        conn.execute(
            "INSERT INTO events (testimony_id, id, kind, start_text, start_lo, start_hi,
                 end_text, end_lo, end_hi, place) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                e.id.to_string(),
                e.kind.as_str(),
                e.start.map(|d| d.to_string()),
                e.start.and_then(|d| d.lower()),
                e.start.and_then(|d| d.upper()),
                e.end.map(|d| d.to_string()),
                e.end.and_then(|d| d.lower()),
                e.end.and_then(|d| d.upper()),
                e.place,
            ],
        )?;
    }
    for c in &t.consents {
        let person = c
            .person
            .or(t.testifier.as_ref().map(|p| p.id))
            .map(|p| p.to_string());
        for (scope, decision) in &c.scopes {
            conn.execute(
                "INSERT INTO consent_scopes (testimony_id, person_id, scope, decision, withdrawn)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    person,
                    scope.as_str(),
                    decision.as_str(),
                    c.withdrawn_at.is_some()
                ],
            )?;
        }
    }
    Ok(())
}

/// Indexes testimony `rowid` as revision `rev` has it (its old entry, if any, is already
/// deleted), and records which revision that is: deleting the entry needs its text again.
pub(super) fn insert_search(conn: &Connection, rowid: i64, rev: &str, t: &Testimony) -> Result<()> {
    let [body, folded, han] = search::columns(t);
    conn.execute(
        "INSERT INTO search (rowid, body, folded, han) VALUES (?1, ?2, ?3, ?4)",
        params![rowid, body, folded, han],
    )?;
    conn.execute(
        "UPDATE testimonies SET search_rev = ?1 WHERE rowid = ?2",
        params![rev, rowid],
    )?;
    Ok(())
}

/// The rows search filters and people read: each event's place names (with the places
/// above it) and victims, tags, the consent scopes the testimony grants, persons' links.
fn insert_filtered(conn: &Connection, id: &str, t: &Testimony) -> Result<()> {
    for e in &t.events {
        let mut names: Vec<&str> = e.place.iter().map(String::as_str).collect();
        // The event's place and every place above it (a cycle or a missing parent ends it).
        let mut at = e.place_id;
        let mut seen = Vec::new();
        while let Some(pid) = at.filter(|p| !seen.contains(p)) {
            seen.push(pid);
            let Some(place) = t.places.iter().find(|p| p.id == pid) else {
                break;
            };
            names.extend(place.names.iter().map(|n| n.name.as_str()));
            at = place.parent;
        }
        let mut norms = Vec::new();
        for name in names {
            let norm = search::place_norm(name);
            if norm.is_empty() || norms.contains(&norm) {
                continue;
            }
            conn.execute(
                "INSERT INTO event_places (testimony_id, event_id, name, norm, key)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    e.id.to_string(),
                    name.trim(),
                    norm,
                    search::place_key(name)
                ],
            )?;
            norms.push(norm);
        }
    }
    for e in &t.events {
        for victim in &e.victims {
            conn.execute(
                "INSERT INTO event_victims (testimony_id, event_id, person_id) VALUES (?1, ?2, ?3)",
                params![id, e.id.to_string(), victim.to_string()],
            )?;
        }
    }
    for p in t.all_persons() {
        let links = p.same_as.iter().map(|r| (r, true));
        for (other, same) in links.chain(p.not_same_as.iter().map(|r| (r, false))) {
            conn.execute(
                "INSERT INTO person_links (testimony_id, person_id, other_testimony, other_person, same)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, p.id.to_string(), other.testimony.to_string(), other.person.to_string(), same],
            )?;
        }
    }
    let mut tags: Vec<&String> = t.tags.iter().collect();
    tags.sort();
    tags.dedup();
    for tag in tags {
        conn.execute(
            "INSERT INTO tags (testimony_id, tag) VALUES (?1, ?2)",
            params![id, tag],
        )?;
    }
    for scope in ConsentScope::ALL {
        if consent::check(t, *scope).is_ok() {
            conn.execute(
                "INSERT INTO consent_granted (testimony_id, scope) VALUES (?1, ?2)",
                params![id, scope.as_str()],
            )?;
        }
    }
    Ok(())
}

/// Removes testimony `rowid`'s entry, indexed from revision `rev`. The index keeps no text,
/// so FTS5 is given the same columns again; with its secure-delete on, every term of them
/// is taken out of the index at once.
fn delete_search(conn: &Connection, rowid: i64, rev: &str) -> Result<()> {
    let rev = super::queries::revision(conn, rev)?
        .ok_or_else(|| Error::Internal("the indexed revision is missing".into()))?;
    let state = rev
        .state
        .ok_or_else(|| Error::Internal("the indexed revision has no state".into()))?;
    let t = Testimony::from_value(&state)?;
    let [body, folded, han] = search::columns(&t);
    conn.execute(
        "INSERT INTO search (search, rowid, body, folded, han) VALUES ('delete', ?1, ?2, ?3, ?4)",
        params![rowid, body, folded, han],
    )?;
    Ok(())
}

/// Rebuilds every testimony's derived rows and search entry from its shown head (and
/// whether it is deleted from its heads): after a migration, or when the rules that make them
/// changed (`search::INDEX_VERSION`).
pub(super) fn rebuild_derived(conn: &Connection) -> Result<()> {
    conn.execute("UPDATE testimonies SET search_rev = NULL", [])?;
    conn.execute_batch(super::schema::SEARCH_TABLE)?;
    let records: Vec<(String, String, String)> = conn
        .prepare("SELECT id, heads, updated_at FROM records WHERE kind = 'testimony'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, heads, updated_at) in records {
        let heads: Vec<String> =
            serde_json::from_str(&heads).map_err(|e| Error::Internal(e.to_string()))?;
        let shown = super::queries::shown_head(conn, &heads)?;
        let mut all_deleted = true;
        for h in &heads {
            let op: String =
                conn.query_row("SELECT op FROM revisions WHERE hash = ?1", [h], |r| {
                    r.get(0)
                })?;
            all_deleted &= [Op::Delete, Op::Erase]
                .map(Op::as_str)
                .contains(&op.as_str());
        }
        conn.execute(
            "UPDATE records SET deleted = ?2 WHERE id = ?1",
            params![id, all_deleted],
        )?;
        // A withdrawn one waiting to be erased stays hidden.
        let hidden = super::withdraw::hidden(conn, &id)?;
        match shown
            .as_ref()
            .filter(|_| !hidden)
            .and_then(|rev| Some((rev, rev.state.as_ref()?)))
        {
            Some((rev, state)) => {
                let t = Testimony::from_value(state)?;
                reindex(conn, &id, &rev.hash, Some(&t), &updated_at)?;
            }
            None => reindex(conn, &id, "", None, &updated_at)?,
        }
    }
    // An attachment is deleted when any version deletes it (`attachments::show_heads`); vaults
    // written before that rule kept the flag only when every version did.
    let attachments: Vec<(String, String)> = conn
        .prepare("SELECT id, heads FROM records WHERE kind = 'attachment'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, heads) in attachments {
        let heads: Vec<String> =
            serde_json::from_str(&heads).map_err(|e| Error::Internal(e.to_string()))?;
        let mut any_deleted = false;
        for h in &heads {
            let op: String =
                conn.query_row("SELECT op FROM revisions WHERE hash = ?1", [h], |r| {
                    r.get(0)
                })?;
            any_deleted |= [Op::Delete, Op::Erase]
                .map(Op::as_str)
                .contains(&op.as_str());
        }
        conn.execute(
            "UPDATE records SET deleted = ?2 WHERE id = ?1",
            params![id, any_deleted],
        )?;
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('index_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [search::INDEX_VERSION],
    )?;
    Ok(())
}

fn index_person(conn: &Connection, testimony: &str, p: &Person) -> Result<()> {
    let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
    conn.execute(
        "INSERT OR REPLACE INTO persons (testimony_id, id, roles, sex, birth, birth_lo, birth_hi, hometown)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            testimony,
            p.id.to_string(),
            roles.join(","),
            p.sex.map(|s| s.as_str()),
            p.birth.map(|d| d.to_string()),
            p.birth.and_then(|d| d.lower()),
            p.birth.and_then(|d| d.upper()),
            p.hometown,
        ],
    )?;
    for n in &p.names {
        conn.execute(
            "INSERT INTO person_names (testimony_id, person_id, name, script, kind)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                testimony,
                p.id.to_string(),
                n.name,
                n.script.map(|s| s.as_str()),
                n.kind.map(|k| k.as_str()),
            ],
        )?;
    }
    Ok(())
}
