//! Plain-text views for people at a terminal. `--json` gives the full data.

use std::fmt::Write;

use amanat::edtf::{Edtf, format_day};
use amanat::{HistoryEntry, StoredTestimony, TestimonySummary};

fn date(d: &Option<Edtf>) -> String {
    match d {
        None => "—".into(),
        Some(d) => format!(
            "{d} ({} … {})",
            d.lower().map(format_day).unwrap_or_else(|| "open".into()),
            d.upper().map(format_day).unwrap_or_else(|| "open".into())
        ),
    }
}

pub fn testimony(s: &StoredTestimony) -> String {
    let t = &s.testimony;
    let mut o = String::new();
    let _ = writeln!(o, "{}  [{}]  {}", t.code, t.status.as_str(), s.id);
    let _ = writeln!(
        o,
        "interview: {}  medium: {}  languages: {}",
        date(&t.interview_date),
        t.medium.map(|m| m.as_str()).unwrap_or("—"),
        t.languages.join(", ")
    );
    if let Some(i) = &t.interviewer {
        let _ = writeln!(o, "interviewer: {i}");
    }
    for p in t.all_persons() {
        let names: Vec<&str> = p.names.iter().map(|n| n.name.as_str()).collect();
        let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
        let role = if t.testifier.as_ref().is_some_and(|x| x.id == p.id) {
            "testifier".to_string()
        } else {
            roles.join(", ")
        };
        let _ = writeln!(
            o,
            "person ({role}): {}  born: {}",
            names.join(" / "),
            date(&p.birth)
        );
    }
    for e in &t.events {
        let _ = writeln!(
            o,
            "event: {}  from {}  to {}  at {}",
            e.kind.as_str(),
            date(&e.start),
            date(&e.end),
            e.place.as_deref().unwrap_or("—")
        );
    }
    for c in &t.consents {
        let scopes: Vec<String> = c
            .scopes
            .iter()
            .map(|(k, v)| format!("{}={}", k.as_str(), v.as_str()))
            .collect();
        let _ = writeln!(o, "consent v{}: {}", c.version, scopes.join(" "));
    }
    if !t.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", t.tags.join(", "));
    }
    if !t.summary.is_empty() {
        let _ = writeln!(o, "\nsummary:\n{}", t.summary);
    }
    if !t.narrative.is_empty() {
        let _ = writeln!(o, "\nnarrative:\n{}", t.narrative);
    }
    if s.heads.len() > 1 {
        let _ = writeln!(
            o,
            "\nconflict: {} versions exist; showing the newest",
            s.heads.len()
        );
    }
    o
}

pub fn list(items: &[TestimonySummary]) -> String {
    let mut o = String::new();
    for t in items {
        let _ = writeln!(
            o,
            "{}\t{}\t{}\t{} persons\t{} events\t{}",
            t.code,
            t.interview_date.as_deref().unwrap_or("—"),
            t.status.as_str(),
            t.persons,
            t.events,
            t.id
        );
    }
    let _ = writeln!(o, "{} testimonies", items.len());
    o
}

