//! Deletions and links relayed through a third vault (independent review of 31d84df and
//! aaf4e1d, as a hostile partner, a hostile stick or a careless user would): a deletion of
//! something this vault had is reviewed even when this vault holds the version it follows only
//! as a proof (the first two tests failed on 561f657), and a deleted version's links to an
//! internal testimony reach no partner.

mod common;

use std::path::Path;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile, HeldReason};
use amanat::{AttachOptions, Progress, Testimony, Vault};
use serde_json::json;
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

/// interviewer → colleague → coordinator. The coordinator knows the interviewer with
/// `interviewer_trust` (creator of the testimony and its file) and the colleague as its
/// organisation.
struct Chain {
    _root: tempfile::TempDir,
    root: std::path::PathBuf,
    interviewer: Vault,
    colleague: Vault,
    coordinator: Vault,
}

/// `common::ship`, where the test needs something to have been exported.
fn ship(
    root: &Path,
    from: &mut Vault,
    to: &str,
    sel: Selection,
    into: &mut Vault,
) -> amanat::bundle::ImportReport {
    common::ship(root, from, to, sel, into).unwrap_or_else(|| panic!("nothing was exported"))
}

fn chain(interviewer_trust: ContactTrust) -> Chain {
    let root = common::tempdir();
    let path = root.path().to_path_buf();
    let (mut interviewer, _) = common::create(&path.join("i.amanat"));
    let (mut colleague, _) = common::create(&path.join("o.amanat"));
    let (mut coordinator, _) = common::create(&path.join("c.amanat"));
    common::know(
        &mut interviewer,
        &colleague,
        "Colleague",
        ContactTrust::Organisation,
    );
    common::know(
        &mut colleague,
        &interviewer,
        "Interviewer",
        ContactTrust::Organisation,
    );
    common::know(
        &mut colleague,
        &coordinator,
        "Coordinator",
        ContactTrust::Organisation,
    );
    common::know(
        &mut coordinator,
        &colleague,
        "Colleague",
        ContactTrust::Organisation,
    );
    common::know(
        &mut coordinator,
        &interviewer,
        "Interviewer",
        interviewer_trust,
    );
    common::know(
        &mut interviewer,
        &coordinator,
        "Coordinator",
        ContactTrust::Partner,
    );
    Chain {
        _root: root,
        root: path,
        interviewer,
        colleague,
        coordinator,
    }
}

