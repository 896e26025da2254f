//! The append-only revision log: segments `log/NNNNNN.seg` of frames `[u32 length LE][age
//! ciphertext]`. A frame is one commit: its revisions (usually one; an import's whole batch),
//! its sequence number, the hash of the previous frame, and an Ed25519 signature by this
//! vault over all of that. Frames are encrypted to the vault's own age recipient.
//!
//! Invariants:
//! - `append` returns only after the frame is on stable storage (fdatasync).
//! - Replay verifies every frame's signature, sequence and link to the previous frame, and
//!   every revision's hash and signature; anything else is tampering.
//! - Only the very last frame of the last segment may be incomplete or undecryptable (a
//!   write cut short by a crash); it is reported and cut off. Anywhere else it is corruption.
//! - A large commit (an import) is written as a *batch*: several frames, all but the last
//!   marked `open`, applied together. A batch still open at the end of the log (a crash
//!   before its last frame) is cut off like a torn frame: all of it or none of it.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use age::x25519;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::crypto::{self, DOMAIN_FRAME};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::model::Revision;

/// The largest frame accepted (a big import batch fits; a hostile length does not).
pub(crate) const FRAME_MAX: u32 = 256 * 1024 * 1024;
pub(crate) const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the log stands: the last frame's sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogPos {
    pub seq: u64,
    pub hash: String,
}

impl LogPos {
    pub(crate) fn genesis() -> LogPos {
        LogPos {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Frame {
    seq: u64,
    prev: String,
    /// More frames of the same commit follow.
    #[serde(default)]
    open: bool,
    pub(crate) revisions: Vec<Revision>,
    #[serde(default)]
    sig: String,
}

/// A frame as it is written: the revisions are borrowed, never copied.
#[derive(Serialize)]
pub(crate) struct FrameOut<'a> {
    seq: u64,
    prev: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    open: bool,
    revisions: &'a [Revision],
    sig: String,
}

/// `H(label || canonical JSON of {open, prev, revisions, seq})` (`open` only when set), built
/// one revision at a time so that no second tree of the whole frame is ever made in memory.
fn frame_hash(seq: u64, prev: &str, open: bool, revisions: &[Revision]) -> Result<crypto::Hash> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(DOMAIN_FRAME);
    h.update(if open {
        &b"{\"open\":true,\"prev\":"[..]
    } else {
        &b"{\"prev\":"[..]
    });
    h.update(crypto::canonical_json(&serde_json::Value::String(
        prev.to_string(),
    )));
    h.update(b",\"revisions\":[");
    for (i, r) in revisions.iter().enumerate() {
        if i > 0 {
            h.update(b",");
        }
        let v = serde_json::to_value(r).map_err(|e| Error::Internal(e.to_string()))?;
        h.update(crypto::canonical_json(&v));
    }
    h.update(format!("],\"seq\":{seq}}}").as_bytes());
    Ok(h.finalize().into())
}

impl<'a> FrameOut<'a> {
    /// The frame after `pos` holding `revisions`, signed with `key`, and its hash.
    pub(crate) fn signed(
        pos: &'a LogPos,
        revisions: &'a [Revision],
        open: bool,
        key: &SigningKey,
    ) -> Result<(FrameOut<'a>, crypto::Hash)> {
        let seq = pos.seq + 1;
        let hash = frame_hash(seq, &pos.hash, open, revisions)?;
        Ok((
            FrameOut {
                seq,
                prev: &pos.hash,
                open,
                revisions,
                sig: hex::encode(crypto::sign(key, &hash)),
            },
            hash,
        ))
    }
}

impl Frame {
    fn hash(&self) -> Result<crypto::Hash> {
        frame_hash(self.seq, &self.prev, self.open, &self.revisions)
    }
}

/// Where the log stood before a batch started: what `LogWriter::truncate_to` goes back to.
#[derive(Clone)]
pub(crate) struct Mark {
    len: u64,
    tail_bytes: u64,
    pos: LogPos,
}

pub(crate) fn segment_name(n: u64) -> String {
    format!("{n:06}.seg")
}

/// Segment numbers present in `log_dir`, ascending. Other files are ignored.
pub(crate) fn list_segments(log_dir: &Path) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(log_dir).map_err(|e| Error::io("list", log_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", log_dir, e))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else {
            continue;
        };
        if !stem.is_empty()
            && stem.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = stem.parse()
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Appends frames to the current segment.
pub(crate) struct LogWriter {
    dir: PathBuf,
    segment: u64,
    file: File,
    len: u64,
    pos: LogPos,
    /// Bytes written since the last rotation (that is, since the last snapshot).
    tail_bytes: u64,
}

impl LogWriter {
    /// Opens segment `segment` for appending at `len` (cutting off anything after it), or
    /// creates it.
    pub(crate) fn open(dir: &Path, segment: u64, len: u64, pos: LogPos) -> Result<LogWriter> {
        let path = dir.join(segment_name(segment));
        let existed = path.exists();
        let mut opts = OpenOptions::new();
        // Append mode: every write lands at the end, never over an earlier frame.
        opts.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(|e| Error::io("open", &path, e))?;
        let actual = file
            .metadata()
            .map_err(|e| Error::io("stat", &path, e))?
            .len();
        if actual != len {
            file.set_len(len)
                .map_err(|e| Error::io("truncate", &path, e))?;
            file.sync_all().map_err(|e| Error::io("sync", &path, e))?;
        }
        if !existed {
            fsutil::sync_dir(dir)?;
        }
        Ok(LogWriter {
            dir: dir.to_path_buf(),
            segment,
            file,
            len,
            pos,
            tail_bytes: len,
        })
    }

    pub(crate) fn pos(&self) -> &LogPos {
        &self.pos
    }

    pub(crate) fn tail_bytes(&self) -> u64 {
        self.tail_bytes
    }

    /// Writes one frame holding `revisions` (`open`: more frames of this commit follow) and
    /// returns once it is durable. On failure the segment is cut back to where it was; if
    /// even that fails the caller must poison.
    pub(crate) fn append(
        &mut self,
        recipient: &x25519::Recipient,
        key: &SigningKey,
        revisions: &[Revision],
        open: bool,
    ) -> Result<LogPos> {
        let pos = self.pos.clone();
        let (frame, hash) = FrameOut::signed(&pos, revisions, open, key)?;
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(&frame).map_err(|e| Error::Internal(e.to_string()))?,
        );
        let ct =
            crypto::encrypt_to(recipient, &json).map_err(|e| Error::Internal(e.to_string()))?;
        let len = u32::try_from(ct.len())
            .ok()
            .filter(|l| *l <= FRAME_MAX)
            .ok_or_else(|| Error::invalid("import", "is too large to commit at once"))?;
        let mut buf = Vec::with_capacity(4 + ct.len());
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(&ct);
        let path = self.dir.join(segment_name(self.segment));
        let written = self
            .file
            .write_all(&buf)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io("write", &path, e));
        if let Err(e) = written {
            self.file
                .set_len(self.len)
                .and_then(|_| self.file.sync_data())
                .map_err(|_| Error::Poisoned)?;
            return Err(e);
        }
        self.len += buf.len() as u64;
        self.tail_bytes += buf.len() as u64;
        self.pos = LogPos {
            seq: frame.seq,
            hash: hex::encode(hash),
        };
        Ok(self.pos.clone())
    }

