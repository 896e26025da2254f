//! The vault secret (an X25519 age identity that encrypts every vault file and an Ed25519 key
//! that signs every revision, frame and snapshot), its two wrappings on disk — `pass.age`
//! (age scrypt, passphrase) and `recovery.age` (age X25519, recovery key) — and contact cards.
//!
//! Invariant: the secret exists in plaintext only in memory, in types that zeroize on drop.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::{self, OpenFailure};
use crate::error::{Error, Result};

/// scrypt work factors (log2 N) we write: 256 MiB and 512 MiB of memory.
pub const MIN_WORK_FACTOR: u8 = 18;
pub const MAX_WORK_FACTOR: u8 = 19;
/// A `pass.age` asking for more work than this is refused, not attempted (it would be a
/// denial of service planted in a tampered file).
pub const DECRYPT_WORK_FACTOR_CAP: u8 = MAX_WORK_FACTOR;

const SECRET_HEADER_V1: &str = "amanat-vault-secret/v1";
/// Version 2 adds the identities of earlier keys (after "Change keys") and the flag of a key
/// change not finished yet.
const SECRET_HEADER: &str = "amanat-vault-secret/v2";
/// At most this many earlier keys are kept (one per key change).
const RETIRED_MAX: usize = 64;
const MIN_PASSPHRASE_CHARS: usize = 8;

/// How expensive the passphrase wrapping is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfCost {
    /// Time one real-size scrypt run and pick log N 18 or 19 for about one second.
    Calibrated,
    /// A fixed work factor below the minimum. Only for tests: it makes a vault cheap to
    /// brute-force.
    #[doc(hidden)]
    InsecureForTests(u8),
}

impl KdfCost {
    pub(crate) fn log_n(self) -> u8 {
        match self {
            KdfCost::Calibrated => calibrate_work_factor(),
            KdfCost::InsecureForTests(n) => n.clamp(1, MAX_WORK_FACTOR),
        }
    }
}

/// Times scrypt at log N = 18 with real parameters (r = 8, p = 1, as age uses) and returns 19
/// if that would still take at most about 1.25 s, else 18. A tiny calibration run fits in the
/// CPU cache and overestimates speed (DESIGN.md §3), so this one is full size.
pub fn calibrate_work_factor() -> u8 {
    let Ok(params) = scrypt::Params::new(MIN_WORK_FACTOR, 8, 1, 32) else {
        return MIN_WORK_FACTOR;
    };
    let mut out = [0u8; 32];
    let start = Instant::now();
    if scrypt::scrypt(b"calibration", b"amanat-calibration", &params, &mut out).is_err() {
        return MIN_WORK_FACTOR;
    }
    let t18 = start.elapsed().as_secs_f64();
    if t18 * 2.0 <= 1.25 {
        MAX_WORK_FACTOR
    } else {
        MIN_WORK_FACTOR
    }
}

/// How hard a passphrase is to guess, for the meter shown while it is typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PassphraseStrength {
    /// 0 (guessed at once) to 4 (very hard), zxcvbn's scale.
    pub score: u8,
    /// Whether the vault will accept it at all (see [`check_passphrase_strength`]).
    pub acceptable: bool,
}

/// Estimates strength with zxcvbn; the name of the device is a likely guess and counts against.
pub fn passphrase_strength(p: &SecretString, user_inputs: &[&str]) -> PassphraseStrength {
    let s = p.expose_secret();
    // zxcvbn's cost grows with length; beyond 100 characters the score is maximal anyway.
    let score = if s.chars().count() > 100 {
        4
    } else {
        zxcvbn::zxcvbn(s, user_inputs).score() as u8
    };
    PassphraseStrength {
        score,
        acceptable: check_passphrase_strength(p).is_ok(),
    }
}

/// Refuses passphrases that are empty or short; the UI adds a strength meter on top.
pub fn check_passphrase_strength(p: &SecretString) -> Result<()> {
    let s = p.expose_secret();
    if s.trim().is_empty() {
        return Err(Error::WeakPassphrase("it is empty"));
    }
    if s.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::WeakPassphrase("use at least 8 characters"));
    }
    Ok(())
}

