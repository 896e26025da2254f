//! Erasure under crashes (issue 21): the child erases a testimony (three revisions, a file, a
//! draft) and is killed (SIGKILL, from the LD_PRELOAD shim of tests/fault/fault.c) at every
//! write, fsync and rename it makes, one run per point; then the same with each of those
//! calls failing with EIO instead. After every run the vault opens and verifies, has no
//! temporary file, keeps the other testimony as it was, and holds the testimony either whole
//! (every revision, its file, its draft) or erased — and then no file of it, decrypted with
//! the passphrase's keys, holds any of its words. An erasure reported done is erased.
//!
//! Then kill -9 at random moments (`AMANAT_CRASH_KILLS` rounds each; `make crash` runs 1,000)
//! during the erasure and during a coordinator's import of the withdrawal: the same holds.

mod common;

use std::path::{Path, PathBuf};

use amanat::forensics::{self, Unlock};
use amanat::{AttachOptions, Progress};
use serde_json::json;

const VAULT_ENV: &str = "AMANAT_CRASH_ERASE_VAULT";
const BUNDLE_ENV: &str = "AMANAT_CRASH_ERASE_BUNDLE";
const CODE: &str = "GONE-1";
const WORDS: [&str; 3] = ["Qzvortekh", "Жщфыкряв", "MARKER-51c0"];
const EIO: i32 = 5;

fn go(_: Progress) -> bool {
    true
}

/// The child: erases the testimony and says how it went.
#[test]
#[ignore = "run by every_kill_and_fault_during_an_erasure_leaves_it_whole_or_erased"]
fn crash_child_erase() {
    let Ok(dir) = std::env::var(VAULT_ENV) else {
        return;
    };
    let mut v = common::open(Path::new(&dir));
    let Ok(id) = v.resolve(CODE) else {
        println!("outcome missing");
        return;
    };
    match v.erase(id, CODE, "the witness withdrew") {
        Ok(_) => println!("outcome ok"),
        Err(e) => println!("outcome error[{}]", e.code()),
    }
}

/// The child of the import campaign: imports the withdrawal.
#[test]
#[ignore = "run by kill_9_at_random_moments_during_an_erasure_and_its_import"]
fn crash_child_import_withdrawal() {
    let (Ok(dir), Ok(bundle)) = (std::env::var(VAULT_ENV), std::env::var(BUNDLE_ENV)) else {
        return;
    };
    let mut v = common::open(Path::new(&dir));
    let opts = amanat::bundle::ImportOptions::default();
    match v.import_bundle(Path::new(&bundle), &opts, &mut go) {
        Ok(_) => println!("outcome ok"),
        Err(e) => println!("outcome error[{}]", e.code()),
    }
}

