//! Encrypted attachment files: `blobs/<random id>.age`, one standard age STREAM file each.
//!
//! Import reads the source in 1 MiB chunks on a reader thread, which also computes the
//! plaintext's SHA-256, and encrypts them on the calling thread, so the hash costs no wall
//! time; a third thread starts the disk writeback as it goes. Four buffers circulate: memory
//! is constant whatever the file size, and every plaintext buffer is zeroed when dropped. The file is written under a temporary name,
//! synced, and renamed only when complete; a failed or cancelled import leaves nothing.
//!
//! Reads are random access: age's `StreamReader` seeks to the 64 KiB chunk that holds an
//! offset and decrypts only that.
//!
//! Files are encrypted to the vault's storage key, whose public half is written nowhere
//! (`keys.rs`): a file planted by someone without the vault secret does not open, and a
//! file of another attachment moved into place is caught by its size (and by its SHA-256
//! whenever it is read whole: extract, export, verify).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use age::x25519;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::{self, OpenFailure};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::keys::VaultSecret;
use crate::model::attachment::is_blob_id;

pub(crate) const DIR: &str = "blobs";
const CHUNK: usize = 1 << 20;
/// Chunks queued from the reader to the encrypting thread: bounds memory to a few MiB.
const QUEUE: usize = 2;

/// A blob written and durable under its final name.
pub(crate) struct Written {
    pub id: String,
    pub sha256: [u8; 32],
    pub size: u64,
}

/// A plaintext source being imported: its first bytes are inspected before anything is
/// written (type sniffing, refusing an empty file).
pub(crate) struct Source {
    file: File,
    path: PathBuf,
    pub len: u64,
    first: Zeroizing<Vec<u8>>,
}

impl Source {
    pub(crate) fn open(path: &Path) -> Result<Source> {
        let mut file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        let meta = file.metadata().map_err(|e| Error::io("read", path, e))?;
        if !meta.is_file() {
            return Err(Error::invalid(display_name(path), "is not a regular file"));
        }
        if meta.len() == 0 {
            return Err(Error::invalid(display_name(path), "is empty"));
        }
        let mut first = Zeroizing::new(vec![0u8; CHUNK]);
        let n = read_full(&mut file, &mut first).map_err(|e| Error::io("read", path, e))?;
        first.truncate(n);
        if n == 0 {
            return Err(Error::invalid(display_name(path), "is empty"));
        }
        Ok(Source {
            file,
            path: path.to_path_buf(),
            len: meta.len(),
            first,
        })
    }

    /// The first bytes of the file (up to 1 MiB).
    pub(crate) fn head(&self) -> &[u8] {
        &self.first
    }
}

/// The file name without its folder, for messages, progress and the attachment record.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