/// The one secret that opens everything in a vault.
pub struct VaultSecret {
    identity: x25519::Identity,
    signing: SigningKey,
    /// What attachment files are encrypted to (see [`storage_identity`]).
    storage: x25519::Identity,
    /// The identities of the keys this vault had before each "Change keys", newest first.
    /// They only ever *read*: bundles contacts made for the old key, and attachment files
    /// not re-encrypted yet (whose content is then checked against the record in full,
    /// because whoever holds an old key could have made them). Nothing is ever verified with
    /// an old key except while a key change is unfinished (`rotating`).
    retired: Vec<x25519::Identity>,
    /// A key change began and its new snapshots may not be written yet: the vault may still
    /// be under `retired[0]` (docs/key-change.md).
    rotating: Option<Rotating>,
}

/// What finishing a key change needs when it is resumed on the next open: the statement to
/// record, where the recovery file is encrypted to, and the passphrase's work factor.
#[derive(Clone)]
pub(crate) struct Rotating {
    /// The key change statement, JSON on one line.
    pub statement: String,
    /// The recovery key's public half (`age1…`).
    pub recovery: x25519::Recipient,
    pub log_n: u8,
}

/// The identity attachment files are encrypted to, derived from the vault's own: its public
/// half is written nowhere (not on the contact card, not in any file), so nobody without the
/// vault secret can make a file that opens as one of this vault's attachments. (Every other
/// vault file is signed; attachment files are not, being too large to hold in memory.)
fn storage_identity(identity: &x25519::Identity) -> x25519::Identity {
    let secret = identity.to_string();
    let seed = Zeroizing::new(crypto::labelled_hash(
        crypto::DOMAIN_STORAGE,
        secret.expose_secret().as_bytes(),
    ));
    let hrp = bech32::Hrp::parse_unchecked("age-secret-key-");
    let text = Zeroizing::new(
        bech32::encode::<bech32::Bech32>(hrp, seed.as_slice())
            .unwrap_or_default()
            .to_uppercase(),
    );
    // A 32-byte seed always encodes and parses; the fallback is never used.
    x25519::Identity::from_str(&text).unwrap_or_else(|_| x25519::Identity::generate())
}

impl VaultSecret {
    pub(crate) fn generate() -> Self {
        VaultSecret::from_parts(x25519::Identity::generate(), crypto::new_signing_key())
    }

    pub(crate) fn from_parts(identity: x25519::Identity, signing: SigningKey) -> Self {
        let storage = storage_identity(&identity);
        VaultSecret {
            identity,
            signing,
            storage,
            retired: Vec::new(),
            rotating: None,
        }
    }

    /// A new key for this vault, keeping this one's identities (and those it kept) to read
    /// what was made for them, with no key change marked yet.
    pub(crate) fn successor(&self) -> Self {
        let mut next = VaultSecret::generate();
        next.retired.push(self.identity.clone());
        next.retired.extend(self.retired.iter().cloned());
        next.retired.truncate(RETIRED_MAX);
        next
    }

    /// The same keys, marked as a key change in progress (`Some`) or finished (`None`).
    pub(crate) fn with_rotating(&self, rotating: Option<Rotating>) -> Self {
        VaultSecret {
            identity: self.identity.clone(),
            signing: self.signing.clone(),
            storage: self.storage.clone(),
            retired: self.retired.clone(),
            rotating,
        }
    }

    /// The key change begun and not finished, if any.
    pub(crate) fn rotating(&self) -> Option<&Rotating> {
        self.rotating.as_ref()
    }

    /// The identity of the key before the last change, while that change is unfinished.
    pub(crate) fn rotating_from(&self) -> Option<&x25519::Identity> {
        self.retired.first().filter(|_| self.rotating.is_some())
    }

    /// Every identity that may open a bundle sent to this vault: the current one and those of
    /// earlier keys (contacts may not have heard of the change yet).
    pub(crate) fn bundle_identities(&self) -> Vec<&dyn age::Identity> {
        std::iter::once(&self.identity as &dyn age::Identity)
            .chain(self.retired.iter().map(|i| i as &dyn age::Identity))
            .collect()
    }

    /// Identities whose attachment files are read only after a check of their whole content:
    /// the published recipient of the current key (files from before attachment files had
    /// their own key), and the storage and published identities of earlier keys.
    pub(crate) fn unchecked_blob_identities(&self) -> Vec<x25519::Identity> {
        let mut out = vec![self.identity.clone()];
        for old in &self.retired {
            out.push(storage_identity(old));
            out.push(old.clone());
        }
        out
    }

    pub(crate) fn identity(&self) -> &x25519::Identity {
        &self.identity
    }

    /// The identity attachment files are encrypted to.
    pub(crate) fn storage(&self) -> &x25519::Identity {
        &self.storage
    }

    pub(crate) fn storage_recipient(&self) -> x25519::Recipient {
        self.storage.to_public()
    }

