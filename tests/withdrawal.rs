//! Hide now, erase later (docs/erasure.md §5), as an independent review attacked it: each
//! test here was written by the reviewer and failed on the first version (the findings are
//! named in each test's doc); what held is the last test.

mod common;

use std::path::Path;

use amanat::bundle::Selection;
use amanat::forensics::{self, Unlock};
use amanat::model::{ContactTrust, Op};
use amanat::{AttachOptions, RecoveryKey, SearchQuery, Testimony, Vault};
use uuid::Uuid;

const CANARIES: [&str; 4] = ["Qzvortekhw", "Жщфыкрявw", "ئۆپچەڭزىw", "鹦鹉笼屉"];
const PROPOSED: &str = "Proposedcanaryzq";
const STALE: &str = "Staleeditcanaryq";

fn go(_: amanat::Progress) -> bool {
    true
}

fn day(v: &Vault, id: Uuid) -> jiff::civil::Date {
    v.pending_withdrawals()
        .unwrap_or_default()
        .iter()
        .find(|w| w.id == id)
        .map(|w| w.erase_on)
        .unwrap_or_else(|| panic!("{id} is not withdrawn"))
}

fn hits(v: &Vault, text: &str) -> usize {
    v.search(&SearchQuery::new(text))
        .map(|r| r.hits.len())
        .unwrap_or_else(|e| panic!("search: {e}"))
}

/// The files of vault `dir` (decrypted as `unlock` says) holding any of `words`, as typed or
/// lower-cased (`forensics::scan`).
fn found(dir: &Path, unlock: Unlock<'_>, words: &[&str]) -> Vec<String> {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    forensics::scan(dir, unlock, &words)
        .unwrap_or_else(|e| panic!("scan: {e}"))
        .into_iter()
        .map(|(path, w)| format!("{} holds {w:?}", path.display()))
        .collect()
}

fn with_word(code: &str, word: &str) -> Testimony {
    let mut t = common::shared(code);
    t.narrative = format!("{} {word}", t.narrative);
    t
}

/// A coordinator and a partner (trusted as a partner, both ways known).
struct Pair {
    root: tempfile::TempDir,
    c: Vault,
    c_rec: RecoveryKey,
    p: Vault,
}

fn pair(partner_trust: ContactTrust) -> Pair {
    let root = common::tempdir();
    let (mut c, c_rec) = common::create(&root.path().join("c"));
    let (mut p, _) = common::create(&root.path().join("p"));
    common::know(&mut c, &p, "P", partner_trust);
    common::know(&mut p, &c, "C", ContactTrust::Organisation);
    Pair { root, c, c_rec, p }
}

/// A partner that made a testimony erases it (the creator's rule) while the coordinator has
/// it withdrawn, waiting. The erasure arrives and is applied; the coordinator's other
/// withdrawals must still be erased on their day.
#[test]
fn an_imported_erasure_of_a_hidden_testimony_does_not_block_the_other_withdrawals() {
    let Pair {
        root,
        mut c,
        c_rec,
        mut p,
    } = pair(ContactTrust::Partner);
    let theirs = p.add_testimony(with_word("PRT-1", "Partnerwordq")).unwrap();
    common::ship(root.path(), &mut p, "C", Selection::SinceLast, &mut c).unwrap();
    let own = c.add_testimony(with_word("OWN-1", CANARIES[0])).unwrap();
    c.withdraw(theirs, "PRT-1", "the witness called", 5)
        .unwrap();
    c.withdraw(own, "OWN-1", "the witness called", 5).unwrap();
    let erase_on = day(&c, own);

    p.erase(theirs, "PRT-1", "the witness withdrew").unwrap();
    let report = common::ship(root.path(), &mut p, "C", Selection::Withdrawals, &mut c).unwrap();
    assert_eq!(report.erased.len(), 1, "{report:?}");
    // Erased already: it should not still be listed as waiting.
    let waiting: Vec<(Uuid, String)> = c
        .pending_withdrawals()
        .unwrap()
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    assert_eq!(
        waiting,
        vec![(own, "OWN-1".to_string())],
        "the erased testimony is still listed as waiting"
    );
    // The day comes: the coordinator's own withdrawn testimony must be erased.
    let n = c.erase_withdrawals_due(erase_on);
    assert!(n.is_ok(), "erasing the due withdrawals failed: {n:?}");
    assert_eq!(
        found(
            &root.path().join("c"),
            Unlock::Recovery(&c_rec),
            &CANARIES[..1]
        ),
        Vec::<String>::new()
    );
}

