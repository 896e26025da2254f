//! The attachment commands of the CLI (README), and a real full disk: a vault on an 8 MiB
//! tmpfs, mounted in a private mount namespace (`unshare --mount`, with `--map-root-user`
//! when not root), that runs out of space in the middle of an import.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn amanat(vault: &Path, pass: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amanat"))
        .arg("--vault")
        .arg(vault)
        .arg("--passphrase-file")
        .arg(pass)
        .args(args)
        .env("AMANAT_INSECURE_TEST_KDF", "10")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("AMANAT_LANG")
        .output()
        .unwrap_or_else(|e| panic!("run amanat: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(o: Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}", text(&o.stderr));
    text(&o.stdout)
}

fn png(path: &Path, len: usize) -> Vec<u8> {
    common::png_like(path, len, 0x4f6c_dd1d)
}

#[test]
fn attach_list_extract_and_detach_from_the_command_line() {
    let root = common::tempdir();
    let (vault, pass) = (root.path().join("v"), root.path().join("pass"));
    std::fs::write(&pass, common::PASSPHRASE).unwrap_or_default();
    ok(amanat(&vault, &pass, &["init"]), "init");
    let json = root.path().join("t.json");
    std::fs::write(&json, r#"{"code": "ALA-CLI-1"}"#).unwrap_or_default();
    ok(
        amanat(&vault, &pass, &["add", "--json", &json.to_string_lossy()]),
        "add",
    );
    let src = root.path().join("скан паспорта.png");
    let data = png(&src, 40 * 1024 * 1024);

    let o = amanat(
        &vault,
        &pass,
        &["attach", "ALA-CLI-1", &src.to_string_lossy()],
    );
    let out = ok(o.clone(), "attach");
    let sha = hex::encode(Sha256::digest(&data));
    let fields: Vec<&str> = out.trim().split('\t').collect();
    assert_eq!(
        fields.get(1..),
        Some(&["photo", sha.as_str(), "скан паспорта.png"][..]),
        "{out}"
    );
    // A 40 MiB file reports its progress on stderr.
    assert!(
        text(&o.stderr).contains("100% (40 of 40 MiB)"),
        "{}",
        text(&o.stderr)
    );
    let id = fields[0];

    let list = ok(
        amanat(&vault, &pass, &["attachments", "ALA-CLI-1"]),
        "attachments",
    );
    assert!(
        list.contains(id) && list.contains("image/png") && list.contains("40.0 MiB"),
        "{list}"
    );
    assert!(list.ends_with("1 attachments\n"), "{list}");

    let copy = root.path().join("copy.png");
    let copy_s = copy.to_string_lossy().to_string();
    ok(
        amanat(&vault, &pass, &["extract", id, "--out", &copy_s]),
        "extract",
    );
    assert_eq!(std::fs::read(&copy).unwrap_or_default(), data);
    let again = amanat(&vault, &pass, &["extract", id, "--out", &copy_s]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("error[invalid_input]"),
        "{}",
        text(&again.stderr)
    );

    let lie = root.path().join("photo.jpg");
    std::fs::write(&lie, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").unwrap_or_default();
    let refused = amanat(
        &vault,
        &pass,
        &["attach", "ALA-CLI-1", &lie.to_string_lossy()],
    );
    assert!(
        text(&refused.stderr)
            .contains("its name says image/jpeg but its content is application/pdf")
    );

    let verified = ok(amanat(&vault, &pass, &["verify"]), "verify");
    assert!(
        verified.contains("1 attachment files re-hashed"),
        "{verified}"
    );
    ok(
        amanat(&vault, &pass, &["detach", id, "--reason", "duplicate"]),
        "detach",
    );
    let list = ok(
        amanat(&vault, &pass, &["attachments", "ALA-CLI-1"]),
        "attachments",
    );
    assert_eq!(list, "0 attachments\n");
    let blobs = std::fs::read_dir(vault.join("blobs"))
        .map(|d| d.count())
        .unwrap_or(99);
    assert_eq!(blobs, 0);
}

/// The script run inside the private mount namespace: a vault on a small tmpfs, a file too
/// big for it, then what is left.
const FULL_DISK: &str = r#"
set -u
mount -t tmpfs -o size=8m tmpfs "$SMALL" || { echo "MOUNT FAILED"; exit 3; }
A() { "$AMANAT" --vault "$SMALL/v" --passphrase-file "$PASS" "$@"; }
A init >/dev/null || exit 4
A add --json "$JSON" >/dev/null || exit 5
A attach ALA-FULL-1 "$SRC" 2>"$ERR" >/dev/null; echo "attach status $?"
echo "error: $(head -n1 "$ERR")"
echo "blob files: $(ls -A "$SMALL/v/blobs" | wc -l)"
A attachments ALA-FULL-1 | tail -n1
A verify >/dev/null 2>&1; echo "verify status $?"
"#;

#[test]
fn a_disk_that_fills_up_mid_import_gives_disk_full_and_leaves_nothing() {
    let root = common::tempdir();
    let small = root.path().join("small");
    std::fs::create_dir(&small).unwrap_or_default();
    let pass = root.path().join("pass");
    std::fs::write(&pass, common::PASSPHRASE).unwrap_or_default();
    let json = root.path().join("t.json");
    std::fs::write(&json, r#"{"code": "ALA-FULL-1"}"#).unwrap_or_default();
    let src = root.path().join("recording.png");
    png(&src, 16 * 1024 * 1024);
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !root_user {
        cmd.arg("--map-root-user");
    }
    let o = cmd
        .args(["sh", "-c", FULL_DISK])
        .env("SMALL", &small)
        .env("PASS", &pass)
        .env("JSON", &json)
        .env("SRC", &src)
        .env("ERR", root.path().join("err"))
        .env("AMANAT", env!("CARGO_BIN_EXE_amanat"))
        .env("AMANAT_INSECURE_TEST_KDF", "10")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("unshare: {e}"));
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("attach status 1"), "{out}");
    assert!(out.contains("error: error[disk_full]"), "{out}");
    assert!(out.contains("blob files: 0"), "nothing half-written: {out}");
    assert!(out.contains("0 attachments"), "{out}");
    assert!(out.contains("verify status 0"), "{out}");
}