    pub(crate) fn recipient(&self) -> x25519::Recipient {
        self.identity.to_public()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    pub(crate) fn to_text(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(hex::encode(self.signing.to_bytes()));
        let mut text = Zeroizing::new(format!(
            "{SECRET_HEADER}\n{}\n{}\n",
            self.identity.to_string().expose_secret(),
            seed.as_str()
        ));
        for old in &self.retired {
            text.push_str("retired ");
            text.push_str(old.to_string().expose_secret());
            text.push('\n');
        }
        if let Some(r) = &self.rotating {
            text.push_str(&format!(
                "rotating {} {} {}\n",
                r.log_n, r.recovery, r.statement
            ));
        }
        text
    }

    pub(crate) fn from_text(text: &[u8], file: &std::path::Path) -> Result<Self> {
        let corrupt = |detail| Error::KeyFileCorrupt {
            file: file.to_path_buf(),
            detail,
        };
        let text = std::str::from_utf8(text).map_err(|_| corrupt("not text"))?;
        let mut lines = text.split('\n');
        let v2 = match lines.next() {
            Some(SECRET_HEADER) => true,
            Some(SECRET_HEADER_V1) => false,
            _ => return Err(corrupt("unknown secret format")),
        };
        let identity = lines
            .next()
            .and_then(|l| x25519::Identity::from_str(l).ok())
            .ok_or_else(|| corrupt("bad age identity"))?;
        let seed = lines
            .next()
            .and_then(|l| hex::decode(l).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| corrupt("bad signing key"))?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            seed.as_slice()
                .try_into()
                .map_err(|_| corrupt("bad signing key"))?,
        );
        let mut secret = VaultSecret::from_parts(identity, SigningKey::from_bytes(&seed));
        let mut line = lines.next();
        while v2 && let Some(old) = line.and_then(|l| l.strip_prefix("retired ")) {
            if secret.retired.len() == RETIRED_MAX {
                return Err(corrupt("too many earlier keys"));
            }
            let old = x25519::Identity::from_str(old).map_err(|_| corrupt("bad earlier key"))?;
            secret.retired.push(old);
            line = lines.next();
        }
        if v2 && let Some(r) = line.and_then(|l| l.strip_prefix("rotating ")) {
            if secret.retired.is_empty() {
                return Err(corrupt("a key change without an earlier key"));
            }
            let mut parts = r.splitn(3, ' ');
            let log_n = parts.next().and_then(|n| n.parse().ok());
            let recovery = parts
                .next()
                .and_then(|k| x25519::Recipient::from_str(k).ok());
            let (Some(log_n), Some(recovery), Some(statement)) = (log_n, recovery, parts.next())
            else {
                return Err(corrupt("a damaged key change"));
            };
            secret.rotating = Some(Rotating {
                statement: statement.to_string(),
                recovery,
                log_n,
            });
            line = lines.next();
        }
        if line != Some("") || lines.next().is_some() {
            return Err(corrupt("trailing data"));
        }
        Ok(secret)
    }

    /// The content of `keys/pass.age`.
    pub(crate) fn wrap_with_passphrase(&self, pass: &SecretString, log_n: u8) -> Result<Vec<u8>> {
        let mut recipient = age::scrypt::Recipient::new(pass.clone());
        recipient.set_work_factor(log_n);
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as _))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut out = Vec::new();
        let text = self.to_text();
        let mut w = encryptor
            .wrap_output(&mut out)
            .map_err(|e| Error::Internal(e.to_string()))?;
        std::io::Write::write_all(&mut w, text.as_bytes())
            .and_then(|_| w.finish().map(|_| ()))
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(out)
    }

    pub(crate) fn unwrap_with_passphrase(
        ciphertext: &[u8],
        pass: &SecretString,
        file: &std::path::Path,
    ) -> Result<Self> {
        let mut identity = age::scrypt::Identity::new(pass.clone());
        identity.set_max_work_factor(DECRYPT_WORK_FACTOR_CAP);
        match crypto::decrypt_all(&identity, ciphertext) {
            Ok(text) => Self::from_text(&text, file),
            Err(OpenFailure::WrongKey) => Err(Error::WrongPassphrase),
            Err(OpenFailure::ExcessiveWork) => Err(Error::tampered(
                file.display().to_string(),
                "the key file demands an excessive scrypt work factor",
            )),
            Err(OpenFailure::Malformed) | Err(OpenFailure::Io) => Err(Error::KeyFileCorrupt {
                file: file.to_path_buf(),
                detail: "not a passphrase-encrypted age file",
            }),
        }
    }

    /// The content of `keys/recovery.age`.
    pub(crate) fn wrap_to_recovery(&self, recovery: &RecoveryKey) -> Result<Vec<u8>> {
        self.wrap_to_recipient(&recovery.recipient())
    }

    /// The content of `keys/recovery.age`, from the recovery key's public half.
    pub(crate) fn wrap_to_recipient(&self, recovery: &x25519::Recipient) -> Result<Vec<u8>> {
        crypto::encrypt_to(recovery, self.to_text().as_bytes())
            .map_err(|e| Error::Internal(e.to_string()))
    }

    pub(crate) fn unwrap_with_recovery(
        ciphertext: &[u8],
        recovery: &RecoveryKey,
        file: &std::path::Path,
    ) -> Result<Self> {
        match crypto::decrypt_all(&recovery.0, ciphertext) {
            Ok(text) => Self::from_text(&text, file),
            Err(OpenFailure::WrongKey) => Err(Error::WrongRecoveryKey),
            Err(_) => Err(Error::KeyFileCorrupt {
                file: file.to_path_buf(),
                detail: "not a recovery-key-encrypted age file",
            }),
        }
    }
}

