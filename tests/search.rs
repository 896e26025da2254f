//! Search across scripts, as a coordinator uses it: one person's name however it was
//! spelled, Chinese words inside longer text, and nothing left in the index of text that
//! was deleted or edited away.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use amanat::secrecy::ExposeSecret;
use amanat::{SearchQuery, Testimony, Vault};

/// One testimony per spelling, the spelling as the name of a detained relative.
fn name_testimony(code: &str, name: &str) -> Testimony {
    let json = serde_json::json!({
        "code": code,
        "summary": "Detention of a relative",
        "testifier": {"names": [{"name": "Witness"}], "roles": ["testifier"]},
        "persons": [{"names": [{"name": name}], "roles": ["victim"]}],
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn codes(v: &Vault, text: &str) -> Vec<String> {
    let mut q = SearchQuery::new(text);
    q.limit = 10_000;
    let r = v.search(&q).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(r.total as usize, r.hits.len(), "{text}");
    r.hits.into_iter().map(|h| h.testimony.code).collect()
}

#[test]
fn every_spelling_of_a_name_finds_the_others_in_every_script() {
    let set = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/search/names.tsv"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(String, String, String)> = set
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{l}");
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    let scripts: BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let people: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert!(
        rows.len() >= 100 && scripts.len() >= 4,
        "{} spellings, {scripts:?}",
        rows.len()
    );

    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let person_of: BTreeMap<String, String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("N-{i:03}"), r.0.clone()))
        .collect();
    let items = rows
        .iter()
        .enumerate()
        .map(|(i, r)| name_testimony(&format!("N-{i:03}"), &r.2))
        .collect();
    v.add_testimonies(items).unwrap_or_else(|e| panic!("{e}"));

    let (mut relevant, mut found, mut returned, mut correct) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let mut per_script: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, (person, script, spelling)) in rows.iter().enumerate() {
        let me = format!("N-{i:03}");
        let got: BTreeSet<String> = codes(&v, spelling)
            .into_iter()
            .filter(|c| *c != me)
            .collect();
        let want: BTreeSet<String> = person_of
            .iter()
            .filter(|(c, p)| *p == person && **c != me)
            .map(|(c, _)| c.clone())
            .collect();
        let hit = got.intersection(&want).count();
        relevant += want.len();
        found += hit;
        returned += got.len();
        correct += got
            .iter()
            .filter(|c| person_of.get(*c) == Some(person))
            .count();
        let s = per_script.entry(script).or_default();
        s.0 += want.len();
        s.1 += hit;
        for c in want.difference(&got) {
            let i: usize = c[2..].parse().unwrap_or_default();
            misses.push(format!("{spelling} ✗ {}", rows[i].2));
        }
        for c in got.difference(&want) {
            let i: usize = c[2..].parse().unwrap_or_default();
            misses.push(format!("{spelling} ≠ {}", rows[i].2));
        }
    }
    let recall = found as f64 / relevant as f64;
    let precision = correct as f64 / returned.max(1) as f64;
    println!(
        "{} spellings of {} people in {} scripts: recall {recall:.3} ({found}/{relevant}), \
         precision {precision:.3} ({correct}/{returned})",
        rows.len(),
        people.len(),
        scripts.len()
    );
    for (script, (want, hit)) in &per_script {
        println!(
            "  queries in {script}: recall {:.3}",
            *hit as f64 / *want as f64
        );
    }
    println!(
        "not found (✗) and wrongly found (≠):\n  {}",
        misses.join("\n  ")
    );
    assert!(recall >= 0.95, "recall {recall:.3}");
    assert!(precision >= 0.9, "precision {precision:.3}");
}

