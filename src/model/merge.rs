//! Three-way merge of two versions of a testimony that started from the same one: an editor
//! opened (or a draft restored) on revision `base` is saved after the testimony moved on to
//! `theirs` (an import, a "same person" decision, another window). What only one side changed
//! is taken from that side; what both changed the same way is kept; what both changed
//! differently is a clash, and the caller keeps both versions as a conflict instead.
//!
//! The rule, field by field (recursively through objects):
//! - unchanged by one side: the other side's value (also when it removed the field);
//! - the same on both sides: that value;
//! - arrays whose elements all have an `id` (persons, events, places, consents and their
//!   nested lists): element by element, by id — an element added on one side is added (after
//!   those of `ours`, in `theirs`' order), one removed on one side and untouched on the other
//!   is removed, one removed on one side and changed on the other is a clash, one changed on
//!   both is merged by these rules;
//! - anything else changed on both sides: a clash.

use serde_json::{Map, Value};

/// The merge of `ours` and `theirs` from `base`, or `None` if they clash. Also returns the
/// top-level fields `theirs` contributed (for the user to be told what was merged in).
pub fn three_way(base: &Value, ours: &Value, theirs: &Value) -> Option<(Value, Vec<String>)> {
    let (Value::Object(b), Value::Object(o), Value::Object(t)) = (base, ours, theirs) else {
        return value(Some(base), Some(ours), Some(theirs))?.map(|v| (v, Vec::new()));
    };
    let from_theirs = keys(b, o, t)
        .filter(|k| b.get(*k) != t.get(*k) && o.get(*k) != t.get(*k))
        .map(str::to_string)
        .collect();
    Some((Value::Object(object(b, o, t)?), from_theirs))
}

/// Every key of the three objects, each once, in the order first seen (ours, theirs, base).
fn keys<'a>(
    b: &'a Map<String, Value>,
    o: &'a Map<String, Value>,
    t: &'a Map<String, Value>,
) -> impl Iterator<Item = &'a str> {
    let mut seen = std::collections::HashSet::new();
    o.keys()
        .chain(t.keys())
        .chain(b.keys())
        .map(String::as_str)
        .filter(move |k| seen.insert(*k))
}

fn object(
    b: &Map<String, Value>,
    o: &Map<String, Value>,
    t: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for k in keys(b, o, t) {
        if let Some(v) = value(b.get(k), o.get(k), t.get(k))? {
            out.insert(k.to_string(), v);
        }
    }
    Some(out)
}

/// One value: `Some(None)` means absent in the merge, `None` a clash.
#[allow(clippy::option_option)]
fn value(b: Option<&Value>, o: Option<&Value>, t: Option<&Value>) -> Option<Option<Value>> {
    if o == t || b == t {
        return Some(o.cloned());
    }
    if b == o {
        return Some(t.cloned());
    }
    match (b, o, t) {
        (Some(Value::Object(b)), Some(Value::Object(o)), Some(Value::Object(t))) => {
            Some(Some(Value::Object(object(b, o, t)?)))
        }
        (Some(Value::Array(b)), Some(Value::Array(o)), Some(Value::Array(t))) => {
            Some(Some(Value::Array(by_id(b, o, t)?)))
        }
        _ => None,
    }
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id")?.as_str()
}

/// Arrays of elements with ids, merged element by element; `None` if they have no ids or clash.
fn by_id(b: &[Value], o: &[Value], t: &[Value]) -> Option<Vec<Value>> {
    let all_ids = |a: &[Value]| a.iter().all(|v| id_of(v).is_some());
    if !(all_ids(b) && all_ids(o) && all_ids(t)) {
        return None;
    }
    let find = |a: &'_ [Value], id: &str| a.iter().find(|v| id_of(v) == Some(id)).cloned();
    let mut out = Vec::new();
    let mut ids: Vec<&str> = o.iter().filter_map(id_of).collect();
    ids.extend(
        t.iter()
            .filter_map(id_of)
            .filter(|id| find(o, id).is_none()),
    );
    ids.extend(
        b.iter()
            .filter_map(id_of)
            .filter(|id| find(o, id).is_none() && find(t, id).is_none()),
    );
    for id in ids {
        let (bv, ov, tv) = (find(b, id), find(o, id), find(t, id));
        if let Some(v) = value(bv.as_ref(), ov.as_ref(), tv.as_ref())? {
            out.push(v);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::three_way;
    use serde_json::json;

    #[test]
    fn takes_each_side_where_only_it_changed() {
        let base = json!({"summary": "a", "narrative": "n", "tags": ["x"]});
        let ours = json!({"summary": "a", "narrative": "n, more", "tags": ["x"]});
        let theirs = json!({"summary": "b", "narrative": "n", "tags": ["x"]});
        let (m, from_theirs) = three_way(&base, &ours, &theirs).unwrap_or_default();
        assert_eq!(
            m,
            json!({"summary": "b", "narrative": "n, more", "tags": ["x"]})
        );
        assert_eq!(from_theirs, ["summary"]);
    }

    #[test]
    fn the_same_field_changed_differently_clashes() {
        let base = json!({"summary": "a"});
        assert!(three_way(&base, &json!({"summary": "b"}), &json!({"summary": "c"})).is_none());
        // Plain arrays are values: changed on both sides, they clash.
        let base = json!({"tags": ["x"]});
        let ours = json!({"tags": ["x", "y"]});
        assert!(three_way(&base, &ours, &json!({"tags": ["x", "z"]})).is_none());
    }

    #[test]
    fn elements_with_ids_merge_one_by_one() {
        let base = json!({"persons": [{"id": "p", "name": "A"}, {"id": "q", "name": "B"}]});
        // Ours adds a hometown to p and a new person r; theirs links q to another testimony.
        let ours = json!({"persons": [
            {"id": "p", "name": "A", "hometown": "Ghulja"},
            {"id": "q", "name": "B"},
            {"id": "r", "name": "C"}]});
        let theirs = json!({"persons": [
            {"id": "p", "name": "A"},
            {"id": "q", "name": "B", "same_as": ["x:y"]}]});
        let (m, _) = three_way(&base, &ours, &theirs).unwrap_or_default();
        assert_eq!(
            m,
            json!({"persons": [
                {"id": "p", "name": "A", "hometown": "Ghulja"},
                {"id": "q", "name": "B", "same_as": ["x:y"]},
                {"id": "r", "name": "C"}]})
        );
        // Removed on one side and changed on the other: a clash.
        let removed = json!({"persons": [{"id": "q", "name": "B"}]});
        assert!(three_way(&base, &ours, &removed).is_none());
        // Removed on one side, untouched on the other: removed.
        let untouched_p = json!({"persons": [
            {"id": "p", "name": "A"}, {"id": "q", "name": "B", "same_as": ["x:y"]}]});
        let (m, _) = three_way(&base, &removed, &untouched_p).unwrap_or_default();
        assert_eq!(
            m,
            json!({"persons": [{"id": "q", "name": "B", "same_as": ["x:y"]}]})
        );
    }
}