/// Results with their snippets; matches between »«, which a terminal shows in any script.
pub fn search(r: &amanat::SearchResults) -> String {
    let mut o = String::new();
    for h in &r.hits {
        let snippet: String = h
            .snippet
            .iter()
            .map(|p| {
                if p.hit {
                    format!("»{}«", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect::<String>()
            .replace(['\n', '\t'], " ");
        let _ = writeln!(
            o,
            "{}\t{}\t{}: {}",
            h.testimony.code,
            h.testimony.interview_date.as_deref().unwrap_or("—"),
            h.field,
            snippet
        );
    }
    let more = if r.more {
        " (more: the newest are shown)"
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "{} of {}{} matching testimonies",
        r.hits.len(),
        r.total,
        more
    );
    o
}

/// Counts per facet, one facet per line.
pub fn facets(f: &amanat::Facets) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n{} matching testimonies in all", f.total);
    for (name, list) in [
        ("status", &f.statuses),
        ("event kind", &f.event_kinds),
        ("place", &f.places),
        ("tag", &f.tags),
        ("consent", &f.consents),
        ("interviewer", &f.interviewers),
        ("year", &f.years),
    ] {
        if list.is_empty() {
            continue;
        }
        let values: Vec<String> = list
            .iter()
            .map(|c| format!("{} {}", c.value, c.count))
            .collect();
        let _ = writeln!(o, "{name}: {}", values.join(", "));
    }
    o
}

pub fn history(h: &[HistoryEntry], own_key: &str) -> String {
    let mut o = String::new();
    for e in h {
        let author = if e.author == own_key {
            "this device".to_string()
        } else {
            format!("key {}", &e.author[..16.min(e.author.len())])
        };
        let _ = write!(
            o,
            "{}  {}  {}  by {}",
            e.at,
            e.op.as_str(),
            &e.hash[..12.min(e.hash.len())],
            author
        );
        if !e.changed.is_empty() {
            let _ = write!(o, "  changed: {}", e.changed.join(", "));
        }
        if e.content_withheld {
            o.push_str("  (proof only: its content is not in this vault)");
        }
        if let Some(r) = &e.reason {
            let _ = write!(o, "  reason: {r}");
        }
        if let Some(a) = &e.accepted {
            let _ = write!(o, "  accepted here {}", a.at);
            if let Some(r) = &a.reason {
                let _ = write!(o, ": {r}");
            }
        }
        o.push('\n');
    }
    o
}

fn person_line(r: &amanat::PersonRecord) -> String {
    let mut s = format!("{}:{}  {}", r.code, r.at.person, r.names.join(" / "));
    if let Some(b) = &r.birth {
        s.push_str(&format!(", born {b}"));
    }
    if let Some(h) = &r.hometown {
        s.push_str(&format!(", from {h}"));
    }
    s
}

/// Each person: their names, the records, the events.
pub fn people(groups: &[amanat::PersonGroup]) -> String {
    let mut o = String::new();
    for g in groups {
        let _ = writeln!(o, "{}", g.names.join(" / "));
        for r in &g.records {
            let _ = writeln!(o, "  {}", person_line(r));
        }
        for e in &g.events {
            let when = e.start.as_deref().unwrap_or("—");
            let place = e
                .place
                .as_deref()
                .map(|p| format!(" in {p}"))
                .unwrap_or_default();
            let _ = writeln!(o, "  {} {when}{place} ({})", e.kind, e.code);
        }
    }
    let _ = writeln!(o, "{} people", groups.len());
    o
}

/// Suggested pairs with what agrees.
pub fn duplicates(pairs: &[amanat::DuplicatePair]) -> String {
    let mut o = String::new();
    for p in pairs {
        let mut why = vec![format!("{} name words match", p.matching_words)];
        if p.birth_agrees {
            why.push("birth agrees".into());
        }
        if p.hometown_agrees {
            why.push("same hometown".into());
        }
        let _ = writeln!(
            o,
            "{}\n{}\n  {}",
            person_line(&p.a),
            person_line(&p.b),
            why.join(", ")
        );
    }
    let _ = writeln!(o, "{} possible duplicates", pairs.len());
    o
}

/// What `amanat erase` without --code shows: what would go, who has copies, how to go on.
pub fn erasure_preview(p: &amanat::ErasurePreview) -> String {
    let mut out = format!(
        "Erasing {}{} removes for good {} revision(s), {} file(s) and {} draft(s) from this \
         vault; its history keeps a signed trace.\n",
        p.code,
        if p.deleted { " (deleted)" } else { "" },
        p.revisions,
        p.attachments,
        p.drafts
    );
    if p.copies.is_empty() {
        out.push_str("No contact has a copy from this vault.\n");
    } else {
        out.push_str(&format!(
            "Copies went to, or came from: {}\n",
            p.copies.join(", ")
        ));
    }
    out.push_str(
        "Copies published outside Amanat (a website, a report) are beyond its reach.\n\
         To erase, run again with --reason \"…\" --code <the testimony's code>.\n",
    );
    out
}

/// What `amanat erase` says once it is done.
pub fn withdrawn(list: &[amanat::Withdrawn]) -> String {
    if list.is_empty() {
        return "no withdrawn testimony is waiting to be erased\n".into();
    }
    list.iter()
        .map(|w| {
            let when = if w.due {
                "at the next opening".to_string()
            } else {
                format!("on {}", w.erase_on)
            };
            format!(
                "withdrawn {} ({}): hidden; erased {when} unless kept (amanat keep); reason: {}\n",
                w.code, w.id, w.reason
            )
        })
        .collect()
}

pub fn erasure_report(p: &amanat::ErasurePreview, r: &amanat::ErasureReport) -> String {
    format!(
        "erased {} ({}): {} revision(s) keep only their proof; {} file(s) and {} draft(s) \
         removed\nerasure {}\n",
        p.code, p.id, r.revisions, r.files, r.drafts, r.erasure
    )
}
