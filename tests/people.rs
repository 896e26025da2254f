//! People across testimonies: duplicate suggestions on a generated archive find the planted
//! duplicates and none of the planted near-misses; a merge is a revision on both
//! testimonies, undone by unmerging; a dismissed pair is not suggested again.

mod common;

use amanat::model::PersonRef;
use amanat::{Testimony, Vault};

/// The same name in four scripts.
const GIVEN: &[[&str; 4]] = &[
    ["Ержанат", "Yerzhanat", "ئەرجانات", "叶尔扎那提"],
    ["Нұрлан", "Nurlan", "نۇرلان", "努尔兰"],
    ["Гүлнар", "Gulnar", "گۈلنار", "古丽娜尔"],
    ["Асқар", "Askar", "ئاسقار", "阿斯卡尔"],
    ["Әркин", "Erkin", "ئەركىن", "艾尔肯"],
    ["Мехрибан", "Mehriban", "مېھرىبان", "米合日班"],
];
const FAMILY: &[[&str; 4]] = &[
    ["Абай", "Abai", "ئاباي", "阿拜"],
    ["Тұрсын", "Tursyn", "تۇرسۇن", "吐尔逊"],
    ["Омаров", "Omarov", "ئوماروۋ", "奥马罗夫"],
    ["Оспан", "Ospan", "ئوسپان", "奥斯潘"],
    ["Жұмабеков", "Zhumabekov", "جۇمابېكوۋ", "朱马别科夫"],
];
const TOWNS: &[&str] = &[
    "Ghulja", "Zharkent", "Altay", "Tacheng", "Korla", "Aksu", "Hotan",
];

fn name(g: usize, f: usize, script: usize) -> String {
    let sep = if script == 3 { "·" } else { " " };
    format!("{}{sep}{}", GIVEN[g][script], FAMILY[f][script])
}

fn testimony(code: &str, victim: &str, birth: u32, town: &str) -> Testimony {
    let json = serde_json::json!({
        "code": code,
        "testifier": {"names": [{"name": "Witness"}], "roles": ["testifier"]},
        "persons": [{"names": [{"name": victim}], "roles": ["victim"], "birth": birth.to_string(), "hometown": town}],
        "events": [{"kind": "detention", "start": "2018"}],
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{code}: {e}"))
}

/// A small deterministic generator (no dependency on the order tests run in).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn victim(v: &Vault, code: &str) -> PersonRef {
    let id = v.resolve(code).unwrap_or_else(|e| panic!("{e}"));
    let t = v.testimony(id).unwrap_or_else(|e| panic!("{e}")).testimony;
    PersonRef {
        testimony: id,
        person: t.persons[0].id,
    }
}

fn pairs(v: &Vault) -> Vec<(String, String)> {
    v.duplicate_suggestions(100_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|p| {
            let (a, b) = (p.a.code, p.b.code);
            if a < b { (a, b) } else { (b, a) }
        })
        .collect()
}

#[test]
fn planted_duplicates_are_suggested_and_near_misses_are_not() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let mut rng = Lcg(11);
    let mut items = Vec::new();
    // Background: random people whose births are all distinct, so none may be the same.
    for i in 0..600 {
        let n = name(rng.next(GIVEN.len()), rng.next(FAMILY.len()), rng.next(4));
        items.push(testimony(
            &format!("R-{i:04}"),
            &n,
            1300 + i as u32,
            TOWNS[rng.next(TOWNS.len())],
        ));
    }
    // Planted: the same person told twice, in two scripts; near-misses: the same name but
    // born in another year, or from another town.
    for k in 0..20 {
        let (g, f) = (k % GIVEN.len(), (k / GIVEN.len()) % FAMILY.len());
        let (s1, s2) = (k % 4, (k + 1 + k / 4) % 4);
        let s2 = if s2 == s1 { (s1 + 1) % 4 } else { s2 };
        let birth = 1960 + k as u32;
        let town = TOWNS[k % TOWNS.len()];
        items.push(testimony(
            &format!("D-{k:02}-a"),
            &name(g, f, s1),
            birth,
            town,
        ));
        items.push(testimony(
            &format!("D-{k:02}-b"),
            &name(g, f, s2),
            birth,
            town,
        ));
    }
    items.push(testimony("X-year", &name(0, 0, 1), 1990, "Ghulja"));
    items.push(testimony("X-year-2", &name(0, 0, 0), 1991, "Ghulja"));
    items.push(testimony("X-town", &name(1, 1, 1), 1992, "Ghulja"));
    items.push(testimony("X-town-2", &name(1, 1, 3), 1992, "Korla"));
    items.push(testimony("X-one-word", "Nurlan", 1993, "Aksu"));
    items.push(testimony("X-one-word-2", "Нұрлан", 1993, "Aksu"));
    v.add_testimonies(items).unwrap_or_else(|e| panic!("{e}"));

    let found = pairs(&v);
    for k in 0..20 {
        let want = (format!("D-{k:02}-a"), format!("D-{k:02}-b"));
        assert!(found.contains(&want), "{want:?} not suggested");
    }
    assert!(
        found
            .iter()
            .all(|(a, b)| a.starts_with("D-") && b.starts_with("D-")),
        "{:?}",
        found
            .iter()
            .filter(|(a, _)| !a.starts_with("D-"))
            .collect::<Vec<_>>()
    );
    assert_eq!(found.len(), 20, "{found:?}");
}

