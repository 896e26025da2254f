//! Dates as people type them ("spring 2018", "about 1990", "5 March 2018", "between 2017 and
//! 2019", "12.03.2018") read into EDTF, with the bounds they cover, so the editor can show
//! what it understood before anything is saved. Anything already in EDTF passes through.
//! English phrasing is read first; then the words of every app language (datewords.rs):
//! "весной 2018 года", "2018 ж. көктем", "2018-يىلى ئەتىياز", "2018年春".

use serde::Serialize;

use crate::datewords as words;
use crate::edtf::{Edtf, format_day};
use crate::error::{Error, Result};

/// What a typed date was understood as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DateReading {
    /// The value that will be stored.
    pub edtf: String,
    /// First day covered (`YYYY-MM-DD`), or none for an open or unknown start.
    pub earliest: Option<String>,
    /// Last day covered, or none for an open or unknown end.
    pub latest: Option<String>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Seasons map to EDTF level 1 codes 21–24.
const SEASONS: [(&str, u8); 5] = [
    ("spring", 21),
    ("summer", 22),
    ("autumn", 23),
    ("fall", 23),
    ("winter", 24),
];

const APPROXIMATE: [&str; 6] = ["about ", "around ", "circa ", "approximately ", "c. ", "~"];
const UNCERTAIN: [&str; 3] = ["maybe ", "probably ", "perhaps "];

/// Reads a typed date. The error names what could not be read.
pub fn understand_date(typed: &str) -> Result<DateReading> {
    let text = typed.trim();
    if text.chars().count() > 100 {
        return Err(Error::invalid("date", "is too long to be a date"));
    }
    let edtf = Edtf::parse(text)
        .ok()
        .or_else(|| natural(&text.to_lowercase()).and_then(|s| Edtf::parse(&s).ok()))
        .or_else(|| spoken(&text.to_lowercase()).and_then(|s| Edtf::parse(&s).ok()))
        .ok_or_else(|| {
            Error::invalid(
                "date",
                format!("`{text}` is not a date I can read; try 2018, spring 2018, 2018-03-05"),
            )
        })?;
    Ok(DateReading {
        edtf: edtf.to_string(),
        earliest: edtf.lower().map(format_day),
        latest: edtf.upper().map(format_day),
    })
}

/// Natural phrasing → EDTF text (not yet validated).
fn natural(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (prefix, joiner) in [
        ("between ", " and "),
        ("from ", " to "),
        ("from ", " until "),
    ] {
        if let Some((a, b)) = text.strip_prefix(prefix).and_then(|r| r.split_once(joiner)) {
            return Some(format!("{}/{}", single(a)?, single(b)?));
        }
    }
    for joiner in [" to ", " until ", " - ", " – "] {
        if let Some((a, b)) = text.split_once(joiner) {
            return Some(format!("{}/{}", single(a)?, single(b)?));
        }
    }
    if let Some(rest) = text.strip_prefix("before ") {
        return Some(format!("../{}", single(rest)?));
    }
    for prefix in ["after ", "since "] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return Some(format!("{}/..", single(rest)?));
        }
    }
    single(&text)
}

/// One date, possibly qualified.
fn single(text: &str) -> Option<String> {
    let text = text.trim();
    for p in APPROXIMATE {
        if let Some(rest) = text.strip_prefix(p) {
            return Some(format!("{}~", plain(rest.trim())?));
        }
    }
    for p in UNCERTAIN {
        if let Some(rest) = text.strip_prefix(p) {
            return Some(format!("{}?", plain(rest.trim())?));
        }
    }
    if let Some(rest) = text.strip_suffix('?') {
        return Some(format!("{}?", plain(rest.trim())?));
    }
    plain(text)
}

/// A date without qualifier: `2018`, `1990s`, `spring 2018`, `march 2018`, `5 march 2018`,
/// `march 5, 2018`, `12.03.2018`, `2018.03.12`, or EDTF.
fn plain(text: &str) -> Option<String> {
    if Edtf::parse(text).is_ok() {
        return Some(text.to_string());
    }
    if let Some(decade) = text.strip_suffix("0s").or_else(|| text.strip_suffix("0's"))
        && decade.len() == 3
        && decade.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(format!("{decade}X"));
    }
    let dotted: Vec<&str> = text.split('.').collect();
    if dotted.len() == 3 && dotted.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return match (dotted[0].len(), dotted[2].len()) {
            (4, 1..=2) => Some(format!("{}-{:0>2}-{:0>2}", dotted[0], dotted[1], dotted[2])),
            (1..=2, 4) => Some(format!("{}-{:0>2}-{:0>2}", dotted[2], dotted[1], dotted[0])),
            _ => None,
        };
    }
    let words: Vec<&str> = text.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let year = *words.last()?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match &words[..words.len() - 1] {
        [w] => {
            if let Some((_, code)) = SEASONS.iter().find(|(name, _)| name == w) {
                return Some(format!("{year}-{code}"));
            }
            Some(format!("{year}-{:02}", month(w)?))
        }
        [a, b] => {
            let (m, d) = match (month(a), month(b)) {
                (Some(m), None) => (m, day(b)?),
                (None, Some(m)) => (m, day(a)?),
                _ => return None,
            };
            Some(format!("{year}-{m:02}-{d:02}"))
        }
        _ => None,
    }
}