/// The recovery key: an age X25519 identity shown once at creation, to print or write down.
/// With it (and `rage`), the vault can be opened even without Amanat.
pub struct RecoveryKey(x25519::Identity);

impl RecoveryKey {
    pub(crate) fn generate() -> Self {
        RecoveryKey(x25519::Identity::generate())
    }

    /// Writes the key, with a line saying what it is, to a new file the user chose (a USB
    /// stick, say). Refuses to overwrite anything.
    pub fn write_to_new_file(&self, path: &std::path::Path) -> Result<()> {
        use std::io::Write;
        let text = Zeroizing::new(format!(
            "Amanat recovery key. Whoever holds it can open the vault.\n{}\n",
            self.expose().expose_secret()
        ));
        let mut f = crate::fsutil::create_new_file(path)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("write", path, e))?;
        crate::fsutil::sync_parent(path)
    }

    /// Its public half (what `keys/recovery.age` is encrypted to).
    pub(crate) fn recipient(&self) -> x25519::Recipient {
        self.0.to_public()
    }

    /// The key as the user writes it down (`AGE-SECRET-KEY-1…`).
    pub fn expose(&self) -> SecretString {
        self.0.to_string()
    }

    /// Parses a recovery key as typed: case and whitespace (including line breaks and the
    /// spaces people put between groups) do not matter, and whatever comes before the key is
    /// ignored — such as the line saying what it is in the file [`Self::write_to_new_file`]
    /// wrote, which is what a user pastes or points the command line at.
    pub fn parse(typed: &SecretString) -> Result<Self> {
        const PREFIX: &str = "AGE-SECRET-KEY-1";
        let cleaned: Zeroizing<String> = Zeroizing::new(
            typed
                .expose_secret()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase(),
        );
        let Some(start) = cleaned.find(PREFIX) else {
            return Err(Error::InvalidRecoveryKey(
                "it must start with AGE-SECRET-KEY-1",
            ));
        };
        x25519::Identity::from_str(&cleaned[start..])
            .map(RecoveryKey)
            .map_err(|_| Error::InvalidRecoveryKey("a character is wrong or missing"))
    }
}

/// One line that identifies a person's device: a name, where to encrypt to, which key signs,
/// and a fingerprint to compare by phone.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactCard {
    name: String,
    recipient: String,
    verifying_key: VerifyingKey,
}

const CARD_PREFIX: &str = "amanat-card";
const CARD_VERSION: &str = "v1";
const MAX_NAME_CHARS: usize = 64;
const BASE32_LOWER: data_encoding::Encoding = data_encoding::BASE32_NOPAD;

