//! The snippet shown with a result: the field where most of the query's words matched,
//! cut around the first match, with each matched word marked. Built from the testimony's
//! state (the index is contentless and keeps no text to quote from).

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{Parsed, fold, han};

/// A piece of a snippet; `hit` pieces are what matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// Characters of context before the first match and in all.
const BEFORE: usize = 40;
const LENGTH: usize = 160;

/// Lower case without diacritics, as the unicode61 tokenizer compares.
pub(crate) fn plain(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Byte ranges of matched words, sorted.
type Ranges = Vec<(usize, usize)>;

/// Byte ranges in `text` that match a term of the query, sorted, and how many distinct
/// terms matched.
/// Words are compared by their folded keys only in names and places (`names`), as the
/// index folds only those.
fn matches(text: &str, q: &Parsed, names: bool) -> (Ranges, usize) {
    let mut ranges = Vec::new();
    let mut terms_hit = 0;
    for term in &q.terms {
        let before = ranges.len();
        if term.han.is_empty() {
            let want = plain(&term.text);
            for (start, word) in word_spans(text) {
                let by_key = names
                    && term.keys.len() == 1
                    && fold::fold_word_keys(word).map(|k| k.1)
                        == term.keys.first().map(|k| k.1.clone());
                if plain(word).starts_with(&want) || by_key {
                    ranges.push((start, start + word.len()));
                }
            }
        } else {
            for run in &term.han {
                ranges.extend(
                    text.match_indices(run.as_str())
                        .map(|(i, m)| (i, i + m.len())),
                );
            }
            for (start, word) in word_spans(text).filter(|_| names) {
                if !word.chars().any(han::is_han)
                    && let Some((_, loose)) = fold::fold_word_keys(word)
                    && term.keys.iter().any(|k| k.1 == loose)
                {
                    ranges.push((start, start + word.len()));
                }
            }
        }
        if ranges.len() > before {
            terms_hit += 1;
        }
    }
    ranges.sort_unstable();
    (ranges, terms_hit)
}

/// The words of `text` (as [`fold::words`] splits them) with their byte offsets.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    fold::words(text).map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// The best field's snippet, or the summary's start when nothing can be marked (a match
/// the snippet cannot explain, such as a name folded from a multi-word query).
pub(crate) fn best(fields: &[(&'static str, &str)], q: &Parsed) -> (String, Vec<SnippetPart>) {
    // (terms matched, index of the field, ranges)
    let mut best: Option<(usize, usize, Ranges)> = None;
    for (i, (field, text)) in fields.iter().enumerate() {
        let (ranges, hit) = matches(text, q, super::NAME_FIELDS.contains(field));
        if hit > 0 && best.as_ref().is_none_or(|b| hit > b.0) {
            best = Some((hit, i, ranges));
        }
    }
    match best.and_then(|(_, i, ranges)| fields.get(i).map(|f| (f, ranges))) {
        Some(((field, text), ranges)) => (field.to_string(), cut(text, &ranges)),
        None => {
            let (field, text) = fields
                .iter()
                .find(|(_, t)| !t.is_empty())
                .copied()
                .unwrap_or(("summary", ""));
            (field.to_string(), cut(text, &[]))
        }
    }
}

/// `text` cut to a window around the first range, split into marked and unmarked parts.
fn cut(text: &str, ranges: &[(usize, usize)]) -> Vec<SnippetPart> {
    let first = ranges.first().map_or(0, |r| r.0);
    let start = text[..first]
        .char_indices()
        .rev()
        .nth(BEFORE - 1)
        .map_or(0, |(i, _)| i);
    let end = text[start..]
        .char_indices()
        .nth(LENGTH)
        .map_or(text.len(), |(i, _)| start + i);
    let mut parts = Vec::new();
    let mut push = |s: &str, hit: bool| {
        if !s.is_empty() {
            parts.push(SnippetPart {
                text: s.to_string(),
                hit,
            });
        }
    };
    if start > 0 {
        push("…", false);
    }
    let mut at = start;
    for &(a, b) in ranges {
        let (a, b) = (a.max(at), b.min(end));
        if a >= b {
            continue;
        }
        push(&text[at..a], false);
        push(&text[a..b], true);
        at = b;
    }
    push(&text[at..end], false);
    if end < text.len() {
        push("…", false);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn the_field_with_most_terms_is_chosen_and_matches_are_marked() {
        let fields = [
            ("summary", "Detention of a brother"),
            ("narrative", "Ержанат Абай was detained in Ürümqi in 2018."),
            ("name", "Ержанат Абай"),
        ];
        let (field, parts) = best(&fields, &Parsed::new("yerzhanat"));
        assert_eq!(field, "name", "only names are compared across scripts");
        assert_eq!(marked(&parts), "[Ержанат] Абай");
        let (field, parts) = best(&fields, &Parsed::new("detained urum"));
        assert_eq!(field, "narrative");
        assert_eq!(
            marked(&parts),
            "Ержанат Абай was [detained] in [Ürümqi] in 2018."
        );
    }

    #[test]
    fn han_runs_are_marked_inside_longer_text() {
        let fields = [("narrative", "他于二零一八年被拘留在乌鲁木齐")];
        let (_, parts) = best(&fields, &Parsed::new("拘留"));
        assert_eq!(marked(&parts), "他于二零一八年被[拘留]在乌鲁木齐");
    }

    #[test]
    fn long_text_is_cut_around_the_first_match() {
        let text = format!("{} needle {}", "word ".repeat(100), "more ".repeat(100));
        let fields = [("narrative", text.as_str())];
        let (_, parts) = best(&fields, &Parsed::new("needle"));
        let s = marked(&parts);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("[needle]") && s.chars().count() < 200, "{s}");
    }
}
