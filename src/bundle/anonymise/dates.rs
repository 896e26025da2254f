//! Dates written in free text, no finer than the year: "12 March 2018", "12.03.2018",
//! "2018-03-12", "2018年3月12日", "2018 жылы 12 наурызда", "12 марта 2018 года" each become
//! "2018" (or "2018年"). A day or a month in a narrative dates an arrest as well as the
//! event's start does. The phrases are read by the editor's own date reader (`datetext`), so
//! every language it understands is covered; a window of words around each year is tried,
//! the longest that reads as a date finer than its year is replaced.

use super::names::Piece;
use crate::datetext::understand_date;
use crate::edtf::Edtf;

/// Words tried on each side of a year.
const REACH: usize = 3;
/// Characters a Chinese date is written with.
const HAN_DATE: &str = "0123456789年月日号春夏秋冬季天";

/// The pieces with every date in their kept text cut to its year, each cut shown as a
/// replacement.
pub(super) fn year_only(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out = Vec::new();
    for p in pieces {
        let Piece::Kept(text) = p else {
            out.push(p);
            continue;
        };
        let mut done = 0;
        for (from, to, year) in dates_in(&text) {
            if from > done {
                out.push(Piece::Kept(text[done..from].to_string()));
            }
            out.push(Piece::Replaced {
                original: text[from..to].to_string(),
                by: year,
            });
            done = to;
        }
        if done < text.len() {
            out.push(Piece::Kept(text[done..].to_string()));
        }
    }
    out
}

/// The year a phrase stands for, as text, if the phrase is a date finer than a year, with
/// the date it was read as.
fn coarser(phrase: &str) -> Option<(String, String)> {
    let reading = understand_date(phrase).ok()?;
    let exact = Edtf::parse(&reading.edtf).ok()?;
    let year = exact.to_year()?;
    let text = year.to_string().replace("..", "").replace('/', "–");
    (year != exact).then_some((text, reading.edtf))
}

/// Byte ranges of the dates finer than a year in `text`, in order, with their years.
fn dates_in(text: &str) -> Vec<(usize, usize, String)> {
    let mut found = han_dates(text);
    found.extend(numeric_dates(text));
    // Words with their byte ranges; a year is a word with four digits in a row.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let has_year = |w: &str| {
        w.as_bytes()
            .windows(4)
            .any(|d| d.iter().all(u8::is_ascii_digit))
    };
    let mut next = 0;
    for k in 0..words.len() {
        if k < next || !has_year(&text[words[k].0..words[k].1]) {
            continue;
        }
        if let Some((b, from, to, year)) = widest(text, &words, k, next) {
            found.push((from, to, year));
            next = b + 1;
        }
    }
    found.sort_by_key(|d| d.0);
    // A Chinese date inside a word already taken is one date, not two.
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for d in found {
        if out.last().is_none_or(|l| d.0 >= l.1) {
            out.push(d);
        }
    }
    out
}

/// The widest window of words around word `k` (from word `first` on) that reads as a date
/// finer than a year, narrowed to the words that make that date.
fn widest(
    text: &str,
    words: &[(usize, usize)],
    k: usize,
    first: usize,
) -> Option<(usize, usize, usize, String)> {
    let phrase = |a: usize, b: usize| {
        let (from, to) = (words[a].0, words[b].1);
        let s = &text[from..to];
        // Punctuation around a sentence is not the date's ("2018." but "2018 ж.").
        let end = s.trim_end_matches([',', ';', ':', '!', '?', ')', '»', '"', '.', '。', '，']);
        let trimmed = end.trim_start_matches(['(', '«', '"']);
        let start = from + (end.len() - trimmed.len());
        [(trimmed, start), (s, from)]
            .into_iter()
            .find_map(|(p, at)| Some((coarser(p)?, at, at + p.len())))
    };
    let lo = k.saturating_sub(REACH).max(first);
    let hi = (k + REACH).min(words.len() - 1);
    let mut windows: Vec<(usize, usize)> = (lo..=k)
        .flat_map(|a| (k..=hi).map(move |b| (a, b)))
        .collect();
    windows.sort_by_key(|(a, b)| std::cmp::Reverse(b - a));
    let (mut a, mut b) = windows.into_iter().find(|&(a, b)| phrase(a, b).is_some())?;
    // Words at the edges that change nothing are not part of the date ("On 12 March 2018").
    let whole = phrase(a, b)?.0;
    while a < k && phrase(a + 1, b).is_some_and(|p| p.0 == whole) {
        a += 1;
    }
    while b > k && phrase(a, b - 1).is_some_and(|p| p.0 == whole) {
        b -= 1;
    }
    let ((year, _), from, to) = phrase(a, b)?;
    Some((b, from, to, year))
}

