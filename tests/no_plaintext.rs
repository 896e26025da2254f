//! DESIGN.md §1.1: no plaintext on disk, ever. Testimonies with a canary string in three
//! scripts go through the CLI (fed on standard input, as a user would pipe them), the vault
//! is closed, and every byte under the vault, the temp folder and home is scanned.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

const CANARY: &str = "КАНАРЕЙКА7ق";

#[test]
fn the_scanner_finds_a_canary_in_utf8_and_utf16() {
    let dir = common::tempdir();
    let s: Vec<u8> = CANARY
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    std::fs::write(dir.path().join("a"), [b"xx".as_slice(), &s].concat()).unwrap_or_default();
    std::fs::write(dir.path().join("b"), format!("yy{CANARY}")).unwrap_or_default();
    assert_eq!(common::files_containing(dir.path(), CANARY).len(), 2);
}

fn amanat(vault: &std::path::Path, tmp: &std::path::Path, home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_amanat"));
    c.arg("--vault")
        .arg(vault)
        .env("AMANAT_PASSPHRASE_FILE", home.join("pass"))
        .env("AMANAT_INSECURE_TEST_KDF", "10")
        .env("TMPDIR", tmp)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"));
    c
}

#[test]
fn canaries_in_three_scripts_leave_no_trace_on_disk() {
    let root = common::tempdir();
    let (vault, tmp, home) = (
        root.path().join("v"),
        root.path().join("tmp"),
        root.path().join("home"),
    );
    for d in [&tmp, &home] {
        std::fs::create_dir_all(d).unwrap_or_default();
    }
    std::fs::write(home.join("pass"), common::PASSPHRASE).unwrap_or_default();
    let ok = amanat(&vault, &tmp, &home)
        .arg("init")
        .output()
        .map(|o| o.status.success());
    assert_eq!(ok.ok(), Some(true));

    let mut ids = Vec::new();
    for i in 0..20 {
        let t = common::testimony(&format!("CAN-{i}"), CANARY);
        let json = serde_json::to_string(&t).unwrap_or_default();
        let mut child = amanat(&vault, &tmp, &home)
            .arg("add")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(json.as_bytes()).unwrap_or_default();
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    // An edit and a delete too: both leave old text only inside encrypted files.
    let edit = amanat(&vault, &tmp, &home)
        .args(["edit", "CAN-1", "--json", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().map(|mut s| {
                s.write_all(format!(r#"{{"summary": "edited {CANARY}"}}"#).as_bytes())
            });
            c.wait()
        });
    assert!(edit.is_ok_and(|s| s.success()));
    let del = amanat(&vault, &tmp, &home)
        .args(["delete", "CAN-2", "--reason", "test"])
        .status();
    assert!(del.is_ok_and(|s| s.success()));

    // Positive control: the canary is really in the vault.
    let shown = amanat(&vault, &tmp, &home)
        .args(["show", &ids[0], "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&shown.stdout).contains(CANARY));

    for area in [&vault, &tmp, &home] {
        let hits = common::files_containing(area, CANARY);
        assert!(hits.is_empty(), "plaintext canary found in {hits:?}");
        for part in ["Ержанат", "ئەرجانات", "叶尔扎那提"] {
            let hits = common::files_containing(area, part);
            assert!(hits.is_empty(), "plaintext name {part} found in {hits:?}");
        }
    }
}
