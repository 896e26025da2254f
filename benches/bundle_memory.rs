//! `make bench` (bundle_memory): peak memory of checking and of importing the largest bundles
//! a sender can make — whoever made them. A bundle's revisions are capped at 16 MiB; within
//! that, three shapes push a reader hardest: many ordinary testimonies, a few with the longest
//! narrative a testimony may hold (4 MiB, mixed scripts), and testimonies with thousands of
//! persons (the most JSON values per byte that still pass as testimonies). Each check and
//! each import runs in a child process that opens a copy of the receiving vault, so its peak
//! RSS (VmHWM) is that one operation's, the open vault included; "open" is a child that only
//! opens the vault, for the baseline.
//!
//! Goal (issue 19, finding 9): every row ≤ 256 MiB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::secrecy::SecretString;
use amanat::{CreateOptions, KdfCost, Testimony, Vault};
use serde_json::{Value, json};

const GOAL_MIB: f64 = 256.0;

fn pass() -> SecretString {
    SecretString::from("bench passphrase, not secret".to_string())
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("bench failed: {what}: {e}");
    std::process::exit(1)
}

fn create(dir: &Path, name: &str) -> Vault {
    let opts = CreateOptions {
        name: name.into(),
        // The real KDF (256 MiB of scrypt while unlocking) is not what is measured here.
        kdf: KdfCost::InsecureForTests(10),
    };
    Vault::create(dir, &pass(), &opts)
        .unwrap_or_else(|e| fail("create", e))
        .0
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| fail("mkdir", e));
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| fail("read_dir", e))
        .flatten()
    {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap_or_else(|e| fail("copy", e));
        }
    }
}

/// Text of about `bytes` bytes in the four scripts of the testimonies.
fn text(bytes: usize, seed: usize) -> String {
    const WORDS: [&str; 8] = [
        "Менің інім ұсталды",
        "лагерьге апарылды",
        "ئىنىم تۇتۇلدى",
        "لاگېرغا ئېلىپ كېتىلدى",
        "我弟弟被拘留",
        "送进了营地",
        "my brother was detained in Ghulja",
        "we have heard nothing since 2018",
    ];
    let mut s = String::with_capacity(bytes + 64);
    let mut i = seed;
    while s.len() < bytes {
        s.push_str(WORDS[i % WORDS.len()]);
        s.push_str(&format!(" {i}. "));
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    s
}

fn testimony(code: &str, narrative: String, persons: usize) -> Testimony {
    let persons: Vec<Value> = (0..persons)
        .map(|p| {
            json!({
                "names": [
                    {"name": format!("Ержан Абайұлы {p}"), "script": "Cyrl"},
                    {"name": format!("ئەرجان ئاباي {p}"), "script": "Arab"},
                ],
                "roles": ["victim"],
                "relation": "cousin",
                "birth": "1980",
                "hometown": "Ghulja",
            })
        })
        .collect();
    let json = json!({
        "code": code,
        "interview_date": "2025-03-31",
        "languages": ["kk", "ug", "zh"],
        "summary": "bench",
        "narrative": narrative,
        "testifier": {"names": [{"name": "Witness", "script": "Latn"}]},
        "persons": persons,
        "consents": [{"scopes": {"store_internally": "granted"}}],
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| fail("testimony", e))
}

/// Child: `--child open|verify|import VAULT BUNDLE`; prints "rss KIB SECONDS".
fn child(args: &[String]) {
    let (what, vault, bundle) = (&args[0], Path::new(&args[1]), Path::new(&args[2]));
    let mut v = Vault::open(vault, &pass()).unwrap_or_else(|e| fail("open", e));
    let start = Instant::now();
    match what.as_str() {
        "verify" => {
            v.verify_bundle(bundle, &mut |_| true)
                .unwrap_or_else(|e| fail("verify", e));
        }
        "import" => {
            v.import_bundle(bundle, &ImportOptions::default(), &mut |_| true)
                .unwrap_or_else(|e| fail("import", e));
        }
        _ => {}
    }
    println!("rss {} {:.2}", vm_hwm_kib(), start.elapsed().as_secs_f64());
}

fn measure(what: &str, pristine: &Path, bundle: &Path, work: &Path) -> (f64, f64) {
    let _ = std::fs::remove_dir_all(work);
    copy_dir(pristine, work);
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("exe", e));
    let out = Command::new(exe)
        .arg("--child")
        .args([what])
        .arg(work)
        .arg(bundle)
        .output()
        .unwrap_or_else(|e| fail("child", e));
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        fail(what, String::from_utf8_lossy(&out.stderr));
    }
    let mut parts = stdout
        .lines()
        .find_map(|l| l.strip_prefix("rss "))
        .unwrap_or_default()
        .split(' ');
    let kib: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let secs: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let _ = std::fs::remove_dir_all(work);
    (kib / 1024.0, secs)
}

