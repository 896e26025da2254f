//! The core API as the app uses it: saves, deletes, search, background snapshots, reopen.

mod common;

#[test]
fn a_deleted_testimony_leaves_the_list_and_the_search_index_but_keeps_its_history() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, _) = common::create(&dir);
    let keep = v
        .add_testimony(common::testimony("S-1", "alpha"))
        .unwrap_or_else(|e| panic!("{e}"));
    let gone = v
        .add_testimony(common::testimony("S-2", "Бета"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.search(&amanat::SearchQuery::new("Бета"))
            .map(|r| r.hits.len())
            .ok(),
        Some(1)
    );
    assert_eq!(
        v.search(&amanat::SearchQuery::new("бета"))
            .map(|r| r.hits.len())
            .ok(),
        Some(1),
        "search ignores case in Cyrillic"
    );
    v.delete_testimony(gone, "consent withdrawn")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.search(&amanat::SearchQuery::new("Бета"))
            .map(|r| r.hits.len())
            .ok(),
        Some(0)
    );
    assert_eq!(v.list_testimonies().map(|l| l.len()).ok(), Some(1));
    assert_eq!(v.history(gone).map(|h| h.len()).ok(), Some(2));
    v.close().unwrap_or_else(|e| panic!("{e}"));
    let v = common::open(&dir);
    assert_eq!(
        v.search(&amanat::SearchQuery::new("Бета"))
            .map(|r| r.hits.len())
            .ok(),
        Some(0)
    );
    assert!(v.testimony(keep).is_ok());
    assert_eq!(v.testimony(gone).err().map(|e| e.code()), Some("not_found"));
}

#[test]
fn background_snapshots_keep_the_log_short_and_lose_nothing() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, _) = common::create(&dir);
    v.set_snapshot_after_bytes(32 * 1024);
    let mut ids = Vec::new();
    for i in 0..120 {
        ids.push(
            v.add_testimony(common::testimony(&format!("B-{i}"), "bg"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    assert!(v.last_snapshot_error().is_none());
    assert!(
        v.log_tail_bytes() < 64 * 1024,
        "tail {}",
        v.log_tail_bytes()
    );
    drop(v); // no closing snapshot
    let segments = std::fs::read_dir(dir.join("log"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert!(segments <= 4, "old segments were not removed: {segments}");
    let mut v = common::open(&dir);
    assert!(v.open_report().frames_replayed < 40);
    for id in &ids {
        assert!(v.testimony(*id).is_ok());
    }
    assert!(v.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn a_locked_testimony_refuses_edits_until_its_status_changes() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let mut t = common::testimony("L-1", "lock");
    t.status = amanat::model::Status::Locked;
    let id = v.add_testimony(t.clone()).unwrap_or_else(|e| panic!("{e}"));
    let mut edited = t.clone();
    edited.summary = "changed".into();
    assert_eq!(
        v.update_testimony(id, edited.clone(), None)
            .err()
            .map(|e| e.code()),
        Some("record_locked")
    );
    let mut unlocked = t.clone();
    unlocked.status = amanat::model::Status::Reviewed;
    v.update_testimony(id, unlocked, Some("corrections"))
        .unwrap_or_else(|e| panic!("{e}"));
    edited.status = amanat::model::Status::Reviewed;
    v.update_testimony(id, edited, None)
        .unwrap_or_else(|e| panic!("{e}"));
    // Saving the same state again records nothing.
    let n = v.history(id).map(|h| h.len()).unwrap_or(0);
    let same = v
        .testimony(id)
        .map(|s| s.testimony)
        .unwrap_or_else(|e| panic!("{e}"));
    v.update_testimony(id, same, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.history(id).map(|h| h.len()).unwrap_or(0), n);
}
