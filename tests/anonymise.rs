//! The anonymiser against a corpus of testimony sentences in Kazakh, Uyghur (Arabic and Latin
//! script), Russian, Chinese and English (tests/anonymise/corpus.jsonl): names inflected,
//! possessive, in capitals, recorded in one script and written in another. Every name must go
//! (0 leaks); how many ordinary words go with them is measured and printed
//! (`cargo test --test anonymise -- --nocapture`), and must stay under a ceiling.

mod common;

use std::collections::BTreeMap;

use amanat::bundle::{ExportRequest, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{Progress, Testimony};
use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    id: String,
    lang: String,
    persons: Vec<Vec<String>>,
    text: String,
    names: Vec<String>,
    #[serde(default)]
    keep: Vec<String>,
}

fn corpus() -> Vec<Line> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/anonymise/corpus.jsonl"
    ))
    .unwrap_or_else(|e| panic!("corpus: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The words of a text as the corpus counts them: split at anything that is not a letter,
/// digit or mark (an apostrophe inside a word stays with it).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || is_mark(c)))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0610..=0x061A | 0x0640 | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED)
}

/// Unicode's default-ignorable code points: drawn as nothing.
fn is_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// Whether `name` is still in `out` as a reader sees it (invisible characters aside): as a
/// whole word, or for a name in Chinese characters or written with a hyphen, anywhere.
fn still_there(out: &str, name: &str) -> bool {
    let out: String = out.chars().filter(|c| !is_ignorable(*c)).collect();
    let name: String = name.chars().filter(|c| !is_ignorable(*c)).collect();
    if name
        .chars()
        .any(|c| is_han(c) || c == '-' || c == '\u{2011}')
    {
        return out.contains(&name);
    }
    words(&out).contains(&name)
}

#[derive(Default)]
struct Tally {
    lines: usize,
    names: usize,
    leaks: Vec<String>,
    words: usize,
    over: usize,
    keep: usize,
    keep_removed: usize,
    dates: usize,
}

#[test]
fn every_name_in_the_corpus_goes_and_few_other_words_go_with_it() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (_, card) = common::outsider("Publisher", 31);
    v.add_contact(&card, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let lines = corpus();
    assert!(lines.len() >= 200, "the corpus has {} lines", lines.len());
    let testimonies: Vec<Testimony> = lines
        .iter()
        .map(|l| {
            let persons: Vec<serde_json::Value> = l
                .persons
                .iter()
                .map(|names| {
                    let names: Vec<serde_json::Value> = names
                        .iter()
                        .map(|n| serde_json::json!({"name": n}))
                        .collect();
                    serde_json::json!({"id": uuid::Uuid::now_v7(), "names": names})
                })
                .collect();
            Testimony::from_json(
                &serde_json::json!({
                    "code": l.id, "narrative": l.text, "persons": persons,
                    "consents": persons.iter().map(|p| serde_json::json!({
                        "person": p["id"], "scopes": {"publish_anonymised": "granted"}
                    })).collect::<Vec<_>>()
                })
                .to_string(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", l.id))
        })
        .collect();
    let ids = v
        .add_testimonies(testimonies)
        .unwrap_or_else(|e| panic!("{e}"));

    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut first_export = None;
    for (line, id) in lines.iter().zip(&ids) {
        let req = ExportRequest {
            to: vec!["Publisher".into()],
            profile: ExportProfile::Anonymised,
            selection: Selection::Ids(vec![*id]),
        };
        let preview = v
            .preview_anonymised(&req)
            .unwrap_or_else(|e| panic!("{}: {e}", line.id));
        let narrative = preview[0].fields.iter().find(|f| f.field == "narrative");
        let out: String = narrative.map_or_else(
            || line.text.clone(),
            |f| f.parts.iter().map(|p| p.text.as_str()).collect(),
        );
        // Names go to pseudonyms; dates finer than a year go to their year, on purpose, and
        // are counted apart.
        let replaced = |name: bool| -> Vec<String> {
            narrative
                .map(|f| {
                    f.parts
                        .iter()
                        .filter(|p| p.text.starts_with("Person ") == name)
                        .filter_map(|p| p.original.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let removed = replaced(true);
        let t = by_lang.entry(line.lang.clone()).or_default();
        t.lines += 1;
        t.names += line.names.len();
        for n in &line.names {
            if still_there(&out, n) {
                t.leaks.push(format!("{}: {n:?} in {out:?}", line.id));
            }
        }
        // Words that went but were not names (a name's words counted as names).
        let name_words: Vec<String> = line.names.iter().flat_map(|n| words(n)).collect();
        let text_words = words(&line.text);
        t.words += text_words
            .iter()
            .filter(|w| !name_words.contains(w))
            .count();
        for r in &removed {
            for w in words(r) {
                let han_name = line
                    .names
                    .iter()
                    .any(|n| n.chars().any(is_han) && r.contains(n.as_str()));
                if !name_words.contains(&w) && !han_name {
                    t.over += 1;
                }
            }
        }
        t.dates += replaced(false).len();
        t.keep += line.keep.len();
        t.keep_removed += line
            .keep
            .iter()
            .filter(|k| !still_there(&out, k) && line.text.contains(k.as_str()))
            .count();
        if first_export.is_none() && !removed.is_empty() {
            first_export = Some((req, out));
        }
    }

    // The bundle carries exactly what the preview showed.
    let (req, out) = first_export.unwrap_or_else(|| panic!("nothing was replaced at all"));
    let bundle = root.path().join("anon.amanat");
    let (reader, card) = common::outsider("Reader", 32);
    v.add_contact(&card, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let req = ExportRequest {
        to: vec!["Reader".into()],
        ..req
    };
    v.export_bundle(&req, &bundle, &mut |_: Progress| true)
        .unwrap_or_else(|e| panic!("{e}"));
    let plain = common::decrypt(&reader, &bundle);
    let jsonl =
        String::from_utf8(common::tar_member(&plain, "revisions.jsonl")).unwrap_or_default();
    let narrative_json = serde_json::to_string(&out).unwrap_or_default();
    assert!(
        jsonl.contains(&narrative_json),
        "the bundle's narrative differs from the preview's {narrative_json}"
    );

    println!("anonymiser on tests/anonymise/corpus.jsonl:");
    println!(
        "  lang      lines  names  leaks  other words  removed  rate   look-alikes kept  dates cut"
    );
    let mut all = Tally::default();
    for (lang, t) in &by_lang {
        println!(
            "  {lang:<9} {:>5}  {:>5}  {:>5}  {:>11}  {:>7}  {:>4.1}%  {:>16}  {:>9}",
            t.lines,
            t.names,
            t.leaks.len(),
            t.words,
            t.over,
            100.0 * t.over as f64 / t.words.max(1) as f64,
            format!("{}/{}", t.keep - t.keep_removed, t.keep),
            t.dates
        );
        all.lines += t.lines;
        all.names += t.names;
        all.leaks.extend(t.leaks.iter().cloned());
        all.words += t.words;
        all.over += t.over;
        all.keep += t.keep;
        all.keep_removed += t.keep_removed;
        all.dates += t.dates;
    }
    let rate = 100.0 * all.over as f64 / all.words.max(1) as f64;
    println!(
        "  {:<9} {:>5}  {:>5}  {:>5}  {:>11}  {:>7}  {:>4.1}%  {:>16}  {:>9}",
        "all",
        all.lines,
        all.names,
        all.leaks.len(),
        all.words,
        all.over,
        rate,
        format!("{}/{}", all.keep - all.keep_removed, all.keep),
        all.dates
    );
    assert!(
        all.leaks.is_empty(),
        "names left in:\n{}",
        all.leaks.join("\n")
    );
    assert!(rate <= 3.0, "{rate:.1}% of ordinary words removed");
}