#[test]
fn a_merge_links_both_testimonies_and_can_be_undone_and_a_dismissal_stays() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, _) = common::create(&dir);
    v.add_testimonies(vec![
        testimony("A-1", "Ержанат Абай", 1980, "Ghulja"),
        testimony("A-2", "叶尔扎那提·阿拜", 1980, "伊宁"),
        testimony("A-3", "Yerzhanat Abai", 1980, "Ghulja"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let (a1, a3) = (victim(&v, "A-1"), victim(&v, "A-3"));
    // 伊宁 and Ghulja are one city under two names, which folding cannot know: a
    // different town is a contradiction, so only are suggested.
    assert_eq!(pairs(&v), [("A-1".into(), "A-3".into())]);

    v.merge_persons(a1, a3, Some("same birth year and town"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pairs(&v).is_empty(), "a merged pair is not suggested");
    let people = v.people("Yerzhanat", 10).unwrap_or_else(|e| panic!("{e}"));
    let merged = people
        .iter()
        .find(|p| p.records.len() == 2)
        .unwrap_or_else(|| panic!("{people:#?}"));
    assert_eq!(merged.names, ["Ержанат Абай", "Yerzhanat Abai"]);
    assert_eq!(merged.events.len(), 2, "each testimony's detention");
    assert_eq!(
        people.len(),
        2,
        "A-2 is found by name too, as its own person"
    );
    for code in ["A-1", "A-3"] {
        let id = v.resolve(code).unwrap_or_else(|e| panic!("{e}"));
        let h = v.history(id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.len(), 2, "{code}: a revision");
        assert_eq!(h[1].reason.as_deref(), Some("same birth year and town"));
    }
    // Linking again changes nothing; a person cannot be linked within one testimony.
    v.merge_persons(a3, a1, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let id = v.resolve("A-1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.history(id).map(|h| h.len()).ok(), Some(2));
    let same = v.merge_persons(a1, a1, None);
    assert_eq!(same.err().map(|e| e.code()), Some("invalid_input"));

    v.unmerge_persons(a1, a3, Some("two people after all"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pairs(&v), [("A-1".into(), "A-3".into())]);
    v.dismiss_duplicate(a1, a3, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pairs(&v).is_empty());
    v.close().unwrap_or_else(|e| panic!("{e}"));
    let v = common::open(&dir);
    assert!(pairs(&v).is_empty(), "a dismissal survives reopening");
    assert_eq!(
        v.people("", 10).map(|p| p.len()).ok(),
        Some(6),
        "3 witnesses, 3 victims"
    );
}

#[test]
fn a_very_common_name_is_compared_within_each_birth_year() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let mut items: Vec<Testimony> = (0..300)
        .map(|i| {
            testimony(
                &format!("C-{i:03}"),
                &name(1, 2, i % 3),
                1400 + i as u32,
                "Altay",
            )
        })
        .collect();
    items.push(testimony("C-twin-a", &name(1, 2, 0), 1985, "Altay"));
    items.push(testimony("C-twin-b", &name(1, 2, 3), 1985, "Altay"));
    let unknown = serde_json::json!({"code": "C-unknown",
        "persons": [{"names": [{"name": "Nurlan Omarov"}], "roles": ["victim"]}]});
    items.push(Testimony::from_json(&unknown.to_string()).unwrap_or_else(|e| panic!("{e}")));
    v.add_testimonies(items).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pairs(&v), [("C-twin-a".into(), "C-twin-b".into())]);
}

/// Issue 20, case 3: an edit that gives the persons array without ids (to add a hometown)
/// keeps each person's id and its same-person link; an edit that would remove a linked person
/// is refused until the link is undone; a conflict resolved from JSON without ids keeps them.
#[test]
fn an_edit_without_ids_keeps_persons_and_their_links_and_a_linked_person_is_not_dropped() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    v.add_testimonies(vec![
        testimony("T-4", &name(0, 0, 0), 1980, "Ghulja"),
        testimony("T-5", &name(0, 0, 1), 1980, "Ghulja"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (victim(&v, "T-4"), victim(&v, "T-5"));
    v.merge_persons(a, b, Some("same man"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pairs(&v).is_empty());

    // The persons array given whole, without ids, one field changed.
    let patch = serde_json::json!({"persons": [
        {"names": [{"name": name(0, 0, 0)}], "roles": ["victim"], "hometown": "Zharkent"}
    ]});
    v.edit_testimony(a.testimony, &patch, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let t4 = v
        .testimony(a.testimony)
        .unwrap_or_else(|e| panic!("{e}"))
        .testimony;
    assert_eq!(t4.persons.len(), 1);
    assert_eq!(t4.persons[0].id, a.person, "the person got a new id");
    assert_eq!(t4.persons[0].same_as, [b], "the merge was dropped");
    assert_eq!(t4.persons[0].hometown.as_deref(), Some("Zharkent"));
    assert!(pairs(&v).is_empty(), "the merged pair is suggested again");

    // Removing the linked person is refused, naming the link; undone first, it goes.
    let drop = serde_json::json!({"persons": []});
    let refused = v.edit_testimony(a.testimony, &drop, None);
    assert_eq!(refused.err().map(|e| e.code()), Some("invalid_input"));
    assert_eq!(
        v.testimony(a.testimony)
            .map(|s| s.testimony.persons.len())
            .ok(),
        Some(1)
    );
    v.unmerge_persons(a, b, None)
        .unwrap_or_else(|e| panic!("{e}"));
    v.edit_testimony(a.testimony, &drop, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let t5 = v
        .testimony(b.testimony)
        .unwrap_or_else(|e| panic!("{e}"))
        .testimony;
    assert!(t5.persons[0].same_as.is_empty(), "T-5 links to nobody");
}

#[test]
fn a_draft_saved_after_a_merge_keeps_the_merge_and_a_clash_keeps_both_versions() {
    use amanat::EditOutcome;
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    v.add_testimonies(vec![
        testimony("D-1", "Ержанат Абай", 1980, "Ghulja"),
        testimony("D-2", "Yerzhanat Abai", 1980, "Ghulja"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let (d1, d2) = (victim(&v, "D-1"), victim(&v, "D-2"));
    // The editor opens D-1 and a draft is autosaved with a new narrative…
    let opened = v.testimony(d1.testimony).unwrap_or_else(|e| panic!("{e}"));
    let base = opened.heads[0].clone();
    let mut edited = opened.testimony.clone();
    edited.narrative = "He was taken at night.".into();
    let draft = uuid::Uuid::now_v7();
    v.save_draft(
        draft,
        Some(d1.testimony),
        Some(&base),
        &edited.to_value().unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // …then the coordinator decides the two victims are one person.
    v.merge_persons(d1, d2, Some("same person"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The draft is restored days later and saved: the narrative is saved and the merge stays.
    let restored = v.load_draft(draft).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.info.base.as_deref(), Some(base.as_str()));
    let t: Testimony = serde_json::from_value(restored.state).unwrap_or_else(|e| panic!("{e}"));
    let outcome = v
        .save_edit(d1.testimony, t, &base, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        EditOutcome::Merged {
            fields: vec!["persons".into()]
        }
    );
    let now = v.testimony(d1.testimony).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(now.testimony.narrative, "He was taken at night.");
    assert_eq!(
        now.testimony.persons[0].same_as,
        vec![d2],
        "the merge was undone"
    );
    assert!(pairs(&v).is_empty(), "the merged pair is suggested again");

    // An edit of the same field as a newer change is not written over it: both versions are
    // kept as a conflict, and neither text is lost.
    let base = now.heads[0].clone();
    v.edit_testimony(
        d1.testimony,
        &serde_json::json!({"narrative": "Taken in the morning."}),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut mine = now.testimony.clone();
    mine.narrative = "Taken at 3 am by two officers.".into();
    let outcome = v
        .save_edit(d1.testimony, mine, &base, Some("my notes"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome, EditOutcome::Conflict);
    let sides = v
        .conflict_sides(d1.testimony)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut texts: Vec<String> = sides
        .iter()
        .filter_map(|s| Some(s.testimony.as_ref()?.narrative.clone()))
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        ["Taken at 3 am by two officers.", "Taken in the morning."]
    );
    // A base that is not a version of this testimony is refused, nothing written.
    let other = v.testimony(d2.testimony).unwrap_or_else(|e| panic!("{e}"));
    let refused = v.save_edit(d1.testimony, now.testimony, &other.heads[0], None);
    assert_eq!(refused.err().map(|e| e.code()), Some("invalid_input"));
}
