//! Export: write the planned bundle to a temporary name beside the destination, fsync it and
//! rename it into place; then record it (custody entries, a transfer record).

use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::content::Content;
use super::plan::{ExportPlan, ExportRequest};
use super::{BLOB_DIR, FORMAT, MANIFEST, Manifest, Member, REVISIONS, SIGNATURE, VERSION};
use crate::attachments::Progress;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{ExportProfile, Op, RecordKind, Revision, Transfer, TransferDirection};
use crate::vault::Vault;
use crate::{blobs, crypto, fsutil, readahead};

/// A bundle being written is named `<bundle>` + this. An export killed midway (kill -9, power
/// cut, stick pulled) leaves one behind, encrypted; the next export to that folder removes it.
/// The name is ours alone, so no other file on the stick is ever touched.
const PARTIAL_SUFFIX: &str = ".amanat-partial.tmp";

fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(PARTIAL_SUFFIX);
    PathBuf::from(s)
}

/// Removes partial bundles left in `out`'s folder by exports that never finished. Best effort:
/// litter that cannot be removed (a read-only stick) does not stop the export.
fn remove_partials(out: &Path) {
    let Some(dir) = out.parent() else { return };
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for e in entries.flatten() {
        let ours = e.file_name().to_string_lossy().ends_with(PARTIAL_SUFFIX);
        if ours && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportResult {
    pub plan: ExportPlan,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub path: PathBuf,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of the bundle file, hex: what the recipient can compare.
    pub sha256: String,
    pub manifest_sha256: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revisions: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
}

impl Vault {
    /// Writes the bundle to `out` (which must not exist): to a temporary name beside it,
    /// fsynced, then renamed. `progress` is called as attachment bytes are written;
    /// returning `false` cancels and removes the partial file. Once the file is in place,
    /// the export is recorded (custody entries for the attachments sent, and a transfer
    /// record for "since the last export" and the manifest chain).
    pub fn export_bundle(
        &mut self,
        req: &ExportRequest,
        out: &Path,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<ExportResult> {
        if self.is_poisoned() {
            return Err(Error::Poisoned);
        }
        let (plan, chosen) = self.choose(req)?;
        if chosen.is_empty()
            && plan.deleted.is_empty()
            && plan.copies_erased.is_empty()
            && plan.files_erased.is_empty()
        {
            return Err(Error::NothingToExport(if plan.left_out.is_empty() {
                "no testimony is new or selected".into()
            } else {
                format!(
                    "consent keeps all {} selected testimonies out",
                    plan.left_out.len()
                )
            }));
        }
        if out.exists() {
            return Err(Error::invalid(
                blobs::display_name(out),
                "already exists; choose another name",
            ));
        }
        let (seq, prev) = self.last_export()?;
        let mut content = match req.profile {
            ExportProfile::Full => self.full_content(&chosen, &plan, seq)?,
            ExportProfile::Anonymised => self.anonymised_content(&chosen)?,
        };
        self.copy_erasures(&mut content, &plan.copies_erased);
        let jsonl = revisions_jsonl(&content.revisions)?;
        check_fits(&jsonl)?;
        let mut members = vec![Member {
            path: REVISIONS.into(),
            sha256: hex::encode(Sha256::digest(&jsonl)),
            size: jsonl.len() as u64,
        }];
        members.extend(content.blobs.iter().map(|(_, sha, size)| Member {
            path: format!("{BLOB_DIR}{sha}"),
            sha256: sha.clone(),
            size: *size,
        }));
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            exporter: self.contact_card()?.to_string(),
            recipients: plan
                .recipients
                .iter()
                .map(|r| r.fingerprint.clone())
                .collect(),
            created_at: jiff::Timestamp::now(),
            profile: req.profile,
            seq,
            prev_manifest: prev,
            members,
            redactions: content.redactions.clone(),
            key_changes: self.key_changes()?,
        };
        let manifest_bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
        let sig = hex::encode(crypto::sign(
            self.secret.signing_key(),
            &super::manifest_hash(&manifest_bytes),
        ));

        let tmp = partial_path(out);
        remove_partials(out);
        let written = (|| {
            let file = fsutil::create_new_file(&tmp)?;
            let recipients = plan
                .recipients
                .iter()
                .map(|r| {
                    crate::keys::ContactCard::parse(&r.card).map(|c| c.recipient().to_string())
                })
                .collect::<Result<Vec<_>>>()?;
            let file = self.write_bundle(
                file,
                &tmp,
                &recipients,
                [&manifest_bytes, sig.as_bytes(), &jsonl],
                &content.blobs,
                progress,
            )?;
            file.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
            drop(file);
            let (size, sha256) = file_digest(&tmp)?;
            if out.exists() {
                return Err(Error::invalid(
                    blobs::display_name(out),
                    "already exists; choose another name",
                ));
            }
            fsutil::rename(&tmp, out)?;
            Ok((size, sha256))
        })();
        let (size, sha256) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = fsutil::remove_file_if_exists(&tmp);
                return Err(e);
            }
        };
        // From here the bundle is in place. If it cannot be made durable or recorded, it is
        // removed again: an export that reports failure leaves no bundle on the stick.
        let recorded = fsutil::sync_parent(out).and_then(|()| {
            self.record_export(&manifest, &manifest_bytes, out, &content, seq, req.profile)
        });
        let manifest_sha256 = match recorded {
            Ok(m) => m,
            Err(e) => {
                let _ = fsutil::remove_file_if_exists(out);
                let _ = fsutil::sync_parent(out);
                return Err(e);
            }
        };
        Ok(ExportResult {
            plan,
            path: out.to_path_buf(),
            size,
            sha256,
            manifest_sha256,
            revisions: content.revisions.len() as u64,
            seq,
        })
    }

    /// Commits the export: the custody entries of the files sent and the transfer record.
    /// Returns the manifest's SHA-256.
    fn record_export(
        &mut self,
        manifest: &Manifest,
        manifest_bytes: &[u8],
        out: &Path,
        content: &Content,
        seq: u64,
        profile: ExportProfile,
    ) -> Result<String> {
        let manifest_sha256 = super::manifest_id(manifest_bytes);
        let transfer = Transfer {
            direction: TransferDirection::Export,
            manifest_sha256: manifest_sha256.clone(),
            exporter: self.device_key(),
            seq,
            profile,
            recipients: manifest.recipients.clone(),
            created_at: manifest.created_at,
            file_name: blobs::display_name(out),
            revisions: content.revisions.len() as u64,
            attachments: content.blobs.len() as u64,
            sent: content.sent.clone(),
            held: Vec::new(),
            copies: content.copies.clone(),
        };
        let mut local = content.local.clone();
        local.extend(self.sign(vec![transfer_draft(&transfer)?])?);
        self.commit_revisions(local)?;
        Ok(manifest_sha256)
    }

    /// This device's next bundle number and the hash of its last manifest.
    fn last_export(&self) -> Result<(u64, Option<String>)> {
        let me = self.device_key();
        let last = self
            .store
            .transfers(TransferDirection::Export)?
            .into_iter()
            .filter(|(_, t)| t.exporter == me)
            .max_by_key(|(_, t)| t.seq);
        Ok(match last {
            Some((_, t)) => (t.seq + 1, Some(t.manifest_sha256)),
            None => (1, None),
        })
    }

    /// The age + tar stream: the three small members, then each file decrypted from the
    /// vault and checked against its recorded SHA-256 as it goes in.
    fn write_bundle(
        &self,
        file: File,
        tmp: &Path,
        recipients: &[String],
        [manifest, sig, jsonl]: [&[u8]; 3],
        files: &[(String, String, u64)],
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<File> {
        let io_err = |e: io::Error| Error::io("write", tmp, e);
        let parsed: Vec<age::x25519::Recipient> = recipients
            .iter()
            .map(|r| {
                r.parse()
                    .map_err(|_| Error::Internal("a contact's recipient does not parse".into()))
            })
            .collect::<Result<_>>()?;
        let encryptor =
            age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| Error::Internal(e.to_string()))?;
        let w = encryptor
            .wrap_output(BufWriter::with_capacity(1 << 20, file))
            .map_err(io_err)?;
        let mut tar = tar::Builder::new(w);
        for (path, bytes) in [(MANIFEST, manifest), (SIGNATURE, sig), (REVISIONS, jsonl)] {
            tar.append(&header(path, bytes.len() as u64)?, bytes)
                .map_err(io_err)?;
        }
        let total: u64 = files.iter().map(|(_, _, s)| s).sum();
        let mut done = 0u64;
        for (blob, sha, size) in files {
            let e = blobs::Expected {
                id: blob,
                size: *size,
                sha256: sha,
            };
            let reader = blobs::open(self.dir(), &self.secret, &e, &self.legacy_checked)?;
            let header = header(&format!("{BLOB_DIR}{sha}"), *size)?;
            // Decryption and hashing of the blob run on another thread, ahead of the tar
            // writer's encryption.
            let seen = Arc::new(Mutex::new((Sha256::new(), 0u64)));
            let hashed = Hashed {
                inner: reader.take(*size),
                seen: Arc::clone(&seen),
            };
            let ahead =
                readahead::read_ahead(hashed).map_err(|e| Error::Internal(e.to_string()))?;
            let mut counted = Counted {
                inner: ahead,
                done: &mut done,
                total,
                progress: &mut *progress,
                cancelled: false,
            };
            let appended = tar.append(&header, &mut counted);
            if counted.cancelled {
                return Err(Error::Cancelled);
            }
            appended.map_err(|e| match e.kind() {
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => blobs::damaged(blob),
                _ => io_err(e),
            })?;
            drop(counted);
            // Every byte the tar stream took was hashed before it was handed over.
            let (digest, read) = {
                let mut seen = seen
                    .lock()
                    .map_err(|_| Error::Internal("blob hash".into()))?;
                let (h, n) = std::mem::replace(&mut *seen, (Sha256::new(), 0));
                (h.finalize(), n)
            };
            if read != *size || hex::encode(digest) != *sha {
                return Err(blobs::damaged(blob));
            }
        }
        let w = tar.into_inner().map_err(io_err)?;
        let buf = w.finish().map_err(io_err)?;
        buf.into_inner().map_err(|e| io_err(e.into_error()))
    }
}

