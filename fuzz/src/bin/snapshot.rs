//! A decrypted snapshot, read as opening a vault reads it (the index loaded before its signature is checked).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::snapshot(data);
    });
}
