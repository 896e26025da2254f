//! A witness's withdrawal (issue 21, docs/erasure.md): "Withdraw and erase" removes a
//! testimony's content from every file of the vault — every revision, its attachment, its
//! draft, the search index, both snapshots, the log — so that neither the passphrase nor the
//! recovery key opens anything that still holds it, while the history keeps a signed trace
//! that `verify` checks. Nothing else changes.

mod common;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::forensics::{self, Unlock};
use amanat::model::{ContactTrust, ExportProfile, Op};
use amanat::{AttachOptions, RecoveryKey, Vault};
use serde_json::json;
use uuid::Uuid;

/// Canaries in four scripts, each only in the testimony to be erased (in every revision, its
/// draft), and a marker only inside its attachment.
const CANARIES: [&str; 4] = ["Qzvortekh", "Жщфыкряв", "ئۆپچەڭزى", "鹦鹉笼屉"];
const REVISION_CANARIES: [&str; 3] = ["Firstrevqx", "Второйрев", "第三修订"];
const DRAFT_CANARY: &str = "Draftonlyzq";
const MARKER: &str = "ATTACHMENT-MARKER-7f3a";
/// In the testimonies that stay: the scan must still find it (it can fail).
const KEPT: &str = "Keptcanaryw";

fn never_cancel(_: amanat::Progress) -> bool {
    true
}

/// Every form in which a word may sit in a vault file: as typed, lower-cased (the search
/// index folds case), and the two-character pieces the index keeps of Han text.
fn forms(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string(), word.to_lowercase()];
    let chars: Vec<char> = word.chars().collect();
    if chars.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c)) {
        out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    }
    out
}

/// The files (decrypted with the keys `unlock` opens) that hold any form of any of `words`.
fn found(dir: &std::path::Path, unlock: Unlock<'_>, words: &[&str]) -> Vec<String> {
    let plains = forensics::plaintexts(dir, unlock).unwrap_or_else(|e| panic!("scan: {e}"));
    assert!(
        plains.iter().filter(|p| p.decrypted).count() >= 2,
        "the scan opened too few files to mean anything"
    );
    let mut out = Vec::new();
    for p in &plains {
        for w in words {
            for f in forms(w) {
                if memchr::memmem::find(&p.bytes, f.as_bytes()).is_some() {
                    out.push(format!("{} holds {f:?}", p.path.display()));
                }
            }
        }
    }
    out
}

fn erased_words() -> Vec<&'static str> {
    let mut w: Vec<&str> = CANARIES.to_vec();
    w.extend(REVISION_CANARIES);
    w.extend([DRAFT_CANARY, MARKER]);
    w
}

struct Setup {
    _root: tempfile::TempDir,
    dir: std::path::PathBuf,
    vault: Vault,
    recovery: RecoveryKey,
    erased: Uuid,
    others: Vec<Uuid>,
}

/// A vault with `2 × half` testimonies around the one to erase (`half` before, `half` after),
/// one of them with an attachment and a draft of its own.
fn setup(half: usize) -> Setup {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut vault, recovery) = common::create(&dir);
    let batch = |from: usize| {
        (from..from + half)
            .map(|i| common::testimony(&format!("KEEP-{i}"), KEPT))
            .collect::<Vec<_>>()
    };
    let mut others = vault.add_testimonies(batch(0)).unwrap_or_default();
    let canaries = CANARIES.join(" ");
    let erased = vault
        .add_testimony(common::testimony("GONE-1", &canaries))
        .unwrap_or_else(|e| panic!("add: {e}"));
    others.extend(vault.add_testimonies(batch(half)).unwrap_or_default());
    for (i, c) in REVISION_CANARIES.iter().enumerate() {
        vault
            .edit_testimony(
                erased,
                &json!({"narrative": format!("{canaries} {c}"), "summary": format!("rev {i} {c}")}),
                Some(&format!("revision {c}")),
            )
            .unwrap_or_else(|e| panic!("edit: {e}"));
    }
    let file = root.path().join("statement.txt");
    std::fs::write(&file, format!("signed statement {MARKER} end")).unwrap_or_default();
    vault
        .attach_file(erased, &file, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    let kept_file = root.path().join("kept.txt");
    std::fs::write(&kept_file, format!("kept file {KEPT}")).unwrap_or_default();
    vault
        .attach_file(
            others[7],
            &kept_file,
            &AttachOptions::default(),
            &mut never_cancel,
        )
        .unwrap_or_else(|e| panic!("attach: {e}"));
    let base = vault.testimony(erased).map(|s| s.heads[0].clone()).ok();
    vault
        .save_draft(
            Uuid::now_v7(),
            Some(erased),
            base.as_deref(),
            &json!({"code": "GONE-1", "narrative": format!("{canaries} {DRAFT_CANARY}")}),
        )
        .unwrap_or_else(|e| panic!("draft: {e}"));
    vault
        .save_draft(
            Uuid::now_v7(),
            Some(others[3]),
            None,
            &json!({"code": "KEEP-3", "narrative": KEPT}),
        )
        .unwrap_or_else(|e| panic!("draft: {e}"));
    // Some of it in snapshots, some only in the log, as a vault in use has it.
    vault
        .snapshot_now()
        .unwrap_or_else(|e| panic!("snapshot: {e}"));
    vault
        .edit_testimony(erased, &json!({"summary": "after the snapshot"}), None)
        .unwrap_or_else(|e| panic!("edit: {e}"));
    Setup {
        _root: root,
        dir,
        vault,
        recovery,
        erased,
        others,
    }
}

