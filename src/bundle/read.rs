//! Reading a bundle: decrypt as a stream, check the signed manifest first, then every member
//! against it. Nothing here writes to the vault; members go to a sink the caller chooses.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
    MANIFEST, MANIFEST_MAX, Manifest, Member, REVISION_LINE_MAX, REVISIONS, SIGNATURE,
    SIGNATURE_LEN,
};
use crate::attachments::Progress;
use crate::crypto;
use crate::error::{Error, Result};
use crate::keys::ContactCard;
use crate::model::{RecordKind, Revision};
use crate::store::short_hash;

/// A bundle whose manifest is signed and whose members all match it.
pub(crate) struct Verified {
    pub manifest: Manifest,
    pub manifest_sha256: String,
    pub sender: ContactCard,
    pub revisions: Revisions,
}

/// A bundle's revisions, each checked, kept as the JSON text they came in and parsed again one
/// at a time where they are used: memory follows the bundle's bytes (at most
/// `REVISIONS_MAX`), whatever the shape of its JSON.
pub(crate) struct Revisions {
    text: Zeroizing<Vec<u8>>,
    lines: Vec<Line>,
}

/// What is known of one revision without parsing it again.
pub(crate) struct Line {
    start: usize,
    end: usize,
    pub hash: String,
    pub record: uuid::Uuid,
    pub kind: RecordKind,
    pub op: crate::model::Op,
}

impl Revisions {
    pub(crate) fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Revision `i`, parsed again (it was checked when the bundle was read).
    pub(crate) fn get(&self, i: usize) -> Result<Revision> {
        let line = self
            .lines
            .get(i)
            .ok_or_else(|| Error::Internal("no such revision".into()))?;
        serde_json::from_slice(&self.text[line.start..line.end])
            .map_err(|e| Error::Internal(format!("a checked revision: {e}")))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<Revision>> + '_ {
        (0..self.lines.len()).map(|i| self.get(i))
    }

    /// How many bytes of JSON revision `i` is.
    pub(crate) fn size(&self, i: usize) -> usize {
        self.lines.get(i).map_or(0, |l| l.end - l.start)
    }

    /// Every revision hash of each record (testimony or attachment) in the bundle, sorted:
    /// what its sender holds.
    pub(crate) fn record_hashes(&self) -> std::collections::BTreeMap<uuid::Uuid, Vec<String>> {
        let mut out: std::collections::BTreeMap<uuid::Uuid, Vec<String>> = Default::default();
        for l in &self.lines {
            out.entry(l.record).or_default().push(l.hash.clone());
        }
        for hashes in out.values_mut() {
            hashes.sort();
        }
        out
    }

    /// Each record the revisions are of, once, with its kind.
    pub(crate) fn records(&self) -> Vec<(uuid::Uuid, RecordKind)> {
        let mut seen = HashSet::new();
        self.lines
            .iter()
            .filter(|l| seen.insert(l.record))
            .map(|l| (l.record, l.kind))
            .collect()
    }
}

/// What the caller decides once the manifest's signature is checked, before any member is
/// read: go on, or stop with an error (an unknown sender, a bundle already imported).
pub(crate) type SenderCheck<'a> = dyn FnMut(&Manifest, &ContactCard, &str) -> Result<()> + 'a;
/// Receives each file member's bytes (exactly its size); the hash is checked by the reader.
pub(crate) type BlobSink<'a> = dyn FnMut(&Member, &mut dyn Read) -> Result<()> + 'a;

/// The most JSON values one revision may hold, and how deep it may nest: a testimony with a
/// thousand persons holds tens of thousands; a revision at this limit parses into at most
/// about a hundred MiB.
pub(crate) const VALUES_MAX: u64 = 200_000;
pub(crate) const DEPTH_MAX: u32 = 32;

/// Trailing bytes after the end of the tar archive (zero padding) accepted at most.
const TRAILER_MAX: u64 = 1 << 20;

fn damaged(e: io::Error) -> Error {
    Error::BundleDamaged(match e.kind() {
        io::ErrorKind::UnexpectedEof => "it ends too early (cut short?)".into(),
        io::ErrorKind::InvalidData => "a part of it does not decrypt (damaged or altered)".into(),
        _ => format!("it cannot be read: {e}"),
    })
}

