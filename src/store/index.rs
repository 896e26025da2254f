//! The rows derived from a testimony's current state: its line in the list, its persons,
//! names, events and consent scopes, and its full-text entry. Rebuilt whole on every
//! revision of the record, so no stale text survives an edit or a delete.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::model::{Person, Testimony};

const DERIVED: &[&str] = &["persons", "person_names", "events", "consent_scopes"];

pub(super) fn reindex(
    conn: &Connection,
    id: &str,
    state: Option<&Testimony>,
    at: &str,
) -> Result<()> {
    let rowid: Option<i64> = conn
        .query_row("SELECT rowid FROM testimonies WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(rowid) = rowid {
        conn.execute("DELETE FROM search WHERE rowid = ?1", [rowid])?;
    }
    for table in DERIVED {
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
    conn.execute(
        "INSERT INTO search (rowid, body) VALUES (?1, ?2)",
        params![rowid, search_text(t)],
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

/// Every searchable text of the testimony, one per line.
fn search_text(t: &Testimony) -> String {
    let mut parts: Vec<&str> = vec![&t.code, &t.summary, &t.narrative];
    parts.extend(t.tags.iter().map(String::as_str));
    parts.extend(t.interviewer.as_deref());
    parts.extend(t.interview_place.as_deref());
    for p in t.all_persons() {
        parts.extend(p.names.iter().map(|n| n.name.as_str()));
        parts.extend(p.hometown.as_deref());
        parts.extend(p.occupation.as_deref());
        parts.extend(p.relation.as_deref());
        parts.extend(p.notes.as_deref());
    }
    for e in &t.events {
        parts.extend(e.place.as_deref());
        parts.extend(e.facility.as_deref());
        parts.extend(e.description.as_deref());
        for a in &e.acts {
            parts.extend(a.charge.as_deref());
            parts.extend(a.stated_reason.as_deref());
            parts.extend(a.sentence.as_deref());
        }
    }
    for p in &t.places {
        parts.extend(p.names.iter().map(|n| n.name.as_str()));
    }
    for c in &t.consents {
        parts.extend(c.notes.as_deref());
    }
    parts.join("\n")
}