/// A fresh sender vault filled, `step` testimonies at a time, until the next step would not
/// fit in one bundle, and the bundle of as many as fit (the count found by bisection).
fn largest_bundle(
    root: &Path,
    name: &str,
    card_b: &str,
    step: usize,
    make: &dyn Fn(usize) -> Testimony,
) -> (PathBuf, usize, String) {
    let mut a = create(&root.join(format!("sender-{name}")), "Interviewer");
    a.add_contact(card_b, Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| fail("contact", e));
    let card = a
        .contact_card()
        .unwrap_or_else(|e| fail("card", e))
        .to_string();
    let bundle = root.join(format!("{name}.amanat"));
    let mut ids = Vec::new();
    let export = |a: &mut Vault, ids: &[uuid::Uuid]| {
        let req = ExportRequest {
            to: vec!["Coordinator".into()],
            profile: ExportProfile::Full,
            selection: Selection::Ids(ids.to_vec()),
        };
        let _ = std::fs::remove_file(&bundle);
        match a.export_bundle(&req, &bundle, &mut |_| true) {
            Ok(_) => true,
            Err(e) if e.to_string().contains("too large") => false,
            Err(e) => fail("export", e),
        }
    };
    loop {
        let batch: Vec<Testimony> = (ids.len()..ids.len() + step).map(make).collect();
        let added = a.add_testimonies(batch).unwrap_or_else(|e| fail("add", e));
        let before = ids.len();
        ids.extend(added);
        let started = Instant::now();
        let fits = export(&mut a, &ids);
        eprintln!(
            "  {name}: {} testimonies, export {:.1} s",
            ids.len(),
            started.elapsed().as_secs_f64()
        );
        if fits {
            continue;
        }
        // Too large: the most that fits lies in the last step.
        let (mut lo, mut hi) = (before, ids.len());
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if export(&mut a, &ids[..mid]) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if lo == 0 || !export(&mut a, &ids[..lo]) {
            fail("export", "not even one testimony fits");
        }
        let _ = a.close();
        return (bundle, lo, card);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-bundle-memory");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap_or_else(|e| fail("mkdir", e));
    let pristine = root.join("receiver");
    let b = create(&pristine, "Coordinator");
    let card_b = b
        .contact_card()
        .unwrap_or_else(|e| fail("card", e))
        .to_string();
    drop(b);

    type Shape = (&'static str, usize, Box<dyn Fn(usize) -> Testimony>);
    let shapes: Vec<Shape> = vec![
        (
            "many testimonies of 3 KB",
            1000,
            Box::new(|i| testimony(&format!("M-{i:05}"), text(2_600, i), 1)),
        ),
        (
            "narratives of 4 MiB",
            1,
            Box::new(|i| testimony(&format!("N-{i:05}"), text((4 << 20) - 100, i), 0)),
        ),
        (
            "2,500 persons each",
            4,
            Box::new(|i| testimony(&format!("P-{i:05}"), text(200, i), 2_500)),
        ),
    ];
    println!("# peak RSS (VmHWM) of one child process; goal ≤ {GOAL_MIB} MiB");
    let (open, _) = measure(
        "open",
        &pristine,
        Path::new("/dev/null"),
        &root.join("work"),
    );
    println!("open the receiving vault only: {open:.1} MiB");
    let mut worst: f64 = 0.0;
    for (k, (name, step, make)) in shapes.iter().enumerate() {
        let (bundle, n, sender) =
            largest_bundle(&root, &format!("shape-{k}"), &card_b, *step, make.as_ref());
        let size = std::fs::metadata(&bundle).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
        let mut r = Vault::open(&pristine, &pass()).unwrap_or_else(|e| fail("open", e));
        r.add_contact(
            &sender,
            Some(&format!("Interviewer {k}")),
            ContactTrust::Organisation,
        )
        .unwrap_or_else(|e| fail("contact", e));
        let _ = r.close();
        let (verify, vs) = measure("verify", &pristine, &bundle, &root.join("work"));
        let (import, is) = measure("import", &pristine, &bundle, &root.join("work"));
        worst = worst.max(verify).max(import);
        println!(
            "{name}: {n} testimonies, bundle {size:.1} MiB: check {verify:.1} MiB ({vs:.1} s), \
             import {import:.1} MiB ({is:.1} s)"
        );
    }
    println!(
        "worst: {worst:.1} MiB — goal ≤ {GOAL_MIB} MiB: {}",
        if worst <= GOAL_MIB { "met" } else { "NOT MET" }
    );
}
