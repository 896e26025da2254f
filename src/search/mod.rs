//! Search across scripts: what is indexed for a testimony, how a typed query becomes an
//! FTS5 query, and the highlighted snippet shown with each result (DESIGN.md §7).
//!
//! The index (`search` in the store) has three columns, all built from the same fields:
//! - `body`: the text as written, tokenized by unicode61 with diacritics removed;
//! - `folded`: every name and place as cross-script keys ([`fold`]);
//! - `han`: Chinese text as overlapping bigrams ([`han`]).
//!
//! It is contentless with FTS5's `secure-delete` on, and rebuilt for a testimony in the
//! same transaction as each of its revisions, so text that is edited away or deleted
//! leaves no trace in it. Change [`INDEX_VERSION`] with any change to what is indexed.

mod facets;
mod filter;
pub mod fold;
mod han;
mod letters;
pub(crate) mod snippet;

use serde::{Deserialize, Serialize};

use crate::model::Testimony;

pub use facets::{FacetCount, Facets};
pub use filter::Filters;
pub(crate) use filter::{place_key, place_norm};
pub(crate) use han::is_han;
pub use snippet::SnippetPart;

/// The version of the rules that make the search index's columns ([`columns`], the folding
/// tables) and the filters' derived rows. An index made by other rules is rebuilt when the
/// vault opens: search entries are deleted by recomputing their columns, which must give
/// exactly what was indexed.
/// 3: rows follow the shown head of a testimony in conflict, and a record is deleted only when
/// all its heads are deletions. 4: an attachment is deleted when any of its heads is.
pub(crate) const INDEX_VERSION: &str = "4";

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words as typed, in any script; every word must match (as a prefix of a word of the
    /// text, or as the same name in another script). Empty: every testimony the filters
    /// let through, newest interview first.
    pub text: String,
    #[serde(default)]
    pub filters: Filters,
    /// How many results to return, best first.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    20
}

impl SearchQuery {
    pub fn new(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            filters: Filters::default(),
            limit: default_limit(),
        }
    }
}

/// One result: the testimony's line and where the query matched it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub testimony: crate::store::TestimonySummary,
    /// Which field the snippet comes from (`name`, `narrative`, `place`, …).
    pub field: String,
    pub snippet: Vec<SnippetPart>,
}

/// The best `limit` results and how many testimonies match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchResults {
    /// How many testimonies match, counted up to 1,000.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    /// More than `total` match: the results are then the newest matches, not the most
    /// relevant (ranking a word found in most of the archive costs more than a search may).
    pub more: bool,
    pub hits: Vec<SearchHit>,
}

/// Fields that are names or places: these also go into the folded column.
pub(crate) const NAME_FIELDS: &[&str] = &["name", "place", "hometown", "interview_place"];

/// Every searchable text of a testimony with the field it comes from.
pub(crate) fn fields<'t>(t: &'t Testimony) -> Vec<(&'static str, &'t str)> {
    let mut out: Vec<(&'static str, &'t str)> = vec![
        ("code", &t.code),
        ("summary", &t.summary),
        ("narrative", &t.narrative),
    ];
    let mut add = |field: &'static str, v: Option<&'t String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((field, v));
        }
    };
    for tag in &t.tags {
        add("tag", Some(tag));
    }
    add("interviewer", t.interviewer.as_ref());
    add("interview_place", t.interview_place.as_ref());
    for p in t.all_persons() {
        for n in &p.names {
            add("name", Some(&n.name));
        }
        add("hometown", p.hometown.as_ref());
        add("occupation", p.occupation.as_ref());
        add("relation", p.relation.as_ref());
        add("person_notes", p.notes.as_ref());
    }
    for e in &t.events {
        add("place", e.place.as_ref());
        add("facility", e.facility.as_ref());
        add("event", e.description.as_ref());
        for a in &e.acts {
            add("charge", a.charge.as_ref());
            add("stated_reason", a.stated_reason.as_ref());
            add("sentence", a.sentence.as_ref());
        }
    }
    for p in &t.places {
        for n in &p.names {
            add("place", Some(&n.name));
        }
    }
    for c in &t.consents {
        add("consent_notes", c.notes.as_ref());
    }
    out
}

