//! Every cryptographic operation in one place: age encryption of vault files, SHA-256 with a
//! domain label, Ed25519 signatures over those hashes, and the canonical JSON encoding that
//! hashes are computed over.
//!
//! Invariant: a signature is always over `H(label || bytes)`, so a signature made for one
//! purpose (a revision) can never be replayed as another (a log frame, a snapshot).

use std::io::{self, Read, Write};

use age::x25519;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Domain labels for hashes that get signed.
pub(crate) const DOMAIN_REVISION: &[u8] = b"amanat/revision/v1\n";
pub(crate) const DOMAIN_REVISION_V2: &[u8] = b"amanat/revision/v2\n";
/// The commitment to a revision's content (not signed itself: the revision hash covers it).
pub(crate) const DOMAIN_CONTENT: &[u8] = b"amanat/content/v1\n";
pub(crate) const DOMAIN_FRAME: &[u8] = b"amanat/frame/v1\n";
pub(crate) const DOMAIN_SNAPSHOT: &[u8] = b"amanat/snapshot/v1\n";
pub(crate) const DOMAIN_DRAFT: &[u8] = b"amanat/draft/v1\n";
pub(crate) const DOMAIN_CUSTODY: &[u8] = b"amanat/custody/v1\n";
pub(crate) const DOMAIN_MANIFEST: &[u8] = b"amanat/manifest/v1\n";
pub(crate) const DOMAIN_PSEUDONYM: &[u8] = b"amanat/pseudonym/v1\n";
pub(crate) const DOMAIN_KEY_CHANGE: &[u8] = b"amanat/key-change/v1\n";
/// The seed of the identity attachment files are encrypted to (not a signature domain).
pub(crate) const DOMAIN_STORAGE: &[u8] = b"amanat/storage/v1\n";

pub(crate) type Hash = [u8; 32];

/// `H(label || data)`.
pub(crate) fn labelled_hash(label: &[u8], data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(label);
    h.update(data);
    h.finalize().into()
}

pub(crate) fn sign(key: &SigningKey, hash: &Hash) -> [u8; 64] {
    key.sign(hash).to_bytes()
}

pub(crate) fn verify(key: &VerifyingKey, hash: &Hash, sig: &[u8]) -> bool {
    match <[u8; 64]>::try_from(sig) {
        Ok(bytes) => key.verify(hash, &Signature::from_bytes(&bytes)).is_ok(),
        Err(_) => false,
    }
}

pub(crate) fn verifying_key_from_hex(s: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(s).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

pub(crate) fn hash_from_hex(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

/// Encrypts `plaintext` to one X25519 recipient, as a standard age file in memory.
pub(crate) fn encrypt_to(recipient: &x25519::Recipient, plaintext: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let mut w = encrypt_writer(recipient, &mut out)?;
    w.write_all(plaintext)?;
    w.finish()?;
    Ok(out)
}

/// A streaming age writer to one X25519 recipient; the caller must call `finish()`.
pub(crate) fn encrypt_writer<W: Write>(
    recipient: &x25519::Recipient,
    out: W,
) -> io::Result<age::stream::StreamWriter<W>> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as _))
        .map_err(|e| io::Error::other(e.to_string()))?;
    encryptor.wrap_output(out).map_err(header_write_error)
}

/// age reports a failed header write as text ("failed to write header: IoError(Os { code:
/// 28, … })"), which loses the OS error. Recover it, so a full disk while a file is started
/// is reported as a full disk (found by the fault-injection test, tests/faults.rs).
fn header_write_error(e: io::Error) -> io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    let code = text
        .split_once("code: ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<i32>().ok());
    match code {
        Some(code) => io::Error::from_raw_os_error(code),
        None => e,
    }
}

/// Why an age file could not be opened.
#[derive(Debug)]
pub(crate) enum OpenFailure {
    /// Not an age file, or a header that does not parse or authenticate.
    Malformed,
    /// A well-formed file, but the key given does not open it.
    WrongKey,
    /// Encrypted with a passphrase work factor above our cap (a denial-of-service attempt).
    ExcessiveWork,
    /// Reading the file failed.
    Io,
}

impl From<age::DecryptError> for OpenFailure {
    fn from(e: age::DecryptError) -> Self {
        match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::NoMatchingKeys
            | age::DecryptError::KeyDecryptionFailed => OpenFailure::WrongKey,
            age::DecryptError::ExcessiveWork { .. } => OpenFailure::ExcessiveWork,
            age::DecryptError::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
                ) =>
            {
                OpenFailure::Malformed
            }
            age::DecryptError::Io(_) => OpenFailure::Io,
            _ => OpenFailure::Malformed,
        }
    }
}

/// Opens an age file for streaming decryption with one identity.
/// Buffered: age's reader for unbuffered input takes time quadratic in a header line's
/// length (a planted file with a header of a few MiB made opening hang for hours).
pub(crate) fn decrypt_reader<R: std::io::BufRead>(
    identity: &dyn age::Identity,
    input: R,
) -> Result<age::stream::StreamReader<R>, OpenFailure> {
    let d = age::Decryptor::new_buffered(input)?;
    Ok(d.decrypt(std::iter::once(identity))?)
}

/// Decrypts a whole age file held in memory. Payload corruption shows as `Malformed`.
pub(crate) fn decrypt_all(
    identity: &dyn age::Identity,
    ciphertext: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>, OpenFailure> {
    let mut r = decrypt_reader(identity, ciphertext)?;
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    r.read_to_end(&mut out)
        .map_err(|_| OpenFailure::Malformed)?;
    Ok(out)
}

/// Canonical JSON: objects with keys in byte order, no insignificant whitespace, numbers and
/// strings as serde_json writes them. Hashes over revisions are taken over this encoding so
/// that any implementation can recompute them from the parsed JSON.
pub(crate) fn canonical_json(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String((*k).clone()), out);
                out.push(b':');
                if let Some(child) = map.get(*k) {
                    write_canonical(child, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(v: &Value, out: &mut Vec<u8>) {
    // Serialising a scalar Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

pub(crate) fn new_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":{"z":[{"y":1,"x":"é"}],"c":null}}"#)
            .unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&canonical_json(&v)),
            r#"{"a":{"c":null,"z":[{"x":"é","y":1}]},"b":1}"#
        );
    }

    #[test]
    fn a_signature_for_one_domain_does_not_verify_for_another() {
        let key = new_signing_key();
        let data = b"same bytes";
        let sig = sign(&key, &labelled_hash(DOMAIN_REVISION, data));
        assert!(verify(
            &key.verifying_key(),
            &labelled_hash(DOMAIN_REVISION, data),
            &sig
        ));
        assert!(!verify(
            &key.verifying_key(),
            &labelled_hash(DOMAIN_FRAME, data),
            &sig
        ));
    }

    #[test]
    fn age_round_trip_and_wrong_key() {
        let id = x25519::Identity::generate();
        let ct = encrypt_to(&id.to_public(), b"secret").unwrap_or_default();
        let pt = decrypt_all(&id, &ct)
            .map(|p| p.to_vec())
            .unwrap_or_default();
        assert_eq!(pt, b"secret");
        let other = x25519::Identity::generate();
        assert!(matches!(
            decrypt_all(&other, &ct),
            Err(OpenFailure::WrongKey)
        ));
        assert!(matches!(
            decrypt_all(&id, b"not age"),
            Err(OpenFailure::Malformed)
        ));
    }
}