/// The same, through opening on the day (as the app does): the error is swallowed by
/// `open`, the other withdrawal is never erased, on this opening or any later one.
#[test]
fn opening_on_the_day_erases_every_due_withdrawal_even_after_an_imported_erasure() {
    let Pair {
        root,
        mut c,
        c_rec,
        mut p,
    } = pair(ContactTrust::Partner);
    let theirs = p.add_testimony(with_word("PRT-1", "Partnerwordq")).unwrap();
    common::ship(root.path(), &mut p, "C", Selection::SinceLast, &mut c).unwrap();
    let own = c.add_testimony(with_word("OWN-1", CANARIES[0])).unwrap();
    c.withdraw(theirs, "PRT-1", "the witness called", 1)
        .unwrap();
    c.withdraw(own, "OWN-1", "the witness called", 1).unwrap();
    p.erase(theirs, "PRT-1", "the witness withdrew").unwrap();
    common::ship(root.path(), &mut p, "C", Selection::Withdrawals, &mut c).unwrap();
    // Pretend the opening happens on the day: erase_withdrawals_due(day) is what open calls.
    let erase_on = day(&c, own);
    let _ = c.erase_withdrawals_due(erase_on);
    c.close().unwrap();
    // Reopened (and again the day after): still waiting, and its words still on disk.
    let mut c = common::open(&root.path().join("c"));
    let _ = c.erase_withdrawals_due(erase_on);
    assert!(
        c.pending_withdrawals().unwrap().iter().all(|w| w.id != own),
        "OWN-1 is still waiting after its day"
    );
    drop(c);
    assert_eq!(
        found(
            &root.path().join("c"),
            Unlock::Recovery(&c_rec),
            &CANARIES[..1]
        ),
        Vec::<String>::new()
    );
}

/// A partner's change to a testimony the coordinator withdrew is held for review. The list
/// of proposals is one of the places the app shows: it must not show the hidden testimony's
/// content (nor its code).
#[test]
fn a_proposal_for_a_hidden_testimony_is_not_shown() {
    let Pair {
        root,
        mut c,
        c_rec,
        mut p,
    } = pair(ContactTrust::Partner);
    let id = c.add_testimony(with_word("SHR-1", CANARIES[0])).unwrap();
    common::ship(root.path(), &mut c, "P", Selection::SinceLast, &mut p).unwrap();
    c.withdraw(id, "SHR-1", "asked to take it back", 7).unwrap();
    // The partner edits its copy and sends it back.
    let mut t = p.testimony(id).unwrap().testimony;
    t.narrative = format!("{} {PROPOSED}", t.narrative);
    p.update_testimony(id, t, Some("added a detail")).unwrap();
    let report = common::ship(root.path(), &mut p, "C", Selection::SinceLast, &mut c).unwrap();
    let shown = c.proposals().unwrap();
    let leaks: Vec<String> = shown
        .iter()
        .filter(|x| x.testimony == id)
        .map(|x| {
            format!(
                "code {:?}, proposed narrative {:?}",
                x.code,
                x.proposed.as_ref().map(|t| t.narrative.clone())
            )
        })
        .collect();
    assert!(
        leaks.is_empty() && report.proposals.iter().all(|x| x.id != id),
        "the hidden testimony is in the proposals list: {leaks:?}"
    );
    // On the day, the proposal goes with it.
    let erase_on = day(&c, id);
    c.erase_withdrawals_due(erase_on).unwrap();
    assert!(c.proposals().unwrap().is_empty());
    drop(c);
    assert_eq!(
        found(
            &root.path().join("c"),
            Unlock::Recovery(&c_rec),
            &[PROPOSED, CANARIES[0]]
        ),
        Vec::<String>::new()
    );
}

