//! A key file: its decrypted text, or a whole recovery.age opened with the recovery key.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::key_file(data);
    });
}