/// A1 (natural flow, no crafting; the interviewer is of the organisation). The interviewer's file reaches the coordinator through a
/// colleague, so the coordinator holds the file's first versions as proofs without content
/// and the colleague's custody entry with content. The interviewer deletes the file; the
/// colleague reviews and accepts the deletion; the colleague's next bundle carries it to the
/// coordinator. The coordinator had the file (it shows it, the encrypted file is on disk),
/// yet the deletion is applied without review: its parent is a proof here, so the baseline
/// walk finds "nothing held", and an attachment is deleted when any version deletes it.
#[test]
fn a_relayed_attachment_deletion_of_a_file_the_vault_had_waits_for_review() {
    let mut v = chain(ContactTrust::Organisation);
    let root = v.root.clone();
    let t = v
        .interviewer
        .add_testimony(common::shared("A1"))
        .unwrap_or_else(|e| panic!("{e}"));
    let file = root.join("a.png");
    common::png_like(&file, 50_000, 3);
    let a = v
        .interviewer
        .attach_file(t, &file, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    ship(
        &root,
        &mut v.interviewer,
        "Colleague",
        Selection::Ids(vec![t]),
        &mut v.colleague,
    );
    // The colleague sends the testimony back to the interviewer too; that bundle is never
    // imported (a stick left in a drawer). Its custody entry is all that matters: the
    // colleague's version of the file is now one the interviewer does not know.
    let lost = root.join("lost.amanat");
    v.colleague
        .export_bundle(
            &ExportRequest {
                to: vec!["Interviewer".into()],
                profile: ExportProfile::Full,
                selection: Selection::Ids(vec![t]),
            },
            &lost,
            &mut go,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let r0 = ship(
        &root,
        &mut v.colleague,
        "Coordinator",
        Selection::Ids(vec![t]),
        &mut v.coordinator,
    );
    assert!(r0.held.is_empty(), "{:?}", r0.held);
    let before = v
        .coordinator
        .attachment(a)
        .unwrap_or_else(|e| panic!("{e}"));
    let files_before = common::blob_files(v.coordinator.dir());
    assert_eq!(files_before.len(), 1);
    eprintln!("coordinator has the file: heads {:?}", before.heads);

    v.interviewer
        .delete_attachment(a, "not needed")
        .unwrap_or_else(|e| panic!("{e}"));
    let r = ship(
        &root,
        &mut v.interviewer,
        "Colleague",
        Selection::Ids(vec![t]),
        &mut v.colleague,
    );
    eprintln!("colleague: held {:?}", r.held);
    let d: Vec<_> = v
        .colleague
        .proposals()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind == "attachment")
        .collect();
    assert_eq!(d.len(), 1, "the colleague reviews the deletion: {d:?}");
    assert_eq!(d[0].why, HeldReason::Deletion);
    v.colleague
        .accept_proposal(&d[0].revision, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(v.colleague.attachment(a).is_err());

    let r = ship(
        &root,
        &mut v.colleague,
        "Coordinator",
        Selection::Ids(vec![t]),
        &mut v.coordinator,
    );
    eprintln!(
        "coordinator import: new {} held {:?} proposals {:?}",
        r.revisions_new, r.held, r.proposals
    );
    let gone = v.coordinator.attachment(a).is_err();
    let files_after = common::blob_files(v.coordinator.dir());
    let held: Vec<_> = v
        .coordinator
        .proposals()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind == "attachment")
        .collect();
    eprintln!("coordinator: attachment gone {gone}, files {files_after:?}, proposals {held:?}");
    assert!(
        !gone && held.len() == 1 && held[0].why == HeldReason::Deletion,
        "a file the coordinator had was deleted without its review (gone: {gone}, files on \
         disk {} → {}, proposals {})",
        files_before.len(),
        files_after.len(),
        held.len()
    );
}

/// A2 (natural flow). The interviewer's testimony reaches the coordinator through a colleague
/// who edited it, so the coordinator holds the interviewer's version as a proof without
/// content. The interviewer deletes the testimony; the colleague accepts the deletion (a
/// conflict beside the colleague's edit) and sends it on. At the coordinator the deletion is
/// applied without review: the testimony is now in conflict with a side that deletes it,
/// which keeps it from every recipient that did not already hold it and from any anonymised
/// export — no proposal, nothing for the coordinator to confirm.
#[test]
fn a_relayed_testimony_deletion_waits_for_review() {
    let mut v = chain(ContactTrust::Partner);
    let root = v.root.clone();
    let t = v
        .interviewer
        .add_testimony(common::shared("A2"))
        .unwrap_or_else(|e| panic!("{e}"));
    ship(
        &root,
        &mut v.interviewer,
        "Colleague",
        Selection::Ids(vec![t]),
        &mut v.colleague,
    );
    v.colleague
        .edit_testimony(t, &json!({"summary": "checked by the colleague"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r0 = ship(
        &root,
        &mut v.colleague,
        "Coordinator",
        Selection::Ids(vec![t]),
        &mut v.coordinator,
    );
    assert!(r0.held.is_empty(), "{:?}", r0.held);
    assert_eq!(
        v.coordinator.testimony(t).map(|s| s.heads.len()).ok(),
        Some(1)
    );

    v.interviewer
        .delete_testimony(t, "withdrawn by the interviewer")
        .unwrap_or_else(|e| panic!("{e}"));
    ship(
        &root,
        &mut v.interviewer,
        "Colleague",
        Selection::SinceLast,
        &mut v.colleague,
    );
    let d: Vec<_> = v
        .colleague
        .proposals()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.testimony == t && p.proposed.is_none())
        .collect();
    assert_eq!(d.len(), 1, "the colleague reviews the deletion: {d:?}");
    let outcome = v
        .colleague
        .accept_proposal(&d[0].revision, None)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("colleague accepted: {outcome:?}");

    let r = ship(
        &root,
        &mut v.colleague,
        "Coordinator",
        Selection::Ids(vec![t]),
        &mut v.coordinator,
    );
    let heads = v
        .coordinator
        .testimony(t)
        .map(|s| s.heads)
        .unwrap_or_default();
    let sides = v.coordinator.conflict_sides(t).unwrap_or_default();
    let deleting_sides = sides.iter().filter(|s| s.testimony.is_none()).count();
    let held: Vec<_> = v
        .coordinator
        .proposals()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.testimony == t)
        .collect();
    eprintln!(
        "coordinator: new {} held {:?}; heads {heads:?}; deleting sides {deleting_sides}; proposals {}",
        r.revisions_new,
        r.held,
        held.len()
    );
    // What the deletion now does at the coordinator without its word: an anonymised export
    // of the testimony is refused (a conflict).
    let anon = v.coordinator.plan_export(&ExportRequest {
        to: vec!["Colleague".into()],
        profile: ExportProfile::Anonymised,
        selection: Selection::Ids(vec![t]),
    });
    eprintln!(
        "anonymised plan at the coordinator: {:?}",
        anon.map(|p| (p.included.len(), p.left_out))
    );
    assert!(
        deleting_sides == 0 && held.iter().any(|p| p.why == HeldReason::Deletion),
        "a deletion of a testimony the coordinator had entered its history without review \
         (deleting sides {deleting_sides}, proposals {})",
        held.len()
    );
}

/// B1. A testimony in conflict: a colleague's edit beside this vault's deletion of a version
/// whose witness was linked (`same_as`) to a witness of an internal-only testimony. The
/// change lets it go to partners who hold it (the deleted version's links are not checked).
/// What the partner vault and an outsider who decrypts the bundle get must carry nothing of
/// the internal testimony: not its id, not its person's id, not its names, not the link.
#[test]
fn a_deleted_versions_links_do_not_reach_a_partner() {
    let root = common::tempdir();
    let path = root.path().to_path_buf();
    let (mut org, _) = common::create(&path.join("org.amanat"));
    let (mut colleague, _) = common::create(&path.join("colleague.amanat"));
    let (mut partner, _) = common::create(&path.join("partner.amanat"));
    common::know(
        &mut org,
        &colleague,
        "Colleague",
        ContactTrust::Organisation,
    );
    common::know(&mut org, &partner, "Partner", ContactTrust::Partner);
    common::know(&mut colleague, &org, "Org", ContactTrust::Organisation);
    // The partner trusts the organisation's devices (so what it sends is applied, not held:
    // everything it carries is then in the partner's history, not only in its proposals).
    common::know(&mut partner, &org, "Org", ContactTrust::Organisation);
    common::know(
        &mut partner,
        &colleague,
        "Colleague",
        ContactTrust::Organisation,
    );
    let (outsider, outsider_card) = common::outsider("Outsider", 77);
    org.add_contact(&outsider_card, Some("Outsider"), ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));

    let t1 = org
        .add_testimony(common::shared("B1-SHARED"))
        .unwrap_or_else(|e| panic!("{e}"));
    let secret_name = "Секретжан Жасырынұлы";
    let t2 = org
        .add_testimony(
            Testimony::from_json(
                &json!({
                    "code": "B1-INTERNAL",
                    "narrative": "internal only",
                    "testifier": {"names": [{"name": secret_name}]},
                    "consents": [{"scopes": {"store_internally": "granted", "share_with_partner": "refused"}}]
                })
                .to_string(),
            )
            .unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    ship(
        &path,
        &mut org,
        "Colleague",
        Selection::Ids(vec![t1]),
        &mut colleague,
    );
    // The partner and the outsider hold T1 (one bundle to both; the outsider's copy is read
    // by hand below).
    let first = path.join("first.amanat");
    org.export_bundle(
        &ExportRequest {
            to: vec!["Partner".into(), "Outsider".into()],
            profile: ExportProfile::Full,
            selection: Selection::Ids(vec![t1]),
        },
        &first,
        &mut go,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    partner
        .import_bundle(&first, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));

    let person = |v: &Vault, t: Uuid| amanat::model::PersonRef {
        testimony: t,
        person: v
            .testimony(t)
            .ok()
            .and_then(|s| s.testimony.testifier.map(|p| p.id))
            .unwrap_or_default(),
    };
    let p1 = person(&org, t1);
    let p2 = person(&org, t2);
    org.merge_persons(p1, p2, Some("same witness"))
        .unwrap_or_else(|e| panic!("{e}"));
    let linked_plan = org
        .plan_export(&ExportRequest {
            to: vec!["Partner".into()],
            profile: ExportProfile::Full,
            selection: Selection::Ids(vec![t1]),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        linked_plan.included.is_empty(),
        "the link keeps T1 from partners"
    );
    org.delete_testimony(t1, "duplicate")
        .unwrap_or_else(|e| panic!("{e}"));

    colleague
        .edit_testimony(t1, &json!({"summary": "the colleague's edit"}), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = ship(
        &path,
        &mut colleague,
        "Org",
        Selection::Ids(vec![t1]),
        &mut org,
    );
    eprintln!("org import: held {:?} conflicts {:?}", r.held, r.conflicts);
    let heads = org.testimony(t1).map(|s| s.heads).unwrap_or_default();
    assert_eq!(
        heads.len(),
        2,
        "a conflict: the colleague's edit beside the deletion"
    );

    // An anonymised copy waits until the conflict is resolved.
    let anon = org
        .plan_export(&ExportRequest {
            to: vec!["Partner".into()],
            profile: ExportProfile::Anonymised,
            selection: Selection::Ids(vec![t1]),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(anon.included.is_empty(), "{:?}", anon.left_out);
    let second = path.join("second.amanat");
    let plan = org
        .export_bundle(
            &ExportRequest {
                to: vec!["Partner".into(), "Outsider".into()],
                profile: ExportProfile::Full,
                selection: Selection::Ids(vec![t1]),
            },
            &second,
            &mut go,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "export: included {:?} left out {:?}",
        plan.plan.included, plan.plan.left_out
    );
    let tar = common::decrypt(&outsider, &second);
    let revisions = common::tar_member(&tar, "revisions.jsonl");
    let manifest = common::tar_member(&tar, "manifest.json");
    let needles = [
        t2.to_string(),
        t2.simple().to_string(),
        p2.person.to_string(),
        secret_name.to_string(),
        "B1-INTERNAL".to_string(),
        "same witness".to_string(),
        "duplicate".to_string(),
    ];
    for n in &needles {
        assert!(
            !common::contains(&tar, n.as_bytes()),
            "the bundle carries {n:?}: revisions {}, manifest {}",
            String::from_utf8_lossy(&revisions),
            String::from_utf8_lossy(&manifest)
        );
    }
    partner
        .import_bundle(&second, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let shown = format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        partner.testimony(t1),
        partner.history(t1),
        partner.conflict_sides(t1),
        partner.proposals(),
        partner.people("", 100),
        partner.search(&amanat::SearchQuery::new("Секретжан")),
        partner.list_testimonies(),
    );
    for n in &needles {
        assert!(
            !shown.contains(n.as_str()),
            "the partner vault shows {n:?}:\n{shown}"
        );
    }
    assert!(partner.testimony(t2).is_err());
    eprintln!(
        "partner: T1 heads {:?}; history {} entries, withheld {:?}",
        partner.testimony(t1).map(|s| s.heads),
        partner.history(t1).map(|h| h.len()).unwrap_or_default(),
        partner.history(t1).map(|h| h
            .iter()
            .map(|e| (e.op, e.content_withheld))
            .collect::<Vec<_>>())
    );
}