/// Everything a user sees of a testimony: its content, heads, history and attachments.
fn seen(v: &Vault, id: Uuid) -> String {
    let t = v.testimony(id).unwrap_or_else(|e| panic!("show: {e}"));
    let h = v.history(id).unwrap_or_default();
    let a = v.attachments(id).unwrap_or_default();
    format!(
        "{}|{:?}|{}|{}",
        serde_json::to_string(&t.testimony).unwrap_or_default(),
        t.heads,
        serde_json::to_string(&h).unwrap_or_default(),
        serde_json::to_string(&a).unwrap_or_default()
    )
}

#[test]
fn an_erased_testimony_is_in_no_file_the_passphrase_or_the_recovery_key_opens() {
    let Setup {
        _root,
        dir,
        mut vault,
        recovery,
        erased,
        others,
    } = setup(500);
    let pass = common::pass();
    // The scan finds what is there: before the erasure, every canary and the marker.
    let before = found(&dir, Unlock::Passphrase(&pass), &erased_words());
    for w in erased_words() {
        assert!(
            before.iter().any(|f| f.contains(&format!("{w:?}"))),
            "the scan does not find {w:?} before the erasure: {before:?}"
        );
    }
    let kept_before: Vec<String> = others.iter().map(|&id| seen(&vault, id)).collect();

    let report = vault
        .erase(erased, "gone-1", "the witness withdrew on 2026-11-30")
        .unwrap_or_else(|e| panic!("erase: error[{}] {e}", e.code()));
    assert_eq!((report.attachments, report.drafts), (1, 1));
    assert!(report.revisions >= 5, "{report:?}");

    for unlock in [Unlock::Passphrase(&pass), Unlock::Recovery(&recovery)] {
        let left = found(&dir, unlock, &erased_words());
        assert!(left.is_empty(), "erased content remains: {left:?}");
    }
    assert!(
        !found(&dir, Unlock::Recovery(&recovery), &[KEPT]).is_empty(),
        "the other testimonies must still be found"
    );

    // What the user sees: gone from lists, search and show; the trace in the history.
    assert_eq!(
        vault.testimony(erased).err().map(|e| e.code()),
        Some("not_found")
    );
    assert!(
        vault
            .list_testimonies()
            .unwrap_or_default()
            .iter()
            .all(|t| t.id != erased)
    );
    let history = vault
        .history(erased)
        .unwrap_or_else(|e| panic!("history: {e}"));
    let last = history.last().unwrap_or_else(|| panic!("no history"));
    assert_eq!(last.op, Op::Erase);
    assert_eq!(
        last.reason.as_deref(),
        Some("the witness withdrew on 2026-11-30")
    );
    assert!(
        history[..history.len() - 1]
            .iter()
            .all(|e| e.content_withheld && e.reason.is_none()),
        "{history:?}"
    );
    assert!(vault.drafts().unwrap_or_default().drafts.len() == 1);
    let report = vault.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Nothing else changed, and the erasure holds after closing and opening again.
    let kept_after: Vec<String> = others.iter().map(|&id| seen(&vault, id)).collect();
    assert!(kept_before == kept_after, "another testimony changed");
    vault.close().unwrap_or_else(|e| panic!("close: {e}"));
    let mut vault = common::open(&dir);
    let kept_reopened: Vec<String> = others.iter().map(|&id| seen(&vault, id)).collect();
    assert!(kept_before == kept_reopened, "another testimony changed");
    assert_eq!(
        vault.testimony(erased).err().map(|e| e.code()),
        Some("not_found")
    );
    let report = vault.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(vault);
    let left = found(&dir, Unlock::Passphrase(&pass), &erased_words());
    assert!(left.is_empty(), "erased content remains: {left:?}");
}

#[test]
fn an_erasure_needs_the_code_typed_and_a_reason_and_is_made_once() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let id = v
        .add_testimony(common::testimony("ALA-7", "x"))
        .unwrap_or_else(|e| panic!("add: {e}"));
    let preview = v
        .erasure_preview(id)
        .unwrap_or_else(|e| panic!("preview: {e}"));
    assert_eq!((preview.code.as_str(), preview.revisions), ("ALA-7", 1));
    assert!(preview.copies.is_empty());
    for (code, reason, field) in [
        ("ALA-8", "withdrew", "confirmation"),
        ("", "withdrew", "confirmation"),
        ("ALA-7", "  ", "reason"),
    ] {
        let e = v.erase(id, code, reason).err();
        assert_eq!(
            e.as_ref()
                .map(|e| (e.code(), e.to_string().contains(field))),
            Some(("invalid_input", true)),
            "{e:?}"
        );
        assert!(v.testimony(id).is_ok(), "erased without confirmation");
    }
    // Deleted first (the usual order: hidden, then erased), it can still be erased.
    v.delete_testimony(id, "the witness asked")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    let preview = v
        .erasure_preview(id)
        .unwrap_or_else(|e| panic!("preview: {e}"));
    assert!(preview.deleted);
    assert_eq!(preview.code, "ALA-7");
    v.erase(id, " ala-7 ", "withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    assert_eq!(
        v.erase(id, "ALA-7", "withdrew").err().map(|e| e.code()),
        Some("invalid_input")
    );
    let history = v.history(id).unwrap_or_default();
    assert_eq!(history.iter().filter(|e| e.op == Op::Erase).count(), 1);
}