/// Reads and checks a bundle sent to this vault: `identities` are the vault's (current and
/// earlier keys), `my_fingerprints` the fingerprints of its cards, current and earlier.
pub(crate) fn read_bundle(
    path: &Path,
    identities: &[&dyn age::Identity],
    my_fingerprints: &[String],
    check_sender: &mut SenderCheck<'_>,
    sink: &mut BlobSink<'_>,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Verified> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    if !file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .is_file()
    {
        return Err(Error::invalid(
            crate::blobs::display_name(path),
            "is not a file",
        ));
    }
    let decryptor = age::Decryptor::new_buffered(BufReader::with_capacity(1 << 20, file)).map_err(
        |e| match e {
            age::DecryptError::Io(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
                Error::io("read", path, e)
            }
            _ => Error::BundleDamaged(
                "it is not an encrypted bundle, or its header is damaged".into(),
            ),
        },
    )?;
    if decryptor.is_scrypt() {
        return Err(Error::BundleNotForYou);
    }
    let plain = decryptor
        .decrypt(identities.iter().copied())
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Error::BundleNotForYou,
            _ => Error::BundleDamaged("its header is damaged".into()),
        })?;
    read_plain(plain, my_fingerprints, check_sender, sink, progress)
}

/// Everything after decryption: the tar stream, checked member by member.
pub(crate) fn read_plain(
    plain: impl Read,
    my_fingerprints: &[String],
    check_sender: &mut SenderCheck<'_>,
    sink: &mut BlobSink<'_>,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Verified> {
    let mut archive = tar::Archive::new(plain);
    // Raw: GNU long-name and PAX headers come out as members of their own (and are refused
    // as such) instead of being read whole into memory by the tar reader, which a bundle
    // could make gigabytes long. Bundles never need them: every name is short.
    let mut entries = archive.entries().map_err(damaged)?.raw(true);

    // manifest.json, then manifest.sig.
    let manifest_bytes = {
        let mut e = next_entry(&mut entries, MANIFEST)?;
        read_small(&mut e, MANIFEST, MANIFEST_MAX)?
    };
    let sig = {
        let mut e = next_entry(&mut entries, SIGNATURE)?;
        read_small(&mut e, SIGNATURE, SIGNATURE_LEN)?
    };
    let manifest = Manifest::parse(&manifest_bytes)?;
    let sender = ContactCard::parse(&manifest.exporter)
        .map_err(|e| Error::BundleInvalid(format!("the exporter's card: {e}")))?;
    let sig = std::str::from_utf8(&sig)
        .ok()
        .and_then(|s| hex::decode(s).ok())
        .unwrap_or_default();
    if !crypto::verify(
        sender.verifying_key(),
        &super::manifest_hash(&manifest_bytes),
        &sig,
    ) {
        return Err(Error::BundleTampered(
            "the manifest's signature does not verify".into(),
        ));
    }
    if !manifest
        .recipients
        .iter()
        .any(|r| my_fingerprints.contains(r))
    {
        return Err(Error::BundleTampered(
            "it was made for other recipients and encrypted again to this vault".into(),
        ));
    }
    let manifest_sha256 = super::manifest_id(&manifest_bytes);
    check_sender(&manifest, &sender, &manifest_sha256)?;

    let total: u64 = manifest.members.iter().map(|m| m.size).sum();
    let mut done = 0u64;
    let mut seen: HashSet<String> = HashSet::new();
    let mut jsonl: Option<Zeroizing<Vec<u8>>> = None;
    for entry in entries.by_ref() {
        let mut entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member = manifest.member(&name).ok_or_else(|| {
            Error::BundleInvalid(format!(
                "it holds {name:?}, which its manifest does not list"
            ))
        })?;
        if !seen.insert(name.clone()) {
            return Err(Error::BundleInvalid(format!("it holds {name:?} twice")));
        }
        check_entry(&entry, &name, member.size)?;
        let mut hashing = Hashing {
            inner: &mut entry,
            hash: Sha256::new(),
            read: 0,
            done: &mut done,
            total,
            progress: &mut *progress,
            cancelled: false,
        };
        let outcome = if name == REVISIONS {
            let mut buf = Zeroizing::new(Vec::with_capacity(member.size as usize));
            hashing
                .read_to_end(&mut buf)
                .map_err(damaged)
                .map(|_| jsonl = Some(buf))
        } else {
            sink(member, &mut hashing)
        };
        if hashing.cancelled {
            return Err(Error::Cancelled);
        }
        outcome?;
        // Whatever the sink left unread still counts towards the hash.
        io::copy(&mut hashing, &mut io::sink()).map_err(damaged)?;
        if hashing.read != member.size || hex::encode(hashing.hash.finalize()) != member.sha256 {
            return Err(Error::BundleTampered(format!(
                "{name} does not match the SHA-256 its manifest gives"
            )));
        }
    }
    if let Some(missing) = manifest.members.iter().find(|m| !seen.contains(&m.path)) {
        return Err(Error::BundleInvalid(format!(
            "{} is listed in its manifest but missing",
            missing.path
        )));
    }
    // Read to the very end: age authenticates the last chunk only there, which is what
    // tells a complete bundle from one cut short after the archive's end marker.
    let mut rest = archive.into_inner().take(TRAILER_MAX + 1);
    let mut trailer = Vec::new();
    rest.read_to_end(&mut trailer).map_err(damaged)?;
    if trailer.len() as u64 > TRAILER_MAX || trailer.iter().any(|b| *b != 0) {
        return Err(Error::BundleInvalid(
            "there is data after the end of the archive".into(),
        ));
    }
    let revisions = parse_revisions(jsonl.unwrap_or_default())?;
    Ok(Verified {
        manifest,
        manifest_sha256,
        sender,
        revisions,
    })
}

