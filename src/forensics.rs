//! What a seized disk reveals to whoever also has the passphrase or the recovery key: every
//! file of a vault, decrypted with every key those unlock. The tests use it to prove that
//! erased content is gone (docs/erasure.md), as an adversary holding both would look for it;
//! `amanat scan` lets an organisation see it for itself.

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use age::x25519;

use crate::crypto;
use crate::error::{Error, Result};
use crate::keys::{RecoveryKey, VaultSecret};
use crate::snapshot;

/// How the keys are obtained.
pub enum Unlock<'a> {
    Passphrase(&'a SecretString),
    Recovery(&'a RecoveryKey),
}

/// One file of the vault as the adversary reads it.
pub struct Plain {
    pub path: PathBuf,
    /// Its plaintext where a key opens it (a log segment: every frame's, one after the
    /// other), else its bytes as they are. A snapshot's is followed by every term of the
    /// search index it holds, one per line (the index stores words apart from the text).
    pub bytes: Vec<u8>,
    pub decrypted: bool,
}

/// Every file under `dir` (see the module doc).
pub fn plaintexts(dir: &Path, unlock: Unlock<'_>) -> Result<Vec<Plain>> {
    let secret = match unlock {
        Unlock::Passphrase(p) => {
            let file = dir.join("keys/pass.age");
            VaultSecret::unwrap_with_passphrase(&read(&file)?, p, &file)?
        }
        Unlock::Recovery(r) => {
            let file = dir.join("keys/recovery.age");
            VaultSecret::unwrap_with_recovery(&read(&file)?, r, &file)?
        }
    };
    let mut identities: Vec<x25519::Identity> =
        vec![secret.identity().clone(), secret.storage().clone()];
    identities.extend(secret.unchecked_blob_identities());
    let mut out = Vec::new();
    for path in files(dir)? {
        let raw = read(&path)?;
        let opened = identities
            .iter()
            .find_map(|id| crypto::decrypt_all(id, &raw).ok())
            .map(|p| p.to_vec())
            .or_else(|| segment(&identities, &raw));
        let (mut bytes, decrypted) = match opened {
            Some(p) => (p, true),
            None => (raw, false),
        };
        if decrypted && bytes.starts_with(b"AMANAT-SNAPSHOT\n") {
            bytes.extend(search_terms(&bytes, &secret)?);
        }
        out.push(Plain {
            path,
            bytes,
            decrypted,
        });
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io("list", &d, e))? {
            let path = entry.map_err(|e| Error::io("list", &d, e))?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A log segment's frames (`[u32 LE length][age ciphertext]`…), each decrypted.
fn segment(identities: &[x25519::Identity], raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = raw;
    let mut any = false;
    while rest.len() >= 4 {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let frame = rest.get(4..4 + len)?;
        out.extend(
            identities
                .iter()
                .find_map(|id| crypto::decrypt_all(id, frame).ok())?
                .iter(),
        );
        rest = &rest[4 + len..];
        any = true;
    }
    (any && rest.is_empty()).then_some(out)
}

/// Every term of the search index a decrypted snapshot holds.
fn search_terms(plain: &[u8], secret: &VaultSecret) -> Result<Vec<u8>> {
    let (_, store) = snapshot::read_plain(
        plain,
        "snapshot",
        plain.len() as u64,
        &secret.verifying_key(),
        true,
    )?;
    let Some(store) = store else {
        return Ok(Vec::new());
    };
    store.search_terms()
}

/// Where any of `words` is found in the vault's files, decrypted (see the module doc): each
/// file and word found, as typed or lower-cased (the search index folds case).
pub fn scan(dir: &Path, unlock: Unlock<'_>, words: &[String]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for p in plaintexts(dir, unlock)? {
        for w in words {
            let forms = [w.clone(), w.to_lowercase()];
            if forms
                .iter()
                .any(|f| !f.is_empty() && memchr::memmem::find(&p.bytes, f.as_bytes()).is_some())
            {
                out.push((p.path.clone(), w.clone()));
            }
        }
    }
    Ok(out)
}
