//! Accepting what an import held for review (docs/trust-model.md §4), attacked as a hostile
//! partner, a hostile stick or a careless user would (independent review of f42e60d; the
//! first three tests failed on it): deletions accepted beside each other, a publish flag or
//! an attachment deletion accepted beside a custody entry, forwarding an accepted change,
//! reopening, resolving afterwards, and a lock made after the proposal arrived.

mod common;

use std::path::{Path, PathBuf};

use amanat::bundle::{ExportRequest, Selection};
use amanat::model::{ContactTrust, ExportProfile, HeldReason, PersonRef};
use amanat::{AttachOptions, Progress, Vault};
use serde_json::json;
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

fn edit(v: &mut Vault, id: Uuid, patch: serde_json::Value) {
    v.edit_testimony(id, &patch, None)
        .unwrap_or_else(|e| panic!("edit: error[{}] {e}", e.code()));
}

/// The coordinator sends testimony `t` to the partner.
fn to_partner(v: &mut Three, t: Uuid) -> Option<amanat::bundle::ImportReport> {
    let root = v.root.clone();
    common::ship(
        &root,
        &mut v.org,
        "Partner",
        Selection::Ids(vec![t]),
        &mut v.partner,
    )
}

enum Who {
    Colleague,
    Partner,
}

/// The colleague or the partner sends the coordinator what changed since they last did.
fn back_from(v: &mut Three, who: Who) -> Option<amanat::bundle::ImportReport> {
    let root = v.root.clone();
    let from = match who {
        Who::Colleague => &mut v.colleague,
        Who::Partner => &mut v.partner,
    };
    common::ship(&root, from, "Org", Selection::SinceLast, &mut v.org)
}

/// The coordinator sends testimony `t` to the colleague.
fn to_colleague(v: &mut Three, t: Uuid) {
    let root = v.root.clone();
    common::ship(
        &root,
        &mut v.org,
        "Colleague",
        Selection::Ids(vec![t]),
        &mut v.colleague,
    );
}

