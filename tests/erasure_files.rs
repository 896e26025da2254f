//! Erasing one file alone (docs/erasure.md §1), as an independent review attacked it: each
//! test was written by the reviewer; the first four, `file_then_testimony_…` and the last
//! failed on the first version (the erasure of a file deleted before, of a deleted testimony's
//! file, behind consent, in a bundle of withdrawals, beside the testimony's erasure, and its
//! line in the import summary).
//! Three findings are limits left open and documented (erasure.md §6).

mod common;

use amanat::bundle::{ExportRequest, Selection};
use amanat::forensics::{self, Unlock};
use amanat::model::{ContactTrust, ExportProfile, Op};
use amanat::{AttachOptions, RecoveryKey, Vault};
use serde_json::json;
use std::path::{Path, PathBuf};
use uuid::Uuid;

const MARKER: &str = "SONPHOTO-MARKER-91qz";
const NAME: &str = "son-photo-zqx.txt";
const WHY: &str = "the witness withdrew the photo of her son";

fn go(_: amanat::Progress) -> bool {
    true
}

/// The files of vault `dir` (decrypted with `key`) holding any of `words`, as typed or
/// lower-cased (`forensics::scan`).
fn found(dir: &Path, key: &RecoveryKey, words: &[&str]) -> Vec<String> {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    forensics::scan(dir, Unlock::Recovery(key), &words)
        .unwrap_or_else(|e| panic!("scan: {e}"))
        .into_iter()
        .map(|(path, w)| format!("{} holds {w:?}", path.display()))
        .collect()
}

struct Party {
    dir: PathBuf,
    v: Vault,
    key: RecoveryKey,
}

fn party(root: &Path, name: &str) -> Party {
    let dir = root.join(name);
    let (v, key) = common::create(&dir);
    Party { dir, v, key }
}

fn attach(root: &Path, v: &mut Vault, t: Uuid, name: &str, body: &str) -> Uuid {
    let file = root.join(name);
    std::fs::write(&file, body).unwrap_or_default();
    v.attach_file(t, &file, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("attach: {e}"))
}

/// Interviewer I and coordinator C (each trusting the other as `trust`), a testimony of I's
/// with the file to withdraw and another, shipped to C in full.
fn start(root: &Path, trust: ContactTrust) -> (Party, Party, Uuid, Uuid) {
    let mut i = party(root, "i");
    let mut c = party(root, "c");
    common::know(&mut i.v, &c.v, "C", trust);
    common::know(&mut c.v, &i.v, "I", trust);
    let t =
        i.v.add_testimony(common::shared("FIL-1"))
            .unwrap_or_else(|e| panic!("add: {e}"));
    let gone = attach(root, &mut i.v, t, NAME, &format!("photo {MARKER}"));
    attach(root, &mut i.v, t, "letter.txt", "a letter Keptfileq");
    common::ship(root, &mut i.v, "C", Selection::SinceLast, &mut c.v);
    assert!(!found(&c.dir, &c.key, &[MARKER, NAME]).is_empty());
    (i, c, t, gone)
}

fn withdrawals(root: &Path, from: &mut Vault, to: &str, into: &mut Vault) -> bool {
    common::ship(root, from, to, Selection::Withdrawals, into).is_some()
}

fn erased_in_history(v: &Vault, file: Uuid) -> bool {
    v.history(file)
        .unwrap_or_default()
        .iter()
        .any(|e| e.op == Op::Erase)
}

/// The file was deleted first (the deletion went to the coordinator), then the witness asks
/// for it to be erased: the erasure must reach the coordinator, whose history still holds the
/// file's name.
#[test]
fn a_file_deleted_and_sent_then_erased_reaches_the_coordinator() {
    let root = common::tempdir();
    let (mut i, mut c, _t, gone) = start(root.path(), ContactTrust::Organisation);
    i.v.delete_attachment(gone, "not needed")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let since = common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    let only = withdrawals(root.path(), &mut i.v, "C", &mut c.v);
    assert!(
        erased_in_history(&c.v, gone),
        "the erasure never reached C (since-last bundle: {}, withdrawals bundle: {only}); C still holds {:?}",
        since.is_some(),
        found(&c.dir, &c.key, &[NAME])
    );
    assert_eq!(found(&c.dir, &c.key, &[NAME]), Vec::<String>::new());
}

/// A file of a deleted testimony (the deletion went) is erased: the erasure must travel.
#[test]
fn a_file_of_a_deleted_testimony_erased_reaches_the_coordinator() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Organisation);
    i.v.delete_testimony(t, "duplicate")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    withdrawals(root.path(), &mut i.v, "C", &mut c.v);
    assert!(
        erased_in_history(&c.v, gone),
        "never reached C, which holds {:?}",
        found(&c.dir, &c.key, &[NAME])
    );
}

