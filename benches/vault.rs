//! `make bench`: commit latency (p50/p99/max) against plain SQLite on disk (WAL,
//! synchronous=FULL) doing the equivalent insert, open time after the KDF, snapshot time and
//! peak memory, at 1k / 10k / 100k testimonies of about 4 KB of mixed-script text.
//! Each size runs in its own process so that peak memory is per size.
//! `AMANAT_BENCH_SIZES=1000,10000` picks sizes.

use std::time::{Duration, Instant};

use amanat::{CreateOptions, KdfCost, Testimony, Vault};
use rand::SeedableRng;
use rand::rngs::StdRng;

mod common;

use common::{fill, peak_rss_mib, testimony};

const COMMITS_MEASURED: usize = 2000;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn plain_sqlite(dir: &std::path::Path, n: usize, rng: &mut StdRng) -> Vec<Duration> {
    let conn = rusqlite::Connection::open(dir.join("plain.db")).unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE t (id TEXT PRIMARY KEY, code TEXT, json TEXT);
         CREATE VIRTUAL TABLE f USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let insert = |conn: &rusqlite::Connection, i: usize, t: &Testimony| {
        let json = serde_json::to_string(t).unwrap_or_default();
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3)",
            rusqlite::params![uuid::Uuid::now_v7().to_string(), format!("P-{i}"), json],
        )
        .and_then(|_| conn.execute("INSERT INTO f (body) VALUES (?1)", [&t.narrative]))
        .unwrap_or_else(|e| panic!("{e}"));
    };
    conn.execute_batch("BEGIN").unwrap_or_default();
    for i in 0..n {
        insert(&conn, i, &testimony(rng, i));
    }
    conn.execute_batch("COMMIT").unwrap_or_default();
    let mut lat = Vec::with_capacity(COMMITS_MEASURED);
    for i in 0..COMMITS_MEASURED {
        let t = testimony(rng, n + i);
        let start = Instant::now();
        insert(&conn, n + i, &t);
        lat.push(start.elapsed());
    }
    lat
}

fn run_size(n: usize) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("v");
    let pass = common::passphrase();
    let mut v = common::new_vault(&dir);
    let mut rng = StdRng::seed_from_u64(42);
    let load_start = Instant::now();
    fill(&mut v, &mut rng, n);
    let load = load_start.elapsed();
    v.snapshot_now().unwrap_or_else(|e| panic!("{e}"));

    let mut lat = Vec::with_capacity(COMMITS_MEASURED);
    for k in 0..COMMITS_MEASURED {
        let t = testimony(&mut rng, n + k);
        let start = Instant::now();
        v.add_testimony(t).unwrap_or_else(|e| panic!("{e}"));
        lat.push(start.elapsed());
    }
    lat.sort();
    // The one commit that starts a background snapshot: it copies the index and rotates
    // the log before returning; encryption and writing happen on another thread.
    v.set_snapshot_after_bytes(1);
    let t = testimony(&mut rng, n + COMMITS_MEASURED);
    let start = Instant::now();
    v.add_testimony(t).unwrap_or_else(|e| panic!("{e}"));
    let blocking = start.elapsed();
    v.set_snapshot_after_bytes(amanat::DEFAULT_SNAPSHOT_AFTER_BYTES);
    let snap_start = Instant::now();
    v.snapshot_now().unwrap_or_else(|e| panic!("{e}"));
    let snapshot = snap_start.elapsed();
    let db_bytes = std::fs::metadata(dir.join("snapshot.age"))
        .map(|m| m.len())
        .unwrap_or(0);
    v.close().unwrap_or_else(|e| panic!("{e}"));

    let open_start = Instant::now();
    let v = Vault::open(&dir, &pass).unwrap_or_else(|e| panic!("{e}"));
    let open = open_start.elapsed();
    assert_eq!(
        v.count_testimonies().ok(),
        Some((n + COMMITS_MEASURED + 1) as u64)
    );
    drop(v);

    let mut plain = plain_sqlite(root.path(), n, &mut rng);
    plain.sort();
    println!(
        "| {n} | {:.2} / {:.2} / {:.1} | {:.2} / {:.2} / {:.1} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        pct(&plain, 0.5),
        pct(&plain, 0.99),
        pct(&plain, 1.0),
        pct(&lat, 0.99) / pct(&plain, 0.99),
        blocking.as_secs_f64() * 1000.0,
        open.as_secs_f64() * 1000.0,
        snapshot.as_secs_f64() * 1000.0,
        db_bytes as f64 / 1_048_576.0,
        peak_rss_mib(),
        load.as_secs_f64(),
    );
}

/// `--make-vault DIR --size N`: a vault of N testimonies with the real (calibrated) KDF and
/// the passphrase "benchmark passphrase", for the desktop app's benchmark (`make bench-app`).
fn make_vault(dir: &std::path::Path, n: usize) {
    let pass = common::passphrase();
    let opts = CreateOptions {
        name: "bench".into(),
        kdf: KdfCost::Calibrated,
    };
    let (mut v, _) = Vault::create(dir, &pass, &opts).unwrap_or_else(|e| panic!("{e}"));
    fill(&mut v, &mut StdRng::seed_from_u64(42), n);
    v.close().unwrap_or_else(|e| panic!("{e}"));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--make-vault") {
        let dir = args.get(pos + 1).map(std::path::PathBuf::from);
        let n = args
            .iter()
            .position(|a| a == "--size")
            .and_then(|p| args.get(p + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000);
        make_vault(&dir.unwrap_or_else(|| panic!("--make-vault DIR")), n);
        return;
    }
    if common::child(run_size) {
        return;
    }
    let kdf_start = Instant::now();
    let log_n = amanat::keys::calibrate_work_factor();
    println!(
        "scrypt calibration picked log N = {log_n} (one log N = 18 run took part of {:.2} s)",
        kdf_start.elapsed().as_secs_f64()
    );
    println!(
        "\n| testimonies | amanat commit p50 / p99 / max (ms) | plain SQLite WAL FULL p50 / p99 / max (ms) | p99 ratio | commit that starts a snapshot (ms) | open after KDF (ms) | snapshot (ms) | snapshot size (MiB) | peak RSS (MiB) | bulk load (s) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    common::each_size();
}
