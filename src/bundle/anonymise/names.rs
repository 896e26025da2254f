//! Finding a person's names in free text, the way Kazakh, Uyghur, Russian, Chinese and English
//! actually write them: inflected (Ержанатты, Абайдың, ئەرجاناتنىڭ, Yerzhanat's, Абая), in
//! another script than the one they were recorded in (recorded Ержанат, written Yerzhanat or
//! 叶尔扎那提), in capitals, with the Turkish dotted İ. It errs towards removing too much:
//! a word that begins with a name part is taken for the name.
//!
//! Rules, per word of the text (Chinese characters are searched inside their runs, which have
//! no spaces):
//! - the word, case-folded, begins with a recorded name part (or, for a name ending in a
//!   vowel, й or ь, with the part without that letter: Абай → Абая, Гүлнара → Гүлнары);
//! - or the word, or the word without up to five trailing letters (a case ending in another
//!   script), has the same cross-script key as a name part (`search::fold`); for a part whose
//!   key is under three consonants long, its broad Latin spelling must match too, so that a
//!   two-letter key does not take every word that starts like it;
//! - inside a run of Chinese characters: a recorded name part written in characters, or two to
//!   eight characters whose key is a name part's key;
//! - invisible characters, tatweel and the Kazakh high hamza are not letters of a name, and a
//!   hyphen inside a word joins it (`joiners.rs`): "Ер\u{ad}жанат", "ٴگۇلنار", "Mihri-gul".

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::joiners::{self, is_hyphen, is_ignorable};
use crate::search::fold::{broad_spelling, fold_word_keys};

/// Trailing letters a word may have beyond a name part in another script: plural, possessive
/// and case endings together.
const FOREIGN_SUFFIX_MAX: usize = 8;
/// Characters a Chinese transliteration of one name part may have.
const HAN_NAME_MAX: usize = 8;

/// One piece of anonymised text: kept as it was, or a name replaced by a pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Kept(String),
    Replaced { original: String, by: String },
}

/// The pieces joined: the text as it goes into the bundle.
pub(crate) fn joined(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Kept(s) => s.as_str(),
            Piece::Replaced { by, .. } => by.as_str(),
        })
        .collect()
}

struct Part {
    /// Case-folded, as written.
    folded: String,
    /// Without a final vowel, й or ь, when the rest is still three letters or more.
    stem: Option<String>,
    han: bool,
    /// Only matched as a whole word in another script (a one-character Chinese surname).
    whole_word_only: bool,
    broad: String,
    key_len: usize,
    pseudonym: usize,
}

/// Surname and patronymic endings, Cyrillic and Latin: the bare stem is also a name.
const SURNAME_ENDINGS: &[&str] = &[
    "овна", "евна", "ович", "евич", "қызы", "кызы", "ұлы", "улы", "ова", "ева", "ёва", "ина", "ов",
    "ев", "ёв", "ин", "ovna", "evna", "ovich", "evich", "qizi", "kyzy", "kizi", "uly", "ova",
    "eva", "ina", "ov", "ev", "in",
];

/// A broad Latin spelling with the vowel conventions of the scripts made alike (Cyrillic е
/// written ie, Kazakh ә written ä, я written ia).
fn loose(broad: &str) -> String {
    let s = broad
        .replace("ie", "e")
        .replace("io", "o")
        .replace("iu", "u")
        .replace("ia", "a")
        .replace(['ä', 'á'], "a")
        .replace(['ö', 'ó'], "o")
        .replace(['ü', 'ú'], "u")
        .replace(['é', 'ë'], "e")
        .replace('ı', "i");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// Levenshtein distance of two short strings, stopping early above `max`.
fn within(a: &str, b: &str, max: usize) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= max
}

/// Every name part of every person in a bundle, each with the index of its pseudonym.
pub(crate) struct Needles {
    parts: Vec<Part>,
    pseudonyms: Vec<String>,
    /// Cross-script keys (strict and loose) → the parts that have them.
    by_key: HashMap<String, Vec<usize>>,
}

