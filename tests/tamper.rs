//! Every input is hostile, our own vault files included. Each kind of vault file is
//! damaged — a byte flipped at several places, truncated, deleted, swapped — and opening
//! must either fail with a specific error code, or recover every saved testimony and say
//! what it recovered from. Never a panic, never a silently smaller vault.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use amanat::{Error, Vault};

/// A vault with two snapshots and a log tail: 3 testimonies in the older snapshot, 2 more
/// in the newer, 2 more only in the log.
fn fixture(root: &Path) -> (PathBuf, Vec<String>) {
    let dir = root.join("fixture");
    let (mut v, _) = common::create(&dir);
    let mut codes = Vec::new();
    for round in 0..3 {
        for i in 0..[3, 2, 2][round] {
            let code = format!("T-{round}-{i}");
            v.add_testimony(common::testimony(&code, "tamper"))
                .unwrap_or_else(|e| panic!("{e}"));
            codes.push(code);
        }
        if round < 2 {
            v.close().unwrap_or_else(|e| panic!("{e}"));
            v = common::open(&dir);
        }
    }
    drop(v); // no closing snapshot: the last two live only in the log
    (dir, codes)
}

type Damage = Box<dyn FnOnce(&Path)>;

#[derive(Debug)]
enum Outcome {
    Refused(&'static str),
    RecoveredAll {
        reported: bool,
    },
    LostReported {
        kept: usize,
    },
    /// Only where nothing can tell: a log cut exactly between two frames.
    LostSilently {
        kept: usize,
    },
}

fn try_open(dir: &Path, codes: &[String]) -> Outcome {
    match Vault::open(dir, &common::pass()) {
        Err(e) => Outcome::Refused(e.code()),
        Ok(v) => {
            let kept = codes.iter().filter(|c| v.resolve(c).is_ok()).count();
            let r = v.open_report();
            let reported = r.used_previous_snapshot.is_some() || r.torn_bytes_discarded > 0;
            if kept == codes.len() {
                Outcome::RecoveredAll { reported }
            } else if reported {
                Outcome::LostReported { kept }
            } else {
                Outcome::LostSilently { kept }
            }
        }
    }
}

fn flip(path: &Path, at: usize) {
    let mut b = fs::read(path).unwrap_or_default();
    let at = at.min(b.len().saturating_sub(1));
    if let Some(x) = b.get_mut(at) {
        *x ^= 0x5a;
    }
    fs::write(path, b).unwrap_or_default();
}

fn truncate(path: &Path, keep: usize) {
    let b = fs::read(path).unwrap_or_default();
    fs::write(path, &b[..keep.min(b.len())]).unwrap_or_default();
}

/// Exchanges the names of two files.
fn swap(a: &Path, b: &Path) {
    let t = a.with_extension("swap");
    let swapped = fs::rename(a, &t)
        .and_then(|_| fs::rename(b, a))
        .and_then(|_| fs::rename(&t, b));
    assert!(swapped.is_ok(), "swap: {swapped:?}");
}

/// The length of a log segment's first frame, from its 4-byte prefix.
fn first_frame_len(segment: &[u8]) -> usize {
    segment
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn positions(path: &Path) -> Vec<usize> {
    let n = fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
    vec![
        0,
        20,
        60,
        100,
        n / 3,
        n / 2,
        2 * n / 3,
        n.saturating_sub(70),
        n.saturating_sub(1),
    ]
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut s: Vec<PathBuf> = fs::read_dir(dir.join("log"))
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    s.sort();
    s
}

/// Runs `damage` on a fresh copy of the fixture and returns the outcome.
fn with_copy(root: &Path, fixture: &Path, codes: &[String], damage: impl FnOnce(&Path)) -> Outcome {
    let dir = root.join(format!("case-{}", uuid::Uuid::now_v7()));
    common::copy_dir(fixture, &dir);
    damage(&dir);
    let out = try_open(&dir, codes);
    let _ = fs::remove_dir_all(&dir);
    out
}

#[test]
fn a_damaged_current_snapshot_falls_back_to_the_previous_one_and_the_log() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    let snap = fx.join("snapshot.age");
    let mut cases: Vec<Damage> = Vec::new();
    for at in positions(&snap) {
        cases.push(Box::new(move |d: &Path| flip(&d.join("snapshot.age"), at)));
    }
    for keep in [0, 10, 200, 5000] {
        cases.push(Box::new(move |d: &Path| {
            truncate(&d.join("snapshot.age"), keep)
        }));
    }
    cases.push(Box::new(|d: &Path| {
        let _ = fs::remove_file(d.join("snapshot.age"));
    }));
    for (i, damage) in cases.into_iter().enumerate() {
        match with_copy(root.path(), &fx, &codes, damage) {
            Outcome::RecoveredAll { reported: true } => {}
            other => panic!("snapshot case {i}: {other:?}"),
        }
    }
    // Swapped snapshots: the older one plus the whole log rebuilds everything.
    let swapped = with_copy(root.path(), &fx, &codes, |d| {
        swap(&d.join("snapshot.age"), &d.join("snapshot.prev.age"));
    });
    assert!(
        matches!(swapped, Outcome::RecoveredAll { .. }),
        "{swapped:?}"
    );
}

#[test]
fn both_snapshots_damaged_is_refused_with_snapshot_corrupt() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    let out = with_copy(root.path(), &fx, &codes, |d| {
        flip(&d.join("snapshot.age"), 300);
        flip(&d.join("snapshot.prev.age"), 300);
    });
    assert!(
        matches!(out, Outcome::Refused("snapshot_corrupt")),
        "{out:?}"
    );
}