/// The witness narrows consent (no more sharing with the partner) and withdraws the photo:
/// the erasure must still go ("even though consent no longer lets the content go").
#[test]
fn a_file_erasure_goes_though_consent_keeps_the_testimony_back() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Partner);
    i.v.edit_testimony(
        t,
        &json!({"consents": [{"scopes": {"store_internally": "granted", "share_with_partner": "refused"}}]}),
        Some("witness narrowed consent"),
    )
    .unwrap_or_else(|e| panic!("edit: {e}"));
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let plan =
        i.v.plan_export(&ExportRequest {
            to: vec!["C".into()],
            profile: ExportProfile::Full,
            selection: Selection::SinceLast,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    let _ = common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    let only = withdrawals(root.path(), &mut i.v, "C", &mut c.v);
    assert!(
        erased_in_history(&c.v, gone),
        "left out: {:?}; withdrawals bundle: {only}; C holds {:?}",
        plan.left_out,
        found(&c.dir, &c.key, &[MARKER, NAME])
    );
}

/// "Only withdrawals" after erasing one file: it must carry the file's erasure.
#[test]
fn only_withdrawals_carries_a_file_erasure() {
    let root = common::tempdir();
    let (mut i, mut c, _t, gone) = start(root.path(), ContactTrust::Organisation);
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let sent = withdrawals(root.path(), &mut i.v, "C", &mut c.v);
    assert!(sent && erased_in_history(&c.v, gone), "bundle made: {sent}");
}

/// I → C (organisation) → D (C's colleague, who does not know I). The erasure relayed by C
/// reaches D; everything verifies, and exchanging everything afterwards changes nothing.
#[test]
fn a_file_erasure_is_relayed_to_a_colleague() {
    relay(true);
}

/// The same, D not knowing I: D's user accepted the files it held for review first.
#[test]
fn a_file_erasure_is_relayed_to_a_colleague_who_does_not_know_the_interviewer() {
    relay(false);
}

fn relay(d_knows_i: bool) {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Organisation);
    let mut d = party(root.path(), "d");
    common::know(&mut c.v, &d.v, "D", ContactTrust::Organisation);
    common::know(&mut d.v, &c.v, "C", ContactTrust::Organisation);
    if d_knows_i {
        common::know(&mut d.v, &i.v, "I", ContactTrust::Organisation);
    }
    common::ship(root.path(), &mut c.v, "D", Selection::SinceLast, &mut d.v);
    accept_all(&mut d.v);
    assert_eq!(d.v.attachments(t).unwrap_or_default().len(), 2);
    // D passes it back with its own custody entries (a later bundle), and C on again.
    common::ship(root.path(), &mut d.v, "C", Selection::All, &mut c.v);
    common::ship(root.path(), &mut c.v, "D", Selection::All, &mut d.v);
    assert!(!found(&d.dir, &d.key, &[MARKER]).is_empty());
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let r = common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v)
        .unwrap_or_else(|| panic!("nothing to C"));
    assert_eq!(r.erased.len(), 1, "{r:?}");
    let r = common::ship(root.path(), &mut c.v, "D", Selection::SinceLast, &mut d.v)
        .unwrap_or_else(|| panic!("nothing to D"));
    assert_eq!(r.erased.len(), 1, "{r:?}");
    for p in [&i, &c, &d] {
        assert_eq!(found(&p.dir, &p.key, &[MARKER, NAME]), Vec::<String>::new());
        assert!(!found(&p.dir, &p.key, &["Keptfileq"]).is_empty());
    }
    // Everyone sends everyone everything.
    for _ in 0..2 {
        common::ship(root.path(), &mut d.v, "C", Selection::All, &mut c.v);
        common::ship(root.path(), &mut c.v, "D", Selection::SinceLast, &mut d.v);
        common::ship(root.path(), &mut c.v, "I", Selection::SinceLast, &mut i.v);
        common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    }
    let hist = |v: &Vault, id| {
        let mut h: Vec<String> = v
            .history(id)
            .unwrap_or_default()
            .iter()
            .map(|e| e.hash.clone())
            .collect();
        h.sort();
        h
    };
    assert_eq!(hist(&c.v, gone), hist(&d.v, gone), "C and D differ");
    assert!(erased_in_history(&d.v, gone));
    for p in [&mut i, &mut c, &mut d] {
        let r = p.v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(found(&p.dir, &p.key, &[MARKER, NAME]), Vec::<String>::new());
        assert_eq!(p.v.attachments(t).unwrap_or_default().len(), 1);
    }
}

