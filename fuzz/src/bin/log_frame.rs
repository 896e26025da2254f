//! A decrypted log frame, read and verified as opening a vault replays it.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::log_frame(data);
    });
}
