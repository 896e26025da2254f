//! What the benchmarks share: testimonies of about 4 KB of mixed-script text, a vault filled
//! with them, and the process's peak memory.
// Each benchmark uses part of it.
#![allow(dead_code)]

use std::time::Duration;

use amanat::secrecy::SecretString;
use amanat::{CreateOptions, KdfCost, Testimony, Vault};
use rand::Rng;
use rand::rngs::StdRng;

pub const BATCH: usize = 1000;

const WORDS: &[&str] = &[
    "інім",
    "ұсталды",
    "лагерь",
    "Жаркент",
    "Құлжа",
    "отбасы",
    "хабарласу",
    "паспорт",
    "ئىنىم",
    "تۇتۇلدى",
    "لاگېر",
    "غۇلجا",
    "ئائىلە",
    "پاسپورت",
    "مەكتەپ",
    "弟弟",
    "被拘留",
    "再教育",
    "伊犁",
    "护照",
    "家人",
    "工厂",
    "brother",
    "detained",
    "camp",
    "Zharkent",
    "family",
    "passport",
    "factory",
    "released",
    "брат",
    "задержан",
    "лагерь",
    "семья",
    "паспорт",
    "фабрика",
];

pub fn text(rng: &mut StdRng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 32);
    while s.len() < bytes {
        s.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
        s.push(if rng.gen_ratio(1, 12) { '\n' } else { ' ' });
    }
    s
}

pub fn testimony(rng: &mut StdRng, i: usize) -> Testimony {
    let json = serde_json::json!({
        "code": format!("BEN-{i:07}"),
        "interview_date": format!("20{:02}-{:02}-{:02}", rng.gen_range(18..26), rng.gen_range(1..13), rng.gen_range(1..29)),
        "medium": "video_call",
        "languages": ["kk", "ru"],
        "summary": text(rng, 200),
        "narrative": text(rng, 3600),
        "testifier": {"names": [{"name": "Ержанат Абай", "script": "Cyrl"}, {"name": "ئەرجانات ئاباي", "script": "Arab"}], "birth": "1980"},
        "events": [{"kind": "detention", "start": "2018-21", "place": "Zharkent"}]
    });
    match Testimony::from_json(&json.to_string()) {
        Ok(t) => t,
        Err(e) => panic!("generated testimony: {e}"),
    }
}

/// The process's peak resident memory (VmHWM), MiB.
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

fn status_mib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Adds testimonies 0..n in commits of `BATCH`.
pub fn fill(v: &mut Vault, rng: &mut StdRng, n: usize) {
    let mut i = 0;
    while i < n {
        let batch: Vec<Testimony> = (i..(i + BATCH).min(n)).map(|k| testimony(rng, k)).collect();
        i += batch.len();
        v.add_testimonies(batch).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Resets the peak memory the kernel reports (VmHWM), so that the next reading is the peak
/// of what follows.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The current resident memory (VmRSS), MiB.
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// In a `--size N` child: runs `run(N)` and says so (the caller then returns).
pub fn child(run: fn(usize)) -> bool {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--size") {
        Some(pos) => {
            run(args
                .get(pos + 1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1000));
            true
        }
        // `cargo bench -- --list` and test discovery run nothing.
        None => args.iter().any(|a| a == "--list"),
    }
}

/// Runs every size of `AMANAT_BENCH_SIZES` (1k, 10k and 100k by default) in its own
/// process, so that peak memory is per size; exits on the first that fails.
pub fn each_size() {
    let sizes: Vec<usize> = std::env::var("AMANAT_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    for n in sizes {
        let status = std::process::Command::new(&exe)
            .args(["--size", &n.to_string()])
            .status();
        if !status.map(|s| s.success()).unwrap_or(false) {
            eprintln!("size {n} failed");
            std::process::exit(1);
        }
    }
}

/// The passphrase of every benchmark vault.
pub fn passphrase() -> SecretString {
    SecretString::from("benchmark passphrase".to_string())
}

/// A new vault at `dir` with a cheap KDF (the KDF is measured once, separately): opening it
/// measures the rest.
pub fn new_vault(dir: &std::path::Path) -> Vault {
    let opts = CreateOptions {
        name: "bench".into(),
        kdf: KdfCost::InsecureForTests(1),
    };
    Vault::create(dir, &passphrase(), &opts)
        .map(|(v, _)| v)
        .unwrap_or_else(|e| panic!("{e}"))
}
