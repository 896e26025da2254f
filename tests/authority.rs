//! Who may change what (docs/trust-model.md §4): a partner's changes arrive as proposals, a
//! locked testimony stays locked, consent is widened and a testimony deleted only with this
//! vault's confirmation; the decision survives reopening the vault.

mod common;

use std::path::Path;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile, HeldReason, Status};
use amanat::{Progress, Testimony, Vault};
use serde_json::json;
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

fn card(v: &Vault) -> String {
    v.contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

fn send(from: &mut Vault, to: &str, id: Uuid, out: &Path) {
    let req = ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Full,
        selection: Selection::Ids(vec![id]),
    };
    from.export_bundle(&req, out, &mut go)
        .unwrap_or_else(|e| panic!("export: error[{}] {e}", e.code()));
}

fn import(v: &mut Vault, file: &Path) -> amanat::bundle::ImportReport {
    v.import_bundle(file, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code()))
}

fn edit(v: &mut Vault, id: Uuid, patch: serde_json::Value) {
    v.edit_testimony(id, &patch, None)
        .unwrap_or_else(|e| panic!("edit: error[{}] {e}", e.code()));
}

/// Two vaults that know each other with the given trust (each way).
fn two(trust: ContactTrust) -> (tempfile::TempDir, Vault, Vault) {
    let root = common::tempdir();
    let (mut a, _) = common::create(&root.path().join("a.amanat"));
    let (mut b, _) = common::create(&root.path().join("b.amanat"));
    a.add_contact(&card(&b), Some("B"), trust)
        .unwrap_or_else(|e| panic!("{e}"));
    b.add_contact(&card(&a), Some("A"), trust)
        .unwrap_or_else(|e| panic!("{e}"));
    (root, a, b)
}

fn locked_testimony() -> Testimony {
    Testimony::from_json(
        &json!({
            "code": "LOCK-1", "status": "locked",
            "narrative": "The witness's own words.",
            "testifier": {"names": [{"name": "Айгүл Бекмұрат"}]},
            "consents": [{"scopes": {"store_internally": "granted", "share_with_partner": "granted",
                                     "publish_named": "refused"}}]
        })
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_partner_cannot_rewrite_unlock_or_widen_the_consent_of_an_organisations_testimony() {
    let (root, mut org, mut partner) = two(ContactTrust::Partner);
    let t = org
        .add_testimony(locked_testimony())
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut org, "B", t, &root.path().join("1.amanat"));
    import(&mut partner, &root.path().join("1.amanat"));
    let before = org.testimony(t).unwrap_or_else(|e| panic!("{e}"));

    // The partner unlocks it, rewrites it and grants what the witness refused.
    edit(&mut partner, t, json!({"status": "draft"}));
    edit(
        &mut partner,
        t,
        json!({"narrative": "Someone else's words.",
               "consents": [{"scopes": {"store_internally": "granted",
                                        "share_with_partner": "granted",
                                        "publish_named": "granted"}}]}),
    );
    send(&mut partner, "A", t, &root.path().join("2.amanat"));
    let report = import(&mut org, &root.path().join("2.amanat"));
    assert_eq!(
        report
            .proposals
            .iter()
            .map(|p| (p.id, p.why))
            .collect::<Vec<_>>(),
        [(t, HeldReason::NoAuthority)]
    );
    let after = org.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        after.testimony, before.testimony,
        "the partner's change was applied"
    );
    assert_eq!(after.testimony.status, Status::Locked);
    assert_eq!(org.conflicts().map(|c| c.len()).ok(), Some(0));
    // The same change brought again by a later bundle stays held.
    send(&mut partner, "A", t, &root.path().join("2-again.amanat"));
    import(&mut org, &root.path().join("2-again.amanat"));
    assert_eq!(
        org.testimony(t).map(|s| s.testimony).ok(),
        Some(before.testimony.clone()),
        "a held change was applied when it came again"
    );
    let proposals = org.proposals().unwrap_or_else(|e| panic!("{e}"));
    // Both of the partner's revisions wait; the first travelled as a proof without content
    // (only a current version carries content) and is listed with the change it leads to.
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    let last = proposals
        .iter()
        .find(|p| {
            p.proposed
                .as_ref()
                .is_some_and(|t| t.narrative == "Someone else's words.")
        })
        .unwrap_or_else(|| panic!("{proposals:?}"));
    assert_eq!(last.author_name, "B");

    // Still held after reopening, even once the partner is trusted more: the decision is
    // part of the log.
    let dir = org.dir().to_path_buf();
    org.close().unwrap_or_else(|e| panic!("{e}"));
    let mut org = common::open(&dir);
    let b = org
        .contacts()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|c| c.name == "B")
        .unwrap_or_else(|| panic!("no contact B"));
    org.set_contact_trust(&b.name, ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    org.close().unwrap_or_else(|e| panic!("{e}"));
    let mut org = common::open(&dir);
    assert_eq!(org.proposals().map(|p| p.len()).ok(), Some(1));
    assert_eq!(
        org.testimony(t).map(|s| s.testimony).ok(),
        Some(before.testimony.clone())
    );

    // Rejected: gone from review, the testimony as it was, the history untouched.
    let first = org.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    org.reject_proposal(&first)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        org.proposals().map(|p| p.len()).ok(),
        Some(0),
        "the chain goes with it"
    );
    assert_eq!(org.history(t).map(|h| h.len()).ok(), Some(1));
    assert!(org.verify().map(|r| r.ok()).unwrap_or(false));
}

