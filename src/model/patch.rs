//! Edits that keep identities: the persons, events, places and consents of a testimony each
//! have a stable id that links them (an event's victims, a consent's person, a coordinator's
//! "same person" across testimonies). A JSON merge patch (RFC 7386) replaces arrays whole, and
//! an element written without its id would get a new one, so an edit that only meant to add
//! a hometown would cut every link to that person. Here an element given without an id is
//! matched to the element it stands for, and keeps its id:
//!
//! - persons and places: the first not yet matched with a name in common (compared without
//!   case and surrounding spaces), else the one at the same position;
//! - events: the first not yet matched of the same kind and start, else the same position;
//! - consents: the first not yet matched for the same person, else the same position.
//!
//! Otherwise an array given is the array (RFC 7386): a matched element is what it says, not
//! merged with what was there — a consent written with one scope has that one scope, never
//! a grant kept from before — except that a matched person keeps its links to persons of
//! other testimonies (`same_as`, `not_same_as`) unless it gives them. Elements left out are
//! removed, and removing a person linked to a person of another testimony is refused (the
//! link is undone first).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Person, Testimony};
use crate::error::{Error, Result};

/// The arrays whose elements have ids, and how an element without one is matched.
const KEYED: [(&str, Match); 4] = [
    ("persons", Match::Names),
    ("places", Match::Names),
    ("events", Match::KindAndStart),
    ("consents", Match::Person),
];

#[derive(Clone, Copy)]
enum Match {
    Names,
    KindAndStart,
    Person,
}

/// `current` with `patch` applied (RFC 7386, with the element rules above).
pub fn apply_merge_patch(current: &Testimony, patch: &Value) -> Result<Testimony> {
    let Value::Object(patch) = patch else {
        return Err(Error::invalid(
            "JSON",
            "must be an object of the fields to change",
        ));
    };
    let mut state = current.to_value()?;
    let mut patch = patch.clone();
    for (key, how) in KEYED {
        let (Some(Value::Array(given)), Some(Value::Array(now))) = (patch.get(key), state.get(key))
        else {
            continue;
        };
        let merged = match_elements(now, given, how);
        patch.insert(key.into(), Value::Array(merged));
    }
    json_patch::merge(&mut state, &Value::Object(patch));
    parse(state)
}

/// A whole testimony state given as JSON (a conflict resolved by hand), its elements without
/// ids matched to those of `base` (the rules above).
pub fn with_stable_ids(base: &Testimony, state: &Value) -> Result<Testimony> {
    let Value::Object(given) = state else {
        return Err(Error::invalid("JSON", "must be a testimony object"));
    };
    let now = base.to_value()?;
    let mut out = given.clone();
    for (key, how) in KEYED {
        let (Some(Value::Array(g)), Some(Value::Array(n))) = (given.get(key), now.get(key)) else {
            continue;
        };
        out.insert(key.into(), Value::Array(match_elements(n, g, how)));
    }
    parse(Value::Object(out))
}

/// Persons of `before` that `after` no longer has and that are linked to persons of other
/// testimonies (merged as the same person, or judged someone else).
pub fn dropped_linked<'a>(before: &'a Testimony, after: &Testimony) -> Vec<&'a Person> {
    let kept: HashSet<_> = after.all_persons().map(|p| p.id).collect();
    before
        .all_persons()
        .filter(|p| !kept.contains(&p.id))
        .filter(|p| !p.same_as.is_empty() || !p.not_same_as.is_empty())
        .collect()
}

fn parse(state: Value) -> Result<Testimony> {
    serde_path_to_error::deserialize(state).map_err(|e| {
        let field = e.path().to_string();
        Error::invalid(
            if field == "." { "JSON".into() } else { field },
            e.into_inner().to_string(),
        )
    })
}

/// `given` with each element that has no id matched to one of `now`, taking its id (and, for
/// a person, its links unless it gives them).
fn match_elements(now: &[Value], given: &[Value], how: Match) -> Vec<Value> {
    let id_of = |v: &Value| v.get("id").and_then(Value::as_str).map(String::from);
    let mut taken: HashSet<String> = given.iter().filter_map(id_of).collect();
    let mut out = Vec::with_capacity(given.len());
    for (i, g) in given.iter().enumerate() {
        let Value::Object(g) = g else {
            out.push(g.clone());
            continue;
        };
        let free = |n: &&Value| id_of(n).is_some_and(|id| !taken.contains(&id));
        let found = match g.get("id").and_then(Value::as_str) {
            Some(id) => now.iter().find(|n| id_of(n).as_deref() == Some(id)),
            None => now
                .iter()
                .filter(free)
                .find(|n| same(how, n, g))
                .or_else(|| now.get(i).filter(free)),
        };
        let Some(Value::Object(n)) = found else {
            out.push(Value::Object(g.clone()));
            continue;
        };
        let mut e = g.clone();
        if let Some(id) = n.get("id") {
            if let Some(id) = id.as_str() {
                taken.insert(id.to_string());
            }
            e.insert("id".into(), id.clone());
        }
        for link in ["same_as", "not_same_as"] {
            if let (false, Some(v)) = (e.contains_key(link), n.get(link)) {
                e.insert(link.into(), v.clone());
            }
        }
        out.push(Value::Object(e));
    }
    out
}

