//! A search as typed, or as the app sends it with filters (JSON), over a small index in four scripts.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::search(data);
    });
}
