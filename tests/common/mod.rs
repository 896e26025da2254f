//! Helpers shared by the integration tests: vaults with a cheap KDF, testimonies in every
//! script, and a scanner for plaintext on disk.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amanat::secrecy::SecretString;
use amanat::{CreateOptions, KdfCost, RecoveryKey, Testimony, Vault};

/// A KDF cheap enough to open a vault hundreds of times in a test run.
pub const TEST_KDF: KdfCost = KdfCost::InsecureForTests(10);
pub const PASSPHRASE: &str = "correct horse battery staple";

pub fn pass() -> SecretString {
    SecretString::from(PASSPHRASE.to_string())
}

pub fn create(dir: &Path) -> (Vault, RecoveryKey) {
    let opts = CreateOptions {
        name: "Test device".into(),
        kdf: TEST_KDF,
    };
    Vault::create(dir, &pass(), &opts).unwrap_or_else(|e| panic!("create: {e}"))
}

pub fn open(dir: &Path) -> Vault {
    Vault::open(dir, &pass()).unwrap_or_else(|e| panic!("open: error[{}] {e}", e.code()))
}

/// A testimony whose texts carry `canary` in Cyrillic, Arabic script and Han.
pub fn testimony(code: &str, canary: &str) -> Testimony {
    let json = serde_json::json!({
        "code": code,
        "interview_date": "2025-03-31",
        "medium": "video_call",
        "languages": ["kk", "ug", "zh"],
        "summary": format!("Қысқаша {canary}"),
        "narrative": format!("Менің інім {canary}Ұсталды. ئىنىم {canary}تۇتۇلدى. 我弟弟{canary}被拘留。"),
        "testifier": {"names": [
            {"name": format!("Ержанат{canary}"), "script": "Cyrl"},
            {"name": format!("ئەرجانات{canary}"), "script": "Arab"},
            {"name": format!("叶尔扎那提{canary}"), "script": "Hans"}],
            "birth": "2002-04-11", "hometown": "Gongliu County"},
        "events": [{"kind": "detention", "start": "2018-21", "place": "Zharkent"}],
        "consents": [{"scopes": {"store_internally": "granted", "publish_anonymised": "granted"}}]
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("testimony: {e}"))
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// Every file under `root` whose bytes contain `needle` in UTF-8, UTF-16LE or UTF-16BE.
pub fn files_containing(root: &Path, needle: &str) -> Vec<PathBuf> {
    let utf8 = needle.as_bytes().to_vec();
    let le: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let be: Vec<u8> = needle
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    let mut hits = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&p)
            && [&utf8, &le, &be]
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        {
            hits.push(p);
        }
    }
    hits
}

/// Copies a directory tree (vault files are small in tests).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("read_dir: {e}"))
        .flatten()
    {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap_or_else(|err| panic!("copy: {err}"));
        }
    }
}

/// Starts the child test `name` with `env`, kill -9s it after `pause`, and returns the lines
/// it printed. Fails if the child stopped by itself (a writer must never stop on its own).
pub fn run_and_kill(
    exe: &Path,
    name: &str,
    env: &[(&str, &Path)],
    pause: Duration,
    round: u32,
) -> Vec<String> {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let stdout = child.stdout.take();
    let reader = {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            if let Some(out) = stdout {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Ok(mut l) = lines.lock() {
                        l.push(line);
                    }
                }
            }
        })
    };
    std::thread::sleep(pause);
    let exited_early = child.try_wait().ok().flatten();
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
    let _ = reader.join();
    if let Some(s) = exited_early {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("round {round}: {name} stopped by itself ({s}): {err}");
    }
    assert!(!status.success());
    lines.lock().map(|l| l.clone()).unwrap_or_default()
}

