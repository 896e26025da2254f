//! An EDTF date as typed in any date field or carried by a revision.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok(d) = amanat::edtf::Edtf::parse(text) {
                // Its bounds are ordered, and its text reads back to the same value.
                if let (Some(lo), Some(hi)) = (d.lower(), d.upper()) {
                    assert!(lo <= hi, "{text}: {lo} > {hi}");
                }
                assert_eq!(amanat::edtf::Edtf::parse(&d.to_string()).ok(), Some(d));
            }
            let _ = amanat::understand_date(text);
        }
    });
}