    /// Where the log stands, to go back to if a batch cannot be finished.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            len: self.len,
            tail_bytes: self.tail_bytes,
            pos: self.pos.clone(),
        }
    }

    /// Cuts the segment back to `mark` (frames of a batch that could not be finished), durably.
    pub(crate) fn truncate_to(&mut self, mark: Mark) -> Result<()> {
        self.file
            .set_len(mark.len)
            .and_then(|_| self.file.sync_data())
            .map_err(|_| Error::Poisoned)?;
        self.len = mark.len;
        self.tail_bytes = mark.tail_bytes;
        self.pos = mark.pos;
        Ok(())
    }

    /// Starts a new segment; returns its number. Frames written before belong to the
    /// snapshot being taken, frames after to the next.
    pub(crate) fn rotate(&mut self) -> Result<u64> {
        let next = LogWriter::open(&self.dir, self.segment + 1, 0, self.pos.clone())?;
        *self = next;
        Ok(self.segment)
    }
}

/// What a replay found.
pub(crate) struct Replayed {
    pub pos: LogPos,
    pub frames: u64,
    /// The last segment and the length of its valid part (where appending resumes).
    pub last_segment: Option<(u64, u64)>,
    /// Bytes of an incomplete last frame (or unfinished batch) that were cut off.
    pub torn_bytes: u64,
    /// The log ended inside a batch: what was applied of it must be dropped.
    pub unfinished_batch: bool,
}

/// Reads, verifies and hands to `apply` every frame in segments from `from_segment` on,
/// starting after `start`, with whether more frames of its batch follow. A batch still open
/// when the log ends is reported as torn (`Replayed::unfinished_batch`): the caller drops
/// what it applied of it, and appending resumes where the batch began.
pub(crate) fn replay(
    log_dir: &Path,
    identity: &x25519::Identity,
    vault_key: &VerifyingKey,
    from_segment: u64,
    start: LogPos,
    mut apply: impl FnMut(u64, &[Revision], bool) -> Result<()>,
) -> Result<Replayed> {
    let segments: Vec<u64> = list_segments(log_dir)?
        .into_iter()
        .filter(|s| *s >= from_segment)
        .collect();
    let mut out = Replayed {
        pos: start,
        frames: 0,
        last_segment: None,
        torn_bytes: 0,
        unfinished_batch: false,
    };
    let mut batch: Option<BatchStart> = None;
    for (i, seg) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        let path = log_dir.join(segment_name(*seg));
        let good = replay_segment(
            &path, identity, vault_key, is_last, &mut out, &mut batch, &mut apply,
        )?;
        if !is_last && batch.is_some() {
            // A batch is written within one segment (a snapshot cannot start mid-commit).
            return Err(Error::LogCorrupt {
                file: path,
                offset: 0,
                detail: "a batch of frames continues into another segment".into(),
            });
        }
        out.last_segment = Some((*seg, good));
    }
    if let Some(b) = batch {
        // The crash came before the batch's last frame: none of it happened.
        if let Some((seg, len)) = out.last_segment {
            out.torn_bytes += len - b.offset;
            out.last_segment = Some((seg, b.offset));
        }
        out.pos = b.pos;
        out.frames -= b.frames;
        out.unfinished_batch = true;
    }
    Ok(out)
}