/// A piece of a phrase in any app language, once its words are looked up.
#[derive(Debug, PartialEq)]
enum Tok {
    /// A part of a date, in the English words `plain` reads: "2018", "march", "spring", "1990s".
    Word(String),
    From,
    To,
    Between,
    About,
    Maybe,
}

/// A phrase in any of the app's languages → EDTF text (not yet validated).
fn spoken(text: &str) -> Option<String> {
    let mut text = text.to_string();
    let flag = |phrases: &[&str], text: &mut String| {
        let found = phrases.iter().any(|p| text.contains(p));
        for p in phrases {
            *text = text.replace(p, " ");
        }
        found
    };
    let maybe_all = flag(&words::UNCERTAIN_PHRASES, &mut text);
    let end_unknown = flag(&words::END_UNKNOWN, &mut text);
    let start_unknown = flag(&words::START_UNKNOWN, &mut text);
    let text = han(&text);
    let toks = tokens(&text)?;

    // Dates are the runs of words between connectives; "about"/"maybe" qualify their run.
    let mut chunks: Vec<(Vec<String>, bool, bool)> = vec![(Vec::new(), false, maybe_all)];
    let (mut from, mut to) = (false, false);
    for t in toks {
        let open = chunks.last().is_some_and(|c| !c.0.is_empty());
        match t {
            Tok::Word(w) => {
                if let Some(c) = chunks.last_mut() {
                    c.0.push(w);
                }
            }
            Tok::About | Tok::Maybe => {
                if let Some(c) = chunks.last_mut() {
                    if t == Tok::About {
                        c.1 = true
                    } else {
                        c.2 = true
                    }
                }
            }
            Tok::From | Tok::To | Tok::Between => {
                from |= t == Tok::From;
                to |= t == Tok::To;
                if open {
                    chunks.push((Vec::new(), false, maybe_all));
                }
            }
        }
    }
    let dates: Vec<String> = chunks
        .into_iter()
        .filter(|c| !c.0.is_empty())
        .map(|(mut w, about, maybe)| {
            // Year first ("2018 ж. 5 наурыз", "2018年3月"): `plain` wants it last.
            if w.len() > 1 && w[0].len() == 4 && w[0].bytes().all(|b| b.is_ascii_digit()) {
                w.rotate_left(1);
            }
            let date = plain(&w.join(" "))?;
            Some(match (about, maybe) {
                (true, true) => format!("{date}%"),
                (true, false) => format!("{date}~"),
                (false, true) => format!("{date}?"),
                (false, false) => date,
            })
        })
        .collect::<Option<_>>()?;
    match dates.as_slice() {
        [d] if end_unknown => Some(format!("{d}/")),
        [d] if start_unknown => Some(format!("/{d}")),
        [d] if from && !to => Some(format!("{d}/..")),
        [d] if to && !from => Some(format!("../{d}")),
        [d] => Some(d.clone()),
        [a, b] => Some(format!("{a}/{b}")),
        _ => None,
    }
}

/// Chinese dates rewritten into the words `tokens` knows: "2018年3月5日" → "2018 march 5".
fn han(text: &str) -> String {
    if !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return text.to_string();
    }
    let mut s = text.to_string();
    for (from, to) in words::HAN {
        s = s.replace(from, to);
    }
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let month = digits
            .parse::<usize>()
            .ok()
            .and_then(|m| m.checked_sub(1))
            .and_then(|i| MONTHS.get(i));
        match (c, month) {
            ('月', Some(name)) => out.push_str(name),
            _ => out.push_str(&digits),
        }
        digits.clear();
        if words::HAN_SEPARATORS.contains(&c) || c == '，' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.push_str(&digits);
    out
}

