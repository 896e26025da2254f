//! Rules a testimony must satisfy beyond its JSON shape: lengths, references between its
//! parts, date order. Every error names the field by its JSON path.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::testimony::{Person, Testimony};
use super::vocab::Decision;
use crate::edtf::Edtf;
use crate::error::{Error, Result};

const SHORT_MAX: usize = 1_000;
const LONG_MAX: usize = 64 * 1024;
const NARRATIVE_MAX: usize = 4 * 1024 * 1024;
const CODE_MAX: usize = 64;
const TAG_MAX: usize = 64;
const LIST_MAX: usize = 10_000;

pub(super) fn short(field: &str, v: &str) -> Result<()> {
    if v.chars().count() > SHORT_MAX {
        return Err(Error::invalid(field, "is longer than 1000 characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains a control character"));
    }
    Ok(())
}

pub(super) fn short_opt(field: &str, v: &Option<String>) -> Result<()> {
    v.as_deref().map_or(Ok(()), |v| short(field, v))
}

fn long(field: &str, v: &str, max: usize) -> Result<()> {
    if v.len() > max {
        return Err(Error::invalid(field, format!("is longer than {max} bytes")));
    }
    if v.contains('\0') {
        return Err(Error::invalid(field, "contains a NUL character"));
    }
    Ok(())
}

pub(super) fn long_opt(field: &str, v: &Option<String>) -> Result<()> {
    v.as_deref().map_or(Ok(()), |v| long(field, v, LONG_MAX))
}

pub(super) fn list_len<T>(field: &str, v: &[T]) -> Result<()> {
    if v.len() > LIST_MAX {
        return Err(Error::invalid(field, "has too many entries"));
    }
    Ok(())
}

fn language_tag(field: &str, v: &str) -> Result<()> {
    let ok = (2..=35).contains(&v.len())
        && v.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "is not a language tag like kk, ru or ug-Arab",
        ))
    }
}

fn not_reversed(field: &str, start: &Option<Edtf>, end: &Option<Edtf>) -> Result<()> {
    if let (Some(s), Some(e)) = (start, end)
        && let (Some(lo), Some(hi)) = (s.lower(), e.upper())
        && lo > hi
    {
        return Err(Error::invalid(field, "ends before it starts"));
    }
    Ok(())
}

impl Testimony {
    /// Checks everything the JSON shape alone does not.
    pub fn validate(&self) -> Result<()> {
        let code = self.code.trim();
        if code.is_empty() {
            return Err(Error::invalid("code", "is required"));
        }
        if code != self.code {
            return Err(Error::invalid("code", "has spaces at its start or end"));
        }
        if code.chars().count() > CODE_MAX {
            return Err(Error::invalid("code", "is longer than 64 characters"));
        }
        short("code", code)?;
        short_opt("interviewer", &self.interviewer)?;
        short_opt("interpreter", &self.interpreter)?;
        short_opt("time_zone", &self.time_zone)?;
        short_opt("interview_place", &self.interview_place)?;
        if let (Some(s), Some(e)) = (self.started_at, self.ended_at)
            && e < s
        {
            return Err(Error::invalid("ended_at", "is before started_at"));
        }
        list_len("languages", &self.languages)?;
        for (i, l) in self.languages.iter().enumerate() {
            language_tag(&format!("languages[{i}]"), l)?;
        }
        long("summary", &self.summary, LONG_MAX)?;
        long("narrative", &self.narrative, NARRATIVE_MAX)?;
        list_len("tags", &self.tags)?;
        let mut tags = HashSet::new();
        for (i, t) in self.tags.iter().enumerate() {
            let f = format!("tags[{i}]");
            if t.trim().is_empty() || t.chars().count() > TAG_MAX {
                return Err(Error::invalid(f, "must be 1 to 64 characters"));
            }
            short(&f, t)?;
            if !tags.insert(t) {
                return Err(Error::invalid(f, "is listed twice"));
            }
        }
        self.validate_persons()?;
        self.validate_places()?;
        self.validate_events()?;
        self.validate_consents()
    }

    fn person_ids(&self) -> HashSet<Uuid> {
        self.all_persons().map(|p| p.id).collect()
    }

