//! `make bench`: search at 100k testimonies (`AMANAT_BENCH_SEARCH_SIZE` to change).
//! Top-20 latency (the whole `Vault::search`: count, ranking, snippets) for a rare and a
//! very common term in Cyrillic, Arabic script, Latin and Han, with p50/p99 over
//! `RUNS` runs each; the search index's size against the whole index; commit latency with
//! the index.
//!
//! The archive: about 2 KB of narrative per testimony in four scripts, drawn from a small
//! vocabulary of very common words (each in most testimonies) and a large one of invented
//! words (each in a few); a testifier and a relative named from pools of Kazakh and Uyghur
//! names in Cyrillic, Latin, Arabic script and Chinese characters. The rare terms are
//! planted in every 10,000th testimony.

use std::time::{Duration, Instant};

use amanat::secrecy::SecretString;
use amanat::{CreateOptions, KdfCost, SearchQuery, Testimony, Vault};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const RUNS: usize = 200;
const BATCH: usize = 1000;

const COMMON: &[&str] = &[
    "інім",
    "ұсталды",
    "лагерь",
    "отбасы",
    "ئىنىم",
    "تۇتۇلدى",
    "لاگېر",
    "ئائىلە",
    "弟弟",
    "被拘留",
    "再教育",
    "家人",
    "brother",
    "detained",
    "camp",
    "family",
    "брат",
    "задержан",
    "семья",
];
const GIVEN: &[&str] = &[
    "Ержанат",
    "Yerzhanat",
    "ئەرجانات",
    "叶尔扎那提",
    "Нұрлан",
    "Nurlan",
    "نۇرلان",
    "努尔兰",
    "Гүлнар",
    "Gulnar",
    "گۈلنار",
    "古丽娜尔",
    "Асқар",
    "Askar",
    "ئاسقار",
    "阿斯卡尔",
    "Мехрибан",
    "Mehriban",
    "مېھرىبان",
    "米合日班",
    "Әркин",
    "Erkin",
    "ئەركىن",
    "艾尔肯",
];
const FAMILY: &[&str] = &[
    "Абай",
    "Abai",
    "ئاباي",
    "阿拜",
    "Тұрсын",
    "Tursyn",
    "تۇرسۇن",
    "吐尔逊",
    "Омаров",
    "Omarov",
    "ئوماروۋ",
    "奥马罗夫",
    "Ахмет",
    "Ahmet",
    "ئەھمەت",
    "艾合买提",
    "Оспан",
    "Ospan",
    "ئوسپان",
    "奥斯潘",
];
/// Syllables of invented words, per script, so that the vocabulary is large.
const SYLLABLES: [&[&str]; 4] = [
    &[
        "қа", "ра", "жан", "бек", "тұр", "сын", "ол", "ай", "ер", "мұ", "лан", "ғи",
    ],
    &[
        "qa", "ra", "jan", "bek", "tur", "syn", "ol", "ai", "er", "mu", "lan", "gi",
    ],
    &[
        "قا", "را", "جان", "بېك", "تۇر", "سىن", "ئول", "ئاي", "ئەر", "مۇ", "لان", "غى",
    ],
    &[
        "卡", "拉", "江", "别", "吐", "逊", "奥", "艾", "尔", "穆", "兰", "吉",
    ],
];
/// Rare terms, one per script: each is in every 10,000th testimony.
const RARE: [&str; 4] = ["Қорғасбек", "Korgasbek", "قورغاسبېك", "霍尔果斯别克"];
/// Very common terms, one per script.
const FREQUENT: [&str; 4] = ["ұсталды", "detained", "تۇتۇلدى", "被拘留"];
const SCRIPTS: [&str; 4] = ["Cyrillic", "Latin", "Arabic", "Han"];