/// The number of kills for a crash test: `AMANAT_CRASH_KILLS`, else `default`.
pub fn crash_kills(default: u32) -> u32 {
    std::env::var("AMANAT_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where a crash test keeps its vault: `AMANAT_CRASH_DIR` keeps it for inspection after a
/// failure; otherwise a folder in `root`.
pub fn crash_dir(root: &Path) -> PathBuf {
    std::env::var("AMANAT_CRASH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("v"))
}

/// The names of the files in a vault's `blobs/`, sorted.
pub fn blob_files(vault: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(vault.join("blobs"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Marks the bytes of test files made by `png_like`, to search for them in plaintext.
pub const MEDIA_MARKER: &[u8] = b"AMANAT-MEDIA-MARKER-7f3a9c";

/// Writes a file of `len` bytes that sniffs as a PNG: the signature, then a pseudo-random
/// body (from `seed`) with `MEDIA_MARKER` every 256 KiB, so that each read at an offset has
/// content that can be told apart. Returns the bytes.
pub fn png_like(path: &Path, len: usize, seed: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity(len);
    data.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let mut x: u32 = seed | 1;
    while data.len() < len {
        if data.len() % (256 * 1024) == 1024 {
            data.extend_from_slice(MEDIA_MARKER);
            continue;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(x as u8);
    }
    data.truncate(len);
    std::fs::write(path, &data).unwrap_or_else(|e| panic!("write: {e}"));
    data
}

/// Every file under `dir`, at any depth, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Temporary files (`*.tmp`: complete-or-discardable copies) under `dir`.
pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// Every file under a vault with its bytes (the lock file excluded): to show that a refused
/// operation left the vault byte for byte as it was.
pub fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

/// A recipient who is only an age key (as someone with `rage` would have) and its card; `seed`
/// makes its signing key (two outsiders in one vault need two seeds).
pub fn outsider(name: &str, seed: u8) -> (age::x25519::Identity, String) {
    let identity = age::x25519::Identity::generate();
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key();
    let card = amanat::ContactCard::new(name, &identity.to_public(), key)
        .unwrap_or_else(|e| panic!("card: {e}"));
    (identity, card.to_string())
}

/// A bundle decrypted with a recipient's age key: the tar stream.
pub fn decrypt(identity: &age::x25519::Identity, bundle: &Path) -> Vec<u8> {
    use std::io::Read;
    let f = std::fs::File::open(bundle).unwrap_or_else(|e| panic!("{e}"));
    let d = age::Decryptor::new(std::io::BufReader::new(f)).unwrap_or_else(|e| panic!("{e}"));
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .unwrap_or_else(|e| panic!("decrypt: {e}"));
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap_or_else(|e| panic!("{e}"));
    out
}

/// One member of a decrypted bundle's tar stream.
pub fn tar_member(tar_bytes: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut a = tar::Archive::new(tar_bytes);
    for e in a.entries().unwrap_or_else(|e| panic!("{e}")) {
        let mut e = e.unwrap_or_else(|e| panic!("{e}"));
        if e.path_bytes().as_ref() == name.as_bytes() {
            let mut out = Vec::new();
            e.read_to_end(&mut out).unwrap_or_else(|e| panic!("{e}"));
            return out;
        }
    }
    panic!("no {name}")
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Compiles the fault shim (tests/fault/fault.c: LD_PRELOAD, counts writes, fsyncs and
/// renames, and fails or kills at the n-th) into `dir`.
pub fn fault_shim(dir: &Path) -> PathBuf {
    let shim = dir.join("libfault.so");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fault/fault.c");
    let built = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&shim)
        .arg(&src)
        .arg("-ldl")
        .status()
        .unwrap_or_else(|e| panic!("cc: {e}"));
    assert!(built.success(), "the fault shim does not compile");
    shim
}

/// How a child test run under the fault shim ended.
pub struct ShimRun {
    pub stdout: String,
    /// Killed by SIGKILL (the shim's kill mode).
    pub killed: bool,
}

impl ShimRun {
    /// The text after `label ` on the first line that has it ("" if none).
    pub fn said(&self, label: &str) -> String {
        let needle = format!("{label} ");
        self.stdout
            .lines()
            .find_map(|l| l.split_once(&needle).map(|(_, v)| v.to_string()))
            .unwrap_or_default()
    }
}

/// Runs the ignored child test `name` of this test binary with the shim preloaded and
/// `env` set; a child that was not killed must have succeeded.
pub fn run_under_shim(shim: &Path, name: &str, env: &[(&str, String)]) -> ShimRun {
    use std::os::unix::process::ExitStatusExt;
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("exe: {e}"));
    let mut cmd = Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ])
    .env("LD_PRELOAD", shim);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("child: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let killed = out.status.signal() == Some(9);
    if !killed {
        assert!(
            out.status.success(),
            "the child failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ShimRun { stdout, killed }
}

/// How many writes, fsyncs and renames the child `name` makes with `env`, and its run.
pub fn count_under_shim(
    shim: &Path,
    dir: &Path,
    name: &str,
    env: &[(&str, String)],
) -> (u64, ShimRun) {
    let count_file = dir.join("fault-count");
    let mut env = env.to_vec();
    env.push(("AMANAT_FAULT_COUNT", count_file.to_string_lossy().into()));
    let run = run_under_shim(shim, name, &env);
    let points = std::fs::read_to_string(&count_file)
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or(0);
    (points, run)
}

/// Adds `b` to `a`'s contacts as `name`, with `trust`.
pub fn know(a: &mut Vault, b: &Vault, name: &str, trust: amanat::model::ContactTrust) {
    let card = b
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    a.add_contact(&card, Some(name), trust)
        .unwrap_or_else(|e| panic!("{e}"));
}

static BUNDLES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Exports `sel` in full from `from` to its contact `to` into a new file under `root`, and
/// imports it into `into`: the import's report, or None if there was nothing to export.
pub fn ship(
    root: &Path,
    from: &mut Vault,
    to: &str,
    sel: amanat::bundle::Selection,
    into: &mut Vault,
) -> Option<amanat::bundle::ImportReport> {
    let n = BUNDLES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let out = root.join(format!("b{n}.amanat"));
    let req = amanat::bundle::ExportRequest {
        to: vec![to.into()],
        profile: amanat::model::ExportProfile::Full,
        selection: sel,
    };
    let mut go = |_| true;
    match from.export_bundle(&req, &out, &mut go) {
        Ok(_) => {}
        Err(e) if e.code() == "nothing_to_export" => return None,
        Err(e) => panic!("export: error[{}] {e}", e.code()),
    }
    Some(
        into.import_bundle(&out, &amanat::bundle::ImportOptions::default(), &mut go)
            .unwrap_or_else(|e| panic!("import: error[{}] {e}", e.code())),
    )
}

/// A testimony whose consent lets it go inside the organisation and to partners.
pub fn shared(code: &str) -> Testimony {
    Testimony::from_json(
        &serde_json::json!({
            "code": code,
            "summary": "first version",
            "narrative": "The witness's own words.",
            "testifier": {"names": [{"name": "Айгүл Бекмұрат"}]},
            "consents": [{"scopes": {"store_internally": "granted", "share_with_partner": "granted"}}]
        })
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