/// Lower case without the traps: compatibility forms (Arabic presentation forms, full-width
/// letters) to their plain letters, Turkish İ and ı to i, Arabic vowel marks, tatweel and the
/// Kazakh high hamza (ٴ, written before a word with front vowels) dropped, and so are
/// invisible characters (a soft hyphen or zero-width joiner inside a name hides nothing).
pub(crate) fn fold_case(s: &str) -> String {
    s.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_mark(*c) && !is_ignorable(*c))
        .map(|c| if c == 'ı' { 'i' } else { c })
        .collect()
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0610..=0x061A | 0x0640 | 0x064B..=0x065F | 0x0670 | 0x0674 | 0x06D6..=0x06ED)
}

fn is_han(c: char) -> bool {
    crate::search::is_han(c)
}

fn ends_in_vowel_like(s: &str) -> bool {
    s.chars()
        .last()
        .is_some_and(|c| "аәеёиіоөуұүыэюяйьaeiouy".contains(c))
}

/// A Cyrillic diminutive of `name`: a short word (three to five letters) ending in а or я whose
/// stem begins the name (the soft sign aside): Гуля for Гульнар, Ержа for Ержан.
fn is_diminutive(word: &str, word_len: usize, name: &str) -> bool {
    if !(3..=5).contains(&word_len) || name.chars().count() < 5 {
        return false;
    }
    let Some(stem) = word.strip_suffix('я').or_else(|| word.strip_suffix('а')) else {
        return false;
    };
    let plain: String = name.chars().filter(|c| *c != 'ь').collect();
    stem.chars().count() >= 3
        && stem
            .chars()
            .all(|c| ('а'..='я').contains(&c) || "әғқңөұүһі".contains(c))
        && plain.starts_with(stem)
        && plain != word
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c) || is_ignorable(c) || matches!(c, '\'' | '’' | 'ʼ' | 'ʻ')
}

