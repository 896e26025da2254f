//! Fault injection on every write path: the `amanat` CLI runs with a small LD_PRELOAD shim
//! (tests/fault/fault.c, compiled here with the system's C compiler) that makes the n-th
//! write, fsync or rename fail with EIO, then with ENOSPC, for every n along the path: a
//! commit and the snapshot taken when the vault closes, an attachment import, a bundle
//! export, a bundle import and a passphrase change. After each fault: the command failed
//! with a clear error (no panic), the vault opens and verifies, what was acknowledged is
//! there, and no temporary or orphan file is left once it has been opened again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use amanat::bundle::{ExportRequest, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{AttachOptions, Testimony};

const EIO: i32 = 5;
const ENOSPC: i32 = 28;
const NEW_PASSPHRASE: &str = "a different passphrase for the fault test";

struct Env {
    _root: tempfile::TempDir,
    root: PathBuf,
    shim: PathBuf,
    pass: PathBuf,
    new_pass: PathBuf,
}

fn setup() -> Env {
    let root = common::tempdir();
    let path = root.path().to_path_buf();
    let shim = common::fault_shim(&path);
    let pass = path.join("pass");
    let new_pass = path.join("new-pass");
    std::fs::write(&pass, common::PASSPHRASE).unwrap_or_default();
    std::fs::write(&new_pass, NEW_PASSPHRASE).unwrap_or_default();

    // Interviewer A (a testimony with a file, the coordinator as a contact) and coordinator B
    // (A as a contact), and a bundle from A to B.
    let (mut a, _) = common::create(&path.join("pristine-a"));
    let (mut b, _) = common::create(&path.join("pristine-b"));
    let card_a = a
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    let card_b = b
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    a.add_contact(&card_b, Some("B"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    b.add_contact(&card_a, Some("A"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = a
        .add_testimony(
            Testimony::from_json(
                r#"{"code": "F-BASE", "testifier": {"names": [{"name": "W"}]},
                    "consents": [{"scopes": {"store_internally": "granted"}}]}"#,
            )
            .unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let photo = path.join("photo.png");
    common::png_like(&photo, 200_000, 21);
    a.attach_file(t, &photo, &AttachOptions::default(), &mut |_| true)
        .unwrap_or_else(|e| panic!("{e}"));
    let req = ExportRequest {
        to: vec!["B".into()],
        profile: ExportProfile::Full,
        selection: Selection::Ids(vec![t]),
    };
    a.export_bundle(&req, &path.join("bundle.amanat"), &mut |_| true)
        .unwrap_or_else(|e| panic!("{e}"));
    a.close().unwrap_or_else(|e| panic!("{e}"));
    b.close().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path.join("t.json"), r#"{"code": "F-NEW"}"#).unwrap_or_default();
    Env {
        _root: root,
        root: path,
        shim,
        pass,
        new_pass,
    }
}

/// One run of the CLI on `vault`; with `fault`, (n, errno) or a count file.
fn amanat(env: &Env, vault: &Path, pass: &Path, args: &[&str], fault: Fault) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_amanat"));
    c.arg("--vault")
        .arg(vault)
        .arg("--passphrase-file")
        .arg(pass)
        .args(args)
        .current_dir(&env.root)
        .env("AMANAT_INSECURE_TEST_KDF", "10")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("AMANAT_LANG");
    match fault {
        Fault::None => {}
        Fault::Count(file) => {
            c.env("LD_PRELOAD", &env.shim)
                .env("AMANAT_FAULT_COUNT", file);
        }
        Fault::At(n, errno) => {
            let _ = std::fs::remove_file(env.root.join("fired"));
            c.env("LD_PRELOAD", &env.shim)
                .env("AMANAT_FAULT_AT", n.to_string())
                .env("AMANAT_FAULT_ERRNO", errno.to_string())
                .env("AMANAT_FAULT_FIRED", env.root.join("fired"));
        }
    }
    c.output().unwrap_or_else(|e| panic!("run amanat: {e}"))
}

#[derive(Clone, Copy)]
enum Fault<'a> {
    None,
    Count(&'a Path),
    At(u64, i32),
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One write path: which vault it runs on, the command, and what "acknowledged" means.
struct Path_ {
    name: &'static str,
    vault: &'static str,
    args: Vec<String>,
}

fn paths(env: &Env) -> Vec<Path_> {
    let photo = env.root.join("photo.png").to_string_lossy().into_owned();
    let out = env
        .root
        .join("usb/out.amanat")
        .to_string_lossy()
        .into_owned();
    let bundle = env
        .root
        .join("bundle.amanat")
        .to_string_lossy()
        .into_owned();
    let new_pass = env.new_pass.to_string_lossy().into_owned();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        Path_ {
            name: "commit and snapshot (add)",
            vault: "pristine-a",
            args: v(&["add", "--json", "t.json"]),
        },
        Path_ {
            name: "attachment import (attach)",
            vault: "pristine-a",
            args: v(&["attach", "F-BASE", &photo]),
        },
        Path_ {
            name: "bundle export",
            vault: "pristine-a",
            args: v(&["export", "--to", "B", "--ids", "F-BASE", "--out", &out]),
        },
        Path_ {
            name: "bundle import",
            vault: "pristine-b",
            args: v(&["import", &bundle]),
        },
        Path_ {
            name: "passphrase change (passwd)",
            vault: "pristine-a",
            args: v(&["passwd", "--new-passphrase-file", &new_pass]),
        },
    ]
}

fn attachment_count(env: &Env, vault: &Path, pass: &Path) -> usize {
    let o = amanat(
        env,
        vault,
        pass,
        &["attachments", "F-BASE", "--json"],
        Fault::None,
    );
    if text(&o.stderr).contains("error[not_found]") {
        return 0; // (the coordinator's vault before the import)
    }
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

#[test]
fn every_write_fsync_and_rename_along_every_write_path_can_fail_without_harm() {
    let env = setup();
    let mut total_faults = 0u64;
    let mut total_checks = 0u64;
    let mut report = Vec::new();
    for p in paths(&env) {
        let args: Vec<&str> = p.args.iter().map(String::as_str).collect();
        let run_dir = env.root.join("run");
        let fresh = || {
            let _ = std::fs::remove_dir_all(&run_dir);
            let _ = std::fs::remove_dir_all(env.root.join("usb"));
            std::fs::create_dir_all(env.root.join("usb")).unwrap_or_default();
            common::copy_dir(&env.root.join(p.vault), &run_dir);
        };
        // How many writes, fsyncs and renames the path makes when nothing fails.
        fresh();
        let count_file = env.root.join("count");
        let o = amanat(&env, &run_dir, &env.pass, &args, Fault::Count(&count_file));
        assert!(o.status.success(), "{}: {}", p.name, text(&o.stderr));
        let points: u64 = std::fs::read_to_string(&count_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        assert!(points >= 3, "{}: only {points} write points", p.name);
        let attachments_before = {
            fresh();
            attachment_count(&env, &run_dir, &env.pass)
        };
        let (mut failed, mut succeeded, mut injected, mut not_fired) = (0, 0, 0, 0);
        for n in 1..=points {
            for errno in [EIO, ENOSPC] {
                fresh();
                let o = amanat(&env, &run_dir, &env.pass, &args, Fault::At(n, errno));
                let err = text(&o.stderr);
                let what = format!("{}, fault at {n} of {points} (errno {errno})", p.name);
                // A clear error, never a crash.
                assert!(!err.contains("panicked"), "{what}: {err}");
                // The writeback thread of an import syncs as often as timing allows, so a
                // path's count varies by a few calls between runs: a fault past this run's
                // last call does not fire. One that fires must never be swallowed.
                match std::fs::read_to_string(env.root.join("fired")) {
                    Ok(call) => {
                        total_faults += 1;
                        injected += 1;
                        assert!(
                            !o.status.success(),
                            "{what}: the failed {} went unnoticed",
                            call.trim()
                        );
                    }
                    Err(_) => not_fired += 1,
                }
                if o.status.success() {
                    succeeded += 1;
                } else {
                    failed += 1;
                    assert!(err.contains("error["), "{what}: no error code: {err}");
                    if errno == ENOSPC {
                        // A full disk is named as such, whatever step it stopped.
                        assert!(err.contains("error[disk_full]"), "{what}: {err}");
                    }
                }
                total_checks += 2;
                // The vault opens (with the passphrase that is now in force) and verifies.
                let pass = if p.name.starts_with("passphrase")
                    && amanat(&env, &run_dir, &env.new_pass, &["list"], Fault::None)
                        .status
                        .success()
                {
                    assert!(
                        o.status.success() || !err.is_empty(),
                        "{what}: the new passphrase is in force without a word"
                    );
                    &env.new_pass
                } else {
                    &env.pass
                };
                if p.name.starts_with("passphrase") && o.status.success() {
                    assert!(
                        std::ptr::eq(pass, &env.new_pass),
                        "{what}: the change was acknowledged but the new passphrase does not open"
                    );
                }
                let v = amanat(&env, &run_dir, pass, &["verify"], Fault::None);
                assert!(v.status.success(), "{what}: verify: {}", text(&v.stderr));
                total_checks += 1;
                // What was acknowledged is there.
                if o.status.success() {
                    match p.name {
                        n if n.starts_with("commit") => {
                            let s = amanat(&env, &run_dir, pass, &["show", "F-NEW"], Fault::None);
                            assert!(
                                s.status.success(),
                                "{what}: the acknowledged testimony is lost"
                            );
                        }
                        n if n.starts_with("attachment") => assert_eq!(
                            attachment_count(&env, &run_dir, pass),
                            attachments_before + 1,
                            "{what}: the acknowledged file is lost"
                        ),
                        n if n.starts_with("bundle import") => {
                            let s = amanat(&env, &run_dir, pass, &["show", "F-BASE"], Fault::None);
                            assert!(s.status.success(), "{what}: the imported testimony is lost");
                        }
                        _ => {}
                    }
                    total_checks += 1;
                }
                // An export is acknowledged when it says where it wrote (closing the vault
                // afterwards may still fail): then the bundle is there; otherwise no bundle,
                // whole or partial, is left on the stick.
                if p.name.starts_with("bundle export") && text(&o.stdout).contains("wrote ") {
                    assert!(
                        env.root.join("usb/out.amanat").exists(),
                        "{what}: no bundle"
                    );
                    total_checks += 1;
                } else if p.name.starts_with("bundle export") {
                    let usb: Vec<_> = std::fs::read_dir(env.root.join("usb"))
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|e| e.file_name())
                        .collect();
                    assert!(usb.is_empty(), "{what}: left {usb:?}");
                    total_checks += 1;
                }
                // Opened again: no temporary file, and a file for every live attachment and
                // no other.
                assert_eq!(
                    common::temp_files(&run_dir),
                    Vec::<PathBuf>::new(),
                    "{what}"
                );
                let live = attachment_count(&env, &run_dir, pass);
                assert_eq!(
                    common::blob_files(&run_dir).len(),
                    live,
                    "{what}: orphan files"
                );
                total_checks += 2;
            }
        }
        report.push(format!(
            "{}: {points} write/fsync/rename points, {injected} faults injected (EIO and ENOSPC at each), \
             {failed} refused with an error, {succeeded} completed ({not_fired} runs ended before the point)",
            p.name
        ));
    }
    println!();
    for line in &report {
        println!("faults: {line}");
    }
    println!("faults: {total_faults} faults injected, {total_checks} invariant checks, all held");
}