/// Drafts and an editor left open on a testimony that is then withdrawn: the editor "no
/// longer finds it" (docs §5), so its drafts should not be listed under its code, and saving
/// the editor must not write a new version into the hidden testimony.
#[test]
fn an_editor_left_open_on_a_withdrawn_testimony_writes_nothing_into_it() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, rec) = common::create(&dir);
    let id = v.add_testimony(with_word("EDT-1", CANARIES[0])).unwrap();
    let base = v.testimony(id).unwrap().heads[0].clone();
    // Someone else's edit moves it on (the editor's base is now stale).
    v.edit_testimony(id, &serde_json::json!({"summary": "moved on"}), None)
        .unwrap();
    v.withdraw(id, "EDT-1", "the witness was made to retract", 7)
        .unwrap();
    let mut t = with_word("EDT-1", CANARIES[0]);
    t.narrative = format!("{} {STALE}", t.narrative);
    // The app's autosave keeps writing the draft while the editor is open.
    let draft = v
        .save_draft(
            Uuid::now_v7(),
            Some(id),
            Some(&base),
            &t.to_value().unwrap(),
        )
        .map(|d| d.code);
    let listed: Vec<String> = v
        .drafts()
        .unwrap()
        .drafts
        .iter()
        .filter(|d| d.record == Some(id))
        .map(|d| d.code.clone())
        .collect();
    let saved = v.save_edit(id, t, &base, Some("finished typing"));
    let history_ops: Vec<Op> = v.history(id).unwrap().iter().map(|h| h.op).collect();
    assert!(
        saved.is_err() && draft.is_err() && listed.is_empty(),
        "save_edit: {saved:?}; save_draft: {draft:?}; drafts listed: {listed:?}; history: \
         {history_ops:?}"
    );
    // Kept later, it must come back as it was when withdrawn.
    v.keep_withdrawn(id, "confirmed in person").unwrap();
    let back = v.testimony(id).unwrap();
    assert_eq!(
        back.heads.len(),
        1,
        "kept, it has a conflict made while hidden"
    );
    drop(v);
    let _ = rec;
}

/// Hiding frees the code: a new testimony can take it, and then the command line's
/// `keep CODE` / `erase CODE --code CODE` (which resolve the code) name the new testimony.
#[test]
fn a_withdrawn_testimony_s_code_is_not_given_to_another_while_it_waits() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let hidden = v.add_testimony(with_word("ALA-1", CANARIES[0])).unwrap();
    v.withdraw(hidden, "ALA-1", "asked on the phone", 7)
        .unwrap();
    let added = v.add_testimony(with_word("ALA-1", "Newwitnessq"));
    let resolved = v.resolve("ALA-1").ok();
    if let Ok(new) = added {
        // What `amanat keep ALA-1` does: it resolves to the new one, and fails.
        let keep = v
            .resolve("ALA-1")
            .and_then(|id| v.keep_withdrawn(id, "reached her"));
        // What `amanat erase ALA-1 --code ALA-1 --reason …` would erase:
        panic!(
            "a new testimony took the withdrawn one's code (new {new}, hidden {hidden}); \
             `ALA-1` now resolves to {resolved:?}; keep by code: {keep:?}"
        );
    }
}

