//! A recovery key as typed or read from the file the app saved.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::recovery(data);
    });
}
