//! Han text as overlapping character bigrams. The unicode61 tokenizer reads a run of
//! Chinese characters as one token, so a two-character word inside a sentence would never
//! be found; indexed as bigrams ("被拘留在" → "被拘 拘留 留在 在") any two or more
//! consecutive characters are a phrase of bigrams. The last character of each run is also
//! a token of its own, so one character is found as a prefix wherever it stands.

/// Chinese characters: the unified ideographs and their extensions and compatibility forms.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x323AF)
}

/// The maximal runs of Han characters in `text`.
pub fn runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_han(c)).filter(|r| !r.is_empty())
}

/// The tokens of one run: its bigrams, then its last character.
pub fn run_tokens(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    let mut out: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    out.extend(chars.last().map(char::to_string));
    out
}

/// The shadow column for `text`: every run's tokens, space-separated.
pub fn column(text: &str) -> String {
    let mut out = String::new();
    for run in runs(text) {
        for t in run_tokens(run) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t);
        }
    }
    out
}

/// An FTS5 query for one run typed by the user: a phrase of its bigrams, or a prefix query
/// for a single character.
pub fn query(run: &str) -> String {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() == 1 {
        return format!("\"{run}\" *");
    }
    let bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    format!("\"{}\"", bigrams.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_bigrams_and_a_last_character() {
        assert_eq!(
            column("他被拘留在乌鲁木齐。2018年"),
            "他被 被拘 拘留 留在 在乌 乌鲁 鲁木 木齐 齐 年"
        );
        assert_eq!(column("Almaty"), "");
        assert_eq!(column("阿"), "阿");
    }

    #[test]
    fn queries_are_phrases_of_bigrams() {
        assert_eq!(query("拘留"), "\"拘留\"");
        assert_eq!(query("乌鲁木齐"), "\"乌鲁 鲁木 木齐\"");
        assert_eq!(query("拘"), "\"拘\" *");
    }

    #[test]
    fn han_is_told_from_other_scripts() {
        assert!(is_han('叶') && is_han('𠀀'));
        assert!(!is_han('a') && !is_han('Ж') && !is_han('ئ') && !is_han('·') && !is_han('。'));
    }
}
