//! `make bench` (attachments): import of a 1 GiB file into a vault (encrypt + SHA-256),
//! side by side with `rage -r RECIPIENT -o OUT IN` on the same file in the same run, peak
//! memory of the import, and the latency of reading 1 MiB at a random offset of the blob.
//! `AMANAT_BENCH_ATTACH_MIB` sets the file size (default 1024). `RAGE` names the rage binary
//! (default: `rage` on PATH); without it the comparison is skipped and said so.
//!
//! The import runs in a child process of this benchmark, so that its peak RSS (VmHWM) is the
//! import's alone.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use amanat::secrecy::SecretString;
use amanat::{AttachOptions, CreateOptions, KdfCost, Testimony, Vault};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

const RUNS: usize = 5;
const READS: usize = 300;

fn pass() -> SecretString {
    SecretString::from("bench passphrase, not secret".to_string())
}

fn mib() -> u64 {
    std::env::var("AMANAT_BENCH_ATTACH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("bench failed: {what}: {e}");
    std::process::exit(1)
}

fn write_source(path: &Path, mib: u64) {
    let mut f = std::fs::File::create(path).unwrap_or_else(|e| fail("create source", e));
    let mut rng = StdRng::seed_from_u64(7);
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..mib {
        rng.fill_bytes(&mut buf);
        if i == 0 {
            // An MP4 file type box, so that the content is what the name says.
            let ftyp = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
            buf[..ftyp.len()].copy_from_slice(ftyp);
        }
        f.write_all(&buf)
            .unwrap_or_else(|e| fail("write source", e));
    }
    f.sync_all().unwrap_or_else(|e| fail("sync source", e));
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child: creates a vault, imports the file, prints seconds and peak RSS.
fn child_import(vault: &Path, source: &Path) {
    let opts = CreateOptions {
        name: "bench".into(),
        // The real KDF would dominate peak memory (256 MiB of scrypt) and is not the import.
        kdf: KdfCost::InsecureForTests(10),
    };
    let (mut v, _) = Vault::create(vault, &pass(), &opts).unwrap_or_else(|e| fail("create", e));
    let t = Testimony::from_json(r#"{"code": "BENCH-1"}"#).unwrap_or_else(|e| fail("json", e));
    let tid = v.add_testimony(t).unwrap_or_else(|e| fail("add", e));
    let hwm_before = vm_hwm_kib();
    let start = Instant::now();
    let aid = v
        .attach_file(tid, source, &AttachOptions::default(), &mut |_| true)
        .unwrap_or_else(|e| fail("attach", e));
    let secs = start.elapsed().as_secs_f64();
    println!("IMPORT {secs} {} {hwm_before} {aid}", vm_hwm_kib());
    v.close().unwrap_or_else(|e| fail("close", e));
}

/// The same starting point for every run of either tool: the disk idle (earlier outputs
/// removed and flushed) and the source in the page cache.
fn settle(source: &Path) {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(2));
    if let Ok(mut f) = std::fs::File::open(source) {
        let mut buf = vec![0u8; 1 << 20];
        while f.read(&mut buf).map(|n| n > 0).unwrap_or(false) {}
    }
}

fn run_rage(rage: &str, recipient: &str, source: &Path, out: &Path) -> Option<f64> {
    let _ = std::fs::remove_file(out);
    let start = Instant::now();
    let status = Command::new(rage)
        .args(["-r", recipient, "-o"])
        .arg(out)
        .arg(source)
        .status()
        .ok()?;
    // rage writes without fsync; ours syncs the blob. Sync rage's output too, for fairness.
    let f = std::fs::File::open(out).ok()?;
    f.sync_all().ok()?;
    status.success().then(|| start.elapsed().as_secs_f64())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child-import") {
        let (Some(vault), Some(src)) = (args.get(pos + 1), args.get(pos + 2)) else {
            fail("usage", "--child-import VAULT SOURCE")
        };
        child_import(Path::new(vault), Path::new(src));
        return;
    }
    let size = mib();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-attachments");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap_or_else(|e| fail("mkdir", e));
    let source = root.join("call.mp4");
    write_source(&source, size);
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("exe", e));
    let rage = std::env::var("RAGE").unwrap_or_else(|_| "rage".into());
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let has_rage = Command::new(&rage).arg("--version").output().is_ok();

    println!(
        "# attachment import of {size} MiB, {RUNS} runs each, alternating (page-cached source, idle disk, ext4)"
    );
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut peak = 0u64;
    let mut last_vault = None;
    for run in 0..RUNS {
        if has_rage {
            settle(&source);
            let out = root.join("rage.age");
            match run_rage(&rage, &recipient, &source, &out) {
                Some(s) => theirs.push(s),
                None => fail("rage", "did not succeed"),
            }
            let _ = std::fs::remove_file(out);
        }
        settle(&source);
        let vault = root.join(format!("vault-{run}"));
        let out = Command::new(&exe)
            .arg("--child-import")
            .arg(&vault)
            .arg(&source)
            .output()
            .unwrap_or_else(|e| fail("child", e));
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("IMPORT "))
            .unwrap_or_else(|| fail("child", String::from_utf8_lossy(&out.stderr)));
        let f: Vec<&str> = line.split_whitespace().collect();
        let secs: f64 = f.first().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
        let hwm: u64 = f.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let aid = f.get(3).map(|s| s.to_string()).unwrap_or_default();
        ours.push(secs);
        peak = peak.max(hwm);
        if let Some((old, _)) = last_vault.replace((vault, aid)) {
            let _ = std::fs::remove_dir_all(old);
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let mbps = |s: f64| size as f64 / s;
    let (o, om) = (best(&ours), median(&ours));
    println!(
        "amanat import (encrypt + SHA-256 + fsync): best {o:.2} s = {:.0} MiB/s, median {om:.2} s = {:.0} MiB/s  (runs: {ours:.2?})",
        mbps(o),
        mbps(om)
    );
    if has_rage {
        let (r, rm) = (best(&theirs), median(&theirs));
        println!(
            "rage -r … -o out in (+ fsync of out):      best {r:.2} s = {:.0} MiB/s, median {rm:.2} s = {:.0} MiB/s  (runs: {theirs:.2?})",
            mbps(r),
            mbps(rm)
        );
        println!(
            "ratio amanat/rage throughput: best {:.2}x, median {:.2}x",
            r / o,
            rm / om
        );
    } else {
        println!("rage: not found (set RAGE=/path/to/rage); comparison skipped");
    }
    println!(
        "peak RSS of the importing process (VmHWM): {:.1} MiB",
        peak as f64 / 1024.0
    );

    // Random 1 MiB reads of the imported blob.
    let Some((vault, aid)) = last_vault else {
        fail("reads", "no vault")
    };
    let v = Vault::open(&vault, &pass()).unwrap_or_else(|e| fail("open", e));
    let aid = uuid::Uuid::parse_str(&aid).unwrap_or_else(|e| fail("id", e));
    let mut rng = StdRng::seed_from_u64(11);
    let len = size << 20;
    let mut buf = vec![0u8; 1 << 20];
    let mut lat = Vec::with_capacity(READS);
    let mut lat_open = Vec::with_capacity(READS);
    let mut r = v.read_attachment(aid).unwrap_or_else(|e| fail("read", e));
    for _ in 0..READS {
        let off = rng.gen_range(0..len - (1 << 20));
        let start = Instant::now();
        r.seek(SeekFrom::Start(off))
            .and_then(|_| r.read_exact(&mut buf))
            .unwrap_or_else(|e| fail("read", e));
        lat.push(start.elapsed());
        let off = rng.gen_range(0..len - (1 << 20));
        let start = Instant::now();
        let mut fresh = v.read_attachment(aid).unwrap_or_else(|e| fail("read", e));
        fresh
            .seek(SeekFrom::Start(off))
            .and_then(|_| fresh.read_exact(&mut buf))
            .unwrap_or_else(|e| fail("read", e));
        lat_open.push(start.elapsed());
    }
    lat.sort();
    lat_open.sort();
    println!(
        "random 1 MiB read (open reader): p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "random 1 MiB read (open + seek + read, as one media request): p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        percentile(&lat_open, 0.5),
        percentile(&lat_open, 0.99),
        lat_open.last().copied().unwrap_or_default()
    );
    drop(v);
    let _ = std::fs::remove_dir_all(&root);
}
