//! Nothing acknowledged is lost on the other write paths either: a child process exports
//! bundles to a USB-stick folder, imports bundles a coordinator sent, changes the
//! passphrase back and forth and autosaves drafts, in a loop, printing each only after it
//! returned. The parent kill -9s it at random moments, over and over; after each batch it
//! checks that the vault opens (with the passphrase last acknowledged, or the one being set
//! when the kill came), verifies, holds every acknowledged import and draft, has no
//! temporary file left, and that every bundle on the stick that looks whole is whole (the
//! recipient verifies it). `AMANAT_CRASH_KILLS` sets the number of kills (default 100; `make
//! crash` runs 1,000).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::secrecy::SecretString;
use amanat::{Progress, Vault};
use rand::Rng;
use uuid::Uuid;

const ROOT_ENV: &str = "AMANAT_CRASH_TRANSFERS_ROOT";
const INCOMING: usize = 300;
/// Each bundle brings a testimony and this many changes to it.
const EDITS: usize = 4;
const PASSPHRASES: [&str; 2] = [common::PASSPHRASE, "a second passphrase, just as long"];

fn go(_: Progress) -> bool {
    true
}

fn secret(i: usize) -> SecretString {
    SecretString::from(PASSPHRASES[i].to_string())
}

/// The vault with whichever passphrase opens it, and that passphrase's number.
fn open_any(dir: &Path) -> (Vault, usize) {
    for i in 0..PASSPHRASES.len() {
        match Vault::open(dir, &secret(i)) {
            Ok(v) => return (v, i),
            Err(e) if e.code() == "wrong_passphrase" => continue,
            Err(e) => panic!("open: error[{}] {e}", e.code()),
        }
    }
    panic!("no passphrase opens the vault");
}

fn incoming(root: &Path, j: usize) -> PathBuf {
    root.join("incoming").join(format!("{j:03}.amanat"))
}

/// The child: runs only when the parent starts it with `ROOT_ENV` set.
#[test]
#[ignore = "run by kill_9_during_exports_imports_passphrase_changes_and_drafts"]
fn crash_child_transfers() {
    let Ok(root) = std::env::var(ROOT_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let (mut v, mut current) = open_any(&root.join("a"));
    // Every import is written as a batch of one frame per revision: a kill can come between
    // any two of them.
    v.set_batch_frame_bytes(1);
    let mut rng = rand::thread_rng();
    println!();
    let stick = root.join("stick");
    // Where the runs before stopped: the first bundle whose testimony is not here yet.
    let mut next_import = (0..INCOMING)
        .find(|j| v.resolve(&format!("IN-{j:03}")).is_err())
        .unwrap_or(INCOMING);
    for i in 0u64.. {
        match rng.gen_range(0..4) {
            0 => {
                let out = stick.join(format!("{}-{i}.amanat", std::process::id()));
                // Every testimony (a long export, growing with the imports), or what is new
                // since the last one (short; often nothing).
                let req = ExportRequest {
                    to: vec!["Coordinator".into()],
                    profile: ExportProfile::Full,
                    selection: if rng.gen_bool(0.5) {
                        Selection::All
                    } else {
                        Selection::SinceLast
                    },
                };
                match v.export_bundle(&req, &out, &mut go) {
                    Ok(_) => println!("ack export {}", out.display()),
                    Err(e) if e.code() == "nothing_to_export" => {}
                    Err(e) => panic!("export: error[{}] {e}", e.code()),
                }
            }
            1 if next_import < INCOMING => {
                let file = incoming(&root, next_import);
                match v.import_bundle(&file, &ImportOptions::default(), &mut go) {
                    Ok(_) => println!("ack import {next_import}"),
                    // Imported by a run killed after it committed, before it said so.
                    Err(e) if e.code() == "bundle_already_imported" => {}
                    Err(e) => panic!("import: error[{}] {e}", e.code()),
                }
                next_import += 1;
            }
            2 => {
                let next = 1 - current;
                println!("try pass {next}");
                v.change_passphrase(&secret(next), common::TEST_KDF)
                    .unwrap_or_else(|e| panic!("passwd: error[{}] {e}", e.code()));
                current = next;
                println!("ack pass {next}");
            }
            _ => {
                // Autosaves of five drafts, each newer than any before it, in any run.
                let id = Uuid::from_u128(u128::from(i % 5) + 1);
                let n = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or_default();
                let state = serde_json::json!({"code": format!("DRAFT-{i}"), "summary": n});
                v.save_draft(id, None, None, &state)
                    .unwrap_or_else(|e| panic!("draft: error[{}] {e}", e.code()));
                println!("ack draft {id} {n}");
            }
        }
    }
}

/// What the child acknowledged, over every run.
#[derive(Default)]
struct Acked {
    exports: Vec<PathBuf>,
    imports: Vec<usize>,
    /// The passphrase last acknowledged, and one being set after it, if any.
    pass: usize,
    pass_pending: Option<usize>,
    drafts: HashMap<Uuid, u64>,
    /// Bundles on the stick already found whole (nothing writes to them again).
    whole: Vec<PathBuf>,
}

impl Acked {
    fn read(&mut self, lines: &[String]) {
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["ack", "export", path] => self.exports.push(PathBuf::from(path)),
                ["ack", "import", j] => self.imports.extend(j.parse::<usize>().ok()),
                ["try", "pass", k] => self.pass_pending = k.parse().ok(),
                ["ack", "pass", k] => {
                    self.pass = k.parse().unwrap_or(self.pass);
                    self.pass_pending = None;
                }
                ["ack", "draft", id, n] => {
                    if let (Ok(id), Ok(n)) = (Uuid::parse_str(id), n.parse()) {
                        self.drafts.insert(id, n);
                    }
                }
                _ => {}
            }
        }
    }
}