#[test]
fn two_character_chinese_words_are_found_inside_longer_text() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let json = serde_json::json!({
        "code": "H-1",
        "narrative": "我的弟弟二零一八年春天在乌鲁木齐被拘留，后来被送到再教育营。",
    });
    v.add_testimony(Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    for word in ["拘留", "弟弟", "乌鲁木齐", "教育", "再教育营", "春"] {
        assert_eq!(codes(&v, word), ["H-1"], "{word}");
    }
    for absent in ["释放", "拘捕", "木乌"] {
        assert!(codes(&v, absent).is_empty(), "{absent}");
    }
    let mut q = SearchQuery::new("拘留");
    q.limit = 1;
    let hit = v.search(&q).unwrap_or_else(|e| panic!("{e}"));
    let marked: Vec<&str> = hit.hits[0]
        .snippet
        .iter()
        .filter(|p| p.hit)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(marked, ["拘留"]);
}

/// The decrypted index of a vault's snapshot, opened as the SQLite database it is: every
/// byte of the search index's tables (contentless FTS5: `search_data`, `search_idx`, …),
/// and every term FTS5 itself lists for it (terms are stored prefix-compressed, so a term
/// may not appear whole in the bytes).
fn search_index(dir: &Path, recovery: &amanat::RecoveryKey) -> (Vec<u8>, BTreeSet<String>) {
    let identity: age::x25519::Identity = recovery
        .expose()
        .expose_secret()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let decrypt = |path: &Path| {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut r = age::Decryptor::new(std::io::BufReader::new(file))
            .and_then(|d| d.decrypt(std::iter::once(&identity as &dyn age::Identity)))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    };
    // recovery.age holds the vault's own X25519 identity (second line).
    let keys = String::from_utf8(decrypt(&dir.join("keys/recovery.age"))).unwrap_or_default();
    let vault_identity: age::x25519::Identity = keys
        .lines()
        .nth(1)
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::File::open(dir.join("snapshot.age")).unwrap_or_else(|e| panic!("{e}"));
    let mut snap = Vec::new();
    age::Decryptor::new(std::io::BufReader::new(file))
        .and_then(|d| d.decrypt(std::iter::once(&vault_identity as &dyn age::Identity)))
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_end(&mut snap)
        .unwrap_or_else(|e| panic!("{e}"));
    // "AMANAT-SNAPSHOT\n" · u32 LE meta length · meta JSON · database · 64-byte signature.
    assert_eq!(&snap[..16], b"AMANAT-SNAPSHOT\n");
    let meta_len = u32::from_le_bytes([snap[16], snap[17], snap[18], snap[19]]) as usize;
    let db = &snap[20 + meta_len..snap.len() - 64];
    let mut conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    conn.deserialize_read_exact(rusqlite::MAIN_DB, db, db.len(), true)
        .unwrap_or_else(|e| panic!("{e}"));
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'search_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(tables.iter().any(|t| t == "search_data"), "{tables:?}");
    let mut bytes = Vec::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .unwrap_or_else(|e| panic!("{e}"));
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap_or_else(|e| panic!("{e}"));
        while let Some(row) = rows.next().unwrap_or_else(|e| panic!("{e}")) {
            for i in 0..n {
                match row.get_ref(i).unwrap_or_else(|e| panic!("{e}")) {
                    rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                        bytes.extend_from_slice(b)
                    }
                    _ => {}
                }
            }
        }
    }
    let terms = conn
        .execute_batch("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, search, 'row')")
        .and_then(|()| {
            conn.prepare("SELECT term FROM vocab")?
                .query_map([], |r| r.get(0))?
                .collect()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    (bytes, terms)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn deleted_and_redacted_text_leaves_no_trace_in_the_search_index() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, recovery) = common::create(&dir);
    // Words no other text shares a prefix with (FTS5 stores terms prefix-compressed).
    let redacted = ("zqvredactedcanary", "鬯鬱");
    let deleted = ("zqwdeletedcanary", "龘龖");
    let name = "Qorqytbekzhantursyngali";
    let key = amanat::search::fold::fold_word(name).unwrap_or_default();
    let t = |code: &str, word: &str, han: &str, person: &str| {
        let json = serde_json::json!({
            "code": code,
            "summary": "kept",
            "narrative": format!("before {word} after {han}之后"),
            "persons": [{"names": [{"name": person}], "roles": ["victim"]}],
        });
        Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"))
    };
    let keep = v
        .add_testimony(t("K-1", redacted.0, redacted.1, name))
        .unwrap_or_else(|e| panic!("{e}"));
    let gone = v
        .add_testimony(t("D-1", deleted.0, deleted.1, "Aigul"))
        .unwrap_or_else(|e| panic!("{e}"));
    for needle in [
        redacted.0,
        redacted.1,
        deleted.0,
        deleted.1,
        "Qorqytbekzhan",
    ] {
        assert_eq!(
            codes(&v, needle).len(),
            1,
            "{needle} is found while it is there"
        );
    }
    v.snapshot_now().unwrap_or_else(|e| panic!("{e}"));
    let terms = [redacted.0, redacted.1, deleted.0, deleted.1, key.as_str()];
    // ASCII terms share no prefix with any other term but their first letters.
    let bytes = ["redactedcanary", "deletedcanary", &key[2..]];
    let (raw, vocab) = search_index(&dir, &recovery);
    for t in terms {
        assert!(vocab.contains(t), "FTS5 lists {t} while it is indexed");
    }
    for b in bytes {
        assert!(contains(&raw, b), "the scan sees {b} while it is indexed");
    }

    v.edit_testimony(
        keep,
        &serde_json::json!({"narrative": "nothing here", "persons": []}),
        Some("redacted at the witness's request"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    v.delete_testimony(gone, "consent withdrawn")
        .unwrap_or_else(|e| panic!("{e}"));
    for needle in [
        redacted.0,
        redacted.1,
        deleted.0,
        deleted.1,
        name,
        "Qorqytbekzhan",
    ] {
        assert!(codes(&v, needle).is_empty(), "{needle} is still found");
    }
    assert_eq!(codes(&v, "kept"), ["K-1"]);
    v.close().unwrap_or_else(|e| panic!("{e}"));
    let (raw, vocab) = search_index(&dir, &recovery);
    for t in terms {
        assert!(!vocab.contains(t), "FTS5 still lists {t}");
    }
    for b in bytes {
        assert!(
            !contains(&raw, b),
            "{b} is left in the search index's bytes"
        );
    }
}

#[test]
fn a_word_in_more_than_a_thousand_testimonies_shows_the_newest_first() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let items = (0..1100)
        .map(|i| {
            let words = if i % 100 == 7 {
                "detained rarely"
            } else {
                "detained"
            };
            let json = serde_json::json!({"code": format!("M-{i:04}"), "narrative": words});
            Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    v.add_testimonies(items).unwrap_or_else(|e| panic!("{e}"));
    let r = v
        .search(&SearchQuery::new("detained"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.more && r.total == 1000, "{} {}", r.total, r.more);
    let got: Vec<&str> = r.hits.iter().map(|h| h.testimony.code.as_str()).collect();
    assert_eq!(got.len(), 20);
    assert_eq!(got[..3], ["M-1099", "M-1098", "M-1097"]);
    let r = v
        .search(&SearchQuery::new("detained rarely"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!r.more && r.total == 11, "{} {}", r.total, r.more);
}

fn filtered(v: &Vault, text: &str, f: amanat::Filters) -> Vec<String> {
    let mut q = SearchQuery::new(text);
    q.filters = f;
    q.limit = 100;
    let mut got: Vec<String> = v
        .search(&q)
        .unwrap_or_else(|e| panic!("{e}"))
        .hits
        .into_iter()
        .map(|h| h.testimony.code)
        .collect();
    got.sort();
    got
}

#[test]
fn filters_use_date_bounds_the_place_hierarchy_and_vocabularies_and_facets_count_them() {
    use amanat::model::vocab::{ConsentScope, EventKind, Status};
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let prefecture = "0190a1b2-0000-7000-8000-00000000aa01";
    let county = "0190a1b2-0000-7000-8000-00000000aa02";
    let t = |code: &str, date: &str, kind: &str, extra: serde_json::Value| {
        let mut json = serde_json::json!({
            "code": code,
            "interview_date": "2025-03-01",
            "interviewer": "Aigerim",
            "narrative": "detained",
            "testifier": {"names": [{"name": "Witness"}]},
            "events": [{"kind": kind, "start": date}],
        });
        if let (Some(o), Some(e)) = (json.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{code}: {e}"))
    };
    let places = serde_json::json!([
        {"id": prefecture, "names": [{"name": "Ili Kazakh Autonomous Prefecture"}, {"name": "Іле"}], "level": "prefecture"},
        {"id": county, "names": [{"name": "Ghulja"}, {"name": "伊宁县"}], "level": "county", "parent": prefecture}
    ]);
    v.add_testimonies(vec![
        t("F-spring", "2018-21", "detention", serde_json::json!({
            "places": places,
            "events": [{"kind": "detention", "start": "2018-21", "place_id": county}],
            "tags": ["camp"],
            "consents": [{"scopes": {"store_internally": "granted", "publish_anonymised": "granted"}}]
        })),
        t("F-span", "2017/2019", "detention", serde_json::json!({"tags": ["camp", "factory"], "status": "reviewed"})),
        t("F-2016", "2016-05", "detention", serde_json::json!({"interviewer": "Nurlan"})),
        t("F-release", "2018-06", "release", serde_json::json!({
            "events": [{"kind": "release", "start": "2018-06", "place": "Ghulja"}],
            "consents": [{"scopes": {"store_internally": "refused"}}]
        })),
        t("F-open", "2019/..", "detention", serde_json::json!({"interview_date": "2019-07-02"})),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let f = amanat::Filters::default;

    // "Detained in 2018": spring 2018 and 2017/2019 may fall in it; 2016 and a release not.
    let in_2018 = amanat::Filters {
        event: Some("2018".into()),
        event_kinds: vec![EventKind::Detention],
        ..f()
    };
    assert_eq!(filtered(&v, "", in_2018.clone()), ["F-span", "F-spring"]);
    assert_eq!(filtered(&v, "detained", in_2018), ["F-span", "F-spring"]);
    let after_2019 = amanat::Filters {
        event: Some("2020/..".into()),
        ..f()
    };
    assert_eq!(
        filtered(&v, "", after_2019),
        ["F-open"],
        "an open end reaches any later date"
    );
    // A place finds events there and below it, by any of its names.
    for name in [
        "Ili Kazakh Autonomous Prefecture",
        "іле",
        "Ghulja",
        "伊宁县",
    ] {
        let at = amanat::Filters {
            place: Some(name.into()),
            ..f()
        };
        let want: &[&str] = if name == "Ghulja" {
            &["F-release", "F-spring"]
        } else {
            &["F-spring"]
        };
        assert_eq!(filtered(&v, "", at), want, "{name}");
    }
    let same_event = amanat::Filters {
        place: Some("Ghulja".into()),
        event_kinds: vec![EventKind::Detention],
        event: Some("2018-06".into()),
        ..f()
    };
    assert!(
        filtered(&v, "", same_event).is_empty(),
        "one event must match kind, place and date"
    );
    let tagged = amanat::Filters {
        tags: vec!["factory".into()],
        ..f()
    };
    assert_eq!(filtered(&v, "", tagged), ["F-span"]);
    let reviewed = amanat::Filters {
        statuses: vec![Status::Reviewed],
        ..f()
    };
    assert_eq!(filtered(&v, "", reviewed), ["F-span"]);
    let consent = amanat::Filters {
        consents: vec![ConsentScope::StoreInternally],
        ..f()
    };
    assert_eq!(
        filtered(&v, "", consent),
        ["F-spring"],
        "a refusal does not count"
    );
    let by = amanat::Filters {
        interviewer: Some("Nurlan".into()),
        ..f()
    };
    assert_eq!(filtered(&v, "", by), ["F-2016"]);
    let interviewed = amanat::Filters {
        interview: Some("2019".into()),
        ..f()
    };
    assert_eq!(filtered(&v, "", interviewed), ["F-open"]);
    let bad = SearchQuery {
        filters: amanat::Filters {
            event: Some("soon".into()),
            ..f()
        },
        ..SearchQuery::new("")
    };
    assert_eq!(
        v.search(&bad).err().map(|e| e.code()),
        Some("invalid_input")
    );

    let facets = v
        .facets(&SearchQuery::new("detained"))
        .unwrap_or_else(|e| panic!("{e}"));
    let count = |list: &[amanat::FacetCount], value: &str| {
        list.iter()
            .find(|c| c.value == value)
            .map_or(0, |c| c.count)
    };
    assert_eq!(facets.total, 5);
    assert_eq!(count(&facets.event_kinds, "detention"), 4);
    assert_eq!(count(&facets.event_kinds, "release"), 1);
    assert_eq!(count(&facets.places, "Ghulja"), 2);
    assert_eq!(count(&facets.places, "Ili Kazakh Autonomous Prefecture"), 1);
    assert_eq!(count(&facets.tags, "camp"), 2);
    assert_eq!(count(&facets.statuses, "draft"), 4);
    assert_eq!(count(&facets.consents, "publish_anonymised"), 1);
    assert_eq!(count(&facets.interviewers, "Aigerim"), 4);
    assert_eq!(count(&facets.years, "2025"), 4);
    assert_eq!(count(&facets.years, "2019"), 1);
    let narrowed = SearchQuery {
        filters: amanat::Filters {
            tags: vec!["camp".into()],
            ..f()
        },
        ..SearchQuery::new("detained")
    };
    let facets = v.facets(&narrowed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((facets.total, count(&facets.tags, "factory")), (2, 1));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Whatever is typed (FTS5 syntax, quotes, stars, control characters, any script) is
    /// searched for, never run: the search answers, and so do its facets and people.
    #[test]
    fn any_typed_query_is_answered_never_an_error(text in "\\PC{0,40}|[\"*():^+-]{1,8}|(AND|OR|NOT|NEAR) [a-z\"]{0,5}") {
        thread_local! {
            static VAULT: (tempfile::TempDir, std::cell::RefCell<Vault>) = {
                let root = common::tempdir();
                let (mut v, _) = common::create(&root.path().join("v"));
                v.add_testimony(name_testimony("P-1", "Ержанат Абай"))
                    .unwrap_or_else(|e| panic!("{e}"));
                (root, std::cell::RefCell::new(v))
            };
        }
        VAULT.with(|(_, v)| {
            let v = v.borrow();
            let q = SearchQuery::new(text.as_str());
            proptest::prop_assert!(v.search(&q).is_ok(), "search {:?}: {:?}", text, v.search(&q).err());
            proptest::prop_assert!(v.facets(&q).is_ok(), "facets {:?}", text);
            proptest::prop_assert!(v.people(&text, 10).is_ok(), "people {:?}", text);
            Ok(())
        })?;
    }
}

#[test]
fn an_event_with_an_open_or_unknown_bound_reaches_as_far_as_that_bound_allows() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let t = |code: &str, start: &str, end: &str| {
        let json = serde_json::json!({
            "code": code,
            "narrative": "detained",
            "testifier": {"names": [{"name": "Witness"}]},
            "events": [{"kind": "detention", "start": start, "end": end}],
        });
        Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{code}: {e}"))
    };
    v.add_testimonies(vec![
        // Began at some time up to 2017 (no earlier limit), ended in 2019.
        t("O-open-start", "../2017", "2019"),
        // Began in 2015, ended in 2019 or later.
        t("O-open-end", "2015", "2019/.."),
        // Began at an unknown time up to 2017, ended in 2019.
        t("O-unknown-start", "/2017", "2019"),
        // Over before 2018, and begun after it.
        t("O-before", "../2016", "2017"),
        t("O-after", "2019", "2020/.."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let in_2018 = amanat::Filters {
        event: Some("2018".into()),
        ..amanat::Filters::default()
    };
    assert_eq!(
        filtered(&v, "", in_2018),
        ["O-open-end", "O-open-start", "O-unknown-start"],
        "an event from ../2017 to 2019 or from 2015 to 2019/.. covers 2018"
    );
}
