//! Places in an anonymised copy: no finer than the county. A village, a township or a site
//! can name a family; a county names thousands. Facilities (camps, prisons, detention
//! centres) are public institutions and keep their names, without coordinates. An event that
//! pointed to a place that goes now points to the nearest place above it that stays, and
//! its place as told becomes that place's name.

use std::collections::HashMap;

use uuid::Uuid;

use crate::model::{PlaceLevel, Testimony};

fn too_fine(level: Option<PlaceLevel>) -> bool {
    matches!(
        level,
        Some(PlaceLevel::Township | PlaceLevel::Village | PlaceLevel::Site)
    )
}

/// Coarsens `t`'s places and the events' references to them. Returns whether anything
/// changed.
pub(super) fn coarsen(t: &mut Testimony) -> bool {
    let mut changed = false;
    for p in &mut t.places {
        changed |= p.latitude.take().is_some();
        changed |= p.longitude.take().is_some();
        changed |= p.precision_m.take().is_some();
    }
    let parent: HashMap<Uuid, Option<Uuid>> = t.places.iter().map(|p| (p.id, p.parent)).collect();
    let drop: Vec<Uuid> = t
        .places
        .iter()
        .filter(|p| p.facility.is_none() && too_fine(p.level))
        .map(|p| p.id)
        .collect();
    if drop.is_empty() {
        return changed;
    }
    // The nearest place above `id` that stays (a chain of parents cannot loop forever: it is
    // cut at the number of places).
    let kept_above = |id: Uuid| -> Option<Uuid> {
        let mut at = parent.get(&id).copied().flatten();
        for _ in 0..parent.len() {
            match at {
                Some(p) if drop.contains(&p) => at = parent.get(&p).copied().flatten(),
                other => return other.filter(|p| parent.contains_key(p)),
            }
        }
        None
    };
    let replacement: HashMap<Uuid, Option<Uuid>> =
        drop.iter().map(|&d| (d, kept_above(d))).collect();
    let name_of: HashMap<Uuid, String> = t
        .places
        .iter()
        .filter_map(|p| Some((p.id, p.names.first()?.name.clone())))
        .collect();
    for e in &mut t.events {
        let Some(old) = e.place_id else { continue };
        let Some(new) = replacement.get(&old) else {
            continue;
        };
        e.place_id = *new;
        e.place = new.and_then(|n| name_of.get(&n).cloned());
    }
    for p in &mut t.places {
        if let Some(parent) = p.parent
            && let Some(new) = replacement.get(&parent)
        {
            p.parent = *new;
        }
    }
    t.places.retain(|p| !drop.contains(&p.id));
    true
}

/// Events' places as told become the name of the place they point to (after `coarsen`), or
/// nothing: "Tokkuztara village, house no. 14" written without a place of the list has no
/// level to coarsen by, so it goes. Returns whether anything changed.
pub(super) fn as_told(t: &mut Testimony) -> bool {
    let name_of: HashMap<Uuid, &str> = t
        .places
        .iter()
        .filter_map(|p| Some((p.id, p.names.first()?.name.as_str())))
        .collect();
    let mut changed = false;
    for e in &mut t.events {
        let told = e
            .place_id
            .and_then(|id| name_of.get(&id))
            .map(|n| n.to_string());
        changed |= told != e.place;
        e.place = told;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_gives_way_to_its_county_and_a_camp_stays_without_coordinates() {
        let mut t = Testimony::from_json(
            r#"{"code": "P-1",
                "places": [
                  {"id": "0190a1b2-0000-7000-8000-000000000001", "level": "county",
                   "names": [{"name": "Gongliu County"}]},
                  {"id": "0190a1b2-0000-7000-8000-000000000002", "level": "village",
                   "parent": "0190a1b2-0000-7000-8000-000000000001",
                   "names": [{"name": "Tokkuztara village"}], "latitude": 43.4, "longitude": 82.2},
                  {"id": "0190a1b2-0000-7000-8000-000000000003", "level": "site",
                   "facility": "camp", "parent": "0190a1b2-0000-7000-8000-000000000002",
                   "names": [{"name": "Camp No. 3"}], "latitude": 43.5, "longitude": 82.3}],
                "events": [{"kind": "detention", "place": "Tokkuztara",
                            "place_id": "0190a1b2-0000-7000-8000-000000000002"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(coarsen(&mut t));
        let json = serde_json::to_string(&t).unwrap_or_default();
        assert!(
            !json.contains("Tokkuztara") && !json.contains("43."),
            "{json}"
        );
        assert!(
            json.contains("Camp No. 3") && json.contains("Gongliu County"),
            "{json}"
        );
        assert_eq!(t.events[0].place.as_deref(), Some("Gongliu County"));
        assert_eq!(t.places.len(), 2);
    }
}