/// A vault with the testimony to erase (three revisions, a file, a draft) and another.
fn setup(root: &Path) -> PathBuf {
    let dir = root.join("pristine");
    let (mut v, _) = common::create(&dir);
    v.add_testimony(common::testimony("KEEP-1", "keep"))
        .unwrap_or_else(|e| panic!("add: {e}"));
    let id = v
        .add_testimony(common::testimony(CODE, WORDS[0]))
        .unwrap_or_else(|e| panic!("add: {e}"));
    for k in 1..=2 {
        v.edit_testimony(id, &json!({"summary": format!("{} {k}", WORDS[1])}), None)
            .unwrap_or_else(|e| panic!("edit: {e}"));
    }
    let file = root.join("statement.txt");
    std::fs::write(&file, format!("statement {}", WORDS[2])).unwrap_or_default();
    v.attach_file(id, &file, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    v.save_draft(
        uuid::Uuid::now_v7(),
        Some(id),
        None,
        &json!({"code": CODE, "narrative": WORDS[1]}),
    )
    .unwrap_or_else(|e| panic!("draft: {e}"));
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    dir
}

/// The other testimony as the user sees it (its JSON), in an open vault.
fn other(v: &amanat::Vault) -> String {
    v.resolve("KEEP-1")
        .and_then(|k| v.testimony(k))
        .map(|t| serde_json::to_string(&t.testimony).unwrap_or_default())
        .unwrap_or_else(|e| panic!("the other testimony: {e}"))
}

/// The other testimony in the vault at `dir`.
fn kept(dir: &Path) -> String {
    let v = common::open(dir);
    let k = other(&v);
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    k
}

/// What "whole" means for a vault: the interviewer's has every version with its content and
/// a draft; a coordinator's has the history as proofs but the current version.
#[derive(Clone, Copy)]
struct Whole {
    full_history: bool,
    drafts: usize,
}

const INTERVIEWER: Whole = Whole {
    full_history: true,
    drafts: 1,
};

/// Whether the testimony is there whole (else it must be erased, with nothing of it left).
fn whole(vault: &Path, keep: &str) -> bool {
    whole_as(vault, keep, INTERVIEWER)
}

fn whole_as(vault: &Path, keep: &str, expect: Whole) -> bool {
    let mut v = common::open(vault);
    let report = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.ok(), "verify: {:?}", report.problems);
    assert_eq!(common::temp_files(vault), Vec::<PathBuf>::new());
    assert_eq!(other(&v), keep, "the other testimony changed");
    let present = match v.resolve(CODE) {
        Ok(id) => {
            let history = v.history(id).unwrap_or_else(|e| panic!("history: {e}"));
            assert_eq!(history.len(), 3, "part of the testimony's history");
            assert!(history.iter().all(|e| !e.content_withheld) || !expect.full_history);
            assert!(
                v.testimony(id)
                    .is_ok_and(|t| t.testimony.summary.contains(WORDS[1])),
                "the current version without its content"
            );
            let files = v.attachments(id).unwrap_or_else(|e| panic!("files: {e}"));
            assert_eq!(files.len(), 1, "the testimony without its file");
            let drafts = v.drafts().unwrap_or_default().drafts;
            assert_eq!(
                drafts.len(),
                expect.drafts,
                "the testimony without its draft"
            );
            true
        }
        Err(_) => {
            assert!(v.drafts().unwrap_or_default().drafts.is_empty());
            assert!(common::blob_files(vault).is_empty(), "its file is left");
            false
        }
    };
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    if !present {
        let plains = forensics::plaintexts(vault, Unlock::Passphrase(&common::pass()))
            .unwrap_or_else(|e| panic!("scan: {e}"));
        for p in plains {
            for w in WORDS {
                assert!(
                    memchr::memmem::find(&p.bytes, w.as_bytes()).is_none(),
                    "{} still holds {w}",
                    p.path.display()
                );
            }
        }
    }
    present
}

#[test]
fn every_kill_and_fault_during_an_erasure_leaves_it_whole_or_erased() {
    let tmp = common::tempdir();
    let root = tmp.path();
    let pristine = setup(root);
    let keep = kept(&pristine);
    let shim = common::fault_shim(root);

    let work = root.join("counting");
    common::copy_dir(&pristine, &work);
    let (points, run) = common::count_under_shim(
        &shim,
        root,
        "crash_child_erase",
        &[(VAULT_ENV, work.to_string_lossy().into())],
    );
    assert_eq!(run.said("outcome"), "ok", "the erasure without faults");
    assert!(!whole(&work, &keep));
    assert!(points > 5, "the erasure made only {points} writes");

    let (mut kills, mut whole_after_kill, mut errors) = (0u64, 0u64, 0u64);
    for n in 1..=points {
        for (mode, env) in [
            ("kill", ("AMANAT_FAULT_KILL", "1".to_string())),
            ("eio", ("AMANAT_FAULT_ERRNO", EIO.to_string())),
        ] {
            let work = root.join(format!("{mode}-{n}"));
            common::copy_dir(&pristine, &work);
            let run = common::run_under_shim(
                &shim,
                "crash_child_erase",
                &[
                    (VAULT_ENV, work.to_string_lossy().into()),
                    ("AMANAT_FAULT_AT", n.to_string()),
                    env,
                ],
            );
            let present = whole(&work, &keep);
            let outcome = run.said("outcome");
            if run.killed {
                kills += 1;
                whole_after_kill += u64::from(present);
            } else if outcome == "ok" {
                assert!(
                    !present,
                    "{mode} at {n}: erasure reported done, but it is whole"
                );
            } else {
                errors += u64::from(outcome.starts_with("error"));
            }
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    assert!(
        whole_after_kill > 0 && whole_after_kill < kills,
        "kills all on one side"
    );
    assert!(
        kills * 10 >= points * 8,
        "only {kills} of {points} runs were killed"
    );
    eprintln!(
        "{points} points: {kills} kills ({whole_after_kill} before the erasure was durable), \
         {errors} faults reported as errors; every run whole or erased"
    );
}

/// A coordinator that has the testimony from the interviewer, and the interviewer's
/// withdrawal bundle for it.
fn setup_import(root: &Path, interviewer: &Path) -> (PathBuf, PathBuf) {
    let dir = root.join("coordinator");
    let (mut c, _) = common::create(&dir);
    let mut i = common::open(interviewer);
    common::know(&mut c, &i, "I", amanat::model::ContactTrust::Organisation);
    common::know(&mut i, &c, "C", amanat::model::ContactTrust::Organisation);
    common::ship(
        root,
        &mut i,
        "C",
        amanat::bundle::Selection::SinceLast,
        &mut c,
    )
    .unwrap_or_else(|| panic!("nothing sent"));
    let id = i.resolve(CODE).unwrap_or_else(|e| panic!("resolve: {e}"));
    i.erase(id, CODE, "the witness withdrew")
        .unwrap_or_else(|e| panic!("erase: {e}"));
    let bundle = root.join("withdrawal.amanat");
    let req = amanat::bundle::ExportRequest {
        to: vec!["C".into()],
        profile: amanat::model::ExportProfile::Full,
        selection: amanat::bundle::Selection::Withdrawals,
    };
    i.export_bundle(&req, &bundle, &mut go)
        .unwrap_or_else(|e| panic!("export: {e}"));
    c.close().unwrap_or_else(|e| panic!("close: {e}"));
    (dir, bundle)
}

/// Runs the child `name` and kill -9s it after `pause` (unless it finished first); returns
/// what it said and whether it was killed.
fn kill_after(name: &str, env: &[(&str, &Path)], pause: std::time::Duration) -> (String, bool) {
    use std::os::unix::process::ExitStatusExt;
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("exe: {e}"));
    let mut cmd = std::process::Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    while started.elapsed() < pause && child.try_wait().ok().flatten().is_none() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let _ = child.kill();
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    let said = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.split_once("outcome ").map(|(_, o)| o.to_string()))
        .unwrap_or_default();
    (said, out.status.signal() == Some(9))
}