impl ContactCard {
    pub fn new(name: &str, recipient: &x25519::Recipient, key: VerifyingKey) -> Result<Self> {
        let name = validate_card_name(name).map_err(|r| Error::invalid("name", r))?;
        Ok(ContactCard {
            name,
            recipient: recipient.to_string(),
            verifying_key: key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// Five groups of five digits, derived from both public keys (not the name), so two
    /// people can read them to each other over a phone call.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.recipient, &self.verifying_key)
    }

    /// Parses someone else's card. Every way it can be wrong gives its own message.
    pub fn parse(line: &str) -> Result<Self> {
        let line = line.trim();
        let parts: Vec<&str> = line.split(':').collect();
        if parts.first() != Some(&CARD_PREFIX) {
            return Err(Error::InvalidCard("it does not start with amanat-card"));
        }
        if parts.get(1) != Some(&CARD_VERSION) {
            return Err(Error::InvalidCard(
                "it was made by another version of Amanat",
            ));
        }
        let [_, _, name, recipient, key, fp] = parts.as_slice() else {
            return Err(Error::InvalidCard("a part is missing or extra"));
        };
        let name = percent_decode(name).ok_or(Error::InvalidCard("the name is garbled"))?;
        let name =
            validate_card_name(&name).map_err(|_| Error::InvalidCard("the name is not valid"))?;
        let recipient = x25519::Recipient::from_str(recipient)
            .map_err(|_| Error::InvalidCard("the encryption key (age1…) is not valid"))?;
        let key_bytes: [u8; 32] = BASE32_LOWER
            .decode(key.to_ascii_uppercase().as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::InvalidCard("the signing key is not valid"))?;
        let verifying_key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| Error::InvalidCard("the signing key is not valid"))?;
        let card = ContactCard {
            name,
            recipient: recipient.to_string(),
            verifying_key,
        };
        if card.fingerprint() != *fp {
            return Err(Error::InvalidCard(
                "the fingerprint does not match the keys (a typo, or a forged card)",
            ));
        }
        Ok(card)
    }
}

impl fmt::Display for ContactCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CARD_PREFIX}:{CARD_VERSION}:{}:{}:{}:{}",
            percent_encode(&self.name),
            self.recipient,
            BASE32_LOWER
                .encode(self.verifying_key.as_bytes())
                .to_ascii_lowercase(),
            self.fingerprint()
        )
    }
}

impl fmt::Debug for ContactCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactCard({self})")
    }
}

pub(crate) fn fingerprint(recipient: &str, key: &VerifyingKey) -> String {
    let mut h = Sha256::new();
    h.update(b"amanat/fingerprint/v1\n");
    h.update(recipient.as_bytes());
    h.update(b"\n");
    h.update(key.as_bytes());
    let d = h.finalize();
    let groups: Vec<String> = d
        .chunks_exact(5)
        .take(5)
        .map(|c| {
            let n = c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            format!("{:05}", n % 100_000)
        })
        .collect();
    groups.join("-")
}

/// Checks a name for this device's contact card.
pub(crate) fn check_device_name(name: &str) -> Result<()> {
    validate_card_name(name)
        .map(|_| ())
        .map_err(|r| Error::invalid("name", r))
}

