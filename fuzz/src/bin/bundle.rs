//! A decrypted bundle (the tar stream) as import reads it: manifest, signature, members,
//! revisions. Any input must give a result, never a panic.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = amanat::bundle::fuzz_read_plain(data, amanat_fuzz_fingerprint());
    });
}

/// The fingerprint the seeds list as their recipient (so the fuzzer gets past that check).
fn amanat_fuzz_fingerprint() -> &'static str {
    "00000-00000-00000-00000-00000"
}
