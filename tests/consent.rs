//! Consent at every seam of an export (docs/trust-model.md §1): a deletion, the history behind
//! the current version, recordings in an anonymised bundle, a testimony in conflict. Each
//! bundle is decrypted with a recipient's key and searched for what must not be in it.

mod common;

use std::path::Path;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{AttachOptions, Progress, Testimony, Vault};
use serde_json::json;
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

fn request(to: &[&str], profile: ExportProfile, selection: Selection) -> ExportRequest {
    ExportRequest {
        to: to.iter().map(|s| s.to_string()).collect(),
        profile,
        selection,
    }
}

fn export(v: &mut Vault, req: &ExportRequest, out: &Path) -> amanat::Result<()> {
    v.export_bundle(req, out, &mut go).map(|_| ())
}

fn import(v: &mut Vault, file: &Path) -> amanat::bundle::ImportReport {
    v.import_bundle(file, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code()))
}

fn card(v: &Vault) -> String {
    v.contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

fn testimony(json: serde_json::Value) -> Testimony {
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn edit(v: &mut Vault, id: Uuid, patch: serde_json::Value, reason: Option<&str>) {
    v.edit_testimony(id, &patch, reason)
        .unwrap_or_else(|e| panic!("edit: error[{}] {e}", e.code()));
}

/// Which of `needles` are anywhere in the decrypted bundle (any member, any case).
fn found_in(plain: &[u8], needles: &[&str]) -> Vec<String> {
    let text = String::from_utf8_lossy(plain).to_lowercase();
    needles
        .iter()
        .filter(|n| text.contains(&n.to_lowercase()))
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn deleting_a_testimony_that_went_out_only_anonymised_sends_nothing_of_it() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (_, partner) = common::outsider("Partner", 21);
    v.add_contact(&partner, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = v
        .add_testimony(testimony(json!({
            "code": "DEL-1",
            "narrative": "Ержанат Абайкеров told us about NAMEDCANARY.",
            "testifier": {"names": [{"name": "Ержанат Абайкеров"}]},
            "consents": [{"scopes": {"share_with_partner": "refused",
                                     "publish_anonymised": "granted"}}]
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    let anon = request(
        &["Partner"],
        ExportProfile::Anonymised,
        Selection::Ids(vec![t]),
    );
    export(&mut v, &anon, &root.path().join("anon.amanat"))
        .unwrap_or_else(|e| panic!("anonymised export: {e}"));

    v.delete_testimony(t, "the witness asked")
        .unwrap_or_else(|e| panic!("{e}"));
    // The partner never had the named testimony: its deletion is not news to them, and
    // nothing of it may go (it once went with every revision and the real name).
    let since = request(&["Partner"], ExportProfile::Full, Selection::SinceLast);
    let plan = v.plan_export(&since).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        plan.deleted.is_empty() && plan.deletions_withheld.is_empty(),
        "{plan:?}"
    );
    let out = root.path().join("since.amanat");
    let result = export(&mut v, &since, &out);
    assert_eq!(
        result.err().map(|e| e.code()),
        Some("nothing_to_export"),
        "a bundle was written for a partner with nothing to receive"
    );
    assert!(!out.exists());
}

#[test]
fn a_full_export_carries_the_current_version_and_only_proofs_of_the_history() {
    let root = common::tempdir();
    let (mut a, _) = common::create(&root.path().join("a.amanat"));
    let (mut b, _) = common::create(&root.path().join("b.amanat"));
    let (reader, outside) = common::outsider("Reader", 22);
    a.add_contact(&outside, None, ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    a.add_contact(&card(&b), Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    b.add_contact(&card(&a), Some("Interviewer"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    let consent = json!([{"scopes": {"store_internally": "granted"}}]);
    let t = a
        .add_testimony(testimony(json!({
            "code": "HIS-1",
            "narrative": "First telling. CUTCANARY said where the camp was.",
            "testifier": {"names": [{"name": "Гүлнар Тұрсын"}]},
            "consents": consent
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    // A relative added, with a reason that itself names them; then removed again because
    // they refused; the text cut at the witness's request.
    edit(
        &mut a,
        t,
        json!({"persons": [{"names": [{"name": "RELATIVECANARY Ахмет"}], "roles": ["relative"]}]}),
        Some("added her brother REASONCANARY"),
    );
    let file = root.path().join("FILECANARY-passport.png");
    common::png_like(&file, 50_000, 4);
    let f = a
        .attach_file(t, &file, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    a.delete_attachment(f, "the wrong file")
        .unwrap_or_else(|e| panic!("{e}"));
    edit(
        &mut a,
        t,
        json!({"persons": [], "narrative": "Current telling: CURRENTTEXT."}),
        Some("as the witness asked"),
    );

    let req = request(
        &["Reader", "Coordinator"],
        ExportProfile::Full,
        Selection::Ids(vec![t]),
    );
    let out = root.path().join("full.amanat");
    export(&mut a, &req, &out).unwrap_or_else(|e| panic!("export: {e}"));
    let plain = common::decrypt(&reader, &out);
    assert_eq!(found_in(&plain, &["CURRENTTEXT"]), ["CURRENTTEXT"]);
    let leaked = found_in(
        &plain,
        &[
            "CUTCANARY",
            "RELATIVECANARY",
            "REASONCANARY",
            "FILECANARY",
            "First telling",
        ],
    );
    assert!(
        leaked.is_empty(),
        "the bundle carries history content: {leaked:?}"
    );

    // The recipient verifies the whole chain and has the current version; the earlier
    // revisions are there as proofs, in order, with their authors and dates.
    import(&mut b, &out);
    let ours = a.history(t).unwrap_or_else(|e| panic!("{e}"));
    let theirs = b.history(t).unwrap_or_else(|e| panic!("{e}"));
    let key = |h: &[amanat::HistoryEntry]| -> Vec<(String, String, String)> {
        h.iter()
            .map(|e| (e.hash.clone(), e.at.clone(), e.author.clone()))
            .collect()
    };
    assert_eq!(key(&ours), key(&theirs));
    let withheld: Vec<bool> = theirs.iter().map(|e| e.content_withheld).collect();
    assert_eq!(
        withheld,
        [true, true, false],
        "only the current version has content"
    );
    assert_eq!(
        b.testimony(t).map(|s| s.testimony).ok(),
        a.testimony(t).map(|s| s.testimony).ok()
    );
    assert!(b.verify().map(|r| r.ok()).unwrap_or(false));
    assert_eq!(b.attachment(f).err().map(|e| e.code()), Some("not_found"));
}

/// A minimal WAV file: what a recorded interview looks like to the type sniffer.
fn wav(path: &Path) -> Vec<u8> {
    let data = vec![0x11u8; 8_000];
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8_000u32.to_le_bytes());
    b.extend_from_slice(&8_000u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    std::fs::write(path, &b).unwrap_or_else(|e| panic!("{e}"));
    b
}

#[test]
fn a_recording_goes_into_an_anonymised_bundle_only_with_consent_to_publish_image_and_voice() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (reader, publisher) = common::outsider("Publisher", 23);
    v.add_contact(&publisher, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = v
        .add_testimony(testimony(json!({
            "code": "VOICE-1",
            "testifier": {"names": [{"name": "Гүлнар"}]},
            "consents": [{"scopes": {"publish_anonymised": "granted"}}]
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    let voice = root.path().join("voice.wav");
    let voice_bytes = wav(&voice);
    let doc = root.path().join("letter.pdf");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 4_000));
    std::fs::write(&doc, &pdf).unwrap_or_else(|e| panic!("{e}"));
    // A photo of the witness filed as a document is still a photo (review finding 07).
    let photo = root.path().join("scan.png");
    let photo_bytes = common::png_like(&photo, 5_000, 9);
    let as_document = AttachOptions {
        kind: Some(amanat::model::vocab::AttachmentKind::Document),
        ..AttachOptions::default()
    };
    for (path, opts) in [
        (&voice, AttachOptions::default()),
        (&doc, AttachOptions::default()),
        (&photo, as_document),
    ] {
        let id = v
            .attach_file(t, path, &opts, &mut go)
            .unwrap_or_else(|e| panic!("attach {}: {e}", path.display()));
        v.set_safe_to_publish(id, true)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let req = request(
        &["Publisher"],
        ExportProfile::Anonymised,
        Selection::Ids(vec![t]),
    );
    let plan = v.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            plan.included[0].attachments,
            plan.included[0].attachments_withheld
        ),
        (1, 2),
        "the recording and the photo are held back: the witness's image and voice may not be published"
    );
    let out = root.path().join("anon.amanat");
    export(&mut v, &req, &out).unwrap_or_else(|e| panic!("{e}"));
    let plain = common::decrypt(&reader, &out);
    assert!(!common::contains(&plain, &voice_bytes[..200]));
    assert!(!common::contains(&plain, &photo_bytes[..200]));
    assert!(common::contains(&plain, &pdf[..200]));

    edit(
        &mut v,
        t,
        json!({"consents": [{"scopes": {"publish_anonymised": "granted",
                                        "publish_image_voice": "granted"}}]}),
        None,
    );
    let plan = v.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.included[0].attachments, 3);
}

/// An interviewer's vault and a coordinator's, each the other's contact in one organisation.
fn organisation() -> (tempfile::TempDir, Vault, Vault) {
    let root = common::tempdir();
    let (mut a, _) = common::create(&root.path().join("a.amanat"));
    let (mut b, _) = common::create(&root.path().join("b.amanat"));
    a.add_contact(&card(&b), Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    b.add_contact(&card(&a), Some("Interviewer"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    (root, a, b)
}

fn send(from: &mut Vault, to: &str, id: Uuid, out: &Path) {
    let req = request(&[to], ExportProfile::Full, Selection::Ids(vec![id]));
    export(from, &req, out).unwrap_or_else(|e| panic!("export: error[{}] {e}", e.code()));
}

#[test]
fn a_testimony_in_conflict_goes_only_where_every_version_lets_it_whatever_their_dates_say() {
    let (root, mut a, mut b) = organisation();
    let (_, partner) = common::outsider("Partner", 24);
    b.add_contact(&partner, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let granted = json!([{"scopes": {"store_internally": "granted",
                                     "share_with_partner": "granted"}}]);
    let t = a
        .add_testimony(testimony(json!({"code": "CON-1",
            "testifier": {"names": [{"name": "Гүлнар"}]}, "consents": granted})))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut a, "Coordinator", t, &root.path().join("1.amanat"));
    import(&mut b, &root.path().join("1.amanat"));
    // The witness told the interviewer: not to partners. Later the coordinator edits the old
    // version; theirs is the later one, but its consent is not the witness's last word.
    edit(
        &mut a,
        t,
        json!({"consents": [{"scopes": {"store_internally": "granted",
                                        "share_with_partner": "refused"}}]}),
        None,
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    edit(&mut b, t, json!({"summary": "a later edit"}), None);
    send(&mut a, "Coordinator", t, &root.path().join("2.amanat"));
    assert_eq!(
        import(&mut b, &root.path().join("2.amanat"))
            .conflicts
            .len(),
        1
    );
    // The version shown is the later one, which still says "granted"...
    let shown = b.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown.testimony.summary, "a later edit");

    let req = request(&["Partner"], ExportProfile::Full, Selection::Ids(vec![t]));
    // ...but consent is read from every version: the earlier one refuses partners.
    let plan = b.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.included.is_empty(), "{plan:?}");
    assert_eq!(
        plan.left_out.iter().map(|l| l.problem).collect::<Vec<_>>(),
        [amanat::bundle::ConsentProblem::Refused]
    );
    let out = root.path().join("to-partner.amanat");
    assert_eq!(
        export(&mut b, &req, &out).err().map(|e| e.code()),
        Some("nothing_to_export")
    );
    // No anonymised copy of a testimony in conflict: which version would it be?
    let anon = request(
        &["Partner"],
        ExportProfile::Anonymised,
        Selection::Ids(vec![t]),
    );
    let plan = b.plan_export(&anon).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.left_out.iter().map(|l| l.problem).collect::<Vec<_>>(),
        [amanat::bundle::ConsentProblem::Conflict]
    );
    // Within the organisation both versions allow it: it goes with both, and the other
    // coordinator holds the same conflict (docs/merge-model.md).
    let (mut c, _) = common::create(&root.path().join("c.amanat"));
    b.add_contact(&card(&c), Some("Second office"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    c.add_contact(&card(&b), Some("First office"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut b, "Second office", t, &root.path().join("3.amanat"));
    import(&mut c, &root.path().join("3.amanat"));
    let heads = |v: &Vault| {
        let mut h = v.testimony(t).map(|s| s.heads).unwrap_or_default();
        h.sort();
        h
    };
    assert_eq!(heads(&c).len(), 2);
    assert_eq!(heads(&c), heads(&b));
    assert_eq!(c.conflicts().map(|c| c.len()).ok(), Some(1));
}

#[test]
fn an_edit_made_beside_a_deletion_is_shown_for_review_on_both_sides() {
    let (root, mut a, mut b) = organisation();
    let t = a
        .add_testimony(common::testimony("ORD-1", "ord"))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut a, "Coordinator", t, &root.path().join("1.amanat"));
    import(&mut b, &root.path().join("1.amanat"));
    a.delete_testimony(t, "recorded twice")
        .unwrap_or_else(|e| panic!("{e}"));
    edit(
        &mut b,
        t,
        json!({"summary": "the coordinator's edit"}),
        None,
    );
    // Each side gets the other's change: the deletion on B, the edit on A.
    send(&mut b, "Interviewer", t, &root.path().join("edit.amanat"));
    let since = request(&["Coordinator"], ExportProfile::Full, Selection::SinceLast);
    export(&mut a, &since, &root.path().join("delete.amanat"))
        .unwrap_or_else(|e| panic!("export the deletion: error[{}] {e}", e.code()));
    import(&mut a, &root.path().join("edit.amanat"));
    import(&mut b, &root.path().join("delete.amanat"));

    for (name, v) in [("interviewer", &a), ("coordinator", &b)] {
        let listed = v
            .list_testimonies()
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .any(|s| s.id == t);
        assert!(listed, "{name}: the edited testimony vanished");
        let shown = v
            .testimony(t)
            .unwrap_or_else(|e| panic!("{name}: show: {e}"));
        assert_eq!(shown.testimony.summary, "the coordinator's edit", "{name}");
    }
    // The interviewer, who deleted it, sees the coordinator's edit beside the deletion.
    assert_eq!(a.conflicts().map(|c| c.len()).ok(), Some(1), "no conflict");
    let sides = a.conflict_sides(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sides.iter().filter(|s| s.testimony.is_none()).count(), 1);
    // The coordinator, who edited it, is asked whether to delete it.
    let proposals = b.proposals().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        proposals
            .iter()
            .map(|p| (p.testimony, p.why))
            .collect::<Vec<_>>(),
        [(t, amanat::model::HeldReason::Deletion)]
    );

    // The interviewer keeps it deleted; the coordinator accepts.
    let seen: Vec<String> = sides.iter().map(|s| s.revision.clone()).collect();
    let deletion = sides
        .into_iter()
        .find(|s| s.testimony.is_none())
        .map(|s| s.revision)
        .unwrap_or_default();
    a.take_side(t, &deletion, &seen, Some("deleted after all"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.testimony(t).err().map(|e| e.code()), Some("not_found"));
    export(&mut a, &since, &root.path().join("resolved.amanat"))
        .unwrap_or_else(|e| panic!("export the resolution: error[{}] {e}", e.code()));
    import(&mut b, &root.path().join("resolved.amanat"));
    assert!(
        b.testimony(t).is_ok(),
        "deleted without the coordinator's review"
    );
    let newest = b
        .proposals()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .max_by_key(|p| p.at)
        .map(|p| p.revision)
        .unwrap_or_default();
    b.accept_proposal(&newest, None)
        .unwrap_or_else(|e| panic!("accept: {e}"));
    assert_eq!(b.testimony(t).err().map(|e| e.code()), Some("not_found"));
    assert_eq!(b.conflicts().map(|c| c.len()).ok(), Some(0));
    assert_eq!(b.proposals().map(|p| p.len()).ok(), Some(0));
    assert!(a.verify().map(|r| r.ok()).unwrap_or(false));
    assert!(b.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn an_anonymised_bundle_dates_nothing_finer_than_the_year_and_names_no_one_anywhere() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (reader, publisher) = common::outsider("Publisher", 23);
    v.add_contact(&publisher, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = v
        .add_testimony(testimony(json!({
            "code": "ANO-1",
            "interview_date": "2025-03-31",
            "interviewer": "INTERVIEWERCANARY",
            "interview_place": "PLACECANARY café",
            "medium": "in_person",
            "languages": ["kk"],
            "narrative": "Her brother was taken.",
            "testifier": {"names": [{"name": "Гүлнар Тұрсынқызы"}], "birth": "1990-02-14",
                          "citizenship": "like Гүлнар's cousin", "hometown": "Тұрсынқызы ауылы"},
            "events": [{"kind": "detention", "start": "2018-04-07", "place": "Ghulja"}],
            "consents": [{"scopes": {"publish_anonymised": "granted"},
                          "obtained_at": "2025-03-31", "obtained_by": "OBTAINERCANARY",
                          "method": "oral_recorded", "language": "kk"}]
        })))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = root.path().join("anon.amanat");
    let req = request(
        &["Publisher"],
        ExportProfile::Anonymised,
        Selection::Ids(vec![t]),
    );
    export(&mut v, &req, &out).unwrap_or_else(|e| panic!("{e}"));
    let plain = common::decrypt(&reader, &out);
    let jsonl =
        String::from_utf8(common::tar_member(&plain, "revisions.jsonl")).unwrap_or_default();
    let left = found_in(
        jsonl.as_bytes(),
        &[
            "2025-03",
            "03-31",
            "1990-02",
            "2018-04",
            "INTERVIEWERCANARY",
            "PLACECANARY",
            "OBTAINERCANARY",
            "oral_recorded",
            "in_person",
            "Гүлнар",
            "Тұрсынқызы",
        ],
    );
    assert!(
        left.is_empty(),
        "the anonymised bundle still holds {left:?}"
    );
    assert!(jsonl.contains("2025") && jsonl.contains("2018"), "{jsonl}");
}

/// Review findings 10 and 16: a deletion mentions no file the recipient never had (not even
/// its id and times), and a file's custody log names no earlier recipient.
#[test]
fn a_deletion_mentions_no_file_the_recipient_never_had_and_custody_names_no_recipient() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (first_key, first) = common::outsider("First", 24);
    let (second_key, second) = common::outsider("Second", 25);
    for card in [&first, &second] {
        v.add_contact(card, None, ContactTrust::Organisation)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let first_fp = amanat::ContactCard::parse(&first)
        .map(|c| c.fingerprint())
        .unwrap_or_else(|e| panic!("{e}"));
    let t = v
        .add_testimony(common::testimony("DEL-2", "del"))
        .unwrap_or_else(|e| panic!("{e}"));
    let kept = root.path().join("kept.png");
    common::png_like(&kept, 3_000, 11);
    v.attach_file(t, &kept, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let to_first = request(&["First"], ExportProfile::Full, Selection::Ids(vec![t]));
    export(&mut v, &to_first, &root.path().join("1.amanat")).unwrap_or_else(|e| panic!("{e}"));
    let to_second = request(&["Second"], ExportProfile::Full, Selection::Ids(vec![t]));
    let out = root.path().join("2.amanat");
    export(&mut v, &to_second, &out).unwrap_or_else(|e| panic!("{e}"));
    let plain = common::decrypt(&second_key, &out);
    let compact: String = first_fp.chars().filter(|c| c.is_ascii_digit()).collect();
    let text = String::from_utf8_lossy(&plain).replace([' ', '-'], "");
    assert!(
        !text.contains(&compact),
        "the second recipient learns the first"
    );

    // A file attached and detached after the first export, then the testimony deleted.
    let brief = root.path().join("brief.png");
    common::png_like(&brief, 3_000, 12);
    let f = v
        .attach_file(t, &brief, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    v.delete_attachment(f, "wrong file")
        .unwrap_or_else(|e| panic!("{e}"));
    v.delete_testimony(t, "the witness asked")
        .unwrap_or_else(|e| panic!("{e}"));
    let since = request(&["First"], ExportProfile::Full, Selection::SinceLast);
    let out = root.path().join("3.amanat");
    export(&mut v, &since, &out).unwrap_or_else(|e| panic!("{e}"));
    let plain = common::decrypt(&first_key, &out);
    let jsonl =
        String::from_utf8(common::tar_member(&plain, "revisions.jsonl")).unwrap_or_default();
    assert!(jsonl.contains(&t.to_string()), "the deletion itself goes");
    assert!(
        !jsonl.contains(&f.to_string()),
        "the deletion mentions a file the recipient never had"
    );
}

/// Review round 2, finding 18: a testimony whose person is linked to a person of a testimony
/// the recipient may not receive stays out (the link, signed into its current version, would
/// name the other testimony), with the reason; once the link is undone it goes.
#[test]
fn a_link_to_a_testimony_the_recipient_may_not_see_keeps_the_linked_one_out() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (_, partner) = common::outsider("Partner", 26);
    v.add_contact(&partner, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let shared = v
        .add_testimony(testimony(json!({
            "code": "T-1", "testifier": {"names": [{"name": "Гүлнар Тұрсын"}]},
            "consents": [{"scopes": {"share_with_partner": "granted"}}]})))
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = v
        .add_testimony(testimony(json!({
            "code": "SECRET-2", "testifier": {"names": [{"name": "Айгүл Тұрсын"}]},
            "persons": [{"names": [{"name": "Гүлнар Тұрсын"}], "relation": "sister"}],
            "consents": [{"scopes": {"share_with_partner": "refused"}}]})))
        .unwrap_or_else(|e| panic!("{e}"));
    let person = |id: Uuid, i: usize| {
        let t = v.testimony(id).unwrap_or_else(|e| panic!("{e}")).testimony;
        let p = t.all_persons().nth(i).map(|p| p.id).unwrap_or_default();
        amanat::model::PersonRef {
            testimony: id,
            person: p,
        }
    };
    let (a, b) = (person(shared, 0), person(secret, 1));
    v.merge_persons(a, b, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let req = request(
        &["Partner"],
        ExportProfile::Full,
        Selection::Ids(vec![shared]),
    );
    let plan = v.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.included.is_empty(), "{plan:?}");
    assert_eq!(
        plan.left_out.iter().map(|l| l.problem).collect::<Vec<_>>(),
        [amanat::bundle::ConsentProblem::Linked]
    );
    v.unmerge_persons(a, b, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = v.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.included.len(), 1);
}

#[test]
fn a_testimony_deleted_on_one_side_of_a_conflict_goes_to_no_one_who_did_not_have_it() {
    let (root, mut interviewer, mut coordinator) = organisation();
    let (_, partner) = common::outsider("Partner", 25);
    coordinator
        .add_contact(&partner, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = coordinator
        .add_testimony(testimony(json!({"code": "DC-1",
            "testifier": {"names": [{"name": "Гүлнар"}]},
            "consents": [{"scopes": {"store_internally": "granted",
                                     "share_with_partner": "granted"}}]})))
        .unwrap_or_else(|e| panic!("{e}"));
    send(
        &mut coordinator,
        "Interviewer",
        t,
        &root.path().join("1.amanat"),
    );
    import(&mut interviewer, &root.path().join("1.amanat"));
    edit(
        &mut interviewer,
        t,
        json!({"narrative": "the names of the guards"}),
        None,
    );
    // The witness withdraws partner sharing, and then asks for the testimony to be deleted.
    edit(
        &mut coordinator,
        t,
        json!({"consents": [{"scopes": {"store_internally": "granted",
                                        "share_with_partner": "refused"}}]}),
        None,
    );
    coordinator
        .delete_testimony(t, "the witness asked")
        .unwrap_or_else(|e| panic!("{e}"));
    // The interviewer's edit, made beside the deletion, arrives: a conflict here…
    send(
        &mut interviewer,
        "Coordinator",
        t,
        &root.path().join("2.amanat"),
    );
    import(&mut coordinator, &root.path().join("2.amanat"));
    assert_eq!(coordinator.conflicts().map(|c| c.len()).ok(), Some(1));
    // …which goes to no one who never had the testimony.
    let req = request(&["Partner"], ExportProfile::Full, Selection::SinceLast);
    let plan = coordinator
        .plan_export(&req)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.included.is_empty(), "{plan:?}");
    let out = root.path().join("to-partner.amanat");
    assert_eq!(
        export(&mut coordinator, &req, &out).err().map(|e| e.code()),
        Some("nothing_to_export")
    );
}
