//! The letter tables behind cross-script folding, kept as data: each script's letters to a
//! broad Latin spelling (digraphs like `zh`, `sh`, `kh`, `gh`, `ng` kept), which
//! [`super::fold`] then reduces to a phonetic key. `any_ascii` covers every other script;
//! these tables exist where it is wrong or ambiguous for Kazakh and Uyghur names.

/// Cyrillic: Russian, Kazakh and Uyghur Cyrillic letters (lower case).
pub(super) const CYRILLIC: &[(char, &str)] = &[
    ('а', "a"),
    ('ә', "ä"),
    ('б', "b"),
    ('в', "v"),
    ('г', "g"),
    ('ғ', "gh"),
    ('д', "d"),
    ('е', "ye"),
    ('ё', "yo"),
    ('ж', "zh"),
    ('җ', "j"),
    ('з', "z"),
    ('и', "i"),
    ('й', "y"),
    ('к', "k"),
    ('қ', "q"),
    ('л', "l"),
    ('м', "m"),
    ('н', "n"),
    ('ң', "ng"),
    ('о', "o"),
    ('ө', "ö"),
    ('п', "p"),
    ('р', "r"),
    ('с', "s"),
    ('т', "t"),
    ('у', "u"),
    ('ұ', "u"),
    ('ү', "ü"),
    ('ў', "w"),
    ('ф', "f"),
    ('х', "kh"),
    ('һ', "h"),
    ('ц', "ts"),
    ('ч', "ch"),
    ('ш', "sh"),
    ('щ', "shch"),
    ('ъ', ""),
    ('ы', "y"),
    ('і', "i"),
    ('ь', ""),
    ('э', "e"),
    ('ю', "yu"),
    ('я', "ya"),
];

/// Uyghur in Arabic script (UEY), with the Arabic and Persian forms of the same letters that
/// keyboards produce. The hamza carrier (ئ) only marks a vowel at the start of a syllable.
pub(super) const ARABIC: &[(char, &str)] = &[
    ('ئ', ""),
    ('ء', ""),
    ('ا', "a"),
    ('آ', "a"),
    ('أ', "a"),
    ('إ', "i"),
    ('ە', "e"),
    ('ه', "e"),
    ('ة', "e"),
    ('ب', "b"),
    ('پ', "p"),
    ('ت', "t"),
    ('ث', "s"),
    ('ج', "j"),
    ('چ', "ch"),
    ('ح', "h"),
    ('خ', "kh"),
    ('د', "d"),
    ('ذ', "z"),
    ('ر', "r"),
    ('ز', "z"),
    ('ژ', "zh"),
    ('س', "s"),
    ('ش', "sh"),
    ('ص', "s"),
    ('ض', "z"),
    ('ط', "t"),
    ('ظ', "z"),
    ('ع', ""),
    ('غ', "gh"),
    ('ف', "f"),
    ('ق', "q"),
    ('ك', "k"),
    ('ک', "k"),
    ('گ', "g"),
    ('ڭ', "ng"),
    ('ل', "l"),
    ('م', "m"),
    ('ن', "n"),
    ('ھ', "h"),
    ('و', "o"),
    ('ۇ', "u"),
    ('ۆ', "ö"),
    ('ۈ', "ü"),
    ('ۋ', "w"),
    ('ې', "ë"),
    ('ى', "i"),
    ('ي', "y"),
    ('ی', "y"),
];

/// Latin letters with marks from Kazakh (2021), Turkish, Uyghur Latin (ULY) and Uzbek
/// spellings whose plain-ASCII reading would lose the sound (ş is `sh`, not `s`).
pub(super) const LATIN: &[(char, &str)] = &[
    ('ş', "sh"),
    ('ș', "sh"),
    ('š', "sh"),
    ('ç', "ch"),
    ('č', "ch"),
    ('ž', "zh"),
    ('ğ', "gh"),
    ('ñ', "ng"),
    ('ŋ', "ng"),
    ('ı', "i"),
    ('ʼ', "'"),
    ('’', "'"),
    ('ʻ', "'"),
    ('‘', "'"),
];