fn check(root: &Path, coordinator: &mut Vault, acked: &mut Acked, codes: &[String]) -> usize {
    let dir = root.join("a");
    let (mut v, opened_with) = open_any(&dir);
    assert!(
        opened_with == acked.pass || Some(opened_with) == acked.pass_pending,
        "opened with passphrase {opened_with}; acknowledged {}, being set {:?}",
        acked.pass,
        acked.pass_pending
    );
    // The next run starts from what the vault really has.
    acked.pass = opened_with;
    acked.pass_pending = None;
    for j in &acked.imports {
        v.resolve(&codes[*j])
            .unwrap_or_else(|e| panic!("acknowledged import {j} lost: {e}"));
    }
    // An import is all or nothing: a testimony a bundle brought is there with all of its
    // history, or not at all.
    for code in codes {
        let Ok(id) = v.resolve(code) else { continue };
        let history = v.history(id).unwrap_or_else(|e| panic!("history: {e}"));
        assert_eq!(history.len(), EDITS + 1, "{code}: part of an import");
    }
    for (id, n) in &acked.drafts {
        let d = v
            .load_draft(*id)
            .unwrap_or_else(|e| panic!("acknowledged draft {id} lost: {e}"));
        let saved = d.state["summary"].as_u64().unwrap_or(0);
        assert!(saved >= *n, "draft {id}: acknowledged {n}, found {saved}");
    }
    assert_eq!(common::temp_files(&dir), Vec::<PathBuf>::new());
    let report = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.ok(), "verify after crashes: {:?}", report.problems);
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    // Every bundle on the stick under its final name is whole: the coordinator can read it.
    // (A kill mid-export leaves only a partial file, never a bundle cut short, and the next
    // export removes it.)
    let partial = common::temp_files(&root.join("stick"));
    assert!(partial.len() <= 1, "partial bundles pile up: {partial:?}");
    let on_stick: Vec<PathBuf> = common::files_under(&root.join("stick"))
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
        .collect();
    for p in &acked.exports {
        assert!(
            on_stick.contains(p),
            "acknowledged bundle {} is gone",
            p.display()
        );
    }
    for p in &on_stick {
        if acked.whole.contains(p) {
            continue;
        }
        coordinator.verify_bundle(p, &mut go).unwrap_or_else(|e| {
            panic!(
                "bundle {} on the stick: error[{}] {e}",
                p.display(),
                e.code()
            )
        });
        acked.whole.push(p.clone());
    }
    on_stick.len()
}