/// The value of a decimal digit in the scripts the testimonies use: ASCII, Arabic-Indic
/// (Arabic script, as Uyghur and Kazakh in Xinjiang may write them) and extended
/// Arabic-Indic (Persian forms).
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '\u{660}'..='\u{669}' => Some(c as u32 - 0x660),
        '\u{6F0}'..='\u{6F9}' => Some(c as u32 - 0x6F0),
        _ => None,
    }
}

/// Dates written in numbers only, whatever the separator and the digits: "12/03/2018",
/// "14-03-2018", "١٢.٠٣.٢٠١٨", "2018/3/12", "03.2018" (review finding 19: the date reader
/// knew the dotted forms only). A run of two or three groups of digits joined by `.`, `/` or
/// `-`, one of them a year of four digits at either end and the others one or two digits,
/// becomes that year (in its own digits). Two years ("2017-2019") are a span, not a date.
fn numeric_dates(text: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() || (i > 0 && digit(chars[i - 1].1).is_some()) {
            i += 1;
            continue;
        }
        // Groups of digits from here, joined by one separator each.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && digit(chars[j].1).is_some() {
                j += 1;
            }
            groups.push((start, j));
            let joined = j + 1 < chars.len()
                && matches!(chars[j].1, '.' | '/' | '-')
                && digit(chars[j + 1].1).is_some();
            if !joined || groups.len() == 3 {
                break;
            }
            j += 1;
        }
        let lens: Vec<usize> = groups.iter().map(|(a, b)| b - a).collect();
        let year_at = match lens.as_slice() {
            [4, 1..=2] | [4, 1..=2, 1..=2] => Some(0),
            [1..=2, 4] | [1..=2, 1..=2, 4] => Some(lens.len() - 1),
            _ => None,
        };
        if let Some(y) = year_at {
            let (a, b) = groups[y];
            let from = chars[i].0;
            let to = chars.get(j).map_or(text.len(), |c| c.0);
            let year: String = chars[a..b].iter().map(|c| c.1).collect();
            out.push((from, to, year));
        }
        i = j.max(i + 1);
    }
    out
}

/// Chinese dates, which are written without spaces: "2018年3月12日" → "2018年".
fn han_dates(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((from, c)) = chars.next() {
        if !c.is_ascii_digit() {
            continue;
        }
        let mut to = from + c.len_utf8();
        while let Some(&(i, c)) = chars.peek()
            && HAN_DATE.contains(c)
        {
            to = i + c.len_utf8();
            chars.next();
        }
        let run = &text[from..to];
        if run.contains('年')
            && let Some((year, _)) = coarser(run)
        {
            out.push((from, to, format!("{year}年")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> String {
        super::super::names::joined(&year_only(vec![Piece::Kept(text.into())]))
    }

    #[test]
    fn a_date_in_any_language_keeps_its_year() {
        for (text, want) in [
            ("On 12 March 2018 at 5 am.", "On 2018 at 5 am."),
            ("Seen 12.03.2018.", "Seen 2018."),
            ("2018-03-12, then", "2018, then"),
            ("他2018年3月12日被带走了", "他2018年被带走了"),
            ("12 марта 2018 года его увезли", "2018 года его увезли"),
            (
                "In 2019 he was freed; 14 people",
                "In 2019 he was freed; 14 people",
            ),
            // Review finding 19: slashes, dashes, and Arabic-Indic digits.
            ("taken 12/03/2018 and 14-03-2018", "taken 2018 and 2018"),
            ("ئۇ ١٢.٠٣.٢٠١٨ دە تۇتۇلدى", "ئۇ ٢٠١٨ دە تۇتۇلدى"),
            ("on 2018/3/12 or in 03.2018", "on 2018 or in 2018"),
            ("from 2017-2019, room 12-3", "from 2017-2019, room 12-3"),
        ] {
            assert_eq!(cut(text), want, "{text}");
        }
    }
}
