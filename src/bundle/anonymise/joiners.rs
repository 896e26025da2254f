//! What may sit inside a written name without being a letter of it: invisible format
//! characters (a soft hyphen pasted from a document, zero-width spaces and joiners, a word
//! joiner, a byte-order mark, direction marks) and a hyphen ("Mihri-gul"). A reader does not
//! see the first and reads through the second, so matching must not stop at either.

/// Unicode's default-ignorable code points (DerivedCoreProperties.txt): drawn as nothing.
pub(super) fn is_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// A hyphen that joins the pieces of one word (not a dash, which separates).
pub(super) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

fn is_joiner(c: char) -> bool {
    is_ignorable(c) || is_hyphen(c)
}

/// The pieces of `word` between joiners, as ranges of positions.
pub(super) fn segments(word: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &c) in word.iter().enumerate() {
        match (is_joiner(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, word.len()));
    }
    out
}

/// `word` as it is matched: without its joiners.
pub(super) fn without_joiners(word: &[char]) -> String {
    word.iter().filter(|c| !is_joiner(**c)).collect()
}