/// Interviewer vault A (the one killed) with a few testimonies, coordinator vault B with
/// `INCOMING` bundles for A, one new testimony each with `EDITS` changes.
fn setup(root: &Path) -> (Vault, Vec<String>) {
    std::fs::create_dir_all(root).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let (mut a, _) = common::create(&root.join("a"));
    let (mut b, _) = common::create(&root.join("b"));
    let card_a = a.contact_card().map(|c| c.to_string());
    let card_b = b.contact_card().map(|c| c.to_string());
    let (card_a, card_b) = (card_a.unwrap_or_default(), card_b.unwrap_or_default());
    a.add_contact(&card_b, Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("contact: {e}"));
    b.add_contact(&card_a, Some("Interviewer"), ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("contact: {e}"));
    for i in 0..3 {
        a.add_testimony(common::testimony(&format!("A-{i}"), "transfers"))
            .unwrap_or_else(|e| panic!("add: {e}"));
    }
    std::fs::create_dir_all(root.join("incoming")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    std::fs::create_dir_all(root.join("stick")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let mut codes = Vec::new();
    for j in 0..INCOMING {
        let code = format!("IN-{j:03}");
        let id = b
            .add_testimony(common::testimony(&code, "incoming"))
            .unwrap_or_else(|e| panic!("add: {e}"));
        for k in 1..=EDITS {
            let patch = serde_json::json!({"summary": format!("incoming, change {k}")});
            b.edit_testimony(id, &patch, Some("a change"))
                .unwrap_or_else(|e| panic!("edit: {e}"));
        }
        let req = ExportRequest {
            to: vec!["Interviewer".into()],
            profile: ExportProfile::Full,
            selection: Selection::Ids(vec![id]),
        };
        b.export_bundle(&req, &incoming(root, j), &mut go)
            .unwrap_or_else(|e| panic!("export: error[{}] {e}", e.code()));
        codes.push(code);
    }
    a.close().unwrap_or_else(|e| panic!("close: {e}"));
    (b, codes)
}

#[test]
fn kill_9_during_exports_imports_passphrase_changes_and_drafts() {
    let kills = common::crash_kills(100);
    let tmp = common::tempdir();
    let root = common::crash_dir(tmp.path());
    let (mut coordinator, codes) = setup(&root);
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("exe: {e}"));
    let mut acked = Acked::default();
    let mut rng = rand::thread_rng();
    let mut pass_changes = 0;
    let mut drafts = 0;
    let mut on_stick = 0;
    for round in 0..kills {
        let pause = Duration::from_millis(rng.gen_range(20..200));
        let lines = common::run_and_kill(
            &exe,
            "crash_child_transfers",
            &[(ROOT_ENV, &root)],
            pause,
            round,
        );
        pass_changes += lines.iter().filter(|l| l.starts_with("ack pass")).count();
        drafts += lines.iter().filter(|l| l.starts_with("ack draft")).count();
        acked.read(&lines);
        // The passphrase must be known before the next run opens the vault.
        on_stick = check(&root, &mut coordinator, &mut acked, &codes);
    }
    assert!(
        acked.exports.len() > 5 && !acked.imports.is_empty() && pass_changes > 5,
        "the child made too little progress to test anything"
    );
    let leftovers = common::temp_files(&root.join("stick")).len();
    eprintln!(
        "{kills} kills; acknowledged: {} exports, {} imports, {pass_changes} passphrase changes, \
         {drafts} draft saves; lost: 0; bundles on the stick {on_stick}, all whole \
         (partial bundles of killed exports left there: {leftovers}, at most 1 at any time)",
        acked.exports.len(),
        acked.imports.len()
    );
}