/// A colleague of the same organisation edits a testimony that the coordinator edited too
/// and then withdrew: the import's report lists conflicts and code clashes. The hidden
/// testimony must not be named there.
#[test]
fn an_import_report_does_not_name_a_hidden_testimony() {
    let Pair {
        root, mut c, mut p, ..
    } = pair(ContactTrust::Organisation);
    let id = c.add_testimony(with_word("CNF-1", CANARIES[0])).unwrap();
    common::ship(root.path(), &mut c, "P", Selection::SinceLast, &mut p).unwrap();
    c.edit_testimony(id, &serde_json::json!({"summary": "coordinator"}), None)
        .unwrap();
    p.edit_testimony(id, &serde_json::json!({"summary": "colleague"}), None)
        .unwrap();
    c.withdraw(id, "CNF-1", "the witness called", 7).unwrap();
    let report = common::ship(root.path(), &mut p, "C", Selection::SinceLast, &mut c).unwrap();
    let named: Vec<String> = report
        .conflicts
        .iter()
        .filter(|x| x.id == id)
        .map(|x| format!("conflict {:?} {:?}", x.id, x.code))
        .collect();
    // Its two versions, content and all, are still shown by id (the conflicts screen's call).
    let sides = c.conflict_sides(id).map(|s| s.len());
    assert!(
        named.is_empty() && sides.is_err(),
        "report names it: {named:?}; conflict_sides: {sides:?}"
    );
    assert!(c.conflicts().unwrap().is_empty());
    // Kept, it comes back with the conflict.
    c.keep_withdrawn(id, "confirmed").unwrap();
    assert_eq!(c.conflicts().unwrap().len(), 1);
}

/// An attachment of a hidden testimony is found by its id and read.
#[test]
fn a_hidden_testimony_s_attachment_cannot_be_read() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let id = v.add_testimony(with_word("ATT-1", CANARIES[0])).unwrap();
    let file = root.path().join("photo.png");
    common::png_like(&file, 4096, 1);
    let aid = v
        .attach_file(id, &file, &AttachOptions::default(), &mut go)
        .unwrap();
    v.withdraw(id, "ATT-1", "asked", 7).unwrap();
    assert!(v.attachments(id).is_err());
    let meta = v.attachment(aid).map(|a| a.attachment.name);
    let read = v.read_attachment(aid).map(|r| r.len);
    let out = root.path().join("out.png");
    let extracted = v.extract_attachment(aid, &out, &mut go);
    assert!(
        meta.is_err() && read.is_err() && extracted.is_err(),
        "attachment {meta:?}, read {read:?}, extracted {extracted:?}"
    );
}

