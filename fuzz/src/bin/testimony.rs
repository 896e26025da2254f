//! A testimony as JSON: what `amanat add` and `amanat edit` read, and what every revision of
//! a bundle carries.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok(t) = amanat::Testimony::from_json(text) {
                // What is accepted survives its own JSON.
                let json = t.to_value().map(|v| v.to_string()).unwrap_or_default();
                assert!(amanat::Testimony::from_json(&json).is_ok(), "{json}");
            }
        }
    });
}