/// A testimony `shared` made on `v`.
fn add(v: &mut Vault, code: &str) -> Uuid {
    v.add_testimony(common::shared(code))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A file of about 100 kB attached to `t` on `v`.
fn attach(v: &mut Vault, root: &Path, t: Uuid, seed: u32) -> Uuid {
    let file = root.join(format!("file-{seed}.png"));
    common::png_like(&file, 100_000, seed);
    v.attach_file(t, &file, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn testifier(v: &Vault, t: Uuid) -> PersonRef {
    PersonRef {
        testimony: t,
        person: v
            .testimony(t)
            .ok()
            .and_then(|s| s.testimony.testifier.map(|p| p.id))
            .unwrap_or_default(),
    }
}

struct Three {
    _root: tempfile::TempDir,
    root: PathBuf,
    /// The coordinator: makes the testimonies.
    org: Vault,
    /// An interviewer of the same organisation.
    colleague: Vault,
    /// A partner organisation.
    partner: Vault,
}

/// org knows colleague (organisation) and partner (partner); each knows org back.
fn three() -> Three {
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
    common::know(&mut partner, &org, "Org", ContactTrust::Partner);
    Three {
        _root: root,
        root: path,
        org,
        colleague,
        partner,
    }
}

fn testimony_deletions(v: &Vault, t: Uuid) -> Vec<amanat::Proposal> {
    v.proposals()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|p| p.testimony == t && p.kind == "testimony" && p.proposed.is_none())
        .collect()
}

/// Two deletions accepted one after the other, each made beside a version this vault had,
/// leave the testimony deleted (every current version deletes it): the acceptance then does
/// what a deletion does — its attachments and their files go, and the link from another
/// testimony to its person, which would keep that one out of every full export.
#[test]
fn two_deletions_accepted_beside_each_other_delete_the_testimony_with_its_files_and_links() {
    let mut v = three();
    let root = v.root.clone();
    let t = add(&mut v.org, "DD-1");
    let s = add(&mut v.org, "DD-2");
    let a = attach(&mut v.org, &root, t, 7);
    let (pt, ps) = (testifier(&v.org, t), testifier(&v.org, s));
    v.org
        .merge_persons(pt, ps, Some("same witness"))
        .unwrap_or_else(|e| panic!("{e}"));

    // Both other vaults get DD-1.
    to_colleague(&mut v, t);
    to_partner(&mut v, t);
    // The coordinator edits it; the partner hears of the edit, the colleague does not.
    edit(
        &mut v.org,
        t,
        json!({"summary": "checked by the coordinator"}),
    );
    to_partner(&mut v, t);

    // The colleague deletes the version it has; the partner deletes the edited one.
    v.colleague
        .delete_testimony(t, "recorded by mistake")
        .unwrap_or_else(|e| panic!("{e}"));
    v.partner
        .delete_testimony(t, "not ours to keep")
        .unwrap_or_else(|e| panic!("{e}"));
    back_from(&mut v, Who::Colleague);
    back_from(&mut v, Who::Partner);
    let dels = testimony_deletions(&v.org, t);
    assert_eq!(dels.len(), 2, "{dels:?}");
    assert!(v.org.testimony(t).is_ok(), "deleted without review");

    // The coordinator accepts both deletions (the testimony deletion only, as for one made
    // beside nothing, where accepting it takes the attachments and links with it).
    let mut outcomes = Vec::new();
    for d in &dels {
        outcomes.push(
            v.org
                .accept_proposal(&d.revision, Some("witness asked"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    eprintln!("outcomes: {outcomes:?}");
    // The testimony is now deleted: every version is a deletion.
    assert_eq!(
        v.org.testimony(t).err().map(|e| e.code()),
        Some("not_found"),
        "expected the testimony to read as deleted"
    );
    assert!(
        v.org.conflicts().unwrap_or_default().is_empty(),
        "no conflict is shown for it"
    );
    // What a deletion does (delete_testimony, or accept_proposal when it follows every
    // version): the attachment and its file go, and the link from DD-2 goes.
    let live_attachment = v.org.attachment(a).is_ok();
    let blobs = common::blob_files(v.org.dir());
    let linked = v
        .org
        .testimony(s)
        .map(|x| x.testimony.testifier.map(|p| p.same_as.len()).unwrap_or(0))
        .unwrap_or(0);
    let plan = v
        .org
        .plan_export(&ExportRequest {
            to: vec!["Colleague".into()],
            profile: ExportProfile::Full,
            selection: Selection::Ids(vec![s]),
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let verify = v.org.verify().unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "attachment live: {live_attachment}, blob files: {blobs:?}, DD-2 links: {linked}, \
         DD-2 left out: {:?}, verify: {:?}",
        plan.left_out.iter().map(|l| l.problem).collect::<Vec<_>>(),
        verify.problems
    );
    assert!(
        !live_attachment,
        "the deleted testimony's attachment is still live"
    );
    assert!(blobs.is_empty(), "its file is still on disk: {blobs:?}");
    assert_eq!(
        linked, 0,
        "DD-2 still links to the deleted testimony's person"
    );
    assert!(
        plan.left_out.is_empty(),
        "DD-2 is kept out of a full export by the link"
    );
}

/// A publish flag held for review and accepted, made beside a custody entry every export
/// appends: attachments have no conflicts to resolve (their versions merge, not safe to
/// publish unless every version says so), so the acceptance merges it with the version here
/// and the flag the user confirmed holds, also after the next export.
#[test]
fn an_accepted_publish_flag_made_beside_a_custody_entry_is_kept() {
    let mut v = three();
    let root = v.root.clone();
    let t = add(&mut v.org, "FLAG-1");
    let a = attach(&mut v.org, &root, t, 3);
    to_colleague(&mut v, t);
    // The colleague marks the file safe to publish.
    v.colleague
        .set_safe_to_publish(a, true)
        .unwrap_or_else(|e| panic!("{e}"));
    // Meanwhile the coordinator sends the testimony to the partner (a custody entry here).
    to_partner(&mut v, t);
    let r = back_from(&mut v, Who::Colleague).unwrap_or_else(|| panic!("nothing sent"));
    assert!(
        r.held.iter().any(|h| h.why == HeldReason::PublishFlag),
        "{:?}",
        r.held
    );
    let flags: Vec<_> = v
        .org
        .proposals()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|p| p.safe_to_publish == Some(true))
        .collect();
    assert!(!flags.is_empty());
    // The user accepts the last one (it brings the others).
    let last = flags.last().map(|p| p.revision.clone()).unwrap_or_default();
    let outcome = v
        .org
        .accept_proposal(&last, Some("checked: no faces"))
        .unwrap_or_else(|e| panic!("{e}"));
    let remaining = v.org.proposals().unwrap_or_default().len();
    let safe = v.org.attachment(a).map(|s| s.attachment.safe_to_publish);
    let heads = v.org.attachment(a).map(|s| s.heads.len());
    let conflicts = v.org.conflicts().unwrap_or_default().len();
    eprintln!(
        "outcome {outcome:?}, safe {safe:?}, heads {heads:?}, conflicts listed {conflicts}, \
         proposals left {remaining}"
    );
    // The next export appends a custody entry following both versions.
    to_partner(&mut v, t);
    let safe_after = v.org.attachment(a).map(|s| s.attachment.safe_to_publish);
    let heads_after = v.org.attachment(a).map(|s| s.heads.len());
    eprintln!("after another export: safe {safe_after:?}, heads {heads_after:?}");
    assert!(
        outcome == amanat::Acceptance::Current || conflicts > 0,
        "accepted as a conflict, but no conflict is listed anywhere to resolve"
    );
    assert_eq!(
        safe_after.ok(),
        Some(true),
        "the accepted flag was dropped without a word"
    );
}

/// What a partner's change the coordinator accepted does at a colleague's vault (the same
/// organisation) when the coordinator forwards it, and to the coordinator's own later edit.
#[test]
fn an_accepted_partner_change_forwarded_to_a_colleague() {
    let mut v = three();
    let root = v.root.clone();
    let t = add(&mut v.org, "FWD-1");
    to_colleague(&mut v, t);
    to_partner(&mut v, t);
    edit(
        &mut v.partner,
        t,
        json!({"summary": "the partner's correction"}),
    );
    let r = back_from(&mut v, Who::Partner).unwrap_or_else(|| panic!("nothing sent"));
    assert_eq!(
        r.proposals.iter().map(|p| p.why).collect::<Vec<_>>(),
        [HeldReason::NoAuthority]
    );
    let p = v.org.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    assert_eq!(
        v.org
            .accept_proposal(&p, Some("checked"))
            .unwrap_or_else(|e| panic!("{e}")),
        amanat::Acceptance::Current
    );
    edit(
        &mut v.org,
        t,
        json!({"narrative": "the coordinator's own later edit"}),
    );
    let r = common::ship(
        &root,
        &mut v.org,
        "Colleague",
        Selection::SinceLast,
        &mut v.colleague,
    )
    .unwrap_or_else(|| panic!("nothing sent"));
    let shown = v.colleague.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "colleague held: {:?}; shows summary {:?}, narrative {:?}",
        r.held.iter().map(|h| h.why).collect::<Vec<_>>(),
        shown.testimony.summary,
        shown.testimony.narrative
    );
    // The colleague accepts what it holds: the two vaults then agree.
    for p in v.colleague.proposals().unwrap_or_default() {
        let _ = v.colleague.accept_proposal(&p.revision, None);
    }
    let heads = |v: &Vault| {
        let mut h = v.testimony(t).map(|s| s.heads).unwrap_or_default();
        h.sort();
        h
    };
    assert_eq!(heads(&v.org), heads(&v.colleague));
    assert!(v.colleague.verify().map(|r| r.ok()).unwrap_or(false));
}

/// The acceptance (the state, the "accepted here" line and the reason) survives a reopen that
/// replays the log (no snapshot since) and one from a snapshot, and `verify` passes.
#[test]
fn an_acceptance_survives_log_replay_and_snapshot() {
    let mut v = three();
    let t = add(&mut v.org, "RE-1");
    to_partner(&mut v, t);
    edit(&mut v.partner, t, json!({"summary": "partner one"}));
    back_from(&mut v, Who::Partner);
    // A change made here meanwhile: the acceptance is a conflict.
    edit(&mut v.org, t, json!({"narrative": "coordinator meanwhile"}));
    let p = v.org.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    assert_eq!(
        v.org
            .accept_proposal(&p, Some("phoned the partner"))
            .unwrap_or_else(|e| panic!("{e}")),
        amanat::Acceptance::Conflict
    );
    let before = v.org.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    let accepted = |v: &Vault| {
        v.history(t)
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.hash == p)
            .and_then(|e| e.accepted)
            .and_then(|a| a.reason)
    };
    assert_eq!(accepted(&v.org).as_deref(), Some("phoned the partner"));
    let dir = v.org.dir().to_path_buf();
    // Dropped without close: the reopen replays the frame.
    drop(v.org);
    let org = common::open(&dir);
    assert_eq!(accepted(&org).as_deref(), Some("phoned the partner"));
    assert_eq!(
        org.testimony(t).map(|s| s.heads).ok(),
        Some(before.heads.clone())
    );
    assert_eq!(org.proposals().map(|p| p.len()).ok(), Some(0));
    org.close().unwrap_or_else(|e| panic!("{e}"));
    // Current snapshot damaged: the previous one and the log.
    let org = common::open(&dir);
    org.close().unwrap_or_else(|e| panic!("{e}"));
    let snap = dir.join("snapshot.age");
    let mut bytes = std::fs::read(&snap).unwrap_or_default();
    let n = bytes.len() / 2;
    bytes[n] ^= 0xff;
    std::fs::write(&snap, bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut org = common::open(&dir);
    assert_eq!(accepted(&org).as_deref(), Some("phoned the partner"));
    assert_eq!(org.testimony(t).map(|s| s.heads).ok(), Some(before.heads));
    assert_eq!(org.proposals().map(|p| p.len()).ok(), Some(0));
    assert_eq!(org.conflicts().map(|c| c.len()).ok(), Some(1));
    let report = org.verify().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("verify after damaged snapshot: {:?}", report.problems);
}

/// A deletion accepted beside an edit made here, then resolved either way: taking the
/// deletion deletes the testimony with its files and links; keeping the edit keeps them.
#[test]
fn a_deletion_accepted_beside_an_edit_then_resolved() {
    for take_deletion in [true, false] {
        let mut v = three();
        let root = v.root.clone();
        let t = add(&mut v.org, "RES-1");
        let s = add(&mut v.org, "RES-2");
        let a = attach(&mut v.org, &root, t, 5);
        let (pt, ps) = (testifier(&v.org, t), testifier(&v.org, s));
        v.org
            .merge_persons(pt, ps, None)
            .unwrap_or_else(|e| panic!("{e}"));
        to_colleague(&mut v, t);
        v.colleague
            .delete_testimony(t, "duplicate")
            .unwrap_or_else(|e| panic!("{e}"));
        edit(&mut v.org, t, json!({"summary": "coordinator's edit"}));
        back_from(&mut v, Who::Colleague);
        let d = testimony_deletions(&v.org, t);
        assert_eq!(d.len(), 1);
        assert_eq!(
            v.org
                .accept_proposal(&d[0].revision, None)
                .unwrap_or_else(|e| panic!("{e}")),
            amanat::Acceptance::Conflict
        );
        let sides = v.org.conflict_sides(t).unwrap_or_else(|e| panic!("{e}"));
        let seen: Vec<String> = sides.iter().map(|s| s.revision.clone()).collect();
        let pick = sides
            .iter()
            .find(|s| s.testimony.is_none() == take_deletion)
            .map(|s| s.revision.clone())
            .unwrap_or_default();
        v.org
            .take_side(t, &pick, &seen, None)
            .unwrap_or_else(|e| panic!("take_side: {e}"));
        let linked = v
            .org
            .testimony(s)
            .map(|x| x.testimony.testifier.map(|p| p.same_as.len()).unwrap_or(0))
            .unwrap_or(0);
        if take_deletion {
            assert!(v.org.testimony(t).is_err());
            assert!(v.org.attachment(a).is_err(), "attachment left live");
            assert!(common::blob_files(v.org.dir()).is_empty());
            assert_eq!(linked, 0);
        } else {
            assert_eq!(
                v.org
                    .testimony(t)
                    .map(|x| x.testimony.summary)
                    .ok()
                    .as_deref(),
                Some("coordinator's edit")
            );
            assert!(v.org.attachment(a).is_ok(), "attachment lost");
            assert_eq!(linked, 1);
        }
        assert!(v.org.verify().map(|r| r.ok()).unwrap_or(false));
    }
}

/// A partner's edit held for review, then the coordinator locks the testimony: accepting the
/// edit is refused while it is locked (it would be a conflict beside the locked version).
#[test]
fn a_proposal_cannot_be_accepted_beside_a_lock_made_after_it_arrived() {
    let mut v = three();
    let t = add(&mut v.org, "LK-1");
    to_partner(&mut v, t);
    edit(
        &mut v.partner,
        t,
        json!({"narrative": "rewritten by the partner"}),
    );
    back_from(&mut v, Who::Partner);
    edit(&mut v.org, t, json!({"status": "locked"}));
    let p = v.org.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    let r = v.org.accept_proposal(&p, None);
    assert_eq!(r.err().map(|e| e.code()), Some("record_locked"));
    assert_eq!(
        v.org
            .testimony(t)
            .map(|s| s.testimony.narrative)
            .ok()
            .as_deref(),
        Some("The witness's own words.")
    );
}

/// An attachment's deletion held for review and accepted beside a custody entry made here
/// deletes it and its file, and is not reported as a conflict ("both are kept").
#[test]
fn an_accepted_attachment_deletion_beside_a_custody_entry_deletes_the_file_and_says_so() {
    let mut v = three();
    let root = v.root.clone();
    let t = add(&mut v.org, "AD-1");
    let a = attach(&mut v.org, &root, t, 9);
    to_colleague(&mut v, t);
    v.colleague
        .delete_attachment(a, "wrong file")
        .unwrap_or_else(|e| panic!("{e}"));
    to_partner(&mut v, t);
    let r = common::ship(
        &root,
        &mut v.colleague,
        "Org",
        Selection::Ids(vec![t]),
        &mut v.org,
    );
    eprintln!(
        "import: {:?}; attachment at org: {:?}",
        r.map(|r| (r.revisions_new, r.held)),
        v.org.attachment(a).map(|s| s.heads)
    );
    let d: Vec<_> = v
        .org
        .proposals()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind == "attachment")
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].why, HeldReason::Deletion);
    let outcome = v
        .org
        .accept_proposal(&d[0].revision, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let gone = v.org.attachment(a).is_err();
    let files = common::blob_files(v.org.dir());
    eprintln!(
        "outcome {outcome:?}; attachment gone: {gone}; files {files:?}; conflicts {}",
        v.org.conflicts().unwrap_or_default().len()
    );
    assert!(
        !(outcome == amanat::Acceptance::Conflict && gone),
        "reported as kept beside the version here, but deleted"
    );
}