/// The file, then the whole testimony, are erased before the next bundle: both vaults must
/// end with the same history of the file (its erasure, with its reason, included).
#[test]
fn file_then_testimony_erased_leaves_the_same_history_everywhere() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Organisation);
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase file: {e}"));
    i.v.erase(t, "FIL-1", "the witness withdrew everything")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    for _ in 0..2 {
        common::ship(root.path(), &mut c.v, "I", Selection::SinceLast, &mut i.v);
        common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
        withdrawals(root.path(), &mut i.v, "C", &mut c.v);
    }
    for p in [&i, &c] {
        assert_eq!(
            found(&p.dir, &p.key, &[MARKER, NAME, "Keptfileq"]),
            Vec::<String>::new()
        );
    }
    let hist = |v: &Vault| {
        let mut h: Vec<(String, Option<String>)> = v
            .history(gone)
            .unwrap_or_default()
            .iter()
            .map(|e| (e.hash.clone(), e.reason.clone()))
            .collect();
        h.sort();
        h
    };
    assert_eq!(hist(&i.v), hist(&c.v), "I and C keep different histories");
}

/// The coordinator erases the whole testimony while the interviewer erases one file; then
/// they exchange everything: the same history of the file and of the testimony everywhere.
#[test]
fn crossing_file_and_testimony_erasures_converge() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Organisation);
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase file: {e}"));
    c.v.erase(t, "FIL-1", "erased by the organisation")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    for _ in 0..2 {
        common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
        common::ship(root.path(), &mut c.v, "I", Selection::SinceLast, &mut i.v);
        withdrawals(root.path(), &mut i.v, "C", &mut c.v);
        withdrawals(root.path(), &mut c.v, "I", &mut i.v);
    }
    let hist = |v: &Vault, id| {
        let mut h: Vec<String> = v
            .history(id)
            .unwrap_or_default()
            .iter()
            .map(|e| format!("{} {:?}", e.hash, e.op))
            .collect();
        h.sort();
        h
    };
    assert_eq!(hist(&i.v, gone), hist(&c.v, gone), "file history differs");
    assert_eq!(hist(&i.v, t), hist(&c.v, t), "testimony history differs");
    for p in [&mut i, &mut c] {
        let r = p.v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(found(&p.dir, &p.key, &[MARKER, NAME]), Vec::<String>::new());
    }
}

/// A partner (no authority over I's testimony) erases I's file in its own copy and sends it
/// back: I must hold it, not apply it, and list nothing as erased.
#[test]
fn a_partner_cannot_erase_another_s_file() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Partner);
    c.v.erase_attachment(gone, "partner wants it gone")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let r = common::ship(root.path(), &mut c.v, "I", Selection::SinceLast, &mut i.v);
    if let Some(r) = &r {
        assert!(r.erased.is_empty(), "{r:?}");
    }
    assert!(!erased_in_history(&i.v, gone));
    assert_eq!(i.v.attachments(t).unwrap_or_default().len(), 2);
    assert!(!found(&i.dir, &i.key, &[MARKER]).is_empty());
}

/// A partner's change to the file, held at I, then I erases the file: nothing of the held
/// change stays, and later bundles of the partner do not bring the file back.
#[test]
fn a_held_partner_change_goes_with_the_erasure() {
    let root = common::tempdir();
    let (mut i, mut c, t, gone) = start(root.path(), ContactTrust::Partner);
    c.v.set_safe_to_publish(gone, true)
        .unwrap_or_else(|e| panic!("flag: {e}"));
    common::ship(root.path(), &mut c.v, "I", Selection::All, &mut i.v);
    assert!(!i.v.proposals().unwrap_or_default().is_empty());
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    assert!(i.v.proposals().unwrap_or_default().is_empty());
    // C's older full bundle (made before it heard of the erasure) arrives after it.
    common::ship(root.path(), &mut c.v, "I", Selection::All, &mut i.v);
    common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v);
    for p in [&mut i, &mut c] {
        assert_eq!(found(&p.dir, &p.key, &[MARKER, NAME]), Vec::<String>::new());
        assert_eq!(p.v.attachments(t).unwrap_or_default().len(), 1);
        let r = p.v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }
}

/// The coordinator had deleted the file itself before the interviewer's erasure arrives: the
/// import summary should still say the file was erased.
#[test]
fn an_erasure_of_a_file_deleted_here_is_listed() {
    let root = common::tempdir();
    let (mut i, mut c, _t, gone) = start(root.path(), ContactTrust::Organisation);
    c.v.delete_attachment(gone, "blurry")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    i.v.erase_attachment(gone, WHY)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let r = common::ship(root.path(), &mut i.v, "C", Selection::SinceLast, &mut c.v)
        .unwrap_or_else(|| panic!("nothing"));
    assert!(erased_in_history(&c.v, gone));
    assert_eq!(found(&c.dir, &c.key, &[NAME]), Vec::<String>::new());
    assert_eq!(r.erased.len(), 1, "{:?}", r.erased);
}

fn accept_all(v: &mut Vault) {
    for _ in 0..10 {
        let ps = v.proposals().unwrap_or_default();
        if ps.is_empty() {
            return;
        }
        for p in ps {
            let _ = v.accept_proposal(&p.revision, Some("reviewed"));
        }
    }
}