#[test]
fn a_damaged_previous_snapshot_is_found_by_verify() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    flip(&fx.join("snapshot.prev.age"), 400);
    assert!(matches!(
        try_open(&fx, &codes),
        Outcome::RecoveredAll { reported: false }
    ));
    let mut v = common::open(&fx);
    let report = v.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("previous snapshot")),
        "{:?}",
        report.problems
    );
}

#[test]
fn damaged_log_segments_are_refused_or_reported() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    let segs = segments(&fx);
    let tail = segs.last().cloned().unwrap_or_default();
    let tail_name = tail
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let tail_len = fs::metadata(&tail).map(|m| m.len() as usize).unwrap_or(0);
    assert!(tail_len > 0, "fixture must have a log tail");
    // Flips anywhere: a frame before the last is corruption; the last frame may only be
    // cut off as an interrupted write, and that is reported.
    for at in positions(&tail) {
        let name = tail_name.clone();
        match with_copy(root.path(), &fx, &codes, move |d| {
            flip(&d.join("log").join(&name), at)
        }) {
            Outcome::Refused("log_corrupt" | "tampered") => {}
            Outcome::LostReported { kept } if kept == codes.len() - 1 => {}
            other => panic!("flip at {at}: {other:?}"),
        }
    }
    // Where the last frame starts: the log before the last save.
    let first = 4 + first_frame_len(&fs::read(&tail).unwrap_or_default());
    assert!(
        first < tail_len,
        "fixture must have two frames in its log tail"
    );
    for keep in [
        1,
        3,
        4,
        50,
        first - 1,
        first + 1,
        (first + tail_len) / 2,
        tail_len - 1,
    ] {
        let name = tail_name.clone();
        match with_copy(root.path(), &fx, &codes, move |d| {
            truncate(&d.join("log").join(&name), keep)
        }) {
            Outcome::LostReported { .. } => {}
            other => panic!("truncate to {keep}: {other:?}"),
        }
    }
    // Cut exactly between the frames, the log is what it was before the last save, as if
    // the machine had stopped just before it: nothing can tell (a disk image rolled back to an
    // earlier state is the same; SECURITY.md says so). The frames before are all there.
    let name = tail_name.clone();
    let between = with_copy(root.path(), &fx, &codes, move |d| {
        truncate(&d.join("log").join(&name), first)
    });
    assert!(
        matches!(between, Outcome::LostSilently { kept } if kept == codes.len() - 1),
        "cut between frames: {between:?}"
    );
    let name = tail_name.clone();
    let deleted = with_copy(root.path(), &fx, &codes, move |d| {
        let _ = fs::remove_file(d.join("log").join(&name));
    });
    assert!(
        matches!(deleted, Outcome::Refused("tampered")),
        "deleted tail: {deleted:?}"
    );
    // A frame replayed (the first frame appended again at the end).
    let name = tail_name.clone();
    let replayed = with_copy(root.path(), &fx, &codes, move |d| {
        let p = d.join("log").join(&name);
        let b = fs::read(&p).unwrap_or_default();
        let len = first_frame_len(&b);
        let mut out = b.clone();
        out.extend_from_slice(&b[..4 + len]);
        fs::write(&p, out).unwrap_or_default();
    });
    assert!(
        matches!(replayed, Outcome::Refused("tampered")),
        "replayed frame: {replayed:?}"
    );
}

/// An age header whose stanza body is one very long line: the fuzzer found that age's
/// reader for in-memory input took time quadratic in that line (130 KB: 5 s), so a frame of
/// a few MiB planted in the log made opening hang for hours.
fn long_stanza_header(len: usize) -> Vec<u8> {
    let mut h =
        b"age-encryption.org/v1\n-> X25519 JTCPUg\nzoj6mng11CufSLF87ij930IfY23Qre6lEJV".to_vec();
    h.extend(std::iter::repeat_n(b'n', len));
    h.extend_from_slice(b"iiiisLkUg\nzoj6mng11/BcaJA/DfKlBqA\n-> \0\0\0\x10");
    h
}

