//! A decrypted bundle (the tar stream) as import reads it: manifest, signature, members,
//! revisions. Any input must give a result, never a panic.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::fuzzing::bundle(data);
    });
}