fn same(how: Match, now: &Value, given: &Map<String, Value>) -> bool {
    match how {
        Match::Names => {
            let names = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.get("name").and_then(Value::as_str))
                    .map(|n| n.trim().to_lowercase())
                    .filter(|n| !n.is_empty())
                    .collect()
            };
            let mine = names(now.get("names"));
            names(given.get("names")).iter().any(|n| mine.contains(n))
        }
        Match::KindAndStart => {
            given.get("kind").is_some()
                && now.get("kind") == given.get("kind")
                && now.get("start") == given.get("start")
        }
        Match::Person => now.get("person") == given.get("person"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Result<Testimony> {
        Testimony::from_json(
            &json!({
                "code": "P-1",
                "testifier": {"names": [{"name": "Witness"}]},
                "persons": [
                    {"names": [{"name": "Ержанат Абай"}], "roles": ["victim"], "birth": "1980"},
                    {"names": [{"name": "Гүлнар"}], "roles": ["relative"]}
                ],
                "events": [
                    {"kind": "detention", "start": "2017"},
                    {"kind": "release", "start": "2019"}
                ],
                "consents": [{"scopes": {"store_internally": "granted"}}]
            })
            .to_string(),
        )
    }

    #[test]
    fn elements_without_ids_keep_the_ids_of_those_they_stand_for() -> Result<()> {
        let t = sample()?;
        // Reordered, one person dropped, the other found by name; events by kind and start.
        let patch = json!({
            "persons": [{"names": [{"name": "ержанат абай "}], "hometown": "Ghulja"}],
            "events": [{"kind": "release", "start": "2019", "place": "Ghulja"},
                       {"kind": "detention", "start": "2017"}],
            "consents": [{"scopes": {"store_internally": "granted", "publish_anonymised": "refused"}}]
        });
        let out = apply_merge_patch(&t, &patch)?;
        assert_eq!(out.persons.len(), 1);
        assert_eq!(out.persons[0].id, t.persons[0].id);
        assert_eq!(
            out.persons[0].birth, None,
            "the element given is the element"
        );
        assert_eq!(out.consents[0].scopes.len(), 2);
        assert_eq!(out.events[0].id, t.events[1].id);
        assert_eq!(out.events[1].id, t.events[0].id);
        assert_eq!(out.consents[0].id, t.consents[0].id);
        // A new element gets a new id; an explicit id is kept.
        let patch = json!({"persons": [
            {"id": t.persons[1].id, "names": [{"name": "Гүлнар"}]},
            {"names": [{"name": "Someone new"}]}
        ]});
        let out = apply_merge_patch(&t, &patch)?;
        assert_eq!(out.persons[0].id, t.persons[1].id);
        assert!(out.persons[1].id != t.persons[0].id && out.persons[1].id != t.persons[1].id);
        Ok(())
    }

    #[test]
    fn a_whole_state_keeps_ids_and_links_it_does_not_give() -> Result<()> {
        let mut t = sample()?;
        let other = super::super::PersonRef {
            testimony: uuid::Uuid::now_v7(),
            person: uuid::Uuid::now_v7(),
        };
        t.persons[0].same_as.push(other);
        let mut state = t.to_value()?;
        if let Some(Value::Array(ps)) = state.get_mut("persons") {
            for p in ps.iter_mut().filter_map(Value::as_object_mut) {
                p.remove("id");
                p.remove("same_as");
            }
        }
        let out = with_stable_ids(&t, &state)?;
        assert_eq!(out.persons[0].id, t.persons[0].id);
        assert_eq!(out.persons[0].same_as, [other]);
        assert!(dropped_linked(&t, &out).is_empty());
        let mut without = out.clone();
        without.persons.remove(0);
        assert_eq!(dropped_linked(&t, &without).len(), 1);
        Ok(())
    }
}