    fn validate_persons(&self) -> Result<()> {
        list_len("persons", &self.persons)?;
        let mut seen = HashSet::new();
        let entries = self
            .testifier
            .iter()
            .map(|p| ("testifier".to_string(), p))
            .chain(
                self.persons
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("persons[{i}]"), p)),
            );
        for (path, p) in entries {
            if !seen.insert(p.id) {
                return Err(Error::invalid(
                    format!("{path}.id"),
                    "is used by another person",
                ));
            }
            validate_person(&path, p)?;
        }
        Ok(())
    }

    fn validate_places(&self) -> Result<()> {
        list_len("places", &self.places)?;
        let mut parents: HashMap<Uuid, Option<Uuid>> = HashMap::new();
        for (i, p) in self.places.iter().enumerate() {
            let path = format!("places[{i}]");
            if parents.insert(p.id, p.parent).is_some() {
                return Err(Error::invalid(
                    format!("{path}.id"),
                    "is used by another place",
                ));
            }
            if p.names.is_empty() {
                return Err(Error::invalid(
                    format!("{path}.names"),
                    "needs at least one name",
                ));
            }
            for (j, n) in p.names.iter().enumerate() {
                let f = format!("{path}.names[{j}]");
                if n.name.trim().is_empty() {
                    return Err(Error::invalid(format!("{f}.name"), "is empty"));
                }
                short(&format!("{f}.name"), &n.name)?;
                if let Some(l) = &n.lang {
                    language_tag(&format!("{f}.lang"), l)?;
                }
            }
            short_opt(&format!("{path}.admin_code"), &p.admin_code)?;
            if p.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
                return Err(Error::invalid(
                    format!("{path}.latitude"),
                    "must be between -90 and 90",
                ));
            }
            if p.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
                return Err(Error::invalid(
                    format!("{path}.longitude"),
                    "must be between -180 and 180",
                ));
            }
        }
        for (i, p) in self.places.iter().enumerate() {
            let Some(parent) = p.parent else { continue };
            if !parents.contains_key(&parent) {
                return Err(Error::invalid(
                    format!("places[{i}].parent"),
                    "is not a place of this testimony",
                ));
            }
            // Walk up; more steps than places means a cycle.
            let mut at = Some(parent);
            for _ in 0..=self.places.len() {
                match at {
                    Some(id) if id == p.id => {
                        return Err(Error::invalid(
                            format!("places[{i}].parent"),
                            "makes a place its own ancestor",
                        ));
                    }
                    Some(id) => at = parents.get(&id).copied().flatten(),
                    None => break,
                }
            }
        }
        Ok(())
    }

    fn validate_events(&self) -> Result<()> {
        list_len("events", &self.events)?;
        let persons = self.person_ids();
        let places: HashSet<Uuid> = self.places.iter().map(|p| p.id).collect();
        let person_ref = |field: String, id: &Uuid| {
            if persons.contains(id) {
                Ok(())
            } else {
                Err(Error::invalid(field, "is not a person of this testimony"))
            }
        };
        let mut seen = HashSet::new();
        for (i, e) in self.events.iter().enumerate() {
            let path = format!("events[{i}]");
            if !seen.insert(e.id) {
                return Err(Error::invalid(
                    format!("{path}.id"),
                    "is used by another event",
                ));
            }
            not_reversed(&format!("{path}.end"), &e.start, &e.end)?;
            short_opt(&format!("{path}.place"), &e.place)?;
            short_opt(&format!("{path}.facility"), &e.facility)?;
            long_opt(&format!("{path}.description"), &e.description)?;
            if let Some(p) = e.place_id
                && !places.contains(&p)
            {
                return Err(Error::invalid(
                    format!("{path}.place_id"),
                    "is not a place of this testimony",
                ));
            }
            for (j, v) in e.victims.iter().enumerate() {
                person_ref(format!("{path}.victims[{j}]"), v)?;
            }
            for (j, v) in e.perpetrators.iter().enumerate() {
                person_ref(format!("{path}.perpetrators[{j}]"), v)?;
            }
            for (j, a) in e.acts.iter().enumerate() {
                let ap = format!("{path}.acts[{j}]");
                person_ref(format!("{ap}.victim"), &a.victim)?;
                for (k, v) in a.perpetrators.iter().enumerate() {
                    person_ref(format!("{ap}.perpetrators[{k}]"), v)?;
                }
                for (name, v) in [
                    ("act_type", &a.act_type),
                    ("detention_type", &a.detention_type),
                    ("stated_reason", &a.stated_reason),
                    ("charge", &a.charge),
                    ("sentence", &a.sentence),
                    ("status_at_end", &a.status_at_end),
                ] {
                    short_opt(&format!("{ap}.{name}"), v)?;
                }
            }
        }
        Ok(())
    }

    fn validate_consents(&self) -> Result<()> {
        list_len("consents", &self.consents)?;
        let persons = self.person_ids();
        for (i, c) in self.consents.iter().enumerate() {
            let path = format!("consents[{i}]");
            if let Some(p) = c.person
                && !persons.contains(&p)
            {
                return Err(Error::invalid(
                    format!("{path}.person"),
                    "is not a person of this testimony",
                ));
            }
            if c.person.is_none() && self.testifier.is_none() {
                return Err(Error::invalid(
                    format!("{path}.person"),
                    "is needed when there is no testifier",
                ));
            }
            if c.version == 0 {
                return Err(Error::invalid(format!("{path}.version"), "starts at 1"));
            }
            for scope in c.conditions.keys() {
                if c.scopes.get(scope) != Some(&Decision::Conditional) {
                    return Err(Error::invalid(
                        format!("{path}.conditions.{}", scope.as_str()),
                        "is only for scopes whose decision is conditional",
                    ));
                }
            }
            not_reversed(
                &format!("{path}.withdrawn_at"),
                &c.obtained_at,
                &c.withdrawn_at,
            )?;
            short_opt(&format!("{path}.obtained_by"), &c.obtained_by)?;
            short_opt(&format!("{path}.interpreter"), &c.interpreter)?;
            long_opt(&format!("{path}.notes"), &c.notes)?;
            if let Some(l) = &c.language {
                language_tag(&format!("{path}.language"), l)?;
            }
        }
        Ok(())
    }
}