/// The tokens of a phrase, or none if a word is not a date word of any app language.
fn tokens(text: &str) -> Option<Vec<Tok>> {
    let spaced: String = text
        .chars()
        .map(|c| if ",،，、;؛()".contains(c) { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    for raw in spaced.split_whitespace() {
        if Edtf::parse(raw).is_ok() {
            out.push(Tok::Word(raw.to_string()));
            continue;
        }
        let pieces: Vec<&str> = raw
            .split(['-', '–', '—'])
            .filter(|p| !p.is_empty())
            .collect();
        for (i, piece) in pieces.iter().enumerate() {
            let year = |p: &str| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit());
            if i > 0 && year(pieces[i - 1]) && year(piece) {
                out.push(Tok::To);
            }
            word(piece, &mut out)?;
        }
        if raw.chars().count() == 1 && "-–—".contains(raw) {
            out.push(Tok::To);
        }
    }
    Some(out)
}

/// One word (a year, a day, a month, a season, a connective, …), with any ending glued to it.
fn word(w: &str, out: &mut Vec<Tok>) -> Option<()> {
    let is = |list: &[&str]| list.contains(&w);
    let previous_year = match out.last() {
        Some(Tok::Word(y))
            if y.len() == 4 && y.ends_with('0') && y.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(y.clone())
        }
        _ => None,
    };
    if let (Some(y), true) = (&previous_year, is(&words::DECADE)) {
        out.pop();
        out.push(Tok::Word(format!("{y}s")));
    } else if is(&words::FROM) {
        out.push(Tok::From);
    } else if is(&words::TO) {
        out.push(Tok::To);
    } else if is(&words::BETWEEN) {
        out.push(Tok::Between);
    } else if is(&words::ABOUT) {
        out.push(Tok::About);
    } else if is(&words::MAYBE) {
        out.push(Tok::Maybe);
    } else if is(&words::SKIP) || w == "s" {
    } else if w.chars().any(|c| c.is_ascii_digit()) && w.is_ascii() {
        out.push(Tok::Word(w.to_string()));
    } else if let Some((stem, tok)) = ending(w)
        && let Some(mut read) = recognised(stem)
    {
        out.append(&mut read);
        out.push(tok);
    } else if let Some(name) = words::month_of(w)
        .and_then(|m| usize::from(m).checked_sub(1))
        .and_then(|i| MONTHS.get(i))
    {
        out.push(Tok::Word((*name).to_string()));
    } else if let Some(season) = words::season_of(w) {
        out.push(Tok::Word(season.to_string()));
    } else {
        return None;
    }
    Some(())
}

/// The tokens of a stem on its own, if it is a word we know.
fn recognised(stem: &str) -> Option<Vec<Tok>> {
    let mut read = Vec::new();
    word(stem, &mut read).map(|()| read)
}

/// A Kazakh or Uyghur "from"/"until" ending glued to a word: the stem and what it says.
fn ending(w: &str) -> Option<(&str, Tok)> {
    let glued = |endings: &[&str]| {
        endings
            .iter()
            .find_map(|e| w.strip_suffix(e).filter(|stem| !stem.is_empty()))
    };
    glued(&words::FROM_ENDINGS)
        .map(|s| (s, Tok::From))
        .or_else(|| glued(&words::TO_ENDINGS).map(|s| (s, Tok::To)))
}

/// A month by its name or its first three letters.
fn month(word: &str) -> Option<usize> {
    let word = word.trim_end_matches('.');
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(word)))
        .map(|i| i + 1)
}

fn day(word: &str) -> Option<u8> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (String, Option<String>, Option<String>) {
        match understand_date(s) {
            Ok(r) => (r.edtf, r.earliest, r.latest),
            Err(e) => (format!("error: {e}"), None, None),
        }
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn typed_phrases_become_edtf_with_their_bounds() {
        assert_eq!(
            read("spring 2018"),
            ("2018-21".into(), some("2018-03-01"), some("2018-05-31"))
        );
        assert_eq!(read("Winter 2017").0, "2017-24");
        assert_eq!(read("March 2018").0, "2018-03");
        assert_eq!(read("5 March 2018").0, "2018-03-05");
        assert_eq!(read("mar 5th, 2018").0, "2018-03-05");
        assert_eq!(read("12.03.2018").0, "2018-03-12");
        assert_eq!(read("about 1990").0, "1990~");
        assert_eq!(read("maybe spring 2018").0, "2018-21?");
        assert_eq!(read("2019?").0, "2019?");
        assert_eq!(
            read("1990s"),
            ("199X".into(), some("1990-01-01"), some("1999-12-31"))
        );
        assert_eq!(
            read("between 2017 and 2019"),
            ("2017/2019".into(), some("2017-01-01"), some("2019-12-31"))
        );
        assert_eq!(
            read("since April 2017"),
            ("2017-04/..".into(), some("2017-04-01"), None)
        );
        assert_eq!(read("before 2019").0, "../2019");
    }

    #[test]
    fn edtf_passes_through_and_nonsense_is_refused_with_a_hint() {
        assert_eq!(read("2018-03-05").0, "2018-03-05");
        assert_eq!(read("2018-21/2019").0, "2018-21/2019");
        assert!(read("next tuesday").0.contains("try 2018"));
        assert!(read("31 February 2018").0.starts_with("error"));
        assert!(read("between 2019 and 2017").0.starts_with("error"));
        assert!(read(&"9".repeat(200)).0.contains("too long"));
    }
}
