//! `make bench` (bundles): export and import of a bundle holding a 1 GiB attachment, beside
//! `rage` encrypting and decrypting the same file in the same run. Export is decrypt the
//! blob + SHA-256 check + tar + encrypt to the recipient + fsync + rename; import is decrypt +
//! tar + SHA-256 check + encrypt into a new blob + fsync + commit. `AMANAT_BENCH_ATTACH_MIB`
//! sets the size (default 1024); `RAGE` names the rage binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use age::secrecy::ExposeSecret;
use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::secrecy::SecretString;
use amanat::{AttachOptions, CreateOptions, KdfCost, Testimony, Vault};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

const RUNS: usize = 3;

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
        kdf: KdfCost::InsecureForTests(10),
    };
    Vault::create(dir, &pass(), &opts)
        .unwrap_or_else(|e| fail("create", e))
        .0
}

fn write_source(path: &Path, mib: u64) {
    let mut f = std::fs::File::create(path).unwrap_or_else(|e| fail("create source", e));
    let mut rng = StdRng::seed_from_u64(7);
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..mib {
        rng.fill_bytes(&mut buf);
        if i == 0 {
            let ftyp = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
            buf[..ftyp.len()].copy_from_slice(ftyp);
        }
        f.write_all(&buf)
            .unwrap_or_else(|e| fail("write source", e));
    }
    f.sync_all().unwrap_or_else(|e| fail("sync source", e));
}

fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(2));
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
        } else if e.file_name() != "lock" {
            std::fs::copy(e.path(), &target).unwrap_or_else(|e| fail("copy", e));
        }
    }
}

/// Runs rage with `args`, then fsyncs `out` (rage does not; Amanat does).
fn rage(bin: &str, args: &[&str], out: &Path) -> f64 {
    let _ = std::fs::remove_file(out);
    let start = Instant::now();
    let ok = Command::new(bin)
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        fail("rage", format!("{args:?} did not succeed"));
    }
    std::fs::File::open(out)
        .and_then(|f| f.sync_all())
        .unwrap_or_else(|e| fail("sync", e));
    start.elapsed().as_secs_f64()
}

fn summary(label: &str, size: u64, runs: &[f64]) -> f64 {
    let mut v = runs.to_vec();
    v.sort_by(f64::total_cmp);
    let best = v.first().copied().unwrap_or(f64::NAN);
    let median = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "{label}: best {best:.2} s = {:.0} MiB/s, median {median:.2} s = {:.0} MiB/s  (runs: {runs:.2?})",
        size as f64 / best,
        size as f64 / median
    );
    median
}

fn main() {
    let size: u64 = std::env::var("AMANAT_BENCH_ATTACH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let rage_bin = std::env::var("RAGE").unwrap_or_else(|_| "rage".into());
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-bundles");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap_or_else(|e| fail("mkdir", e));
    let source = root.join("call.mp4");
    write_source(&source, size);

    let mut a = create(&root.join("a.amanat"), "Interviewer");
    let pristine_b = root.join("b-pristine.amanat");
    let mut b = create(&pristine_b, "Coordinator");
    let card_a = a
        .contact_card()
        .unwrap_or_else(|e| fail("card", e))
        .to_string();
    let card_b = b
        .contact_card()
        .unwrap_or_else(|e| fail("card", e))
        .to_string();
    a.add_contact(&card_b, Some("Coordinator"), ContactTrust::Organisation)
        .unwrap_or_else(|e| fail("contact", e));
    b.add_contact(&card_a, Some("Interviewer"), ContactTrust::Organisation)
        .unwrap_or_else(|e| fail("contact", e));
    b.close().unwrap_or_else(|e| fail("close", e));
    let t = Testimony::from_json(
        r#"{"code": "BENCH-1", "testifier": {"names": [{"name": "W"}]},
            "consents": [{"scopes": {"store_internally": "granted"}}]}"#,
    )
    .unwrap_or_else(|e| fail("json", e));
    let tid = a.add_testimony(t).unwrap_or_else(|e| fail("add", e));
    a.attach_file(tid, &source, &AttachOptions::default(), &mut |_| true)
        .unwrap_or_else(|e| fail("attach", e));

    let identity = age::x25519::Identity::generate();
    let key_file = root.join("rage.key");
    std::fs::write(&key_file, identity.to_string().expose_secret())
        .unwrap_or_else(|e| fail("key", e));
    let recipient = identity.to_public().to_string();
    let has_rage = Command::new(&rage_bin).arg("--version").output().is_ok();

    println!(
        "# bundle with one {size} MiB attachment, {RUNS} runs each, alternating with rage on the same file"
    );
    let req = ExportRequest {
        to: vec!["Coordinator".into()],
        profile: ExportProfile::Full,
        selection: Selection::Ids(vec![tid]),
    };
    let (mut exports, mut imports, mut rage_enc, mut rage_dec) = (vec![], vec![], vec![], vec![]);
    let mut last_bundle = None;
    for run in 0..RUNS {
        if has_rage {
            settle();
            let out = root.join("rage.age");
            let (src, o) = (source.to_string_lossy(), out.to_string_lossy());
            rage_enc.push(rage(&rage_bin, &["-r", &recipient, "-o", &o, &src], &out));
            settle();
            let plain = root.join("rage.out");
            let (k, p) = (key_file.to_string_lossy(), plain.to_string_lossy());
            rage_dec.push(rage(&rage_bin, &["-d", "-i", &k, "-o", &p, &o], &plain));
            let _ = std::fs::remove_file(&out);
            let _ = std::fs::remove_file(&plain);
        }
        settle();
        let bundle = root.join(format!("run-{run}.amanat"));
        let start = Instant::now();
        a.export_bundle(&req, &bundle, &mut |_| true)
            .unwrap_or_else(|e| fail("export", e));
        exports.push(start.elapsed().as_secs_f64());
        if let Some(old) = last_bundle.replace(bundle.clone()) {
            let _ = std::fs::remove_file(old);
        }

        let b_dir = root.join(format!("b-{run}.amanat"));
        copy_dir(&pristine_b, &b_dir);
        let mut b = Vault::open(&b_dir, &pass()).unwrap_or_else(|e| fail("open", e));
        settle();
        let start = Instant::now();
        let r = b
            .import_bundle(&bundle, &ImportOptions::default(), &mut |_| true)
            .unwrap_or_else(|e| fail("import", e));
        imports.push(start.elapsed().as_secs_f64());
        if r.attachments_new != 1 {
            fail("import", "the attachment did not arrive");
        }
        drop(b);
        let _ = std::fs::remove_dir_all(&b_dir);
    }
    let e = summary(
        "amanat export (decrypt blob + SHA-256 + tar + encrypt + fsync)",
        size,
        &exports,
    );
    let i = summary(
        "amanat import (decrypt + tar + SHA-256 + encrypt blob + fsync + commit)",
        size,
        &imports,
    );
    if has_rage {
        let re = summary("rage -r … -o out in (+ fsync)", size, &rage_enc);
        let rd = summary("rage -d -i key -o out in (+ fsync)", size, &rage_dec);
        println!(
            "ratio amanat/rage throughput (median): export {:.2}x, import {:.2}x",
            re / e,
            rd / i
        );
    } else {
        println!("rage: not found (set RAGE=/path/to/rage); comparison skipped");
    }
    let _ = std::fs::remove_dir_all(&root);
}