fn validate_person(path: &str, p: &Person) -> Result<()> {
    if p.names.is_empty() {
        return Err(Error::invalid(
            format!("{path}.names"),
            "needs at least one name",
        ));
    }
    list_len(&format!("{path}.names"), &p.names)?;
    list_len(&format!("{path}.same_as"), &p.same_as)?;
    list_len(&format!("{path}.not_same_as"), &p.not_same_as)?;
    for (j, n) in p.names.iter().enumerate() {
        let f = format!("{path}.names[{j}].name");
        if n.name.trim().is_empty() {
            return Err(Error::invalid(f, "is empty"));
        }
        short(&f, &n.name)?;
        if let Some(l) = &n.lang {
            language_tag(&format!("{path}.names[{j}].lang"), l)?;
        }
    }
    for (name, v) in [
        ("relation", &p.relation),
        ("citizenship", &p.citizenship),
        ("hometown", &p.hometown),
        ("occupation", &p.occupation),
    ] {
        short_opt(&format!("{path}.{name}"), v)?;
    }
    long_opt(&format!("{path}.notes"), &p.notes)?;
    if p.group_size == Some(0) {
        return Err(Error::invalid(
            format!("{path}.group_size"),
            "must be at least 1",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_field(json: &str) -> String {
        match Testimony::from_json(json) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{json} gave {other:?}"),
        }
    }

    #[test]
    fn the_issue_example_is_accepted() -> Result<()> {
        let t = Testimony::from_json(
            r#"{"code": "ALA-2025-0412", "interview_date": "2025-03-31", "medium": "video_call",
                "languages": ["kk", "ru"], "summary": "...", "narrative": "...",
                "testifier": {"names": [{"name": "Ержанат Абай", "script": "Cyrl"},
                                         {"name": "Yerzhanat Abai", "script": "Latn"}],
                              "birth": "2002-04-11", "hometown": "Gongliu County"},
                "events": [{"kind": "detention", "start": "2025-05", "place": "Zharkent"}]}"#,
        )?;
        assert_eq!(
            t.events[0].start.map(|d| d.to_string()),
            Some("2025-05".into())
        );
        assert_eq!(t.testifier.map(|p| p.names.len()), Some(2));
        Ok(())
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(err_field(r#"{"code": ""}"#), "code");
        assert_eq!(
            err_field(r#"{"code": "A", "events": [{"kind": "detentoin"}]}"#),
            "events[0].kind"
        );
        assert_eq!(
            err_field(r#"{"code": "A", "events": [{"kind": "detention", "start": "2018-13"}]}"#),
            "events[0].start"
        );
        assert_eq!(err_field(r#"{"code": "A", "colour": "red"}"#), "colour");
        assert_eq!(
            err_field(r#"{"code": "A", "testifier": {"names": []}}"#),
            "testifier.names"
        );
        assert_eq!(
            err_field(
                r#"{"code": "A", "events": [{"kind": "release", "victims": ["0190a0a0-0000-7000-8000-000000000000"]}]}"#
            ),
            "events[0].victims[0]"
        );
        assert_eq!(
            err_field(
                r#"{"code": "A", "events": [{"kind": "release", "start": "2019", "end": "2018"}]}"#
            ),
            "events[0].end"
        );
        assert_eq!(
            err_field(r#"{"code": "A", "languages": ["k k"]}"#),
            "languages[0]"
        );
        assert_eq!(
            err_field(
                r#"{"code": "A", "testifier": {"names": [{"name": "X"}]}, "consents": [{"scopes": {"publish_named": "refused"}, "conditions": {"publish_named": "only after 2030"}}]}"#
            ),
            "consents[0].conditions.publish_named"
        );
    }

    #[test]
    fn a_place_cannot_be_its_own_ancestor() {
        let a = "0190a0a0-0000-7000-8000-00000000000a";
        let b = "0190a0a0-0000-7000-8000-00000000000b";
        let json = format!(
            r#"{{"code": "A", "places": [{{"id": "{a}", "names": [{{"name": "Ili"}}], "parent": "{b}"}},
                                          {{"id": "{b}", "names": [{{"name": "Gulja"}}], "parent": "{a}"}}]}}"#
        );
        assert_eq!(err_field(&json), "places[0].parent");
    }
}
