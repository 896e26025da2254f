//! `make bench`: erasing one testimony (a witness's withdrawal, docs/erasure.md) in vaults of
//! 1k / 10k / 100k testimonies of about 4 KB of mixed-script text: the time `Vault::erase`
//! takes — it returns once no file of the vault holds a readable copy (the index forgets,
//! one snapshot is written as both snapshots, the log before it and the file are removed) —
//! and the peak memory while it runs, beside the memory of the open vault before it.
//! The erased testimony has three versions, a 1 MiB file and a draft. Each size runs in its
//! own process. `AMANAT_BENCH_SIZES=1000,10000` picks sizes.

mod common;

use std::time::Instant;

use amanat::{AttachOptions, Vault};
use rand::SeedableRng;
use rand::rngs::StdRng;

use common::{fill, ms, peak_rss_mib, reset_peak_rss, rss_mib, testimony};

fn run_size(n: usize) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("v");
    let pass = common::passphrase();
    let mut v = common::new_vault(&dir);
    let mut rng = StdRng::seed_from_u64(42);
    fill(&mut v, &mut rng, n - 1);
    let id = v
        .add_testimony(testimony(&mut rng, n))
        .unwrap_or_else(|e| panic!("{e}"));
    for k in 0..2 {
        let patch = serde_json::json!({ "summary": format!("version {k}") });
        v.edit_testimony(id, &patch, None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let file = root.path().join("recording.bin");
    std::fs::write(&file, vec![7u8; 1 << 20]).unwrap_or_else(|e| panic!("{e}"));
    v.attach_file(id, &file, &AttachOptions::default(), &mut |_| true)
        .unwrap_or_else(|e| panic!("{e}"));
    let code = v
        .testimony(id)
        .map(|t| t.testimony.code)
        .unwrap_or_default();
    v.save_draft(
        uuid::Uuid::now_v7(),
        Some(id),
        None,
        &serde_json::json!({"code": code, "narrative": "an unsaved change"}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    v.close().unwrap_or_else(|e| panic!("{e}"));

    let mut v = Vault::open(&dir, &pass).unwrap_or_else(|e| panic!("{e}"));
    let before = rss_mib();
    reset_peak_rss();
    let start = Instant::now();
    let report = v
        .erase(id, &code, "the witness withdrew")
        .unwrap_or_else(|e| panic!("{e}"));
    let took = start.elapsed();
    let peak = peak_rss_mib();
    assert_eq!((report.files, report.drafts), (1, 1));
    let snapshot = std::fs::metadata(dir.join("snapshot.age"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "| {n} | {:.0} | {:.0} | {before:.0} | {peak:.0} |",
        ms(took),
        snapshot as f64 / 1_048_576.0,
    );
}

fn main() {
    if common::child(run_size) {
        return;
    }
    println!(
        "\n| testimonies | erase, until no readable copy is left (ms) | snapshot (MiB) | memory of the open vault before (MiB) | peak memory while erasing (MiB) |"
    );
    println!("|---|---|---|---|---|");
    common::each_size();
}