/// A tar header that says nothing but the name and the size.
fn header(path: &str, size: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| Error::Internal(format!("tar path: {e}")))?;
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// Hashes what it reads, on the thread that reads it (the read-ahead thread).
struct Hashed<R> {
    inner: R,
    seen: Arc<Mutex<(Sha256, u64)>>,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| io::Error::other("hash state poisoned"))?;
        seen.0.update(&buf[..n]);
        seen.1 += n as u64;
        Ok(n)
    }
}

/// Feeds a decrypted blob into the tar stream, reporting progress; a cancel is an error.
struct Counted<'a, R> {
    inner: R,
    done: &'a mut u64,
    total: u64,
    progress: &'a mut dyn FnMut(Progress) -> bool,
    cancelled: bool,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.done += n as u64;
        if !(self.progress)(Progress {
            done: *self.done,
            total: self.total,
        }) {
            self.cancelled = true;
            return Err(io::Error::other("cancelled"));
        }
        Ok(n)
    }
}

/// Refuses an export whose revisions a reader would refuse: more bytes than one bundle may
/// carry, or a revision with more JSON values than one may hold (the limits that keep a reader's memory bounded, docs/bundle-format.md).
fn check_fits(jsonl: &[u8]) -> Result<()> {
    let too_large = || {
        Error::invalid(
            "export",
            "is too large for one bundle: export fewer testimonies at a time",
        )
    };
    if jsonl.len() as u64 > super::REVISIONS_MAX {
        return Err(too_large());
    }
    for line in jsonl.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        crate::model::bounded::count_values(line, super::read::VALUES_MAX, super::read::DEPTH_MAX)
            .map_err(|_| too_large())?;
    }
    Ok(())
}

fn revisions_jsonl(revs: &[Revision]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in revs {
        serde_json::to_writer(&mut out, r).map_err(|e| Error::Internal(e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

fn file_digest(path: &Path) -> Result<(u64, String)> {
    let mut f = File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut h = Sha256::new();
    let n = io::copy(&mut f, &mut h).map_err(|e| Error::io("read", path, e))?;
    Ok((n, hex::encode(h.finalize())))
}

pub(crate) fn transfer_draft(t: &Transfer) -> Result<Draft> {
    Ok(Draft {
        record: Uuid::now_v7(),
        kind: RecordKind::Transfer,
        op: Op::Create,
        parents: vec![],
        reason: None,
        state: Some(serde_json::to_value(t).map_err(|e| Error::Internal(e.to_string()))?),
    })
}
