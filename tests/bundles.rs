//! Bundles between real vaults on a real filesystem: contacts, a full round trip with
//! attachments, re-import, consent, anonymisation, conflicts, and what a recipient who is
//! not addressed sees.

mod common;

use std::path::{Path, PathBuf};

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{AttachOptions, Progress, Testimony, Vault};
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

struct Pair {
    _root: tempfile::TempDir,
    root: PathBuf,
    a: Vault,
    b: Vault,
}

/// Interviewer vault A and coordinator vault B, each with the other as a contact.
fn pair() -> Pair {
    let root = common::tempdir();
    let path = root.path().to_path_buf();
    let (mut a, _) = common::create(&path.join("a.amanat"));
    let (mut b, _) = common::create(&path.join("b.amanat"));
    let card_a = a
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    let card_b = b
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    a.add_contact(&card_b, Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("add contact: {e}"));
    b.add_contact(&card_a, Some("Interviewer"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("add contact: {e}"));
    Pair {
        _root: root,
        root: path,
        a,
        b,
    }
}

fn export(v: &mut Vault, to: &str, profile: ExportProfile, sel: Selection, out: &Path) {
    let req = ExportRequest {
        to: vec![to.into()],
        profile,
        selection: sel,
    };
    v.export_bundle(&req, out, &mut go)
        .unwrap_or_else(|e| panic!("export: error[{}] {e}", e.code()));
}

fn import(v: &mut Vault, file: &Path) -> amanat::bundle::ImportReport {
    v.import_bundle(file, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code()))
}

fn attach(v: &mut Vault, id: Uuid, path: &Path, seed: u32) -> Uuid {
    common::png_like(path, 300_000, seed);
    v.attach_file(id, path, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("attach: {e}"))
}

fn content(v: &mut Vault, id: Uuid) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    v.read_attachment(id)
        .and_then(|mut r| {
            r.read_to_end(&mut out)
                .map_err(|e| amanat::Error::Internal(e.to_string()))
        })
        .unwrap_or_else(|e| panic!("read: {e}"));
    out
}