/// The three index columns of a testimony: body, folded names and places, Han bigrams.
pub(crate) fn columns(t: &Testimony) -> [String; 3] {
    let fields = fields(t);
    let body = fields
        .iter()
        .map(|(_, v)| *v)
        .collect::<Vec<_>>()
        .join("\n");
    let mut folded = String::new();
    for (_, v) in fields.iter().filter(|(f, _)| NAME_FIELDS.contains(f)) {
        for (strict, loose) in fold::words(v).filter_map(fold::fold_word_keys) {
            for k in [strict, loose] {
                if !folded.is_empty() {
                    folded.push(' ');
                }
                folded.push_str(&k);
            }
        }
    }
    let han = han::column(&body);
    [body, folded, han]
}

/// A typed query, parsed once: each word with its forms for the three columns.
#[derive(Debug)]
pub(crate) struct Parsed {
    terms: Vec<Term>,
}

#[derive(Debug)]
struct Term {
    /// As typed (for the body column and the snippet).
    text: String,
    /// The cross-script keys (strict, loose) of its words, in order.
    keys: Vec<(String, String)>,
    /// Its runs of Chinese characters.
    han: Vec<String>,
}

impl Parsed {
    pub(crate) fn new(input: &str) -> Parsed {
        let terms = input
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(|w| Term {
                text: w.to_string(),
                keys: fold::words(w).filter_map(fold::fold_word_keys).collect(),
                han: han::runs(w).map(str::to_string).collect(),
            })
            .collect();
        Parsed { terms }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The FTS5 query: every term must match, each either in the text (as a word prefix,
    /// or as Han bigrams) or as the same name folded from another script. User input is
    /// only ever inside quoted strings, so FTS5 syntax in it is searched for, not run.
    pub(crate) fn fts(&self) -> String {
        self.terms
            .iter()
            .map(|t| {
                let mut alts = Vec::new();
                if t.han.is_empty() {
                    // A word of one or two letters would expand to too many terms as a prefix.
                    let prefix = if t.text.chars().count() >= 3 {
                        " *"
                    } else {
                        ""
                    };
                    alts.push(format!(
                        "body : \"{}\"{prefix}",
                        t.text.replace('"', "\"\"")
                    ));
                } else {
                    let runs: Vec<String> = t.han.iter().map(|r| han::query(r)).collect();
                    alts.push(format!("han : ({})", runs.join(" AND ")));
                }
                if !t.keys.is_empty() {
                    let words: Vec<String> = t
                        .keys
                        .iter()
                        .map(|(s, l)| format!("(\"{s}\" OR \"{l}\")"))
                        .collect();
                    alts.push(format!("folded : ({})", words.join(" AND ")));
                }
                format!("({})", alts.join(" OR "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_quoted_terms_over_the_three_columns() {
        let q = Parsed::new("Ержанат 拘留 x\"y  ·");
        assert_eq!(
            q.fts(),
            "(body : \"Ержанат\" * OR folded : ((\"arjnt\" OR \"xarjnt\"))) \
             AND (han : (\"拘留\") OR folded : ((\"jr\" OR \"xjr\"))) \
             AND (body : \"x\"\"y\" * OR folded : ((\"k\" OR \"x\") AND (\"a\" OR \"xa\")))"
        );
        assert!(Parsed::new(" · - ").is_empty());
    }

    #[test]
    fn names_and_places_are_folded_and_han_text_is_split_into_bigrams() -> crate::Result<()> {
        let t = Testimony::from_json(
            r#"{"code": "A-1", "narrative": "他被拘留了",
                "testifier": {"names": [{"name": "Ержанат Абай"}]},
                "events": [{"kind": "detention", "place": "乌鲁木齐"}]}"#,
        )?;
        let [body, folded, han] = columns(&t);
        assert!(body.contains("Ержанат Абай") && body.contains("他被拘留了"));
        assert_eq!(folded, "arjnt xarjnt ab xab armj xarmj");
        assert_eq!(han, "他被 被拘 拘留 留了 了 乌鲁 鲁木 木齐 齐");
        Ok(())
    }
}