fn export(from: &mut Vault, to: &str, selection: Selection, out: &std::path::Path) {
    let req = ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Full,
        selection,
    };
    from.export_bundle(&req, out, &mut never_cancel)
        .unwrap_or_else(|e| panic!("export to {to}: error[{}] {e}", e.code()));
}

fn import(into: &mut Vault, bundle: &std::path::Path) -> amanat::bundle::ImportReport {
    into.import_bundle(bundle, &ImportOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code()))
}

/// The whole way of a withdrawal: the interviewer's testimony went to the coordinator, who
/// passed it on to a colleague; the interviewer erases it and sends the withdrawal; the
/// coordinator's vault erases it on import and sends it on; a bundle made before the erasure
/// and imported after it brings nothing back. Every vault is scanned with both keys.
#[test]
fn a_withdrawal_follows_the_copies_and_erases_them_on_import() {
    let Setup {
        _root: root,
        dir,
        vault: mut interviewer,
        recovery,
        erased,
        others,
    } = setup(5);
    let (mut coordinator, c_recovery) = common::create(&root.path().join("c"));
    let (mut colleague, p_recovery) = common::create(&root.path().join("p"));
    common::know(
        &mut interviewer,
        &coordinator,
        "C",
        ContactTrust::Organisation,
    );
    common::know(
        &mut coordinator,
        &interviewer,
        "I",
        ContactTrust::Organisation,
    );
    common::know(
        &mut coordinator,
        &colleague,
        "P",
        ContactTrust::Organisation,
    );
    common::know(
        &mut colleague,
        &coordinator,
        "C",
        ContactTrust::Organisation,
    );
    let bundle = |name: &str| root.path().join(name);

    export(
        &mut interviewer,
        "C",
        Selection::SinceLast,
        &bundle("first.amanat"),
    );
    let first = import(&mut coordinator, &bundle("first.amanat"));
    assert!(first.testimonies_new >= 11, "{first:?}");
    export(
        &mut coordinator,
        "P",
        Selection::SinceLast,
        &bundle("on.amanat"),
    );
    import(&mut colleague, &bundle("on.amanat"));
    // Made before the erasure, imported only after it.
    interviewer
        .edit_testimony(erased, &json!({"summary": "late Latecanaryv"}), None)
        .unwrap_or_else(|e| panic!("edit: {e}"));
    export(
        &mut interviewer,
        "C",
        Selection::All,
        &bundle("late.amanat"),
    );

    let preview = interviewer
        .erasure_preview(erased)
        .unwrap_or_else(|e| panic!("preview: {e}"));
    assert_eq!(preview.copies, ["C"]);
    interviewer
        .erase(erased, "GONE-1", "the witness withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let mut words = erased_words();
    words.push("Latecanaryv");
    let pass = common::pass();
    for unlock in [Unlock::Passphrase(&pass), Unlock::Recovery(&recovery)] {
        assert_eq!(found(&dir, unlock, &words), Vec::<String>::new());
    }

    // "Send withdrawals": only the erasure goes.
    export(
        &mut interviewer,
        "C",
        Selection::Withdrawals,
        &bundle("withdrawals.amanat"),
    );
    let coordinator_dir = root.path().join("c");
    assert!(
        !found(&coordinator_dir, Unlock::Recovery(&c_recovery), &CANARIES).is_empty(),
        "the coordinator's copy must hold the canaries before the withdrawal"
    );
    let report = import(&mut coordinator, &bundle("withdrawals.amanat"));
    assert_eq!(report.erased.len(), 1, "{report:?}");
    assert_eq!(report.erased[0].code, "GONE-1");
    assert_eq!(
        report.erased[0].reason.as_deref(),
        Some("the witness withdrew")
    );
    assert_eq!(report.testimonies_new, 0);
    // The bundle made before, and the first one again: nothing comes back.
    let late = import(&mut coordinator, &bundle("late.amanat"));
    assert!(late.erased.is_empty());
    let again = coordinator.import_bundle(
        &bundle("first.amanat"),
        &ImportOptions::default(),
        &mut never_cancel,
    );
    assert!(again.is_err() || again.is_ok_and(|r| r.erased.is_empty()));
    assert_eq!(
        coordinator.testimony(erased).err().map(|e| e.code()),
        Some("not_found")
    );
    for unlock in [Unlock::Passphrase(&pass), Unlock::Recovery(&c_recovery)] {
        assert_eq!(
            found(&coordinator_dir, unlock, &words),
            Vec::<String>::new()
        );
    }
    for v in [&mut interviewer, &mut coordinator] {
        let r = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        for &id in &others {
            assert!(v.testimony(id).is_ok(), "another testimony went");
        }
    }

    // The coordinator passes it on to whoever it gave the testimony.
    export(
        &mut coordinator,
        "P",
        Selection::Withdrawals,
        &bundle("onward.amanat"),
    );
    let onward = import(&mut colleague, &bundle("onward.amanat"));
    assert_eq!(onward.erased.len(), 1, "{onward:?}");
    let colleague_dir = root.path().join("p");
    for unlock in [Unlock::Passphrase(&pass), Unlock::Recovery(&p_recovery)] {
        assert_eq!(
            found(&colleague_dir, unlock, &CANARIES),
            Vec::<String>::new()
        );
    }
    let history = colleague.history(erased).unwrap_or_default();
    assert_eq!(
        history.last().map(|e| (e.op, e.reason.clone())),
        Some((Op::Erase, Some("the witness withdrew".into())))
    );
    let r = colleague.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

/// A coordinator's testimony `code` (with the first canary in its narrative), sent to a
/// partner (trusted as a partner, not as the organisation).
struct Shared {
    root: tempfile::TempDir,
    coordinator: Vault,
    recovery: RecoveryKey,
    partner: Vault,
    id: Uuid,
}

fn shared_with_a_partner(code: &str) -> Shared {
    let root = common::tempdir();
    let (mut coordinator, recovery) = common::create(&root.path().join("c"));
    let (mut partner, _) = common::create(&root.path().join("p"));
    common::know(&mut coordinator, &partner, "P", ContactTrust::Partner);
    common::know(&mut partner, &coordinator, "C", ContactTrust::Organisation);
    let mut t = common::shared(code);
    t.narrative = format!("{} {}", t.narrative, CANARIES[0]);
    let id = coordinator
        .add_testimony(t)
        .unwrap_or_else(|e| panic!("add: {e}"));
    common::ship(
        root.path(),
        &mut coordinator,
        "P",
        Selection::SinceLast,
        &mut partner,
    );
    Shared {
        root,
        coordinator,
        recovery,
        partner,
        id,
    }
}

/// Who may erase (docs/erasure.md §3): the device that made the testimony, this device, and
/// the contacts trusted as the same organisation. A partner that received a copy erases its
/// own copy; its erasure reaches the coordinator only as a proposal, which the coordinator's
/// user may accept.
#[test]
fn an_erasure_by_a_device_without_authority_is_held_for_review() {
    let Shared {
        root,
        mut coordinator,
        recovery: c_recovery,
        mut partner,
        id,
    } = shared_with_a_partner("SHR-1");
    partner
        .erase(id, "SHR-1", "asked us to remove it")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let report = common::ship(
        root.path(),
        &mut partner,
        "C",
        Selection::Withdrawals,
        &mut coordinator,
    )
    .unwrap_or_else(|| panic!("nothing sent"));
    assert!(report.erased.is_empty(), "{report:?}");
    assert_eq!(report.proposals.len(), 1, "{report:?}");
    assert!(coordinator.testimony(id).is_ok(), "erased by a partner");
    let dir = root.path().join("c");
    assert!(!found(&dir, Unlock::Recovery(&c_recovery), &CANARIES[..1]).is_empty());
    let proposal = coordinator.proposals().unwrap_or_default();
    assert_eq!(proposal.len(), 1);
    coordinator
        .accept_proposal(&proposal[0].revision, Some("confirmed with the witness"))
        .unwrap_or_else(|e| panic!("accept: {e}"));
    assert_eq!(
        coordinator.testimony(id).err().map(|e| e.code()),
        Some("not_found")
    );
    assert_eq!(
        found(&dir, Unlock::Recovery(&c_recovery), &CANARIES[..1]),
        Vec::<String>::new()
    );
}

/// The creator's rule (docs/erasure.md §3): a partner — trusted only as a partner — that
/// made a testimony and sent it may take it back; its withdrawal erases the copy it sent,
/// with no review, and the coordinator's files keep nothing of it.
#[test]
fn the_device_that_made_a_testimony_erases_the_copies_it_sent() {
    let Shared {
        root,
        mut coordinator,
        recovery,
        mut partner,
        ..
    } = shared_with_a_partner("SHR-0");
    let mut t = common::shared("PRT-1");
    t.narrative = format!("{} {}", t.narrative, CANARIES[1]);
    let id = partner
        .add_testimony(t)
        .unwrap_or_else(|e| panic!("add: {e}"));
    common::ship(
        root.path(),
        &mut partner,
        "C",
        Selection::SinceLast,
        &mut coordinator,
    );
    let dir = root.path().join("c");
    assert!(coordinator.testimony(id).is_ok());
    assert!(!found(&dir, Unlock::Recovery(&recovery), &CANARIES[1..2]).is_empty());
    partner
        .erase(id, "PRT-1", "the witness withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let report = common::ship(
        root.path(),
        &mut partner,
        "C",
        Selection::Withdrawals,
        &mut coordinator,
    )
    .unwrap_or_else(|| panic!("nothing sent"));
    assert_eq!(report.erased.len(), 1, "{report:?}");
    assert!(report.proposals.is_empty(), "{report:?}");
    assert_eq!(
        coordinator.testimony(id).err().map(|e| e.code()),
        Some("not_found")
    );
    assert_eq!(
        found(&dir, Unlock::Recovery(&recovery), &CANARIES[1..2]),
        Vec::<String>::new()
    );
}

/// Found by an independent review: a file a partner proposed for the testimony (held here
/// for review, so not yet one of its attachments) outlived the erasure — its content in
/// `blobs/`, its name in both snapshots, its proposal still listed and acceptable.
#[test]
fn a_file_held_for_review_goes_with_the_testimony_it_was_proposed_for() {
    let Shared {
        root,
        mut coordinator,
        recovery,
        mut partner,
        id,
    } = shared_with_a_partner("HLD-1");
    let dir = root.path().join("c");
    let file = root.path().join("Partnerfile-Zarkentname.txt");
    std::fs::write(&file, format!("statement {MARKER}")).unwrap_or_default();
    partner
        .attach_file(id, &file, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    let report = common::ship(
        root.path(),
        &mut partner,
        "C",
        Selection::SinceLast,
        &mut coordinator,
    )
    .unwrap_or_else(|| panic!("nothing sent"));
    assert!(!report.proposals.is_empty(), "{report:?}");
    let words = [CANARIES[0], MARKER, "Zarkentname"];
    let before = found(&dir, Unlock::Recovery(&recovery), &words);
    assert!(
        before.len() >= 3,
        "the scan must find them first: {before:?}"
    );
    coordinator
        .erase(id, "HLD-1", "withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    assert_eq!(coordinator.proposals().map(|p| p.len()).ok(), Some(0));
    assert_eq!(
        found(&dir, Unlock::Recovery(&recovery), &words),
        Vec::<String>::new()
    );
    drop(coordinator);
    assert_eq!(
        found(&dir, Unlock::Recovery(&recovery), &words),
        Vec::<String>::new()
    );
}

/// Found by an independent review: a person of the erased testimony marked as the same as a
/// person of another kept the link in the other, which then could not be exported in full
/// (a link to a testimony nobody may see) and could not be unlinked (its other side gone).
#[test]
fn links_to_an_erased_testimony_leave_the_others() {
    let root = common::tempdir();
    let (mut a, _) = common::create(&root.path().join("a"));
    let (b, _) = common::create(&root.path().join("b"));
    common::know(&mut a, &b, "B", ContactTrust::Organisation);
    let gone = a
        .add_testimony(common::shared("LNK-1"))
        .unwrap_or_else(|e| panic!("{e}"));
    let kept = a
        .add_testimony(common::shared("LNK-2"))
        .unwrap_or_else(|e| panic!("{e}"));
    let testifier = |id| {
        a.testimony(id)
            .ok()
            .and_then(|t| t.testimony.testifier.map(|p| p.id))
            .unwrap_or_else(|| panic!("no testifier"))
    };
    let (pa, pb) = (testifier(gone), testifier(kept));
    a.merge_persons(
        amanat::model::PersonRef {
            testimony: gone,
            person: pa,
        },
        amanat::model::PersonRef {
            testimony: kept,
            person: pb,
        },
        None,
    )
    .unwrap_or_else(|e| panic!("merge: {e}"));
    a.erase(gone, "LNK-1", "withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let still = a
        .testimony(kept)
        .unwrap_or_else(|e| panic!("{e}"))
        .testimony;
    assert!(still.all_persons().all(|p| p.same_as.is_empty()));
    let out = root.path().join("all.amanat");
    export(&mut a, "B", Selection::All, &out);
}

/// An anonymised copy of an erased testimony is erased too: the vault that made it kept its
/// record (the copy's id and the proof of its revision), and the next bundle of withdrawals
/// to its recipient erases it there — signed by the vault that made it, so applied at once,
/// with a reason and an id that say nothing of the original. A contact that never had the
/// copy hears nothing of it.
#[test]
fn an_anonymised_copy_is_erased_with_its_testimony() {
    let root = common::tempdir();
    let (mut coordinator, _) = common::create(&root.path().join("c"));
    let (mut publisher, recovery) = common::create(&root.path().join("p"));
    let (other, _) = common::create(&root.path().join("o"));
    common::know(
        &mut coordinator,
        &publisher,
        "Publisher",
        ContactTrust::Partner,
    );
    common::know(&mut coordinator, &other, "Other", ContactTrust::Partner);
    common::know(&mut publisher, &coordinator, "C", ContactTrust::Partner);
    let t = amanat::Testimony::from_json(
        &json!({
            "code": "ANO-1",
            "narrative": format!("Told in the market. {}", CANARIES[0]),
            "testifier": {"names": [{"name": "Жанаргүл Сейіт"}]},
            "consents": [{"scopes": {"store_internally": "granted",
                                     "publish_anonymised": "granted"}}]
        })
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let id = coordinator
        .add_testimony(t)
        .unwrap_or_else(|e| panic!("add: {e}"));
    let out = root.path().join("anonymised.amanat");
    let req = |to: &str, selection| ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Anonymised,
        selection,
    };
    coordinator
        .export_bundle(
            &req("Publisher", Selection::Ids(vec![id])),
            &out,
            &mut never_cancel,
        )
        .unwrap_or_else(|e| panic!("export: {e}"));
    import(&mut publisher, &out);
    let copies = publisher.list_testimonies().unwrap_or_default();
    assert_eq!(copies.len(), 1);
    let copy = copies[0].id;
    assert_ne!(copy, id);
    let dir = root.path().join("p");
    assert!(!found(&dir, Unlock::Recovery(&recovery), &CANARIES[..1]).is_empty());

    let why = "Zhanargul's brother was threatened";
    coordinator
        .erase(id, "ANO-1", why)
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let withdrawals = |to: &str| ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Full,
        selection: Selection::Withdrawals,
    };
    let plan = coordinator
        .plan_export(&withdrawals("Other"))
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert!(
        plan.copies_erased.is_empty() && plan.deleted.is_empty(),
        "{plan:?}"
    );
    let plan = coordinator
        .plan_export(&withdrawals("Publisher"))
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert_eq!(
        plan.copies_erased.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![copy]
    );
    assert!(
        plan.deleted.is_empty(),
        "the publisher never had the original"
    );
    // In the next bundle of either profile, as well as in one of withdrawals alone.
    let since_last = coordinator
        .plan_export(&req("Publisher", Selection::SinceLast))
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert_eq!(since_last.copies_erased.len(), 1);

    let w = root.path().join("withdrawals.amanat");
    export(&mut coordinator, "Publisher", Selection::Withdrawals, &w);
    let report = import(&mut publisher, &w);
    assert_eq!(report.erased.len(), 1, "{report:?}");
    assert!(report.proposals.is_empty(), "{report:?}");
    assert_eq!(
        publisher.testimony(copy).err().map(|e| e.code()),
        Some("not_found")
    );
    // Neither the copy's words nor anything of the original: its id, its erasure's reason.
    let id_text = id.to_string();
    assert_eq!(
        found(
            &dir,
            Unlock::Recovery(&recovery),
            &[CANARIES[0], "Zhanargul", &id_text]
        ),
        Vec::<String>::new()
    );
    let history = publisher.history(copy).unwrap_or_default();
    let erasure = history.iter().find(|e| e.op == Op::Erase);
    assert!(
        erasure.is_some_and(|e| e
            .reason
            .as_deref()
            .is_some_and(|r| !r.contains("Zhanargul"))),
        "{history:?}"
    );
    let again = coordinator.export_bundle(
        &withdrawals("Publisher"),
        &root.path().join("again.amanat"),
        &mut never_cancel,
    );
    assert_eq!(again.err().map(|e| e.code()), Some("nothing_to_export"));
    let r = publisher.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

/// Hide now, erase later (docs/erasure.md §5): withdrawn, the testimony leaves every list,
/// search and export at once but its content stays until its day; kept, it shows again as it
/// was; on its day it is erased like any erasure, and nothing of it stays in any file.
#[test]
fn a_withdrawal_hides_at_once_and_erases_on_its_day_unless_kept() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, recovery) = common::create(&dir);
    let (coordinator, _) = common::create(&root.path().join("c"));
    common::know(&mut v, &coordinator, "C", ContactTrust::Organisation);
    let add = |v: &mut Vault, code: &str, word: &str| {
        let mut t = common::shared(code);
        t.narrative = format!("{} {word}", t.narrative);
        v.add_testimony(t).unwrap_or_else(|e| panic!("add: {e}"))
    };
    let gone = add(&mut v, "WDR-1", CANARIES[0]);
    let kept = add(&mut v, "WDR-2", CANARIES[1]);
    let other = add(&mut v, "WDR-3", KEPT);
    let kept_before = seen(&v, kept);
    let search = |v: &Vault, word: &str| {
        v.search(&amanat::SearchQuery {
            text: word.into(),
            filters: Default::default(),
            limit: 50,
        })
        .map(|r| r.hits.len())
        .unwrap_or_else(|e| panic!("search: {e}"))
    };
    assert_eq!(search(&v, CANARIES[0]), 1);

    assert_eq!(
        v.withdraw(gone, "WDR-1", "asked on the phone", 0)
            .err()
            .map(|e| e.code()),
        Some("invalid_input")
    );
    assert_eq!(
        v.withdraw(gone, "WDR-9", "asked on the phone", 7)
            .err()
            .map(|e| e.code()),
        Some("invalid_input")
    );
    let w = v
        .withdraw(gone, "wdr-1 ", "asked on the phone", 7)
        .unwrap_or_else(|e| panic!("withdraw: {e}"));
    assert!(!w.due);
    v.withdraw(kept, "WDR-2", "her son called", 3)
        .unwrap_or_else(|e| panic!("withdraw: {e}"));
    // Hidden at once: the list, search, the editor and every export.
    let listed: Vec<Uuid> = v
        .list_testimonies()
        .unwrap_or_default()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec![other]);
    assert_eq!(search(&v, CANARIES[0]), 0);
    assert_eq!(v.testimony(gone).err().map(|e| e.code()), Some("not_found"));
    let plan = v
        .plan_export(&ExportRequest {
            to: vec!["C".into()],
            profile: ExportProfile::Full,
            selection: Selection::All,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    let planned: Vec<Uuid> = plan.included.iter().map(|p| p.id).collect();
    assert_eq!(planned, vec![other]);
    assert!(plan.deleted.is_empty());
    let pending = v.pending_withdrawals().unwrap_or_default();
    assert_eq!(
        pending.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        vec!["WDR-2", "WDR-1"]
    );
    // Not erased yet: the content is still in the files, and opening before the day
    // leaves it so.
    assert!(!found(&dir, Unlock::Recovery(&recovery), &CANARIES[..1]).is_empty());
    drop(v);
    let mut v = common::open(&dir);
    assert_eq!(v.pending_withdrawals().map(|p| p.len()).ok(), Some(2));

    // The organisation reached the second witness: kept, it shows again as it was.
    assert_eq!(
        v.keep_withdrawn(kept, " ").err().map(|e| e.code()),
        Some("invalid_input")
    );
    v.keep_withdrawn(kept, "confirmed with the witness in person")
        .unwrap_or_else(|e| panic!("keep: {e}"));
    assert_eq!(seen(&v, kept), kept_before);
    assert_eq!(search(&v, CANARIES[1]), 1);

    // The day before nothing happens; on the day the first is erased.
    assert_eq!(
        v.erase_withdrawals_due(w.erase_on.yesterday().unwrap_or(w.erase_on))
            .ok(),
        Some(0)
    );
    assert_eq!(v.erase_withdrawals_due(w.erase_on).ok(), Some(1));
    assert!(v.pending_withdrawals().unwrap_or_default().is_empty());
    let history = v.history(gone).unwrap_or_default();
    let erasure = history.iter().find(|e| e.op == Op::Erase);
    assert_eq!(
        erasure.and_then(|e| e.reason.as_deref()),
        Some("asked on the phone")
    );
    assert_eq!(
        found(&dir, Unlock::Recovery(&recovery), &CANARIES[..1]),
        Vec::<String>::new()
    );
    assert!(!found(&dir, Unlock::Recovery(&recovery), &[KEPT]).is_empty());
    // Its erasure goes to those who had it, like any other.
    let r = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

/// Consent to keep, share with partners and publish anonymised, with `word` in the narrative.
fn publishable(code: &str, word: &str) -> amanat::Testimony {
    amanat::Testimony::from_json(
        &json!({
            "code": code,
            "narrative": format!("Told in the market. {word}"),
            "testifier": {"names": [{"name": "Жанаргүл Сейіт"}]},
            "consents": [{"scopes": {"store_internally": "granted",
                                     "share_with_partner": "granted",
                                     "publish_anonymised": "granted"}}]
        })
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn anonymised(from: &mut Vault, to: &str, id: Uuid, out: &std::path::Path) {
    let req = ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Anonymised,
        selection: Selection::Ids(vec![id]),
    };
    from.export_bundle(&req, out, &mut never_cancel)
        .unwrap_or_else(|e| panic!("export: {e}"));
}

/// Found by an independent review: a partner that sent the copy back (its next full bundle
/// holds it) left it in the maker's vault, readable, once the original was erased there, and
/// the copy's erasure never went to the partner (its bundle had named the copy, which counted
/// as told). Now the maker erases the copy it holds with the same erasure, and sends it.
#[test]
fn a_copy_that_came_back_is_erased_at_its_maker_and_its_erasure_still_goes() {
    let root = common::tempdir();
    let (mut v, recovery) = common::create(&root.path().join("v"));
    let (mut r, r_recovery) = common::create(&root.path().join("r"));
    common::know(&mut v, &r, "R", ContactTrust::Partner);
    common::know(&mut r, &v, "V", ContactTrust::Partner);
    let t = v
        .add_testimony(publishable("ORIG-1", CANARIES[0]))
        .unwrap_or_else(|e| panic!("add: {e}"));
    let out = root.path().join("anonymised.amanat");
    anonymised(&mut v, "R", t, &out);
    import(&mut r, &out);
    let copy = r.list_testimonies().unwrap_or_default()[0].id;
    common::ship(root.path(), &mut r, "V", Selection::SinceLast, &mut v)
        .unwrap_or_else(|| panic!("the copy does not go back"));
    assert!(v.testimony(copy).is_ok(), "the copy did not come back");

    v.erase(t, "ORIG-1", "withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    assert_eq!(v.testimony(copy).err().map(|e| e.code()), Some("not_found"));
    assert_eq!(
        found(
            &root.path().join("v"),
            Unlock::Recovery(&recovery),
            &CANARIES[..1]
        ),
        Vec::<String>::new()
    );
    let report = common::ship(root.path(), &mut v, "R", Selection::Withdrawals, &mut r)
        .unwrap_or_else(|| panic!("the copy's erasure does not go"));
    assert_eq!(report.erased.len(), 1, "{report:?}");
    assert_eq!(
        found(
            &root.path().join("r"),
            Unlock::Recovery(&r_recovery),
            &CANARIES[..1]
        ),
        Vec::<String>::new()
    );
    // Told once: nothing more to send, and the same erasure on both sides.
    assert!(common::ship(root.path(), &mut v, "R", Selection::Withdrawals, &mut r).is_none());
    let erasures = |x: &Vault| -> Vec<String> {
        x.history(copy)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.op == Op::Erase)
            .map(|e| e.hash)
            .collect()
    };
    assert_eq!(erasures(&v), erasures(&r));
    assert_eq!(erasures(&v).len(), 1);
}

/// Found by an independent review: a bundle to two contacts, one of whom never had the copy,
/// left the copy's erasure out (rightly: the other must not learn of the copy) and said
/// nothing of it. The plan now lists it as held back, as it does deletions.
#[test]
fn a_copy_s_erasure_held_back_from_a_joint_bundle_is_said() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v"));
    let (j, _) = common::create(&root.path().join("j"));
    let (k, _) = common::create(&root.path().join("k"));
    common::know(&mut v, &j, "J", ContactTrust::Partner);
    common::know(&mut v, &k, "K", ContactTrust::Partner);
    let t = v
        .add_testimony(publishable("JNT-1", CANARIES[0]))
        .unwrap_or_else(|e| panic!("add: {e}"));
    anonymised(&mut v, "J", t, &root.path().join("a.amanat"));
    v.erase(t, "JNT-1", "withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let plan = v
        .plan_export(&ExportRequest {
            to: vec!["J".into(), "K".into()],
            profile: ExportProfile::Full,
            selection: Selection::Withdrawals,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert!(plan.copies_erased.is_empty(), "{plan:?}");
    assert_eq!(plan.copies_withheld.len(), 1, "{plan:?}");
    assert!(plan.copies_withheld[0].code.starts_with("ANON-"));
}

/// A witness withdraws one file and keeps the testimony: the file's content leaves every file
/// of both vaults, the testimony and its other file stay, and the erasure goes to the
/// coordinator with the testimony's next bundle, which lists it as a file.
#[test]
fn one_file_is_erased_alone_and_its_erasure_travels() {
    let root = common::tempdir();
    let (mut interviewer, recovery) = common::create(&root.path().join("i"));
    let (mut coordinator, c_recovery) = common::create(&root.path().join("c"));
    common::know(
        &mut interviewer,
        &coordinator,
        "C",
        ContactTrust::Organisation,
    );
    common::know(
        &mut coordinator,
        &interviewer,
        "I",
        ContactTrust::Organisation,
    );
    let mut t = common::shared("FIL-1");
    t.narrative = format!("{} {KEPT}", t.narrative);
    let id = interviewer
        .add_testimony(t)
        .unwrap_or_else(|e| panic!("add: {e}"));
    let attach = |v: &mut Vault, name: &str, marker: &str| {
        let file = root.path().join(name);
        std::fs::write(&file, format!("statement {marker}")).unwrap_or_default();
        v.attach_file(id, &file, &AttachOptions::default(), &mut never_cancel)
            .unwrap_or_else(|e| panic!("attach: {e}"))
    };
    let gone = attach(&mut interviewer, "son-photo-note.txt", MARKER);
    attach(&mut interviewer, "letter.txt", "Keptfilemarkerq");
    common::ship(
        root.path(),
        &mut interviewer,
        "C",
        Selection::SinceLast,
        &mut coordinator,
    );
    let dirs = [
        (root.path().join("i"), &recovery),
        (root.path().join("c"), &c_recovery),
    ];
    for (dir, key) in &dirs {
        assert!(!found(dir, Unlock::Recovery(key), &[MARKER]).is_empty());
    }

    assert_eq!(
        interviewer
            .erase_attachment(gone, " ")
            .err()
            .map(|e| e.code()),
        Some("invalid_input")
    );
    interviewer
        .erase_attachment(gone, "the witness withdrew the photo of her son")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    assert!(interviewer.testimony(id).is_ok());
    let report = common::ship(
        root.path(),
        &mut interviewer,
        "C",
        Selection::SinceLast,
        &mut coordinator,
    )
    .unwrap_or_else(|| panic!("the file's erasure does not go"));
    assert_eq!(report.erased.len(), 1, "{report:?}");
    assert_eq!(report.erased[0].file.as_deref(), Some("son-photo-note.txt"));
    assert_eq!(report.erased[0].code, "FIL-1");
    for (dir, key) in &dirs {
        assert_eq!(
            found(dir, Unlock::Recovery(key), &[MARKER, "son-photo-note"]),
            Vec::<String>::new()
        );
        assert!(!found(dir, Unlock::Recovery(key), &["Keptfilemarkerq", KEPT]).is_empty());
    }
    for v in [&mut interviewer, &mut coordinator] {
        let names: Vec<String> = v
            .attachments(id)
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.attachment.name)
            .collect();
        assert_eq!(names, vec!["letter.txt".to_string()]);
        let history = v.history(gone).unwrap_or_default();
        assert!(
            history.iter().any(|e| e.op == Op::Erase
                && e.reason.as_deref() == Some("the witness withdrew the photo of her son")),
            "{history:?}"
        );
        let r = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }
}