#[test]
fn a_round_trip_brings_every_revision_and_file_and_importing_again_changes_nothing() {
    let mut p = pair();
    let t =
        p.a.add_testimony(common::testimony("ALA-1", "ROUNDTRIP"))
            .unwrap_or_else(|e| panic!("{e}"));
    p.a.edit_testimony(t, &serde_json::json!({"summary": "second version"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let f1 = attach(&mut p.a, t, &p.root.join("call.png"), 1);
    let f2 = attach(&mut p.a, t, &p.root.join("doc.png"), 2);
    let out = p.root.join("usb").join("to-coordinator.amanat");
    std::fs::create_dir_all(out.parent().unwrap_or(&p.root)).unwrap_or_else(|e| panic!("{e}"));
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &out,
    );

    let report = import(&mut p.b, &out);
    assert_eq!(report.testimonies_new, 1);
    assert_eq!(report.attachments_new, 2);
    assert!(report.conflicts.is_empty());
    assert_eq!(report.sender.contact.as_deref(), Some("Interviewer"));

    let on_a = p.a.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    let on_b = p.b.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(on_a.testimony, on_b.testimony);
    assert_eq!(on_a.heads, on_b.heads);
    // Every revision reaches the other side, in order; only the current version with its
    // content (docs/trust-model.md §1: history goes as proofs).
    let proofs = |v: &Vault| -> Vec<(String, String, String, Vec<String>)> {
        v.history(t)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|e| (e.hash, e.at, e.author, e.parents))
            .collect()
    };
    assert_eq!(proofs(&p.a), proofs(&p.b));
    let withheld: Vec<bool> =
        p.b.history(t)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|e| e.content_withheld)
            .collect();
    assert_eq!(withheld, [true, false]);
    for f in [f1, f2] {
        assert_eq!(content(&mut p.a, f), content(&mut p.b, f));
        let a_att = p.a.attachment(f).unwrap_or_else(|e| panic!("{e}"));
        let b_att = p.b.attachment(f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a_att.attachment, b_att.attachment);
        assert_eq!(a_att.heads, b_att.heads);
        // The transfer is in the custody log on both sides.
        let last = a_att.attachment.custody.last().map(|c| c.action.as_str());
        assert_eq!(last, Some("transferred"));
    }
    let verified = p.b.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(verified.ok(), "{:?}", verified.problems);

    // The same bundle again: refused, nothing written.
    let before = common::snapshot_dir(&p.root.join("b.amanat"));
    let again = p.b.import_bundle(&out, &ImportOptions::default(), &mut go);
    assert_eq!(
        again.err().map(|e| e.code()),
        Some("bundle_already_imported")
    );
    assert_eq!(before, common::snapshot_dir(&p.root.join("b.amanat")));

    // B reopened still has everything (the commit was durable).
    drop(p.b);
    let mut b = common::open(&p.root.join("b.amanat"));
    assert_eq!(
        b.testimony(t).map(|s| s.testimony).ok(),
        Some(on_a.testimony)
    );
    assert!(b.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn since_last_sends_only_what_is_new_or_changed() {
    let mut p = pair();
    let t1 =
        p.a.add_testimony(common::testimony("S-1", "x"))
            .unwrap_or_else(|e| panic!("{e}"));
    let out1 = p.root.join("1.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &out1,
    );
    let req = ExportRequest {
        to: vec!["Coordinator".into()],
        profile: ExportProfile::Full,
        selection: Selection::SinceLast,
    };
    let plan = p.a.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.included.is_empty(), "{plan:?}");
    let none =
        p.a.export_bundle(&req, &p.root.join("none.amanat"), &mut go);
    assert_eq!(none.err().map(|e| e.code()), Some("nothing_to_export"));

    let t2 =
        p.a.add_testimony(common::testimony("S-2", "y"))
            .unwrap_or_else(|e| panic!("{e}"));
    p.a.edit_testimony(t1, &serde_json::json!({"summary": "changed"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = p.a.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    let mut codes: Vec<&str> = plan.included.iter().map(|t| t.code.as_str()).collect();
    codes.sort();
    assert_eq!(codes, ["S-1", "S-2"]);
    let out2 = p.root.join("2.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &out2,
    );

    // Delivered out of order: the second bundle first, then the first one: both import.
    let r2 = import(&mut p.b, &out2);
    assert_eq!((r2.testimonies_new, r2.seq), (2, 2));
    let r1 = import(&mut p.b, &out1);
    assert_eq!((r1.testimonies_new, r1.revisions_new), (0, 0));
    assert_eq!(
        p.b.testimony(t1)
            .map(|s| s.testimony.summary)
            .ok()
            .as_deref(),
        Some("changed")
    );
    assert!(p.b.testimony(t2).is_ok());
}

fn with_consent(code: &str, scopes: serde_json::Value) -> Testimony {
    let mut v = common::testimony(code, "c").to_value().unwrap_or_default();
    v["consents"] = serde_json::json!([{ "scopes": scopes }]);
    Testimony::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn consent_decides_what_leaves_and_the_plan_says_why_before_anything_is_written() {
    let mut p = pair();
    let partner_vault = p.root.join("partner.amanat");
    let (partner, _) = common::create(&partner_vault);
    let card = partner
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    p.a.add_contact(&card, Some("Partner NGO"), ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let internal_only =
        p.a.add_testimony(with_consent(
            "C-1",
            serde_json::json!({"store_internally": "granted"}),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let shareable =
        p.a.add_testimony(with_consent(
            "C-2",
            serde_json::json!({"store_internally": "granted", "share_with_partner": "granted",
                               "publish_anonymised": "refused"}),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let to_partner = ExportRequest {
        to: vec!["Partner NGO".into()],
        profile: ExportProfile::Full,
        selection: Selection::All,
    };
    let plan =
        p.a.plan_export(&to_partner)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.included.iter().map(|t| t.id).collect::<Vec<_>>(),
        [shareable]
    );
    assert_eq!(plan.left_out.len(), 1);
    assert_eq!(plan.left_out[0].id, internal_only);
    assert_eq!(plan.left_out[0].scope.as_str(), "share_with_partner");

    let anonymised = ExportRequest {
        to: vec!["Partner NGO".into()],
        profile: ExportProfile::Anonymised,
        selection: Selection::Ids(vec![internal_only, shareable]),
    };
    let plan =
        p.a.plan_export(&anonymised)
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.included.is_empty());
    let refused =
        p.a.export_bundle(&anonymised, &p.root.join("anon.amanat"), &mut go);
    assert_eq!(refused.err().map(|e| e.code()), Some("nothing_to_export"));
    assert!(!p.root.join("anon.amanat").exists());
    assert_eq!(
        common::temp_files(&p.root),
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn two_interviewers_editing_one_testimony_make_one_conflict_that_the_coordinator_resolves() {
    let mut p = pair();
    let (mut c, _) = common::create(&p.root.join("c.amanat"));
    let card_b =
        p.b.contact_card()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
    let card_c = c
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    let card_a =
        p.a.contact_card()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
    c.add_contact(&card_b, Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    c.add_contact(&card_a, Some("Interviewer A"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    p.a.add_contact(&card_c, Some("Interviewer C"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    p.b.add_contact(&card_c, Some("Interviewer C"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));

    let t =
        p.a.add_testimony(common::testimony("K-1", "k"))
            .unwrap_or_else(|e| panic!("{e}"));
    let shared = p.root.join("shared.amanat");
    export(
        &mut p.a,
        "Interviewer C",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &shared,
    );
    import(&mut c, &shared);
    p.a.edit_testimony(t, &serde_json::json!({"summary": "A's version"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    c.edit_testimony(t, &serde_json::json!({"summary": "C's version"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let from_a = p.root.join("from-a.amanat");
    let from_c = p.root.join("from-c.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &from_a,
    );
    export(
        &mut c,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &from_c,
    );
    assert!(import(&mut p.b, &from_a).conflicts.is_empty());
    let report = import(&mut p.b, &from_c);
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(p.b.conflicts().map(|c| c.len()).ok(), Some(1));

    // An ordinary edit is refused until the conflict is resolved.
    let edit =
        p.b.edit_testimony(t, &serde_json::json!({"summary": "x"}), None);
    assert_eq!(edit.err().map(|e| e.code()), Some("conflict"));
    let sides = p.b.conflict_sides(t).unwrap_or_else(|e| panic!("{e}"));
    let summaries: Vec<&str> = sides
        .iter()
        .filter_map(|s| Some(s.testimony.as_ref()?.summary.as_str()))
        .collect();
    assert!(summaries.contains(&"A's version") && summaries.contains(&"C's version"));
    let mut merged = sides[0]
        .testimony
        .clone()
        .unwrap_or_else(|| panic!("a side without a version"));
    merged.summary = "A's version; C's version".into();

    // While the coordinator looks at these two versions, A's next edit arrives: resolving
    // with what was shown would override a version nobody looked at, so it is refused.
    let shown: Vec<String> = sides.iter().map(|s| s.revision.clone()).collect();
    p.a.edit_testimony(
        t,
        &serde_json::json!({"summary": "A's second thought"}),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let again = p.root.join("from-a-again.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &again,
    );
    import(&mut p.b, &again);
    let stale =
        p.b.resolve_conflict(t, merged.clone(), &shown, Some("both are right"));
    assert_eq!(stale.err().map(|e| e.code()), Some("stale"));
    let take = p.b.take_side(t, &shown[0], &shown, None);
    assert_eq!(take.err().map(|e| e.code()), Some("stale"));
    assert_eq!(p.b.conflicts().map(|c| c.len()).ok(), Some(1));
    let sides = p.b.conflict_sides(t).unwrap_or_else(|e| panic!("{e}"));
    assert!(sides.iter().any(|s| s.testimony.as_ref().map(|t| t.summary.as_str())
        == Some("A's second thought")));
    let shown: Vec<String> = sides.iter().map(|s| s.revision[..12].to_string()).collect();
    p.b.resolve_conflict(t, merged, &shown, Some("both are right"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.b.conflicts().map(|c| c.len()).ok(), Some(0));
    // History keeps both sides, and the resolution follows both.
    let history = p.b.history(t).unwrap_or_else(|e| panic!("{e}"));
    let side_hashes: Vec<&str> = sides.iter().map(|s| s.revision.as_str()).collect();
    for h in &side_hashes {
        assert!(history.iter().any(|e| e.hash == *h), "side {h} missing");
    }
    let resolution = history
        .iter()
        .find(|e| e.reason.as_deref() == Some("both are right"))
        .unwrap_or_else(|| panic!("no resolution in {history:?}"));
    let mut parents: Vec<&str> = resolution.parents.iter().map(String::as_str).collect();
    parents.sort();
    let mut expected = side_hashes.clone();
    expected.sort();
    assert_eq!(parents, expected);
    assert!(p.b.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn a_bundle_for_someone_else_or_from_a_stranger_is_refused_and_changes_nothing() {
    let mut p = pair();
    let t =
        p.a.add_testimony(common::testimony("U-1", "u"))
            .unwrap_or_else(|e| panic!("{e}"));
    let out = p.root.join("b.bundle.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &out,
    );

    // A third vault that is not a recipient.
    let (mut x, _) = common::create(&p.root.join("x.amanat"));
    let r = x.import_bundle(&out, &ImportOptions::default(), &mut go);
    assert_eq!(r.err().map(|e| e.code()), Some("bundle_not_for_you"));

    // B without A as a contact: held for confirmation, then accepted with the fingerprint.
    p.b.remove_contact("Interviewer")
        .unwrap_or_else(|e| panic!("{e}"));
    let before = common::snapshot_dir(&p.root.join("b.amanat"));
    let held = p.b.import_bundle(&out, &ImportOptions::default(), &mut go);
    let fingerprint = match held {
        Err(amanat::Error::UnknownSender { fingerprint, .. }) => fingerprint,
        other => panic!("expected unknown_sender, got {:?}", other.err()),
    };
    assert_eq!(before, common::snapshot_dir(&p.root.join("b.amanat")));
    let checked =
        p.b.verify_bundle(&out, &mut go)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(checked.sender.fingerprint, fingerprint);
    assert_eq!(checked.sender.contact, None);
    assert_eq!(before, common::snapshot_dir(&p.root.join("b.amanat")));
    let opts = ImportOptions {
        accept_sender: Some(fingerprint),
    };
    p.b.import_bundle(&out, &opts, &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let contacts = p.b.contacts().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        contacts
            .iter()
            .any(|c| c.card_name == "Test device" && c.verified_at.is_none())
    );
}

#[test]
fn deletions_travel_with_the_next_export_and_files_are_not_sent_twice() {
    let mut p = pair();
    let keep =
        p.a.add_testimony(common::testimony("D-1", "d"))
            .unwrap_or_else(|e| panic!("{e}"));
    let gone =
        p.a.add_testimony(common::testimony("D-2", "e"))
            .unwrap_or_else(|e| panic!("{e}"));
    let photo = p.root.join("photo.png");
    let f = attach(&mut p.a, keep, &photo, 3);
    // The same content attached twice: one member in the bundle, two files at the other end.
    let twin =
        p.a.attach_file(keep, &photo, &AttachOptions::default(), &mut go)
            .unwrap_or_else(|e| panic!("{e}"));
    let first = p.root.join("first.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &first,
    );
    let r = import(&mut p.b, &first);
    assert_eq!((r.testimonies_new, r.attachments_new), (2, 2));
    assert_eq!(content(&mut p.b, f), content(&mut p.b, twin));
    let b_dir = p.root.join("b.amanat");
    assert_eq!(common::blob_files(&b_dir).len(), 2);

    p.a.delete_attachment(f, "wrong file")
        .unwrap_or_else(|e| panic!("{e}"));
    p.a.delete_testimony(gone, "the witness withdrew")
        .unwrap_or_else(|e| panic!("{e}"));
    let req = ExportRequest {
        to: vec!["Coordinator".into()],
        profile: ExportProfile::Full,
        selection: Selection::SinceLast,
    };
    let plan = p.a.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.deleted
            .iter()
            .map(|d| d.code.as_str())
            .collect::<Vec<_>>(),
        ["D-2"]
    );
    assert_eq!(plan.included.len(), 1);
    let second = p.root.join("second.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &second,
    );
    // Deletions by another device wait for the coordinator's review (docs/trust-model.md
    // §4): the file and the testimony are still there until accepted.
    let report = import(&mut p.b, &second);
    assert_eq!(report.proposals.len(), 2, "{:?}", report.proposals);
    assert!(p.b.testimony(gone).is_ok() && p.b.attachment(f).is_ok());
    for proposal in p.b.proposals().unwrap_or_else(|e| panic!("{e}")) {
        p.b.accept_proposal(&proposal.revision, None)
            .unwrap_or_else(|e| panic!("accept: {e}"));
    }
    assert_eq!(
        p.b.testimony(gone).err().map(|e| e.code()),
        Some("not_found")
    );
    assert_eq!(p.b.attachment(f).err().map(|e| e.code()), Some("not_found"));
    assert!(p.b.attachment(twin).is_ok());
    assert_eq!(
        common::blob_files(&b_dir).len(),
        1,
        "the deleted file's blob is removed"
    );
    assert!(p.b.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn the_next_export_removes_a_partial_bundle_a_killed_export_left_and_nothing_else() {
    let mut p = pair();
    let t =
        p.a.add_testimony(common::testimony("X-1", "x"))
            .unwrap_or_else(|e| panic!("{e}"));
    let stick = p.root.join("stick");
    std::fs::create_dir_all(stick.join("folder.amanat-partial.tmp"))
        .unwrap_or_else(|e| panic!("{e}"));
    let left = stick.join("monday.amanat.amanat-partial.tmp");
    let theirs = [
        (stick.join("notes.tmp"), b"the user's own".as_slice()),
        (stick.join("photo.jpg"), b"\xff\xd8\xff"),
        (stick.join("monday.amanat"), b"a bundle"),
    ];
    std::fs::write(&left, b"age-encryption.org/v1 cut short").unwrap_or_else(|e| panic!("{e}"));
    for (f, bytes) in &theirs {
        std::fs::write(f, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = stick.join("tuesday.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &out,
    );
    assert!(out.is_file() && !left.exists());
    for (f, bytes) in &theirs {
        assert_eq!(
            std::fs::read(f).ok().as_deref(),
            Some(*bytes),
            "{}",
            f.display()
        );
    }
    assert!(
        stick.join("folder.amanat-partial.tmp").is_dir(),
        "only files are ours"
    );
}

#[test]
fn a_cancelled_export_or_import_leaves_nothing_behind() {
    let mut p = pair();
    let t =
        p.a.add_testimony(common::testimony("X-1", "x"))
            .unwrap_or_else(|e| panic!("{e}"));
    let big = p.root.join("big.png");
    common::png_like(&big, 3 << 20, 9);
    p.a.attach_file(t, &big, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let req = ExportRequest {
        to: vec!["Coordinator".into()],
        profile: ExportProfile::Full,
        selection: Selection::Ids(vec![t]),
    };
    let a_dir = p.root.join("a.amanat");
    let before = common::snapshot_dir(&a_dir);
    let out = p.root.join("cancelled.amanat");
    let mut calls = 0;
    let r = p.a.export_bundle(&req, &out, &mut |_| {
        calls += 1;
        calls < 3
    });
    assert_eq!(r.err().map(|e| e.code()), Some("cancelled"));
    assert!(!out.exists());
    assert_eq!(
        common::temp_files(&p.root),
        Vec::<std::path::PathBuf>::new()
    );
    assert!(
        before == common::snapshot_dir(&a_dir),
        "a cancelled export records nothing"
    );

    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &out,
    );
    let b_dir = p.root.join("b.amanat");
    let before = common::snapshot_dir(&b_dir);
    let mut calls = 0;
    let r =
        p.b.import_bundle(&out, &ImportOptions::default(), &mut |_| {
            calls += 1;
            calls < 3
        });
    assert_eq!(r.err().map(|e| e.code()), Some("cancelled"));
    assert!(
        before == common::snapshot_dir(&b_dir),
        "a cancelled import changes nothing"
    );
    assert_eq!(import(&mut p.b, &out).attachments_new, 1);
}

/// Issue 20, case 1: two devices append to one attachment's custody log at the same time (one
/// extracts the file, the other exports it). Neither log is lost, every later extract and
/// export works on both vaults, and after they swap bundles both show the same log.
#[test]
fn custody_appended_on_two_devices_at_once_keeps_both_entries_and_the_file_usable() {
    let mut p = pair();
    let t =
        p.a.add_testimony(common::testimony("CUS-1", "c"))
            .unwrap_or_else(|e| panic!("{e}"));
    let photo = p.root.join("pic.png");
    let f = attach(&mut p.a, t, &photo, 5);
    let first = p.root.join("first.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &first,
    );
    import(&mut p.b, &first);

    // The coordinator extracts the file; meanwhile the interviewer edits the testimony and
    // sends it again (its export appends to the file's custody log on its side).
    let copy = p.root.join("extracted.png");
    p.b.extract_attachment(f, &copy, &mut go)
        .unwrap_or_else(|e| panic!("extract: {e}"));
    p.a.edit_testimony(t, &serde_json::json!({"summary": "edited"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let again = p.root.join("again.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::Ids(vec![t]),
        &again,
    );
    import(&mut p.b, &again);

    // Nothing stranded: the coordinator can still extract and export the file.
    let second_copy = p.root.join("extracted-again.png");
    p.b.extract_attachment(f, &second_copy, &mut go)
        .unwrap_or_else(|e| panic!("extract after the fork: error[{}] {e}", e.code()));
    let back = p.root.join("back.amanat");
    export(
        &mut p.b,
        "Interviewer",
        ExportProfile::Full,
        Selection::All,
        &back,
    );
    import(&mut p.a, &back);
    assert!(p.a.verify().map(|r| r.ok()).unwrap_or(false));
    assert!(p.b.verify().map(|r| r.ok()).unwrap_or(false));

    // Both logs hold every entry either side made, in the same order.
    let log = |v: &Vault| {
        v.attachment(f)
            .unwrap_or_else(|e| panic!("{e}"))
            .attachment
            .custody
            .iter()
            .map(|e| e.hash.clone())
            .collect::<Vec<_>>()
    };
    let (on_a, on_b) = (log(&p.a), log(&p.b));
    let extracts =
        p.b.attachment(f)
            .unwrap_or_else(|e| panic!("{e}"))
            .attachment
            .custody
            .iter()
            .filter(|e| {
                e.note
                    .as_deref()
                    .is_some_and(|n| n.starts_with("extracted"))
            })
            .count();
    assert_eq!(extracts, 2, "both extracts are in the coordinator's log");
    // The interviewer has everything the coordinator has, in the same order.
    let common_on_a: Vec<&String> = on_a.iter().filter(|h| on_b.contains(h)).collect();
    assert_eq!(
        common_on_a,
        on_b.iter().collect::<Vec<_>>(),
        "{on_a:?} vs {on_b:?}"
    );
}

#[test]
fn a_deletion_still_reaches_a_recipient_who_changed_keys() {
    let mut p = pair();
    let gone =
        p.a.add_testimony(common::testimony("D-1", "d"))
            .unwrap_or_else(|e| panic!("{e}"));
    let kept =
        p.a.add_testimony(common::testimony("D-2", "e"))
            .unwrap_or_else(|e| panic!("{e}"));
    let first = p.root.join("first.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::All,
        &first,
    );
    import(&mut p.b, &first);
    // The coordinator changes keys; the interviewer accepts the new one from its next bundle.
    let changed =
        p.b.change_keys(
            &common::pass(),
            common::TEST_KDF,
            &Vault::new_recovery_key(),
            &mut go,
        )
        .unwrap_or_else(|e| panic!("change keys: {e}"));
    p.b.edit_testimony(kept, &serde_json::json!({"summary": "x"}), Some("an edit"))
        .unwrap_or_else(|e| panic!("{e}"));
    let back = p.root.join("back.amanat");
    export(
        &mut p.b,
        "Interviewer",
        ExportProfile::Full,
        Selection::Ids(vec![kept]),
        &back,
    );
    p.a.import_bundle(
        &back,
        &ImportOptions {
            accept_sender: Some(changed.fingerprint),
        },
        &mut go,
    )
    .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code()));

    p.a.delete_testimony(gone, "the witness asked")
        .unwrap_or_else(|e| panic!("{e}"));
    let req = ExportRequest {
        to: vec!["Coordinator".into()],
        profile: ExportProfile::Full,
        selection: Selection::SinceLast,
    };
    let plan = p.a.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    let codes = |d: &[amanat::bundle::DeletedTestimony]| {
        d.iter().map(|d| d.code.clone()).collect::<Vec<_>>()
    };
    assert_eq!(codes(&plan.deleted), ["D-1"], "sent before the key change");
    assert_eq!(codes(&plan.deletions_withheld), Vec::<String>::new());
    let second = p.root.join("second.amanat");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::SinceLast,
        &second,
    );
    let report = import(&mut p.b, &second);
    assert_eq!(report.proposals.len(), 1, "{:?}", report.proposals);
    assert_eq!(report.proposals[0].id, gone);
}

#[test]
fn two_devices_using_one_code_make_a_visible_clash_that_renaming_ends() {
    let mut p = pair();
    let theirs =
        p.a.add_testimony(common::testimony("ALA-9", "from the interviewer"))
            .unwrap_or_else(|e| panic!("{e}"));
    let ours =
        p.b.add_testimony(common::testimony("ALA-9", "the coordinator's own"))
            .unwrap_or_else(|e| panic!("{e}"));
    let file = p.root.join("a.amanat-bundle");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::All,
        &file,
    );
    let report = import(&mut p.b, &file);
    let mut both = vec![theirs, ours];
    both.sort();
    assert_eq!(
        report
            .code_clashes
            .iter()
            .map(|c| (c.code.as_str(), c.testimonies.clone()))
            .collect::<Vec<_>>(),
        [("ALA-9", both.clone())],
        "the import summary names the clash"
    );
    // The code no longer names one testimony: it is not taken to mean either of them.
    let by_code = p.b.resolve("ALA-9");
    assert_eq!(by_code.err().map(|e| e.code()), Some("invalid_input"));
    // Each can still be edited by its id, keeping the code it has…
    p.b.edit_testimony(theirs, &serde_json::json!({"summary": "seen"}), None)
        .unwrap_or_else(|e| panic!("edit the imported one: error[{}] {e}", e.code()));
    // …but no third testimony may take it, and renaming one ends the clash.
    let third = p.b.add_testimony(common::testimony("ALA-9", "third"));
    assert_eq!(third.err().map(|e| e.code()), Some("invalid_input"));
    assert_eq!(p.b.code_clashes().map(|c| c.len()).ok(), Some(1));
    p.b.edit_testimony(ours, &serde_json::json!({"code": "ALA-9b"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        p.b.code_clashes()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert_eq!(p.b.resolve("ALA-9").ok(), Some(theirs));
    assert_eq!(p.b.resolve("ALA-9b").ok(), Some(ours));
}

#[test]
fn a_coordinator_s_deletion_reaches_the_interviewer_who_sent_it_and_unlinks_its_persons() {
    let mut p = pair();
    let one =
        p.a.add_testimony(common::testimony("DEL-1", "one"))
            .unwrap_or_else(|e| panic!("{e}"));
    let two =
        p.a.add_testimony(common::testimony("DEL-2", "two"))
            .unwrap_or_else(|e| panic!("{e}"));
    let file = p.root.join("1.amanat-bundle");
    export(
        &mut p.a,
        "Coordinator",
        ExportProfile::Full,
        Selection::All,
        &file,
    );
    import(&mut p.b, &file);
    let person = |v: &Vault, t| amanat::model::PersonRef {
        testimony: t,
        person: v
            .testimony(t)
            .map(|s| s.testimony.testifier.map(|p| p.id).unwrap_or_default())
            .unwrap_or_default(),
    };
    let (p1, p2) = (person(&p.b, one), person(&p.b, two));
    p.b.merge_persons(p1, p2, Some("same witness"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The coordinator deletes one: the other's link to its witness goes with it.
    p.b.delete_testimony(one, "recorded twice")
        .unwrap_or_else(|e| panic!("{e}"));
    let linked = |v: &Vault| {
        v.testimony(two)
            .map(|s| s.testimony.testifier.map(|p| p.same_as.len()).unwrap_or(0))
            .unwrap_or(0)
    };
    assert_eq!(
        linked(&p.b),
        0,
        "a link to a deleted testimony's person stays"
    );
    // The revision that removed the link goes out with DEL-2: it names neither DEL-1 nor why.
    let reasons: Vec<String> =
        p.b.history(two)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .filter_map(|e| e.reason)
            .collect();
    assert!(
        reasons
            .iter()
            .all(|r| !r.contains("DEL-1") && !r.contains("recorded twice")),
        "{reasons:?}"
    );
    // The coordinator never sent DEL-1 to the interviewer, but the interviewer sent it: the
    // deletion goes back to them (for review), and DEL-2 goes without the link.
    let back = p.root.join("2.amanat-bundle");
    export(
        &mut p.b,
        "Interviewer",
        ExportProfile::Full,
        Selection::SinceLast,
        &back,
    );
    let report = import(&mut p.a, &back);
    assert_eq!(
        report
            .proposals
            .iter()
            .map(|x| (x.id, x.why))
            .collect::<Vec<_>>(),
        [(one, amanat::model::HeldReason::Deletion)]
    );
    assert_eq!(linked(&p.a), 0);
}