fn word(rng: &mut StdRng) -> String {
    if rng.gen_ratio(1, 2) {
        return COMMON[rng.gen_range(0..COMMON.len())].to_string();
    }
    let script = SYLLABLES[rng.gen_range(0..4)];
    let n = rng.gen_range(2..5);
    (0..n)
        .map(|_| script[rng.gen_range(0..script.len())])
        .collect()
}

fn text(rng: &mut StdRng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 32);
    while s.len() < bytes {
        s.push_str(&word(rng));
        s.push(if rng.gen_ratio(1, 12) { '\n' } else { ' ' });
    }
    s
}

fn name(rng: &mut StdRng) -> String {
    format!(
        "{} {}",
        GIVEN[rng.gen_range(0..GIVEN.len())],
        FAMILY[rng.gen_range(0..FAMILY.len())]
    )
}

fn testimony(rng: &mut StdRng, i: usize) -> Testimony {
    let mut narrative = text(rng, 2000);
    if i % 10_000 == 5_000 {
        narrative.push_str(&format!(" {}", RARE.join(" ")));
    }
    let json = serde_json::json!({
        "code": format!("SRCH-{i:07}"),
        "interview_date": format!("20{:02}-{:02}-{:02}", rng.gen_range(18..26), rng.gen_range(1..13), rng.gen_range(1..29)),
        "summary": text(rng, 150),
        "narrative": narrative,
        "testifier": {"names": [{"name": name(rng)}], "roles": ["testifier"]},
        "persons": [{"names": [{"name": name(rng)}], "roles": ["victim"], "hometown": "Ғұлжа"}],
        "events": [{"kind": "detention", "start": "2018", "place": "Ürümchi"}]
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("generated testimony: {e}"))
}

/// An empty vault in a temporary folder, with a trivial KDF (only searching is measured).
fn new_vault() -> (tempfile::TempDir, Vault) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let opts = CreateOptions {
        name: "bench".into(),
        kdf: KdfCost::InsecureForTests(1),
    };
    let pass = SecretString::from("benchmark passphrase".to_string());
    let (v, _) =
        Vault::create(&root.path().join("v"), &pass, &opts).unwrap_or_else(|e| panic!("{e}"));
    (root, v)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn timed(v: &Vault, q: &str) -> (Vec<Duration>, u64) {
    let query = SearchQuery::new(q);
    let total = v.search(&query).map(|r| r.total).unwrap_or(0);
    let mut lat: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let r = v.search(&query).unwrap_or_else(|e| panic!("{q}: {e}"));
            let took = start.elapsed();
            assert!(!r.hits.is_empty(), "{q} finds nothing");
            took
        })
        .collect();
    lat.sort();
    (lat, total)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("AMANAT_BENCH_SEARCH_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let (_root, mut v) = new_vault();
    let mut rng = StdRng::seed_from_u64(7);
    let load = Instant::now();
    let mut i = 0;
    while i < n {
        let batch: Vec<Testimony> = (i..(i + BATCH).min(n))
            .map(|k| testimony(&mut rng, k))
            .collect();
        i += batch.len();
        v.add_testimonies(batch).unwrap_or_else(|e| panic!("{e}"));
    }
    println!(
        "{n} testimonies loaded in {:.0} s",
        load.elapsed().as_secs_f64()
    );

    println!("\n| query | script | matches | top-20 p50 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|---|---|");
    for (terms, kind) in [(RARE, "rare"), (FREQUENT, "very common")] {
        for (term, script) in terms.iter().zip(SCRIPTS) {
            let (lat, total) = timed(&v, term);
            println!(
                "| {kind} `{term}` | {script} | {total} | {:.2} | {:.2} | {:.2} |",
                pct(&lat, 0.5),
                pct(&lat, 0.99),
                pct(&lat, 1.0)
            );
        }
    }
    let (lat, total) = timed(&v, "Yerzhanat Abai");
    println!(
        "| a name across scripts `Yerzhanat Abai` | Latin → all | {total} | {:.2} | {:.2} | {:.2} |",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );

    for q in [FREQUENT[1], RARE[1]] {
        let query = SearchQuery::new(q);
        let mut lat: Vec<Duration> = (0..20)
            .map(|_| {
                let start = Instant::now();
                v.facets(&query).unwrap_or_else(|e| panic!("{e}"));
                start.elapsed()
            })
            .collect();
        lat.sort();
        println!(
            "facet counts for `{q}`: p50 {:.1} ms, max {:.1} ms (20 runs)",
            pct(&lat, 0.5),
            pct(&lat, 1.0)
        );
    }

    duplicates(10_000);

    let size = v.index_size().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "\nindex {:.0} MiB, of which search {:.0} MiB ({:.0} %)",
        size.database as f64 / 1_048_576.0,
        size.search as f64 / 1_048_576.0,
        100.0 * size.search as f64 / size.database as f64
    );

    let mut commits: Vec<Duration> = (0..500)
        .map(|k| {
            let t = testimony(&mut rng, n + k);
            let start = Instant::now();
            v.add_testimony(t).unwrap_or_else(|e| panic!("{e}"));
            start.elapsed()
        })
        .collect();
    commits.sort();
    println!(
        "commit with the index: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms (500 commits)",
        pct(&commits, 0.5),
        pct(&commits, 0.99),
        pct(&commits, 1.0)
    );
}

