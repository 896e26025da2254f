//! The encrypted, signed snapshot of the in-memory index.
//!
//! Plaintext layout (inside one age file to the vault recipient):
//! `"AMANAT-SNAPSHOT\n"` · u32 LE length · meta JSON · the SQLite database bytes ·
//! Ed25519 signature over `H("amanat/snapshot/v1\n" || BLAKE3(everything before it))`.
//!
//! Invariants: a snapshot is written to a temporary name, fsynced, and only then renamed
//! into place (the old one becoming `snapshot.prev.age`), and the directory fsynced. Nothing
//! read from a snapshot is trusted until its signature has been checked.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use age::x25519;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::crypto::{self, DOMAIN_SNAPSHOT};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::log::LogPos;
use crate::readahead;
use crate::store::Store;

pub(crate) const CURRENT: &str = "snapshot.age";
pub(crate) const PREVIOUS: &str = "snapshot.prev.age";
const MAGIC: &[u8; 16] = b"AMANAT-SNAPSHOT\n";
const META_MAX: u32 = 64 * 1024;
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Meta {
    pub format: u32,
    /// The last log frame this snapshot includes.
    pub pos: LogPos,
    /// Frames after `pos` are in this segment and later ones.
    pub start_segment: u64,
    /// The start segment of the snapshot this one replaces; segments before it are covered
    /// by both and may be removed.
    pub prev_start_segment: u64,
    pub db_len: u64,
    pub created_at: jiff::Timestamp,
}