/// A sink that only reads a member (the reader checks its hash): for checking a bundle
/// without keeping its files, or a file the vault already holds.
pub(crate) fn discard(r: &mut dyn Read) -> Result<()> {
    io::copy(r, &mut io::sink())
        .map(|_| ())
        .map_err(|e| Error::BundleDamaged(e.to_string()))
}

type Entries<'a, R> = tar::Entries<'a, R>;

fn next_entry<'a, R: Read>(
    entries: &mut Entries<'a, R>,
    expected: &str,
) -> Result<tar::Entry<'a, R>> {
    let entry = entries
        .next()
        .ok_or_else(|| Error::BundleInvalid(format!("it has no {expected}")))?
        .map_err(damaged)?;
    if entry.path_bytes().as_ref() != expected.as_bytes() {
        return Err(Error::BundleInvalid(format!(
            "it does not start with {MANIFEST} and {SIGNATURE}"
        )));
    }
    Ok(entry)
}

fn check_entry<R: Read>(entry: &tar::Entry<'_, R>, name: &str, size: u64) -> Result<()> {
    let kind = entry.header().entry_type();
    if kind != tar::EntryType::Regular {
        return Err(Error::BundleInvalid(format!(
            "{name} is not a plain file (links and folders are refused)"
        )));
    }
    if entry.size() != size {
        return Err(Error::BundleInvalid(format!(
            "{name} is not the size its manifest gives"
        )));
    }
    Ok(())
}

fn read_small<R: Read>(entry: &mut tar::Entry<'_, R>, name: &str, max: u64) -> Result<Vec<u8>> {
    if entry.header().entry_type() != tar::EntryType::Regular || entry.size() > max {
        return Err(Error::BundleInvalid(format!(
            "{name} is not a plain file of a sensible size"
        )));
    }
    let mut out = Vec::new();
    entry.take(max + 1).read_to_end(&mut out).map_err(damaged)?;
    Ok(out)
}

fn parse_revisions(text: Zeroizing<Vec<u8>>) -> Result<Revisions> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        let range = start..start + line.len();
        start = range.end + 1;
        if line.is_empty() {
            continue;
        }
        let what = || format!("{REVISIONS} line {}", i + 1);
        if line.len() > REVISION_LINE_MAX {
            return Err(Error::BundleInvalid(format!("{} is too long", what())));
        }
        // Measured before it is parsed: memory follows the number of values, which bytes alone
        // do not bound (docs/bundle-format.md §5).
        crate::model::bounded::count_values(line, VALUES_MAX, DEPTH_MAX)
            .map_err(|e| Error::BundleInvalid(format!("{} is not a revision: {e}", what())))?;
        let rev: Revision = serde_json::from_slice(line)
            .map_err(|e| Error::BundleInvalid(format!("{} is not a revision: {e}", what())))?;
        if !matches!(rev.kind, RecordKind::Testimony | RecordKind::Attachment) {
            return Err(Error::BundleInvalid(format!(
                "{} is a {} record, which bundles never carry",
                what(),
                rev.kind.as_str()
            )));
        }
        // A reason is shown as it is (an erasure's in the import summary): no longer than
        // this vault would let its own user write.
        if rev
            .reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > crate::records::REASON_MAX)
        {
            return Err(Error::BundleInvalid(format!(
                "{} gives a reason longer than {} characters",
                what(),
                crate::records::REASON_MAX
            )));
        }
        rev.check().map_err(|why| {
            Error::BundleTampered(format!("revision {}: {why}", short_hash(&rev.hash)))
        })?;
        lines.push(Line {
            start: range.start,
            end: range.end,
            hash: rev.hash,
            record: rev.record,
            kind: rev.kind,
            op: rev.op,
        });
    }
    if lines.is_empty() {
        return Err(Error::BundleInvalid("it carries no revisions".into()));
    }
    Ok(Revisions { text, lines })
}

struct Hashing<'a, R> {
    inner: R,
    hash: Sha256,
    read: u64,
    done: &'a mut u64,
    total: u64,
    progress: &'a mut dyn FnMut(Progress) -> bool,
    cancelled: bool,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.read += n as u64;
        *self.done += n as u64;
        if n > 0
            && !(self.progress)(Progress {
                done: *self.done,
                total: self.total,
            })
        {
            self.cancelled = true;
            return Err(io::Error::other("cancelled"));
        }
        Ok(n)
    }
}