impl Needles {
    /// `persons`: for each person, its pseudonym and its names as recorded.
    pub(crate) fn new<'a>(persons: impl Iterator<Item = (String, Vec<&'a str>)>) -> Needles {
        let mut n = Needles {
            parts: Vec::new(),
            pseudonyms: Vec::new(),
            by_key: HashMap::new(),
        };
        for (pseudonym, names) in persons {
            let index = match n.pseudonyms.iter().position(|p| *p == pseudonym) {
                Some(i) => i,
                None => {
                    n.pseudonyms.push(pseudonym);
                    n.pseudonyms.len() - 1
                }
            };
            for name in names {
                for word in name.split(|c: char| {
                    c.is_whitespace() || matches!(c, '.' | '·' | '・' | ',' | '•' | '‧')
                }) {
                    // "Mihri-gul": each piece, and the whole written without the hyphen.
                    for part in word.split(is_hyphen) {
                        n.add_part(part, index);
                    }
                    if word.contains(is_hyphen) {
                        n.add_part(&word.replace(is_hyphen, ""), index);
                    }
                }
            }
        }
        n
    }

    fn add_part(&mut self, part: &str, pseudonym: usize) {
        let folded: String = fold_case(part)
            .chars()
            .filter(|c| is_word_char(*c) && !matches!(c, '\'' | '’' | 'ʼ' | 'ʻ'))
            .collect();
        let chars: Vec<char> = folded.chars().collect();
        if chars.iter().all(|c| is_han(*c)) && (2..=4).contains(&chars.len()) {
            // 马文华: the given name alone, and the surname only as a word in another script.
            self.push_part(chars[1..].iter().collect(), pseudonym, false);
            self.push_part(chars[..1].iter().collect(), pseudonym, true);
        } else if !chars.iter().any(|c| is_han(*c)) {
            for ending in SURNAME_ENDINGS {
                if let Some(stem) = folded.strip_suffix(ending)
                    && stem.chars().count() >= 3
                {
                    self.push_part(stem.to_string(), pseudonym, false);
                    break;
                }
            }
        }
        self.push_part(folded, pseudonym, false);
    }

    fn push_part(&mut self, folded: String, pseudonym: usize, whole_word_only: bool) {
        let chars = folded.chars().count();
        let han = folded.chars().all(is_han);
        let too_short = if whole_word_only {
            chars < 1
        } else {
            chars < 2
        };
        if too_short || self.parts.iter().any(|p| p.folded == folded) {
            return;
        }
        let stem = (!han && chars >= 4 && ends_in_vowel_like(&folded)).then(|| {
            let mut s = folded.clone();
            s.pop();
            s
        });
        let keys = fold_word_keys(&folded);
        let index = self.parts.len();
        if let Some((strict, loose)) = &keys {
            for k in [strict, loose] {
                let list = self.by_key.entry(k.clone()).or_default();
                if !list.contains(&index) {
                    list.push(index);
                }
            }
        }
        self.parts.push(Part {
            broad: loose(&broad_spelling(&folded)),
            key_len: keys.as_ref().map_or(0, |(s, _)| s.len()),
            folded,
            stem,
            han,
            whole_word_only,
            pseudonym,
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The pseudonym a word stands for, if it is a name.
    fn match_word(&self, word: &str) -> Option<usize> {
        let folded = fold_case(word);
        let mut best: Option<(usize, usize)> = None; // (matched length, part)
        let mut consider = |len: usize, i: usize| {
            if best.is_none_or(|(l, _)| len > l) {
                best = Some((len, i));
            }
        };
        let word_len = folded.chars().count();
        for (i, p) in self.parts.iter().enumerate() {
            if p.han || p.whole_word_only {
                continue;
            }
            if folded.starts_with(&p.folded) {
                consider(p.folded.len() + 1, i);
            } else if let Some(stem) = &p.stem
                && folded.starts_with(stem.as_str())
            {
                consider(stem.len(), i);
            } else if is_diminutive(&folded, word_len, &p.folded) {
                consider(1, i);
            }
        }
        if let Some((_, i)) = best {
            return Some(self.parts[i].pseudonym);
        }
        // Another script: the word, or the word without its endings, has a part's key.
        let chars: Vec<char> = folded.chars().collect();
        for cut in 0..=FOREIGN_SUFFIX_MAX.min(chars.len().saturating_sub(1)) {
            let stem: String = chars[..chars.len() - cut].iter().collect();
            let Some((strict, loose_key)) = fold_word_keys(&stem) else {
                continue;
            };
            let spelled = loose(&broad_spelling(&stem));
            for key in [&strict, &loose_key] {
                for &i in self.by_key.get(key).into_iter().flatten() {
                    let p = &self.parts[i];
                    let same = match p.key_len {
                        _ if p.whole_word_only => cut == 0 && spelled == p.broad,
                        0 | 1 => spelled == p.broad,
                        2 if p.han => chars.len() - cut >= 4,
                        2 => within(&spelled, &p.broad, 1),
                        _ => true,
                    };
                    if same {
                        return Some(p.pseudonym);
                    }
                }
            }
        }
        None
    }

    /// A word whose pieces are joined by hyphens or invisible characters, cut into names and
    /// the rest: the longest run of pieces that is a name, taken without its joiners
    /// ("Ер\u{ad}жанат", "Mihri-gul"), is one name with the invisible characters next to it;
    /// a piece that is a name on its own still goes ("полиция\u{200b}Абайды").
    fn match_joined(&self, word: &[char]) -> Vec<((usize, usize), Option<usize>)> {
        let segments = joiners::segments(word);
        let mut out = Vec::new();
        let (mut a, mut done) = (0, 0);
        while a < segments.len() {
            let found = (a..segments.len()).rev().find_map(|b| {
                let joined = joiners::without_joiners(&word[segments[a].0..segments[b].1]);
                self.match_word(&joined).map(|who| (b, who))
            });
            let Some((b, who)) = found else {
                a += 1;
                continue;
            };
            let (mut from, mut to) = (segments[a].0, segments[b].1);
            while from > done && is_ignorable(word[from - 1]) {
                from -= 1;
            }
            while to < word.len() && is_ignorable(word[to]) {
                to += 1;
            }
            if from > done {
                out.push(((done, from), None));
            }
            out.push(((from, to), Some(who)));
            done = to;
            a = b + 1;
        }
        if done < word.len() {
            out.push(((done, word.len()), None));
        }
        out
    }

    /// The pseudonym of the name part at the start of a run of Chinese characters, and how
    /// many characters it takes.
    fn match_han(&self, run: &[char]) -> Option<(usize, usize)> {
        // Recorded in characters: the longest part that is there.
        let mut best: Option<(usize, usize)> = None;
        for p in self.parts.iter().filter(|p| p.han && !p.whole_word_only) {
            let n = p.folded.chars().count();
            if run.len() >= n
                && run[..n].iter().copied().eq(p.folded.chars())
                && best.is_none_or(|(l, _)| n > l)
            {
                best = Some((n, p.pseudonym));
            }
        }
        if let Some((n, pseudonym)) = best {
            return Some((pseudonym, n));
        }
        // Recorded in another script: the longest stretch whose key is a part's key.
        for n in (2..=HAN_NAME_MAX.min(run.len())).rev() {
            let s: String = run[..n].iter().collect();
            let Some((strict, loose)) = fold_word_keys(&s) else {
                continue;
            };
            for key in [&strict, &loose] {
                let found = self
                    .by_key
                    .get(key)
                    .into_iter()
                    .flatten()
                    .map(|&i| &self.parts[i])
                    .find(|p| !p.whole_word_only && (p.key_len > 1 || p.han));
                if let Some(p) = found {
                    return Some((p.pseudonym, n));
                }
            }
        }
        None
    }

    /// Splits `text` into kept pieces and replaced names. Adjacent names of one person
    /// (given name and family name) become one pseudonym.
    pub(crate) fn redact(&self, text: &str) -> Vec<Piece> {
        let mut out: Vec<Piece> = Vec::new();
        if self.is_empty() || text.is_empty() {
            out.push(Piece::Kept(text.to_string()));
            return out;
        }
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut kept = String::new();
        let push_name = |out: &mut Vec<Piece>, kept: &mut String, original: String, who: usize| {
            // "Ержанат Абай" (or 叶尔扎那提·阿拜) is one person, one pseudonym.
            if let Some(Piece::Replaced { original: prev, by }) = out.last_mut()
                && *by == self.pseudonyms[who]
                && kept
                    .chars()
                    .all(|c| c.is_whitespace() || is_ignorable(c) || matches!(c, '·' | '-' | '・'))
            {
                prev.push_str(kept);
                prev.push_str(&original);
                kept.clear();
                return;
            }
            if !kept.is_empty() {
                out.push(Piece::Kept(std::mem::take(kept)));
            }
            out.push(Piece::Replaced {
                original,
                by: self.pseudonyms[who].clone(),
            });
        };
        while i < chars.len() {
            let c = chars[i];
            if is_han(c) {
                // The run goes on over invisible characters (叶尔\u{200b}扎那提 is one name),
                // which are matched without and replaced with the characters around them.
                let end = (i..chars.len())
                    .find(|&j| !is_han(chars[j]) && !is_ignorable(chars[j]))
                    .unwrap_or(chars.len());
                let at: Vec<usize> = (i..end).filter(|&j| is_han(chars[j])).collect();
                let run: Vec<char> = at.iter().map(|&j| chars[j]).collect();
                let (mut k, mut done) = (0, i);
                while k < run.len() {
                    match self.match_han(&run[k..]) {
                        Some((who, n)) => {
                            kept.extend(&chars[done..at[k]]);
                            done = at[k + n - 1] + 1;
                            let original: String = chars[at[k]..done].iter().collect();
                            push_name(&mut out, &mut kept, original, who);
                            k += n;
                        }
                        None => k += 1,
                    }
                }
                kept.extend(&chars[done..end]);
                i = end;
            } else if is_word_char(c) && !matches!(c, '\'' | '’' | 'ʼ' | 'ʻ') {
                // A word goes on across a hyphen followed by a letter: "Mihri-gul" is one.
                let mut end = i;
                loop {
                    end = (end..chars.len())
                        .find(|&j| !is_word_char(chars[j]) || is_han(chars[j]))
                        .unwrap_or(chars.len());
                    match chars.get(end..end + 2) {
                        Some(&[h, next]) if is_hyphen(h) && is_word_char(next) && !is_han(next) => {
                            end += 1
                        }
                        _ => break,
                    }
                }
                // An apostrophe at the end is punctuation, not part of the word.
                let mut word_end = end;
                while word_end > i && matches!(chars[word_end - 1], '\'' | '’' | 'ʼ' | 'ʻ') {
                    word_end -= 1;
                }
                let word = &chars[i..word_end];
                for ((from, to), who) in self.match_joined(word) {
                    let piece: String = word[from..to].iter().collect();
                    match who {
                        Some(who) => push_name(&mut out, &mut kept, piece, who),
                        None => kept.push_str(&piece),
                    }
                }
                kept.extend(&chars[word_end..end]);
                i = end;
            } else {
                kept.push(c);
                i += 1;
            }
        }
        if !kept.is_empty() {
            out.push(Piece::Kept(kept));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(persons: &[(&str, &[&str])]) -> Needles {
        Needles::new(
            persons
                .iter()
                .map(|(p, names)| (p.to_string(), names.to_vec())),
        )
    }

    fn redacted(n: &Needles, text: &str) -> String {
        joined(&n.redact(text))
    }

    #[test]
    fn inflected_names_go_in_every_script() {
        let n = needles(&[
            ("P1", &["Ержанат Абай", "ئەرجانات ئاباي"]),
            ("P2", &["İlham Tohti"]),
        ]);
        let out = redacted(
            &n,
            "Ержанатты полиция ұстады. Абайдың інісі келді. ئەرجاناتنىڭ ئاكىسى. \
             ILHAM and ilham's friend; Абая увезли.",
        );
        for leak in ["Ержанат", "Абай", "ئەرجانات", "ILHAM", "ilham", "Абая"]
        {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert!(
            out.contains("полиция ұстады") && out.contains("інісі келді"),
            "{out}"
        );
    }

    #[test]
    fn a_name_recorded_in_one_script_goes_where_the_text_uses_another() {
        let n = needles(&[("P1", &["Ержанат Абай"])]);
        let out = redacted(
            &n,
            "Yerzhanat's brother; 叶尔扎那提被拘留; ئەرجاناتقا; Abai spoke.",
        );
        for leak in ["Yerzhanat", "叶尔扎那提", "ئەرجانات", "Abai"] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert!(out.contains("被拘留") && out.contains("brother"), "{out}");
    }

    #[test]
    fn a_short_key_does_not_take_every_word_that_starts_like_it() {
        let n = needles(&[("P1", &["Абай"])]);
        let out = redacted(&n, "He talked about the camp with Abay.");
        assert!(out.contains("about"), "{out}");
        assert!(!out.contains("Abay"), "{out}");
    }

    /// The output with every default-ignorable character taken out, as a reader sees it.
    fn visible(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(*c as u32, 0xAD | 0x200B..=0x200F | 0x2060..=0x206F | 0xFEFF))
            .collect()
    }

    #[test]
    fn invisible_characters_and_hyphens_inside_a_name_do_not_hide_it() {
        let n = needles(&[
            ("P1", &["Ержанат Абай", "ئەرجانات ئاباي"]),
            ("P2", &["Mihrigul Tursun"]),
            ("P3", &["Ali-jan Qadir"]),
        ]);
        let text = "Ер\u{ad}жанат | Ер\u{200b}жанат | ئەر\u{200c}جانات | Ер\u{200d}жанатты | \
                    Ер\u{2060}жанат | Ер\u{feff}жанат | \u{200b}Ержанат | Mihri-gul | Mihri\u{2011}gul's | \
                    Alijan | полиция\u{200b}Абайды ұстады";
        let out = redacted(&n, text);
        let seen = visible(&out);
        for leak in [
            "Ержанат",
            "ئەرجانات",
            "Mihri",
            "gul",
            "Alijan",
            "Абай",
            "жанат",
        ] {
            assert!(!seen.contains(leak), "{leak} in {out:?}");
        }
        // The replaced span covers the invisible characters: none is left behind.
        assert_eq!(seen, out, "{out:?}");
        assert!(seen.contains("ұстады"), "{out:?}");
    }

    #[test]
    fn kazakh_arabic_high_hamza_and_tatweel_do_not_hide_a_name() {
        let n = needles(&[("P1", &["Гүлнар Сейтқали"])]);
        let out = redacted(&n, "ٴگۇلنار | ٴگۇلناردىڭ | گۇلـنار | گۇلنار ٴۇيدە");
        assert_eq!(out, "P1 | P1 | P1 | P1 ٴۇيدە");
    }

    #[test]
    fn a_full_name_becomes_one_pseudonym() {
        let n = needles(&[("Person X", &["Ержанат Абай"])]);
        assert_eq!(redacted(&n, "Ержанат Абай келді."), "Person X келді.");
        let pieces = n.redact("Ержанат Абай келді.");
        assert_eq!(
            pieces[0],
            Piece::Replaced {
                original: "Ержанат Абай".into(),
                by: "Person X".into()
            }
        );
    }
}