/// Duplicate suggestions on an archive of `n` testimonies: every relative named from the
/// pools in one script, born 1940–2005, from one of 12 towns; 50 persons planted twice in
/// two scripts with the same birth year and town.
fn duplicates(n: usize) {
    let (_root, mut v) = new_vault();
    let mut rng = StdRng::seed_from_u64(3);
    let person = |name: String, birth: u32, town: usize| {
        serde_json::json!({"names": [{"name": name}], "roles": ["victim"],
            "birth": birth.to_string(), "hometown": format!("Town {town}")})
    };
    let scripted = |rng: &mut StdRng, script: usize| {
        // GIVEN and FAMILY list each name in four scripts in a row.
        let g = rng.gen_range(0..GIVEN.len() / 4) * 4 + script;
        let f = rng.gen_range(0..FAMILY.len() / 4) * 4 + script;
        format!("{} {}", GIVEN[g], FAMILY[f])
    };
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let victim = if i < 100 {
            // Planted: pair k is testimonies 2k and 2k+1.
            let k = i / 2;
            // The same seed picks the same name; each side is written in another script.
            let mut r = StdRng::seed_from_u64(1000 + k as u64);
            let name = scripted(&mut r, (k + i % 2) % 4);
            person(name, 1900 + k as u32, k % 12)
        } else {
            let script = rng.gen_range(0..4);
            let name = scripted(&mut rng, script);
            person(name, rng.gen_range(1940..2006), rng.gen_range(0..12))
        };
        let json = serde_json::json!({
            "code": format!("DUP-{i:06}"),
            "testifier": {"names": [{"name": name(&mut rng)}], "roles": ["testifier"]},
            "persons": [victim],
        });
        items.push(Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}")));
    }
    for batch in items.chunks(BATCH) {
        v.add_testimonies(batch.to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut runs = Vec::new();
    let mut found = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        found = v
            .duplicate_suggestions(usize::MAX)
            .unwrap_or_else(|e| panic!("{e}"));
        runs.push(start.elapsed());
    }
    runs.sort();
    let planted = (0..50)
        .filter(|k| {
            let (a, b) = (format!("DUP-{:06}", 2 * k), format!("DUP-{:06}", 2 * k + 1));
            found
                .iter()
                .any(|p| (p.a.code == a && p.b.code == b) || (p.a.code == b && p.b.code == a))
        })
        .count();
    println!(
        "\nduplicate suggestions at {n} testimonies ({} persons): median {:.0} ms, max {:.0} ms \
         (5 runs); {} pairs suggested, planted found {planted}/50",
        2 * n,
        pct(&runs, 0.5),
        pct(&runs, 1.0),
        found.len()
    );
}