/// Hashes everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Writes a snapshot of `db` to `path` (which must not be the live name) and fsyncs it.
pub(crate) fn write(
    path: &Path,
    recipient: &x25519::Recipient,
    key: &SigningKey,
    meta: &Meta,
    db: &[u8],
) -> Result<()> {
    let io_err = |e| Error::io("write", path, e);
    let file = fsutil::create_new_file(path)?;
    let mut w = crypto::encrypt_writer(recipient, BufWriter::with_capacity(1 << 20, file))
        .map_err(io_err)?;
    write_plain(&mut w, key, meta, db).map_err(io_err)?;
    let buffered = w.finish().map_err(io_err)?;
    let file = buffered.into_inner().map_err(|e| io_err(e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("sync", path, e))
}

/// Writes a snapshot's plaintext: magic, meta, database, signature.
pub(crate) fn write_plain(
    w: &mut impl Write,
    key: &SigningKey,
    meta: &Meta,
    db: &[u8],
) -> io::Result<()> {
    let meta_json = serde_json::to_vec(meta).map_err(io::Error::other)?;
    let meta_len = u32::try_from(meta_json.len()).map_err(io::Error::other)?;
    let mut hasher = blake3::Hasher::new();
    let mut put = |w: &mut dyn Write, bytes: &[u8]| -> io::Result<()> {
        hasher.update(bytes);
        w.write_all(bytes)
    };
    put(w, MAGIC)?;
    put(w, &meta_len.to_le_bytes())?;
    put(w, &meta_json)?;
    for chunk in db.chunks(1 << 20) {
        put(w, chunk)?;
    }
    let digest: [u8; 32] = hasher.finalize().into();
    let sig = crypto::sign(key, &crypto::labelled_hash(DOMAIN_SNAPSHOT, &digest));
    w.write_all(&sig)
}

/// Makes the snapshot at `tmp` the current one, keeping the current one as previous. At
/// every instant there is a complete `snapshot.age`: the previous copy is made by a hard
/// link (a copy where links are not supported) and renamed into place before the new
/// snapshot replaces the current one in a single rename.
pub(crate) fn install(dir: &Path, tmp: &Path) -> Result<()> {
    let current = dir.join(CURRENT);
    let previous = dir.join(PREVIOUS);
    if current.exists() {
        let prev_tmp = fsutil::tmp_path(&previous);
        fsutil::remove_file_if_exists(&prev_tmp)?;
        if std::fs::hard_link(&current, &prev_tmp).is_err() {
            std::fs::copy(&current, &prev_tmp).map_err(|e| Error::io("copy", &current, e))?;
            File::open(&prev_tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("sync", &prev_tmp, e))?;
        }
        fsutil::rename(&prev_tmp, &previous)?;
    }
    fsutil::rename(tmp, &current)?;
    fsutil::sync_dir(dir)
}

/// Makes the snapshot at `tmp` both the current and the previous one (after an erasure: no
/// snapshot may still hold what was erased). The previous one is replaced first, by a copy:
/// at every instant `snapshot.age` is complete, and until the last rename it is the one the
/// log on disk follows.
pub(crate) fn install_both(dir: &Path, tmp: &Path) -> Result<()> {
    let previous = dir.join(PREVIOUS);
    let prev_tmp = fsutil::tmp_path(&previous);
    fsutil::remove_file_if_exists(&prev_tmp)?;
    std::fs::copy(tmp, &prev_tmp).map_err(|e| Error::io("copy", tmp, e))?;
    File::open(&prev_tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("sync", &prev_tmp, e))?;
    fsutil::rename(&prev_tmp, &previous)?;
    fsutil::rename(tmp, &dir.join(CURRENT))?;
    fsutil::sync_dir(dir)
}

/// Reads and verifies a snapshot; with `load`, also returns the index it holds.
pub(crate) fn read(
    path: &Path,
    identity: &x25519::Identity,
    vault_key: &VerifyingKey,
    load: bool,
) -> Result<(Meta, Option<Store>)> {
    let name = path.display().to_string();
    let corrupt = |why: &str| Error::SnapshotCorrupt(format!("{name}: {why}"));
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(corrupt("it is missing")),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let file_len = file
        .metadata()
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    let decrypted = crypto::decrypt_reader(identity, BufReader::with_capacity(1 << 20, file))
        .map_err(|_| corrupt("it does not decrypt with this vault's key"))?;
    // Decryption runs one thread ahead of hashing and loading.
    let decrypted = readahead::read_ahead(decrypted).map_err(|e| Error::io("read", path, e))?;
    read_plain(decrypted, &name, file_len, vault_key, load)
}

/// Reads and verifies a decrypted snapshot of at most `bound` bytes (`name` for messages).
pub(crate) fn read_plain(
    decrypted: impl Read,
    name: &str,
    bound: u64,
    vault_key: &VerifyingKey,
    load: bool,
) -> Result<(Meta, Option<Store>)> {
    let corrupt = |why: &str| Error::SnapshotCorrupt(format!("{name}: {why}"));
    let mut r = HashingReader {
        inner: decrypted,
        hasher: blake3::Hasher::new(),
    };
    let mut magic = [0u8; 16];
    r.read_exact(&mut magic)
        .map_err(|_| corrupt("it is truncated or damaged"))?;
    if &magic != MAGIC {
        return Err(corrupt("it is not a snapshot"));
    }
    let mut len = [0u8; 4];
    r.read_exact(&mut len)
        .map_err(|_| corrupt("it is truncated or damaged"))?;
    let meta_len = u32::from_le_bytes(len);
    if meta_len > META_MAX {
        return Err(corrupt("its header is too large"));
    }
    let mut meta_json = vec![0u8; meta_len as usize];
    r.read_exact(&mut meta_json)
        .map_err(|_| corrupt("it is truncated or damaged"))?;
    let meta: Meta =
        serde_json::from_slice(&meta_json).map_err(|_| corrupt("its header is not valid"))?;
    if meta.format != FORMAT {
        return Err(Error::UnsupportedVersion(format!(
            "snapshot format {}",
            meta.format
        )));
    }
    if meta.db_len > bound {
        return Err(corrupt("it claims more data than it holds"));
    }
    let db_len = usize::try_from(meta.db_len).map_err(|_| corrupt("it is too large"))?;
    let store = if load {
        Some(
            Store::load((&mut r).take(meta.db_len), db_len)
                .map_err(|_| corrupt("it is truncated or damaged"))?,
        )
    } else {
        io::copy(&mut (&mut r).take(meta.db_len), &mut io::sink())
            .map_err(|_| corrupt("it is truncated or damaged"))?;
        None
    };
    let digest: [u8; 32] = r.hasher.finalize().into();
    let mut sig = [0u8; 64];
    r.inner
        .read_exact(&mut sig)
        .map_err(|_| corrupt("it is truncated or damaged"))?;
    let mut extra = [0u8; 1];
    if r.inner
        .read(&mut extra)
        .map_err(|_| corrupt("it is damaged"))?
        != 0
    {
        return Err(corrupt("it has data after its signature"));
    }
    if !crypto::verify(
        vault_key,
        &crypto::labelled_hash(DOMAIN_SNAPSHOT, &digest),
        &sig,
    ) {
        return Err(Error::tampered(
            name.to_string(),
            "the snapshot is not signed by this vault",
        ));
    }
    Ok((meta, store))
}
