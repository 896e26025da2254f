//! Writes the valid inputs the fuzz targets start from (key files, log frames, snapshots,
//! attachments, recovery keys, searches) into the given folder, `fuzz/corpus` in the repo:
//! `cargo run --example fuzz_seeds -- fuzz/corpus`.
fn main() -> amanat::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "fuzz/corpus".into());
    amanat::fuzzing::write_seeds(&dir)
}