fn validate_card_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a name is needed");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("at most 64 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("control characters are not allowed");
    }
    Ok(name.to_string())
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c == ':' || c == '%' || (c.is_ascii() && c.is_whitespace()) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hexpair = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hexpair, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn strength_meter_ranks_a_dictionary_word_below_a_long_phrase() {
        let weak = passphrase_strength(&SecretString::from("password1".to_string()), &[]);
        let strong = passphrase_strength(
            &SecretString::from("тау жолы ұзақ, бірақ біз жетеміз 2018".to_string()),
            &[],
        );
        assert!(weak.acceptable && weak.score <= 1, "{weak:?}");
        assert!(strong.acceptable && strong.score >= 3, "{strong:?}");
        assert!(!passphrase_strength(&SecretString::from("short".to_string()), &[]).acceptable);
    }

    #[test]
    fn passphrase_wrap_round_trips_and_wrong_passphrase_is_named() -> Result<()> {
        let s = VaultSecret::generate();
        let ct = s.wrap_with_passphrase(&pass("correct horse"), 4)?;
        let back =
            VaultSecret::unwrap_with_passphrase(&ct, &pass("correct horse"), Path::new("p"))?;
        assert_eq!(back.verifying_key(), s.verifying_key());
        let wrong = VaultSecret::unwrap_with_passphrase(&ct, &pass("wrong horse"), Path::new("p"));
        assert_eq!(wrong.err().map(|e| e.code()), Some("wrong_passphrase"));
        Ok(())
    }

    #[test]
    fn a_key_file_demanding_too_much_work_is_refused_without_trying() -> Result<()> {
        let s = VaultSecret::generate();
        let ct = s.wrap_with_passphrase(&pass("correct horse"), 4)?;
        // An attacker edits the stanza's work factor ("-> scrypt <salt> 4") to 2^30: the
        // header MAC no longer matches, but the cap must refuse it before any work is done.
        let text = String::from_utf8_lossy(&ct).into_owned();
        let line_end = text.find('\n').unwrap_or(0);
        let stanza_end = text[line_end + 1..]
            .find('\n')
            .map_or(0, |i| i + line_end + 1);
        let stanza = &text[line_end + 1..stanza_end];
        assert!(
            stanza.starts_with("-> scrypt ") && stanza.ends_with(" 4"),
            "{stanza}"
        );
        // Only the trailing work factor: the base64 salt may itself begin with "4".
        let mut forged = ct[..line_end + 1].to_vec();
        forged.extend_from_slice(stanza.strip_suffix(" 4").unwrap_or(stanza).as_bytes());
        forged.extend_from_slice(b" 30");
        forged.extend_from_slice(&ct[stanza_end..]);
        let started = Instant::now();
        let r =
            VaultSecret::unwrap_with_passphrase(&forged, &pass("correct horse"), Path::new("p"));
        assert_eq!(r.err().map(|e| e.code()), Some("tampered"));
        assert!(started.elapsed().as_secs() < 2);
        Ok(())
    }

    #[test]
    fn recovery_key_is_accepted_in_any_case_and_grouping() -> Result<()> {
        let s = VaultSecret::generate();
        let rk = RecoveryKey::generate();
        let ct = s.wrap_to_recovery(&rk)?;
        let typed: String = rk
            .expose()
            .expose_secret()
            .to_ascii_lowercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        let parsed = RecoveryKey::parse(&pass(&typed))?;
        let back = VaultSecret::unwrap_with_recovery(&ct, &parsed, Path::new("r"))?;
        assert_eq!(back.verifying_key(), s.verifying_key());
        let other = RecoveryKey::generate();
        let r = VaultSecret::unwrap_with_recovery(&ct, &other, Path::new("r"));
        assert_eq!(r.err().map(|e| e.code()), Some("wrong_recovery_key"));
        // The file the app saves to a USB stick reads back as the same key.
        let dir = tempfile::tempdir().map_err(|e| Error::io("mkdir", Path::new("tmp"), e))?;
        let file = dir.path().join("recovery-key.txt");
        rk.write_to_new_file(&file)?;
        let saved = std::fs::read_to_string(&file).map_err(|e| Error::io("read", &file, e))?;
        let from_file = RecoveryKey::parse(&pass(&saved))?;
        let back = VaultSecret::unwrap_with_recovery(&ct, &from_file, Path::new("r"))?;
        assert_eq!(back.verifying_key(), s.verifying_key());
        assert_eq!(
            RecoveryKey::parse(&pass("AGE-SECRET-KEY-1QQQ"))
                .err()
                .map(|e| e.code()),
            Some("invalid_recovery_key")
        );
        Ok(())
    }

    #[test]
    fn contact_card_round_trips_with_any_script_name() -> Result<()> {
        let s = VaultSecret::generate();
        let card = ContactCard::new("Ержанат: ئەرجانات 叶尔", &s.recipient(), s.verifying_key())?;
        let line = card.to_string();
        assert!(!line.contains('\n'));
        let parsed = ContactCard::parse(&line)?;
        assert_eq!(parsed, card);
        assert_eq!(parsed.name(), "Ержанат: ئەرجانات 叶尔");
        let fp = card.fingerprint();
        assert_eq!(fp.len(), 29);
        assert!(
            fp.split('-')
                .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_digit()))
        );
        Ok(())
    }

    #[test]
    fn damaged_cards_are_refused_with_a_reason() -> Result<()> {
        let s = VaultSecret::generate();
        let line = ContactCard::new("Aigerim", &s.recipient(), s.verifying_key())?.to_string();
        let cases: Vec<(String, &str)> = vec![
            ("hello".into(), "start"),
            (line.replacen("v1", "v9", 1), "version"),
            (
                line.rsplit_once(':')
                    .map(|x| x.0)
                    .unwrap_or_default()
                    .to_string(),
                "missing",
            ),
            (line.replace("age1", "age2"), "encryption key"),
            // The last fingerprint digit changed (to another digit: it may already be 0).
            (
                format!(
                    "{}{}",
                    &line[..line.len() - 1],
                    if line.ends_with('0') { '1' } else { '0' }
                ),
                "fingerprint",
            ),
        ];
        for (bad, why) in cases {
            match ContactCard::parse(&bad) {
                Err(Error::InvalidCard(msg)) => assert!(msg.contains(why), "{bad}: {msg}"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
        Ok(())
    }
}
