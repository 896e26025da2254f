//! One of Amanat's own files after decryption, by the first byte: a log frame (read and
//! verified as opening a vault replays it), a draft (the editor's autosave), or the app's
//! settings file.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::vault_file(data);
    });
}
