//! An attached file's name and first bytes: media sniffing, the name and kind checks, Range headers.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::attachment(data);
    });
}
