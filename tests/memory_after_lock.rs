//! Locked means locked: after the vault is dropped (what locking does), none of its key
//! material is left in the process's memory. A child process opens a vault, commits, takes a
//! snapshot, checks that its scanner does find the keys while the vault is open, locks, and
//! scans every readable mapping of its own memory (/proc/self/mem) again.
//!
//! The parent learns the keys by decrypting `keys/recovery.age` with the recovery key (as a
//! user with `rage` could) and hands them to the child masked (XOR with a random mask), so
//! the child's only unmasked copy of a key is the vault's own.

mod common;

use std::io::{Read, Seek, SeekFrom};
use std::process::Command;

use age::secrecy::ExposeSecret;
use amanat::Testimony;

const CHILD: &str = "child_opens_locks_and_scans_its_memory";

/// Bech32 data part to bytes (checksum not checked: the string came from age).
fn bech32_bytes(s: &str) -> Vec<u8> {
    const ALPHABET: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let data = s
        .rsplit_once('1')
        .map(|(_, d)| d)
        .unwrap_or_default()
        .to_lowercase();
    let fives: Vec<u8> = data
        .chars()
        .filter_map(|c| ALPHABET.find(c).map(|i| i as u8))
        .collect();
    let fives = &fives[..fives.len().saturating_sub(6)];
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for v in fives {
        acc = (acc << 5) | u32::from(*v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn no_key_material_is_left_in_memory_after_lock() {
    let root = common::tempdir();
    let dir = root.path().join("v.amanat");
    let (v, recovery) = common::create(&dir);
    v.close().unwrap_or_else(|e| panic!("{e}"));
    let identity: age::x25519::Identity = recovery
        .expose()
        .expose_secret()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::File::open(dir.join("keys/recovery.age")).unwrap_or_else(|e| panic!("{e}"));
    let mut r = age::Decryptor::new(std::io::BufReader::new(file))
        .and_then(|d| d.decrypt(std::iter::once(&identity as &dyn age::Identity)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    r.read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = text.lines().collect();
    let (age_key, seed_hex) = (lines[1], lines[2]);
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("the age identity (text)", age_key.as_bytes().to_vec()),
        ("the X25519 secret key", bech32_bytes(age_key)),
        (
            "the Ed25519 signing key",
            hex::decode(seed_hex).unwrap_or_default(),
        ),
        (
            "the Ed25519 signing key (hex)",
            seed_hex.as_bytes().to_vec(),
        ),
    ];
    assert_eq!(needles[1].1.len(), 32);
    assert_eq!(needles[2].1.len(), 32);
    let mask: Vec<u8> = (0..128).map(|_| rand::random::<u8>() | 1).collect();
    let masked: Vec<String> = needles
        .iter()
        .map(|(name, n)| {
            let m: Vec<u8> = n.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
            format!("{name}={}", hex::encode(m))
        })
        .collect();
    let out = Command::new(std::env::current_exe().unwrap_or_default())
        .args(["--exact", CHILD, "--nocapture", "--ignored"])
        .env("AMANAT_MEM_VAULT", &dir)
        .env("AMANAT_MEM_MASK", hex::encode(&mask))
        .env("AMANAT_MEM_NEEDLES", masked.join(";"))
        .output()
        .unwrap_or_else(|e| panic!("child: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("after lock: 0 copies"), "{stdout}");
}

/// Readable regions of this process's memory, as (start, end, name).
fn regions() -> Vec<(u64, u64, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let range = parts.next()?;
            let perms = parts.next()?;
            let name = l.split_whitespace().nth(5).unwrap_or("");
            if !perms.starts_with('r') || name == "[vvar]" || name == "[vsyscall]" {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
                name.to_string(),
            ))
        })
        .collect()
}

/// Copies of each masked needle in this process's memory, and where they are.
fn count(needles: &[(String, Vec<u8>)], mask: &[u8]) -> (Vec<usize>, Vec<String>) {
    let mut places = Vec::new();
    let mut mem = std::fs::File::open("/proc/self/mem").unwrap_or_else(|e| panic!("{e}"));
    let mut counts = vec![0; needles.len()];
    let mut buf = vec![0u8; 1 << 20];
    for (start, end, region) in regions() {
        let mut at = start;
        while at < end {
            let len = ((end - at) as usize).min(buf.len());
            if mem.seek(SeekFrom::Start(at)).is_err() || mem.read_exact(&mut buf[..len]).is_err() {
                break;
            }
            for (i, (_, n)) in needles.iter().enumerate() {
                let first = n[0] ^ mask[0];
                // Overlap by the needle's length so a copy across two reads is seen once.
                for p in 0..len.saturating_sub(n.len() - 1) {
                    if buf[p] == first
                        && buf[p..p + n.len()]
                            .iter()
                            .zip(n.iter().zip(mask))
                            .all(|(b, (m, k))| *b ^ *k == *m)
                    {
                        counts[i] += 1;
                        places.push(format!(
                            "{} in {region:?} at {:#x}",
                            needles[i].0,
                            at + p as u64
                        ));
                    }
                }
            }
            // Step back so that a copy straddling two reads is found.
            at += (len as u64).saturating_sub(127).max(1);
        }
    }
    (counts, places)
}

#[test]
#[ignore = "run by no_key_material_is_left_in_memory_after_lock"]
fn child_opens_locks_and_scans_its_memory() {
    let (Ok(vault), Ok(mask), Ok(list)) = (
        std::env::var("AMANAT_MEM_VAULT"),
        std::env::var("AMANAT_MEM_MASK"),
        std::env::var("AMANAT_MEM_NEEDLES"),
    ) else {
        return;
    };
    let mask = hex::decode(mask).unwrap_or_default();
    let needles: Vec<(String, Vec<u8>)> = list
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(name, h)| (name.to_string(), hex::decode(h).unwrap_or_default()))
        .collect();
    let mut v = common::open(std::path::Path::new(&vault));
    v.add_testimony(Testimony::from_json(r#"{"code": "MEM-1"}"#).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    // Snapshots on another thread too (each takes a copy of the signing key there).
    v.set_snapshot_after_bytes(1);
    for i in 0..5 {
        let t = Testimony::from_json(&format!(r#"{{"code": "MEM-{i}-B"}}"#));
        v.add_testimony(t.unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    v.snapshot_now().unwrap_or_else(|e| panic!("{e}"));
    let (open, _) = count(&needles, &mask);
    println!("while open: {open:?}");
    assert!(
        open.iter().any(|c| *c > 0),
        "the scanner finds no key while the vault is open"
    );
    drop(v);
    let (after, places) = count(&needles, &mask);
    for ((name, _), c) in needles.iter().zip(&after) {
        println!("{name}: {c} copies after lock");
    }
    for p in &places {
        println!("left: {p}");
    }
    println!("after lock: {} copies", after.iter().sum::<usize>());
}