#[test]
fn a_planted_frame_or_key_file_with_a_huge_header_is_refused_at_once() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    let tail = segments(&fx).last().cloned().unwrap_or_default();
    let tail_name = tail
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let planted = with_copy(root.path(), &fx, &codes, move |d| {
        let p = d.join("log").join(&tail_name);
        let mut b = fs::read(&p).unwrap_or_default();
        let frame = long_stanza_header(4 << 20);
        b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        b.extend_from_slice(&frame);
        fs::write(&p, b).unwrap_or_default();
    });
    // The last frame of the log that does not decrypt is cut off as an interrupted write.
    assert!(
        matches!(planted, Outcome::RecoveredAll { reported: true }),
        "planted frame: {planted:?}"
    );
    let snapshot = with_copy(root.path(), &fx, &codes, |d| {
        fs::write(d.join("snapshot.age"), long_stanza_header(4 << 20)).unwrap_or_default();
    });
    assert!(
        matches!(snapshot, Outcome::RecoveredAll { reported: true }),
        "planted snapshot: {snapshot:?}"
    );
    let key = with_copy(root.path(), &fx, &codes, |d| {
        fs::write(d.join("keys").join("pass.age"), long_stanza_header(60_000)).unwrap_or_default();
    });
    assert!(
        matches!(key, Outcome::Refused("key_file_corrupt")),
        "planted key file: {key:?}"
    );
}

#[test]
fn swapped_log_segments_are_refused() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    // Fall back to the previous snapshot so that two segments are replayed, then swap them.
    let out = with_copy(root.path(), &fx, &codes, |d| {
        let _ = fs::remove_file(d.join("snapshot.age"));
        let segs = segments(d);
        let n = segs.len();
        swap(&segs[n - 2], &segs[n - 1]);
    });
    assert!(
        matches!(out, Outcome::Refused("tampered" | "log_corrupt")),
        "{out:?}"
    );
}

#[test]
fn damaged_key_files_are_refused_and_the_recovery_key_still_opens() {
    let root = common::tempdir();
    let dir = root.path().join("v");
    let (mut v, recovery) = common::create(&dir);
    v.add_testimony(common::testimony("K-1", "keys"))
        .unwrap_or_else(|e| panic!("{e}"));
    v.close().unwrap_or_else(|e| panic!("{e}"));
    let codes = vec!["K-1".to_string()];
    let pass = dir.join("keys/pass.age");
    for at in positions(&pass) {
        let out = with_copy(root.path(), &dir, &codes, move |d| {
            flip(&d.join("keys/pass.age"), at)
        });
        assert!(
            matches!(
                out,
                Outcome::Refused("wrong_passphrase" | "key_file_corrupt")
            ),
            "flip {at}: {out:?}"
        );
    }
    for keep in [0, 10, 100] {
        let out = with_copy(root.path(), &dir, &codes, move |d| {
            truncate(&d.join("keys/pass.age"), keep)
        });
        assert!(
            matches!(
                out,
                Outcome::Refused("wrong_passphrase" | "key_file_corrupt")
            ),
            "truncate {keep}: {out:?}"
        );
    }
    let out = with_copy(root.path(), &dir, &codes, |d| {
        let _ = fs::remove_file(d.join("keys/pass.age"));
    });
    assert!(
        matches!(out, Outcome::Refused("key_file_corrupt")),
        "{out:?}"
    );
    let out = with_copy(root.path(), &dir, &codes, |d| {
        let _ = fs::copy(d.join("keys/recovery.age"), d.join("keys/pass.age"));
    });
    assert!(
        matches!(out, Outcome::Refused("wrong_passphrase")),
        "{out:?}"
    );
    // Another vault's key file with the same passphrase opens a different secret: every
    // vault file then fails to decrypt, and nothing is accepted.
    let other = root.path().join("other");
    let (o, _) = common::create(&other);
    drop(o);
    let other_pass = other.join("keys/pass.age");
    let out = with_copy(root.path(), &dir, &codes, move |d| {
        let _ = fs::copy(&other_pass, d.join("keys/pass.age"));
    });
    assert!(
        matches!(out, Outcome::Refused("snapshot_corrupt")),
        "{out:?}"
    );

    // With pass.age destroyed, the recovery key sets a new passphrase and everything is there.
    let _ = fs::remove_file(&pass);
    let new = amanat::secrecy::SecretString::from("a brand new passphrase".to_string());
    let v =
        Vault::recover(&dir, &recovery, &new, common::TEST_KDF).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.resolve("K-1").is_ok());
    drop(v);
    assert!(Vault::open(&dir, &new).is_ok());
    flip(&dir.join("keys/recovery.age"), 200);
    let r = Vault::recover(&dir, &recovery, &new, common::TEST_KDF)
        .err()
        .map(|e: Error| e.code());
    assert!(
        matches!(r, Some("wrong_recovery_key" | "key_file_corrupt")),
        "{r:?}"
    );
}

#[test]
fn a_missing_or_newer_vault_marker_is_refused() {
    let root = common::tempdir();
    let (fx, codes) = fixture(root.path());
    let out = with_copy(root.path(), &fx, &codes, |d| {
        let _ = fs::remove_file(d.join("VAULT"));
    });
    assert!(matches!(out, Outcome::Refused("not_a_vault")), "{out:?}");
    let out = with_copy(root.path(), &fx, &codes, |d| {
        let _ = fs::write(d.join("VAULT"), "amanat-vault\nformat 9\n");
    });
    assert!(
        matches!(out, Outcome::Refused("unsupported_version")),
        "{out:?}"
    );
}
