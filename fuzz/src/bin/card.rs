//! A contact card, as pasted or read from a file.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok(card) = amanat::ContactCard::parse(text) {
                // What parses prints back to a card that parses to the same thing.
                let again = amanat::ContactCard::parse(&card.to_string());
                assert_eq!(again.ok().as_ref(), Some(&card));
            }
        }
    });
}