/// Where an open batch began: its offset, the position before it, and how many of its frames
/// were replayed.
struct BatchStart {
    offset: u64,
    pos: LogPos,
    frames: u64,
}

#[allow(clippy::too_many_arguments)]
fn replay_segment(
    path: &Path,
    identity: &x25519::Identity,
    vault_key: &VerifyingKey,
    is_last_segment: bool,
    out: &mut Replayed,
    batch: &mut Option<BatchStart>,
    apply: &mut impl FnMut(u64, &[Revision], bool) -> Result<()>,
) -> Result<u64> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let file_len = file
        .metadata()
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    let mut r = BufReader::new(file);
    let mut offset = 0u64;
    let corrupt = |offset: u64, detail: &str| Error::LogCorrupt {
        file: path.to_path_buf(),
        offset,
        detail: detail.to_string(),
    };
    while offset < file_len {
        let remaining = file_len - offset;
        // A frame cut short by a crash can only be the last bytes of the last segment.
        let torn = |out: &mut Replayed, detail: &str| {
            if is_last_segment {
                out.torn_bytes = remaining;
                Ok(offset)
            } else {
                Err(corrupt(offset, detail))
            }
        };
        if remaining < 4 {
            return torn(out, "incomplete frame length");
        }
        let mut len_bytes = [0u8; 4];
        r.read_exact(&mut len_bytes)
            .map_err(|e| Error::io("read", path, e))?;
        let len = u32::from_le_bytes(len_bytes);
        if len == 0 || u64::from(len) > remaining - 4 {
            return torn(out, "incomplete frame");
        }
        if len > FRAME_MAX {
            return Err(corrupt(offset, "frame length beyond the limit"));
        }
        let mut ct = vec![0u8; len as usize];
        r.read_exact(&mut ct)
            .map_err(|e| Error::io("read", path, e))?;
        let frame_end = offset + 4 + u64::from(len);
        let plain = match crypto::decrypt_all(identity, &ct) {
            Ok(p) => p,
            Err(_) if frame_end == file_len => return torn(out, "undecryptable frame"),
            Err(_) => return Err(corrupt(offset, "a frame does not decrypt")),
        };
        let what = || format!("{} frame at offset {offset}", path.display());
        let frame = parse_frame(&plain).map_err(|why| Error::tampered(what(), why))?;
        let hash = verify_frame(&frame, vault_key, &out.pos)
            .map_err(|why| Error::tampered(what(), why))?;
        if frame.open && batch.is_none() {
            *batch = Some(BatchStart {
                offset,
                pos: out.pos.clone(),
                frames: 0,
            });
        }
        apply(frame.seq, &frame.revisions, frame.open)?;
        match batch {
            Some(b) if frame.open => b.frames += 1,
            _ => *batch = None,
        }
        out.pos = LogPos {
            seq: frame.seq,
            hash,
        };
        out.frames += 1;
        offset = frame_end;
    }
    Ok(offset)
}

/// A decrypted frame as read from the log; nothing in it is trusted yet.
pub(crate) fn parse_frame(plain: &[u8]) -> std::result::Result<Frame, String> {
    serde_json::from_slice(plain).map_err(|_| "the frame is not a log frame".to_string())
}

/// Checks that `frame` is signed by this vault, follows `pos`, and holds only revisions whose
/// hash and signature hold. Returns the frame's hash (hex), or what is wrong.
pub(crate) fn verify_frame(
    frame: &Frame,
    vault_key: &VerifyingKey,
    pos: &LogPos,
) -> std::result::Result<String, String> {
    let hash = frame
        .hash()
        .map_err(|_| "the frame cannot be encoded".to_string())?;
    let sig = hex::decode(&frame.sig).unwrap_or_default();
    if !crypto::verify(vault_key, &hash, &sig) {
        return Err("the frame is not signed by this vault".into());
    }
    if frame.seq != pos.seq + 1 || frame.prev != pos.hash {
        return Err(format!(
            "frame {} does not follow frame {} (frames missing, reordered or replayed)",
            frame.seq, pos.seq
        ));
    }
    for rev in &frame.revisions {
        rev.check()
            .map_err(|why| format!("revision {}: {why}", rev.hash))?;
    }
    Ok(hex::encode(hash))
}

/// Removes segments numbered below `keep_from` (already covered by both snapshots).
pub(crate) fn remove_segments_before(log_dir: &Path, keep_from: u64) -> Result<()> {
    let mut removed = false;
    for seg in list_segments(log_dir)? {
        if seg < keep_from {
            fsutil::remove_file_if_exists(&log_dir.join(segment_name(seg)))?;
            removed = true;
        }
    }
    if removed {
        fsutil::sync_dir(log_dir)?;
    }
    Ok(())
}