/// Kazakh Latin of 2017 writes the extra letters with an apostrophe after the letter
/// (`s'` for ш, `g'` for ғ, `n'` for ң, `c'` for ч). ULY uses the apostrophe only to split
/// syllables, so only these pairs are read as one letter.
pub(super) const APOSTROPHE_2017: &[(char, &str)] = &[
    ('a', "ä"),
    ('o', "ö"),
    ('u', "ü"),
    ('y', "u"),
    ('i', "i"),
    ('g', "gh"),
    ('n', "ng"),
    ('s', "sh"),
    ('c', "ch"),
];

/// Pinyin initials as Kazakh and Uyghur names written in Chinese characters use them:
/// `x` and `q` stand for `sh` and `ch`, `c` for `ts`.
pub(super) const PINYIN_INITIALS: &[(&str, &str)] = &[
    ("zh", "zh"),
    ("ch", "ch"),
    ("sh", "sh"),
    ("x", "sh"),
    ("q", "ch"),
    ("c", "ts"),
    ("j", "j"),
];

/// The phonetic classes a broad Latin spelling is reduced to, longest spelling first:
/// sounds that transliterations of the same name write differently share a class
/// (`zh`/`j`/`c`/`ch`, `k`/`q`/`g`/`gh`/`kh`/`h`/`x`, `b`/`p`/`f`/`v`/`w`, `d`/`t`,
/// `s`/`z`/`sh`/`ts`, `l`/`r` — Chinese writes both `r` and `l` with `l`), `ng` is `n`.
/// Vowels (and `y`) are dropped after the first letter.
pub(super) const CLASSES: &[(&str, char)] = &[
    ("shch", 's'),
    ("dzh", 'j'),
    ("tch", 'j'),
    ("sch", 's'),
    ("zh", 'j'),
    ("ch", 'j'),
    ("sh", 's'),
    ("ts", 's'),
    ("kh", 'k'),
    ("gh", 'k'),
    ("ng", 'n'),
    ("ph", 'b'),
    ("b", 'b'),
    ("p", 'b'),
    ("f", 'b'),
    ("v", 'b'),
    ("w", 'b'),
    ("c", 'j'),
    ("j", 'j'),
    ("k", 'k'),
    ("q", 'k'),
    ("g", 'k'),
    ("h", 'k'),
    ("x", 'k'),
    ("d", 't'),
    ("t", 't'),
    ("s", 's'),
    ("z", 's'),
    ("l", 'r'),
    ("r", 'r'),
    ("m", 'm'),
    ("n", 'n'),
];

/// Vowels after transliteration; `y` counts as one (Kazakh ы, the glide in `ai`/`ay`).
pub(super) fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö' | 'ü' | 'ë' | 'é' | 'ə' | 'ū'
    )
}

pub(super) fn lookup(table: &[(char, &'static str)], c: char) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_each_letter_once() {
        for table in [CYRILLIC, ARABIC, LATIN, APOSTROPHE_2017] {
            let mut keys: Vec<char> = table.iter().map(|(k, _)| *k).collect();
            keys.sort_unstable();
            let n = keys.len();
            keys.dedup();
            assert_eq!(keys.len(), n, "a letter is listed twice");
        }
    }

    #[test]
    fn every_kazakh_and_uyghur_cyrillic_letter_is_in_the_table() {
        for c in "аәбвгғдеёжҗзийкқлмнңоөпрстуұүўфхһцчшщъыіьэюя".chars()
        {
            assert!(lookup(CYRILLIC, c).is_some(), "{c} missing");
        }
    }

    #[test]
    fn every_uyghur_arabic_letter_is_in_the_table() {
        for c in "ئابپتجچخدرزژسشغفقكگڭلمنھوۇۆۈۋېىيە".chars() {
            assert!(lookup(ARABIC, c).is_some(), "{c} missing");
        }
    }

    #[test]
    fn classes_are_tried_longest_first() {
        for (i, (a, _)) in CLASSES.iter().enumerate() {
            for (b, _) in &CLASSES[i + 1..] {
                assert!(
                    !(b.len() > a.len() && b.starts_with(a)),
                    "{b} would never match after {a}"
                );
            }
        }
    }
}