#[test]
fn kill_9_at_random_moments_during_an_erasure_and_its_import() {
    use rand::Rng;
    let kills = common::crash_kills(12);
    let tmp = common::tempdir();
    let root = tmp.path();
    let interviewer = setup(root);
    let keep = kept(&interviewer);
    let spare = root.join("spare");
    common::copy_dir(&interviewer, &spare);
    let (coordinator, bundle) = setup_import(root, &spare);
    let mut rng = rand::thread_rng();
    let coordinator_whole = Whole {
        full_history: false,
        drafts: 0,
    };
    for (campaign, pristine, child, expect) in [
        ("erase", &interviewer, "crash_child_erase", INTERVIEWER),
        (
            "import",
            &coordinator,
            "crash_child_import_withdrawal",
            coordinator_whole,
        ),
    ] {
        // How long the child takes without a kill: the kills fall anywhere in it.
        let timing = root.join(format!("{campaign}-timing"));
        common::copy_dir(pristine, &timing);
        let started = std::time::Instant::now();
        let (said, _) = kill_after(
            child,
            &[(VAULT_ENV, &timing), (BUNDLE_ENV, &bundle)],
            std::time::Duration::from_secs(60),
        );
        let span = started.elapsed().as_micros().max(1) as u64;
        assert_eq!(said, "ok", "{campaign} without a kill");
        let (mut killed, mut whole_after_kill, mut done) = (0u32, 0u32, 0u32);
        for round in 0..kills {
            let work = root.join(format!("{campaign}-{round}"));
            common::copy_dir(pristine, &work);
            let pause = std::time::Duration::from_micros(rng.gen_range(0..span));
            let (said, was_killed) =
                kill_after(child, &[(VAULT_ENV, &work), (BUNDLE_ENV, &bundle)], pause);
            let present = whole_as(&work, &keep, expect);
            if was_killed {
                killed += 1;
                whole_after_kill += u32::from(present);
            } else {
                assert_eq!(
                    said, "ok",
                    "{campaign} round {round}: the child said {said:?}"
                );
                assert!(
                    !present,
                    "{campaign} round {round}: reported done, but whole"
                );
                done += 1;
            }
            let _ = std::fs::remove_dir_all(&work);
        }
        eprintln!(
            "{campaign} ({} ms unkilled): {kills} rounds, {killed} killed ({whole_after_kill} before the erasure \
             was durable, the rest erased), {done} finished first; every one whole or erased",
            span / 1000
        );
        assert!(killed > 0, "{campaign}: no round was killed");
    }
}