fn read_full(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Creates `blobs/` if it is missing (a vault copied by a tool that drops empty folders).
fn ensure_dir(vault: &Path) -> Result<()> {
    let dir = vault.join(DIR);
    if !dir.is_dir() {
        fsutil::create_dir(&dir)?;
        fsutil::sync_dir(vault)?;
    }
    Ok(())
}

pub(crate) fn path(vault: &Path, id: &str) -> PathBuf {
    vault.join(DIR).join(format!("{id}.age"))
}

fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Encrypts `src` into a new blob. `progress(bytes_done)` is called after every chunk;
/// returning `false` cancels. On any error or cancel the partial file is removed.
pub(crate) fn import(
    vault: &Path,
    recipient: &x25519::Recipient,
    src: Source,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<Written> {
    ensure_dir(vault)?;
    let id = new_id();
    let dest = path(vault, &id);
    let tmp = fsutil::tmp_path(&dest);
    let file = fsutil::create_new_file(&tmp)?;
    let outcome = encrypt_and_hash(file, &tmp, recipient, src, progress).and_then(|w| {
        fsutil::rename(&tmp, &dest)?;
        fsutil::sync_parent(&dest)?;
        Ok(w)
    });
    match outcome {
        Ok((sha256, size)) => Ok(Written { id, sha256, size }),
        Err(e) => {
            let _ = fsutil::remove_file_if_exists(&tmp);
            Err(e)
        }
    }
}

/// Encrypts everything `src` gives into a temporary blob file, durable, and returns its
/// path (for files arriving in a bundle, already inside another decryption: one thread is
/// enough; the caller checks the content's hash). On error the file is removed.
pub(crate) fn stage(
    vault: &Path,
    recipient: &x25519::Recipient,
    src: &mut dyn Read,
) -> Result<PathBuf> {
    ensure_dir(vault)?;
    let tmp = fsutil::tmp_path(&path(vault, &new_id()));
    let outcome = (|| {
        let file = fsutil::create_new_file(&tmp)?;
        let tmp = tmp.as_path();
        // This thread reads (for a bundle: decrypts and hashes); another encrypts and writes.
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Zeroizing<Vec<u8>>>(QUEUE);
            let writer = scope.spawn(move || -> Result<()> {
                let mut w = crypto::encrypt_writer(recipient, file)
                    .map_err(|e| Error::io("write", tmp, e))?;
                for chunk in rx {
                    w.write_all(&chunk)
                        .map_err(|e| Error::io("write", tmp, e))?;
                }
                let file = w.finish().map_err(|e| Error::io("write", tmp, e))?;
                file.sync_all().map_err(|e| Error::io("sync", tmp, e))
            });
            let read = (|| {
                loop {
                    let mut buf = Zeroizing::new(vec![0u8; CHUNK]);
                    let n = read_full(src, &mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    buf.truncate(n);
                    // The writer stopped on an error: it is reported below.
                    if tx.send(buf).is_err() {
                        return Ok(());
                    }
                }
            })();
            drop(tx);
            let written = writer
                .join()
                .map_err(|_| StageError::Vault(Error::Internal("write thread failed".into())))?;
            read.map_err(StageError::Source)?;
            written.map_err(StageError::Vault)?;
            Ok(tmp.to_path_buf())
        })
    })();
    outcome.map_err(|e| {
        let _ = fsutil::remove_file_if_exists(&tmp);
        match e {
            StageError::Source(e) => Error::BundleDamaged(format!("reading a file: {e}")),
            StageError::Vault(e) => e,
        }
    })
}

enum StageError {
    Source(io::Error),
    Vault(Error),
}

impl From<Error> for StageError {
    fn from(e: Error) -> Self {
        StageError::Vault(e)
    }
}

/// Moves a staged blob to its final name, which must be free. The caller syncs the folder.
pub(crate) fn place(vault: &Path, staged: &Path, id: &str) -> Result<()> {
    if !is_blob_id(id) {
        return Err(Error::Internal("not a blob name".into()));
    }
    let dest = path(vault, id);
    if dest.exists() {
        return Err(Error::BundleTampered(format!(
            "it names a file ({id}) that this vault already holds for something else"
        )));
    }
    fsutil::rename(staged, &dest)
}

/// Copies a placed blob to a second free name, synced (the same content in two attachments).
pub(crate) fn place_copy(vault: &Path, src: &Path, id: &str) -> Result<()> {
    let tmp = fsutil::tmp_path(&path(vault, id));
    let outcome = std::fs::copy(src, &tmp)
        .and_then(|_| File::open(&tmp)?.sync_all())
        .map_err(|e| Error::io("copy", &tmp, e))
        .and_then(|()| place(vault, &tmp, id));
    if outcome.is_err() {
        let _ = fsutil::remove_file_if_exists(&tmp);
    }
    outcome
}

/// A plaintext buffer and how much of it holds data. Zeroed when finally dropped.
struct Buf {
    data: Zeroizing<Vec<u8>>,
    len: usize,
}

/// Buffers in circulation: one being read and hashed, one being encrypted, the rest queued.
const POOL: usize = QUEUE + 2;
/// Start writing encrypted data back to the disk every this many bytes, while encryption
/// goes on, so that the final fsync has little left to do.
const SYNC_EVERY: u64 = 32 << 20;

/// What the reading thread found: the plaintext's SHA-256 and length, and the file's length
/// when it finished.
struct ReadOutcome {
    sha256: [u8; 32],
    read: u64,
    len_after: u64,
}

/// Three threads: this one encrypts and writes; a reader reads each chunk and hashes it
/// before handing it over (so the hash costs no wall time); a writeback thread starts the
/// disk writing early.
fn encrypt_and_hash(
    file: File,
    tmp: &Path,
    recipient: &x25519::Recipient,
    src: Source,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<([u8; 32], u64)> {
    let (tx, rx) = mpsc::sync_channel::<io::Result<Buf>>(QUEUE);
    let (back_tx, back_rx) = mpsc::channel::<Buf>();
    let Source {
        file: input,
        path: src_path,
        len,
        first,
    } = src;
    let reader = std::thread::Builder::new()
        .name("amanat-read".into())
        .spawn(move || read_and_hash(input, first, len, tx, back_rx))
        .map_err(|e| Error::Internal(format!("read thread: {e}")))?;
    let syncer_file = file.try_clone().map_err(|e| Error::io("open", tmp, e))?;
    let (sync_tx, sync_rx) = mpsc::sync_channel::<()>(1);
    let syncer = std::thread::Builder::new()
        .name("amanat-writeback".into())
        .spawn(move || {
            for () in sync_rx {
                syncer_file.sync_data()?;
            }
            Ok::<(), io::Error>(())
        })
        .map_err(|e| Error::Internal(format!("writeback thread: {e}")))?;
    let written = encrypt(
        file,
        tmp,
        recipient,
        &src_path,
        (rx, back_tx),
        sync_tx,
        progress,
    );
    let read = reader
        .join()
        .map_err(|_| Error::Internal("read thread failed".into()));
    let synced = syncer
        .join()
        .map_err(|_| Error::Internal("writeback thread failed".into()));
    let file = written?;
    let read = read?.map_err(|e| Error::io("read", &src_path, e))?;
    synced?.map_err(|e| Error::io("sync", tmp, e))?;
    if read.read != len || read.len_after != len {
        return Err(Error::invalid(
            display_name(&src_path),
            "changed while it was being read (it was written to, cut short or removed)",
        ));
    }
    file.sync_all().map_err(|e| Error::io("sync", tmp, e))?;
    Ok((read.sha256, read.read))
}

/// The reading thread: fills pooled buffers, hashes them, hands them over. Stops at the end
/// of the file, one chunk past the length it had (a file growing under the import), or
/// when the encrypting side hangs up (an error or a cancel).
fn read_and_hash(
    mut input: File,
    mut first: Zeroizing<Vec<u8>>,
    len: u64,
    tx: mpsc::SyncSender<io::Result<Buf>>,
    back: mpsc::Receiver<Buf>,
) -> io::Result<ReadOutcome> {
    let mut h = Sha256::new();
    let n = first.len();
    first.resize(CHUNK, 0);
    let mut buf = Buf {
        data: first,
        len: n,
    };
    let mut allocated = 1;
    let mut read = 0u64;
    while buf.len > 0 {
        read += buf.len as u64;
        h.update(&buf.data[..buf.len]);
        if tx.send(Ok(buf)).is_err() || read > len {
            break;
        }
        let reused = if allocated < POOL {
            None
        } else {
            back.recv().ok()
        };
        buf = reused.unwrap_or_else(|| {
            allocated += 1;
            Buf {
                data: Zeroizing::new(vec![0u8; CHUNK]),
                len: 0,
            }
        });
        match read_full(&mut input, &mut buf.data) {
            Ok(n) => buf.len = n,
            Err(e) => {
                let kind = e.kind();
                let _ = tx.send(Err(e));
                return Err(io::Error::new(kind, "read failed"));
            }
        }
    }
    Ok(ReadOutcome {
        sha256: h.finalize().into(),
        read,
        len_after: input.metadata()?.len(),
    })
}

/// This thread: encrypts each chunk as it arrives and nudges the writeback thread. Returns
/// the file, to be synced by the caller.
fn encrypt(
    file: File,
    tmp: &Path,
    recipient: &x25519::Recipient,
    src_path: &Path,
    (rx, back): (mpsc::Receiver<io::Result<Buf>>, mpsc::Sender<Buf>),
    sync: mpsc::SyncSender<()>,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<File> {
    let mut w = crypto::encrypt_writer(recipient, file).map_err(|e| Error::io("write", tmp, e))?;
    let mut done = 0u64;
    let mut next_sync = SYNC_EVERY;
    for buf in rx {
        let buf = buf.map_err(|e| Error::io("read", src_path, e))?;
        w.write_all(&buf.data[..buf.len])
            .map_err(|e| Error::io("write", tmp, e))?;
        done += buf.len as u64;
        // The buffer goes back to be filled again; if the reader is gone, it drops (zeroed).
        let _ = back.send(buf);
        if !progress(done) {
            return Err(Error::Cancelled);
        }
        if done >= next_sync {
            next_sync = done + SYNC_EVERY;
            // If the last writeback is still running, this one is folded into the next.
            let _ = sync.try_send(());
        }
    }
    drop(sync);
    w.finish().map_err(|e| Error::io("write", tmp, e))
}

/// What the vault recorded about a blob; reading checks the file against it.
pub(crate) struct Expected<'a> {
    pub id: &'a str,
    pub size: u64,
    pub sha256: &'a str,
}

/// Blob files from before attachment files had their own key (they were encrypted to the
/// vault's published recipient, which anyone with its contact card can encrypt to) whose whole
/// content was found to match its record in this session: checked once, then read at any
/// offset like the others. Keyed by name, length and modification time, so a file changed
/// since is checked again.
#[derive(Default)]
pub(crate) struct LegacyChecked(Mutex<HashSet<(String, u64, Option<std::time::SystemTime>)>>);

type Reader = age::stream::StreamReader<io::BufReader<File>>;

/// The blob decrypted with `identity`, or `None` if it is not encrypted to it.
fn decrypting(vault: &Path, identity: &x25519::Identity, id: &str) -> Result<Option<Reader>> {
    let p = path(vault, id);
    let f = File::open(&p).map_err(|e| Error::io("open", &p, e))?;
    match crypto::decrypt_reader(identity, io::BufReader::new(f)) {
        Ok(r) => Ok(Some(r)),
        Err(OpenFailure::Io) => Err(Error::io("read", &p, io::Error::other("read failed"))),
        Err(_) => Ok(None),
    }
}

/// The blob decrypted with whichever of `identities` opens it.
fn decrypting_any(
    vault: &Path,
    identities: &[x25519::Identity],
    id: &str,
) -> Result<Option<Reader>> {
    for identity in identities {
        if let Some(r) = decrypting(vault, identity, id)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// Whether a blob is encrypted to the vault's current storage key (not to an earlier one).
pub(crate) fn is_current(vault: &Path, secret: &VaultSecret, id: &str) -> Result<bool> {
    Ok(decrypting(vault, secret.storage(), id)?.is_some())
}

fn not_ours(id: &str) -> Error {
    Error::tampered(format!("blob {id}"), "it is not a file this vault wrote")
}

/// Opens a blob for reading at any offset, refusing a file that is not the one recorded: it
/// must open with the vault's storage key (which only the vault secret gives) and have the
/// recorded size. An older file — encrypted to the published recipient, or to a key the vault
/// had before "Change keys" — is read only once its whole content has the recorded SHA-256.
pub(crate) fn open(
    vault: &Path,
    secret: &VaultSecret,
    e: &Expected<'_>,
    checked: &LegacyChecked,
) -> Result<Reader> {
    if let Some(mut r) = decrypting(vault, secret.storage(), e.id)? {
        let len = r.seek(SeekFrom::End(0)).map_err(|_| damaged(e.id))?;
        if len != e.size {
            return Err(damaged(e.id));
        }
        r.seek(SeekFrom::Start(0)).map_err(|_| damaged(e.id))?;
        return Ok(r);
    }
    let p = path(vault, e.id);
    let meta = std::fs::metadata(&p).map_err(|err| Error::io("stat", &p, err))?;
    let key = (e.id.to_string(), meta.len(), meta.modified().ok());
    let known = checked
        .0
        .lock()
        .map_err(|_| Error::Internal("blob check".into()))?
        .contains(&key);
    let fallback = secret.unchecked_blob_identities();
    if !known {
        let r = decrypting_any(vault, &fallback, e.id)?.ok_or_else(|| not_ours(e.id))?;
        let (digest, size) = hash_all(r, e.id)?;
        if hex::encode(digest) != e.sha256 || size != e.size {
            return Err(damaged(e.id));
        }
        checked
            .0
            .lock()
            .map_err(|_| Error::Internal("blob check".into()))?
            .insert(key);
    }
    decrypting_any(vault, &fallback, e.id)?.ok_or_else(|| not_ours(e.id))
}

/// Decrypts a whole blob, handing each plaintext chunk to `sink`. Damage anywhere shows as
/// an error (age authenticates every 64 KiB chunk).
pub(crate) fn read_all(
    vault: &Path,
    secret: &VaultSecret,
    e: &Expected<'_>,
    checked: &LegacyChecked,
    sink: &mut dyn FnMut(&[u8]) -> Result<bool>,
) -> Result<()> {
    let mut r = open(vault, secret, e, checked)?;
    let mut buf = Zeroizing::new(vec![0u8; CHUNK]);
    loop {
        let n = read_full(&mut r, &mut buf).map_err(|_| damaged(e.id))?;
        if n == 0 {
            return Ok(());
        }
        if !sink(&buf[..n])? {
            return Err(Error::Cancelled);
        }
    }
}

fn hash_all(mut r: Reader, id: &str) -> Result<([u8; 32], u64)> {
    let mut h = Sha256::new();
    let mut size = 0u64;
    let mut buf = Zeroizing::new(vec![0u8; CHUNK]);
    loop {
        let n = read_full(&mut r, &mut buf).map_err(|_| damaged(id))?;
        if n == 0 {
            return Ok((h.finalize().into(), size));
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
}

pub(crate) fn damaged(id: &str) -> Error {
    Error::tampered(
        format!("blob {id}"),
        "its content is damaged or was changed",
    )
}

/// SHA-256 and size of a blob's plaintext, with whichever of the vault's keys opens it (for
/// `verify`, which compares them with the record).
pub(crate) fn digest(vault: &Path, secret: &VaultSecret, id: &str) -> Result<([u8; 32], u64)> {
    let r = match decrypting(vault, secret.storage(), id)? {
        Some(r) => r,
        None => decrypting_any(vault, &secret.unchecked_blob_identities(), id)?
            .ok_or_else(|| not_ours(id))?,
    };
    hash_all(r, id)
}

/// Removes a blob file and makes the removal durable.
pub(crate) fn remove(vault: &Path, id: &str) -> Result<()> {
    let p = path(vault, id);
    fsutil::remove_file_if_exists(&p)?;
    fsutil::sync_parent(&p)
}

/// Removes partial imports and blobs no attachment refers to (an import that crashed
/// between writing its file and committing its revision, or a delete that crashed after
/// its tombstone). Files that are not ours by name are left alone. Returns how many.
pub(crate) fn remove_orphans(vault: &Path, keep: &HashSet<String>) -> Result<u64> {
    let dir = vault.join(DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io("list", &dir, e)),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let orphan = match name.strip_suffix(".age") {
            Some(id) => is_blob_id(id) && !keep.contains(id),
            None => name
                .strip_suffix(fsutil::TMP_SUFFIX)
                .and_then(|n| n.strip_suffix(".age"))
                .is_some_and(is_blob_id),
        };
        if orphan {
            fsutil::remove_file_if_exists(&entry.path())?;
            removed += 1;
        }
    }
    if removed > 0 {
        fsutil::sync_dir(&dir)?;
    }
    Ok(removed)
}