/// What held: every script of search, people, duplicates, facets, the list, exports, reopen
/// from the log and from a snapshot, verify, twice-over operations, locked and in conflict,
/// kept as it was, and erased on the day with a draft and a file, nothing left on disk.
#[test]
fn what_held() {
    let Pair {
        root,
        mut c,
        c_rec,
        mut p,
    } = pair(ContactTrust::Organisation);
    let dir = root.path().join("c");
    let mut t = with_word("HLD-1", &CANARIES.join(" "));
    t.status = amanat::model::Status::Locked;
    let id = c.add_testimony(t).unwrap();
    let other = c.add_testimony(with_word("HLD-2", "Keptwordq")).unwrap();
    let file = root.path().join("photo.png");
    common::png_like(&file, 4096, 2);
    let dups_before = c.duplicate_suggestions(50).unwrap().len();
    let people_before = c.people("", 100).unwrap().len();
    for w in CANARIES {
        assert_eq!(hits(&c, w), 1, "{w}");
    }
    c.withdraw(id, "HLD-1", "retracted under pressure", 3)
        .unwrap();
    // Twice: refused.
    assert!(c.withdraw(id, "HLD-1", "again", 3).is_err());
    for w in CANARIES {
        assert_eq!(hits(&c, w), 0, "{w}");
    }
    assert_eq!(hits(&c, "Айгүл"), 1);
    assert!(c.people("", 100).unwrap().len() < people_before || people_before == 0);
    assert!(c.duplicate_suggestions(50).unwrap().len() <= dups_before);
    let listed: Vec<Uuid> = c.list_testimonies().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![other]);
    assert!(c.testimony(id).is_err());
    assert!(c.erasure_preview(id).is_ok());
    assert!(c.delete_testimony(id, "x").is_err());
    assert!(
        c.edit_testimony(id, &serde_json::json!({"summary": "x"}), None)
            .is_err()
    );
    // Every export.
    for sel in [Selection::All, Selection::SinceLast, Selection::Withdrawals] {
        let plan = c
            .plan_export(&amanat::bundle::ExportRequest {
                to: vec!["P".into()],
                profile: amanat::model::ExportProfile::Full,
                selection: sel,
            })
            .unwrap();
        assert!(plan.included.iter().all(|x| x.id != id));
        assert!(plan.deleted.iter().all(|x| x.id != id));
    }
    assert!(
        c.plan_export(&amanat::bundle::ExportRequest {
            to: vec!["P".into()],
            profile: amanat::model::ExportProfile::Full,
            selection: Selection::Ids(vec![id]),
        })
        .is_err()
    );
    // Reopen from the log, then from a snapshot.
    drop(c);
    let mut c = common::open(&dir);
    assert!(c.testimony(id).is_err());
    assert_eq!(c.pending_withdrawals().unwrap().len(), 1);
    c.snapshot_now().unwrap();
    c.close().unwrap();
    let mut c = common::open(&dir);
    assert!(c.testimony(id).is_err());
    assert_eq!(hits(&c, CANARIES[3]), 0);
    let r = c.verify().unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // Kept: as it was (locked), twice refused.
    c.keep_withdrawn(id, "confirmed").unwrap();
    assert!(c.keep_withdrawn(id, "again").is_err());
    assert_eq!(
        c.testimony(id).unwrap().testimony.status,
        amanat::model::Status::Locked
    );
    for w in CANARIES {
        assert_eq!(hits(&c, w), 1, "{w}");
    }
    // Withdrawn again with a file and a draft, a partner's version arriving meanwhile; then
    // the day.
    c.edit_testimony(id, &serde_json::json!({"status": "draft"}), None)
        .unwrap();
    c.attach_file(id, &file, &AttachOptions::default(), &mut go)
        .unwrap();
    common::ship(root.path(), &mut c, "P", Selection::SinceLast, &mut p).unwrap();
    let base = c.testimony(id).unwrap().heads[0].clone();
    c.save_draft(
        Uuid::now_v7(),
        Some(id),
        Some(&base),
        &with_word("HLD-1", "Draftwordzq").to_value().unwrap(),
    )
    .unwrap();
    c.withdraw(id, "HLD-1", "retracted again", 2).unwrap();
    p.edit_testimony(id, &serde_json::json!({"summary": "Partnerverzq"}), None)
        .unwrap();
    common::ship(root.path(), &mut p, "C", Selection::SinceLast, &mut c).unwrap();
    assert!(c.testimony(id).is_err());
    assert_eq!(hits(&c, "Partnerverzq"), 0);
    let erase_on = day(&c, id);
    assert_eq!(c.erase_withdrawals_due(erase_on).unwrap(), 1);
    assert!(c.erase_withdrawn(id).is_err());
    assert!(c.keep_withdrawn(id, "too late").is_err());
    let r = c.verify().unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    drop(c);
    let mut words: Vec<&str> = CANARIES.to_vec();
    words.extend(["Draftwordzq", "Partnerverzq"]);
    assert_eq!(
        found(&dir, Unlock::Recovery(&c_rec), &words),
        Vec::<String>::new()
    );
    assert_eq!(
        found(&dir, Unlock::Passphrase(&common::pass()), &words),
        Vec::<String>::new()
    );
    assert!(common::blob_files(&dir).is_empty());
}
