//! The rows people and duplicate suggestions are built from (`crate::people`).

use uuid::Uuid;

use super::Store;
use crate::error::{Error, Result};
use crate::model::PersonRef;
use crate::people::PersonEvent;

/// A person record as the `persons` table has it.
pub(crate) struct PersonRow {
    pub at: PersonRef,
    pub code: String,
    pub roles: Vec<String>,
    pub birth: Option<String>,
    pub birth_lo: Option<i64>,
    pub birth_hi: Option<i64>,
    pub hometown: Option<String>,
}

fn person_ref(testimony: &str, person: &str) -> Result<PersonRef> {
    let id = |s: &str| Uuid::parse_str(s).map_err(|e| Error::Internal(format!("stored id: {e}")));
    Ok(PersonRef {
        testimony: id(testimony)?,
        person: id(person)?,
    })
}

impl Store {
    /// Every person of every live testimony, by testimony code.
    pub(crate) fn person_rows(&self) -> Result<Vec<PersonRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT p.testimony_id, p.id, p.roles, p.birth, p.birth_lo, p.birth_hi, p.hometown,
                 t.code
             FROM persons p JOIN testimonies t ON t.id = p.testimony_id ORDER BY t.code, p.rowid",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let roles: String = r.get(2)?;
            out.push(PersonRow {
                at: person_ref(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)?,
                roles: roles
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                birth: r.get(3)?,
                birth_lo: r.get(4)?,
                birth_hi: r.get(5)?,
                hometown: r.get(6)?,
                code: r.get(7)?,
            });
        }
        Ok(out)
    }

    /// Every name of every person, in the order they were written.
    pub(crate) fn person_names(&self) -> Result<Vec<(PersonRef, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT testimony_id, person_id, name FROM person_names ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                person_ref(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)?,
                r.get(2)?,
            ));
        }
        Ok(out)
    }

    /// Every link between persons: (person, other, same person or not).
    pub(crate) fn person_links(&self) -> Result<Vec<(PersonRef, PersonRef, bool)>> {
        let mut stmt = self.conn().prepare(
            "SELECT testimony_id, person_id, other_testimony, other_person, same FROM person_links",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                person_ref(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)?,
                person_ref(&r.get::<_, String>(2)?, &r.get::<_, String>(3)?)?,
                r.get(4)?,
            ));
        }
        Ok(out)
    }

    /// Events and their victims: the persons an event lists, or, for an event that lists
    /// none, every person of its testimony with the role victim. Earliest first.
    pub(crate) fn victim_events(&self) -> Result<Vec<(PersonRef, PersonEvent)>> {
        let mut stmt = self.conn().prepare(
            "SELECT e.testimony_id, p.id, t.code, e.kind, e.start_text, e.place
             FROM events e JOIN testimonies t ON t.id = e.testimony_id
             JOIN persons p ON p.testimony_id = e.testimony_id
             WHERE EXISTS (SELECT 1 FROM event_victims v WHERE v.testimony_id = e.testimony_id
                               AND v.event_id = e.id AND v.person_id = p.id)
                OR (NOT EXISTS (SELECT 1 FROM event_victims v WHERE v.testimony_id = e.testimony_id
                                    AND v.event_id = e.id)
                    AND ',' || p.roles || ',' LIKE '%,victim,%')
             ORDER BY e.start_lo",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                person_ref(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?)?,
                PersonEvent {
                    code: r.get(2)?,
                    kind: r.get(3)?,
                    start: r.get(4)?,
                    place: r.get(5)?,
                },
            ));
        }
        Ok(out)
    }
}