#[test]
fn a_widened_consent_or_a_deletion_from_the_interviewer_waits_for_the_coordinator() {
    let (root, mut interviewer, mut coordinator) = two(ContactTrust::Organisation);
    let t = interviewer
        .add_testimony(common::testimony("WID-1", "wid"))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut interviewer, "B", t, &root.path().join("1.amanat"));
    import(&mut coordinator, &root.path().join("1.amanat"));

    // An ordinary edit by the device that made the testimony applies.
    edit(&mut interviewer, t, json!({"summary": "a better summary"}));
    send(&mut interviewer, "B", t, &root.path().join("2.amanat"));
    assert!(
        import(&mut coordinator, &root.path().join("2.amanat"))
            .proposals
            .is_empty()
    );
    assert_eq!(
        coordinator.testimony(t).map(|s| s.testimony.summary).ok(),
        Some("a better summary".into())
    );

    // Consent to publish with the witness's name: the coordinator confirms it first.
    edit(
        &mut interviewer,
        t,
        json!({"consents": [{"scopes": {"store_internally": "granted",
                                        "publish_anonymised": "granted",
                                        "publish_named": "granted"}}]}),
    );
    send(&mut interviewer, "B", t, &root.path().join("3.amanat"));
    let report = import(&mut coordinator, &root.path().join("3.amanat"));
    assert_eq!(
        report.proposals.iter().map(|p| p.why).collect::<Vec<_>>(),
        [HeldReason::ConsentWidened]
    );
    let granted = |v: &Vault| {
        v.testimony(t)
            .map(|s| s.testimony.consents[0].scopes.len())
            .unwrap_or(0)
    };
    assert_eq!(
        granted(&coordinator),
        2,
        "not applied before it is confirmed"
    );
    let p = coordinator.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    coordinator
        .accept_proposal(&p, Some("the witness confirmed by phone"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(granted(&coordinator), 3);
    let history = coordinator.history(t).unwrap_or_else(|e| panic!("{e}"));
    let accepted = history.iter().find(|e| e.hash == p);
    assert!(
        accepted.is_some(),
        "the interviewer's revision is in history"
    );
    assert_eq!(
        accepted
            .and_then(|e| e.accepted.as_ref())
            .and_then(|a| a.reason.as_deref()),
        Some("the witness confirmed by phone"),
        "the history says it was accepted here, and why"
    );

    // Narrowing consent applies at once.
    edit(
        &mut interviewer,
        t,
        json!({"consents": [{"scopes": {"store_internally": "granted"}}]}),
    );
    send(&mut interviewer, "B", t, &root.path().join("4.amanat"));
    assert!(
        import(&mut coordinator, &root.path().join("4.amanat"))
            .proposals
            .is_empty()
    );
    assert_eq!(granted(&coordinator), 1);
    // The interviewer went on from the version the coordinator accepted: one version, no
    // conflict (an acceptance is not a new version beside the author's next change).
    assert_eq!(
        coordinator.testimony(t).map(|s| s.heads.len()).ok(),
        Some(1)
    );
    assert_eq!(coordinator.conflicts().map(|c| c.len()).ok(), Some(0));

    // A deletion from the other device is reviewed, never applied on its own.
    interviewer
        .delete_testimony(t, "recorded by mistake")
        .unwrap_or_else(|e| panic!("{e}"));
    let since = ExportRequest {
        to: vec!["B".into()],
        profile: ExportProfile::Full,
        selection: Selection::SinceLast,
    };
    interviewer
        .export_bundle(&since, &root.path().join("5.amanat"), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let report = import(&mut coordinator, &root.path().join("5.amanat"));
    assert_eq!(
        report.proposals.iter().map(|p| p.why).collect::<Vec<_>>(),
        [HeldReason::Deletion]
    );
    assert!(coordinator.testimony(t).is_ok(), "deleted without review");
    let p = coordinator.proposals().unwrap_or_else(|e| panic!("{e}"))[0]
        .revision
        .clone();
    coordinator
        .accept_proposal(&p, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        coordinator.testimony(t).err().map(|e| e.code()),
        Some("not_found")
    );
    assert!(coordinator.verify().map(|r| r.ok()).unwrap_or(false));
}

/// Review findings 06 and 09: a bundle's revisions are judged against what this vault had
/// before the bundle, as a whole. Widening consent and then editing (the widening travels as
/// a proof without content), or unlocking and then editing, waits for the coordinator.
#[test]
fn a_chain_of_changes_is_judged_against_what_the_vault_had_before_it() {
    let (root, mut interviewer, mut coordinator) = two(ContactTrust::Organisation);
    let t = interviewer
        .add_testimony(common::testimony("CHAIN-1", "chain"))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut interviewer, "B", t, &root.path().join("1.amanat"));
    import(&mut coordinator, &root.path().join("1.amanat"));
    let before = coordinator.testimony(t).unwrap_or_else(|e| panic!("{e}"));

    edit(
        &mut interviewer,
        t,
        json!({"consents": [{"scopes": {"store_internally": "granted",
                                        "publish_named": "granted"}}]}),
    );
    edit(
        &mut interviewer,
        t,
        json!({"summary": "an ordinary edit after it"}),
    );
    send(&mut interviewer, "B", t, &root.path().join("2.amanat"));
    let report = import(&mut coordinator, &root.path().join("2.amanat"));
    assert!(
        report
            .held
            .iter()
            .all(|h| h.why == HeldReason::ConsentWidened)
            && !report.held.is_empty(),
        "{:?}",
        report.held
    );
    assert_eq!(
        coordinator.testimony(t).map(|s| s.testimony).ok(),
        Some(before.testimony.clone()),
        "the widened consent was applied without review"
    );
    let listed = coordinator.proposals().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed.len(),
        1,
        "only the change is listed, not its proof: {listed:?}"
    );
    coordinator
        .accept_proposal(&listed[0].revision, None)
        .unwrap_or_else(|e| panic!("accept: {e}"));
    assert_eq!(
        coordinator.testimony(t).map(|s| s.testimony.summary).ok(),
        Some("an ordinary edit after it".into())
    );
    assert!(coordinator.verify().map(|r| r.ok()).unwrap_or(false));

    // Locked by the interviewer and sent; then unlocked and edited in two steps.
    edit(&mut interviewer, t, json!({"status": "locked"}));
    send(&mut interviewer, "B", t, &root.path().join("3.amanat"));
    import(&mut coordinator, &root.path().join("3.amanat"));
    let locked = coordinator.testimony(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(locked.testimony.status, Status::Locked);
    edit(&mut interviewer, t, json!({"status": "draft"}));
    edit(
        &mut interviewer,
        t,
        json!({"narrative": "rewritten after unlocking"}),
    );
    send(&mut interviewer, "B", t, &root.path().join("4.amanat"));
    let report = import(&mut coordinator, &root.path().join("4.amanat"));
    assert!(
        report.held.iter().any(|h| h.why == HeldReason::Locked),
        "{:?}",
        report.held
    );
    assert_eq!(
        coordinator.testimony(t).map(|s| s.testimony).ok(),
        Some(locked.testimony),
        "a locked testimony was rewritten"
    );
}

/// Accepting a proposal made beside a change made here (a deletion on one device, an edit on
/// the other) keeps both as a conflict instead of the proposal silently winning; the two
/// vaults, each accepting the other's change, end with the same conflict and nothing new to
/// send each other (they once overrode each other's decisions in turn, forever).
#[test]
fn accepting_a_change_made_beside_one_made_here_keeps_both_as_one_conflict_on_both_vaults() {
    let (root, mut interviewer, mut coordinator) = two(ContactTrust::Organisation);
    let t = interviewer
        .add_testimony(common::testimony("BES-1", "beside"))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&mut interviewer, "B", t, &root.path().join("1.amanat"));
    import(&mut coordinator, &root.path().join("1.amanat"));
    interviewer
        .delete_testimony(t, "recorded by mistake")
        .unwrap_or_else(|e| panic!("{e}"));
    edit(
        &mut coordinator,
        t,
        json!({"summary": "checked by the coordinator"}),
    );
    let since = |to: &str| ExportRequest {
        to: vec![to.into()],
        profile: ExportProfile::Full,
        selection: Selection::SinceLast,
    };
    let exchange = |from: &mut Vault, to: &mut Vault, name: &str, n: &mut u32| -> bool {
        *n += 1;
        let out = root.path().join(format!("x{n}.amanat"));
        match from.export_bundle(&since(name), &out, &mut go) {
            Ok(_) => {
                let r = import(to, &out);
                r.revisions_new > 0 || !r.proposals.is_empty()
            }
            Err(e) if e.code() == "nothing_to_export" => false,
            Err(e) => panic!("export: error[{}] {e}", e.code()),
        }
    };
    let mut n = 0;
    exchange(&mut interviewer, &mut coordinator, "B", &mut n);
    let deletion = coordinator.proposals().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        deletion.iter().map(|p| p.why).collect::<Vec<_>>(),
        [HeldReason::Deletion]
    );
    assert_eq!(
        coordinator
            .accept_proposal(&deletion[0].revision, None)
            .unwrap_or_else(|e| panic!("{e}")),
        amanat::Acceptance::Conflict
    );
    assert_eq!(
        coordinator
            .testimony(t)
            .map(|s| s.testimony.summary)
            .ok()
            .as_deref(),
        Some("checked by the coordinator"),
        "the coordinator's edit is not lost to the deletion it accepted"
    );
    // Both send what they have, and accept whatever the other proposes, until nothing moves.
    for _ in 0..4 {
        let mut moved = exchange(&mut coordinator, &mut interviewer, "A", &mut n);
        moved |= exchange(&mut interviewer, &mut coordinator, "B", &mut n);
        for v in [&mut interviewer, &mut coordinator] {
            for p in v.proposals().unwrap_or_else(|e| panic!("{e}")) {
                v.accept_proposal(&p.revision, None)
                    .unwrap_or_else(|e| panic!("{e}"));
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    assert!(
        !exchange(&mut coordinator, &mut interviewer, "A", &mut n)
            && !exchange(&mut interviewer, &mut coordinator, "B", &mut n),
        "the two vaults still send each other new decisions"
    );
    let conflict = |v: &Vault| {
        v.conflicts()
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|c| {
                let mut h = c.heads;
                h.sort();
                (c.id, h)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(conflict(&coordinator).len(), 1);
    assert_eq!(conflict(&coordinator), conflict(&interviewer));
    assert!(interviewer.verify().map(|r| r.ok()).unwrap_or(false));
    assert!(coordinator.verify().map(|r| r.ok()).unwrap_or(false));
}
