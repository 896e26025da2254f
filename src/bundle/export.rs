//! Export: choose testimonies, check consent for every recipient, then write one bundle to a
//! temporary name beside the destination, fsync it and rename it into place.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::anonymise::Anonymiser;
use super::consent::{self, ConsentProblem};
use super::{
    BLOB_DIR, FORMAT, MANIFEST, Manifest, Member, REVISIONS, Redaction, SIGNATURE, VERSION,
};
use crate::attachments::Progress;
use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{
    ConsentScope, ContactInfo, CustodyAction, CustodyEvent, ExportProfile, Op, RecordKind,
    Revision, Transfer, TransferDirection,
};
use crate::store::StoredAttachment;
use crate::vault::Vault;
use crate::{blobs, crypto, fsutil, readahead};

/// Which testimonies to export.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// These testimonies (ids).
    Ids(Vec<Uuid>),
    /// Every testimony not yet sent, as it is now, to each of the recipients.
    SinceLast,
    /// Every testimony.
    All,
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Contacts, by name, fingerprint or id.
    pub to: Vec<String>,
    pub profile: ExportProfile,
    pub selection: Selection,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlannedTestimony {
    pub id: Uuid,
    pub code: String,
    /// Attachments that go with it (for `anonymised`: only those safe to publish).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachment_bytes: u64,
    /// Attachments left behind because they are not marked safe to publish.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attachments_withheld: u64,
}

/// A testimony that consent keeps out of this export.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LeftOut {
    pub id: Uuid,
    pub code: String,
    /// The scope the export needs.
    pub scope: ConsentScope,
    pub problem: ConsentProblem,
    /// The recipient it is refused for.
    pub recipient: String,
}

/// A testimony deleted here after it was sent: its deletion goes to the recipients.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeletedTestimony {
    pub id: Uuid,
    pub code: String,
}

/// What an export would do, shown before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportPlan {
    pub recipients: Vec<ContactInfo>,
    pub profile: ExportProfile,
    pub included: Vec<PlannedTestimony>,
    pub left_out: Vec<LeftOut>,
    /// Testimonies deleted since they were sent (full profile, "since the last export").
    pub deleted: Vec<DeletedTestimony>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
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

/// One testimony chosen for the export, with its attachments.
struct Chosen {
    id: Uuid,
    code: String,
    heads: Vec<String>,
    testimony: crate::model::Testimony,
    attachments: Vec<StoredAttachment>,
    /// Deleted attachments: their history (ending in the deletion) goes in a full export.
    deleted_attachments: Vec<Uuid>,
    withheld: u64,
}

/// The revisions and files of a bundle, before it is written.
struct Content {
    revisions: Vec<Revision>,
    /// Revisions this export adds to this vault (custody entries), committed once the
    /// bundle is durable.
    local: Vec<Revision>,
    /// (original blob id, sha256, size), in member order, each file once.
    blobs: Vec<(String, String, u64)>,
    redactions: Vec<Redaction>,
    /// Per testimony: the heads of it and its attachments once this export is committed.
    sent: BTreeMap<Uuid, Vec<String>>,
}

impl Vault {
    /// Works out what an export would carry and what consent keeps out of it.
    pub fn plan_export(&self, req: &ExportRequest) -> Result<ExportPlan> {
        let (plan, _) = self.choose(req)?;
        Ok(plan)
    }

    fn recipients(&self, to: &[String]) -> Result<Vec<ContactInfo>> {
        if to.is_empty() {
            return Err(Error::invalid("to", "name at least one contact"));
        }
        let mut out: Vec<ContactInfo> = Vec::new();
        for name in to {
            let c = self.contact(name)?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn choose(&self, req: &ExportRequest) -> Result<(ExportPlan, Vec<Chosen>)> {
        let recipients = self.recipients(&req.to)?;
        let ids: Vec<Uuid> = match &req.selection {
            Selection::Ids(ids) => ids.clone(),
            Selection::All | Selection::SinceLast => self
                .store
                .list_testimonies()?
                .into_iter()
                .map(|t| t.id)
                .collect(),
        };
        let already_sent = self.sent_to(&recipients)?;
        let mut chosen = Vec::new();
        let mut left_out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                continue;
            }
            let stored = self.store.testimony(id)?;
            let all_attachments = self.store.attachments_of(id)?;
            let mut heads = stored.heads.clone();
            heads.extend(all_attachments.iter().flat_map(|a| a.heads.iter().cloned()));
            heads.sort();
            if req.selection == Selection::SinceLast
                && recipients.iter().all(|r| {
                    already_sent
                        .get(&r.fingerprint)
                        .is_some_and(|s| s.get(&id) == Some(&heads))
                })
            {
                continue;
            }
            let refusal = recipients.iter().find_map(|r| {
                let scope = consent::scope_for(req.profile, r.trust);
                consent::check(&stored.testimony, scope)
                    .err()
                    .map(|problem| (scope, problem, r.name.clone()))
            });
            if let Some((scope, problem, recipient)) = refusal {
                left_out.push(LeftOut {
                    id,
                    code: stored.testimony.code.clone(),
                    scope,
                    problem,
                    recipient,
                });
                continue;
            }
            let total = all_attachments.len() as u64;
            let attachments: Vec<StoredAttachment> = all_attachments
                .into_iter()
                .filter(|a| req.profile == ExportProfile::Full || a.attachment.safe_to_publish)
                .collect();
            chosen.push(Chosen {
                id,
                code: stored.testimony.code.clone(),
                heads,
                testimony: stored.testimony,
                withheld: total - attachments.len() as u64,
                attachments,
                deleted_attachments: self.store.deleted_attachments_of(id)?,
            });
        }
        let included: Vec<PlannedTestimony> = chosen
            .iter()
            .map(|c| PlannedTestimony {
                id: c.id,
                code: c.code.clone(),
                attachments: c.attachments.len() as u64,
                attachment_bytes: c.attachments.iter().map(|a| a.attachment.size).sum(),
                attachments_withheld: c.withheld,
            })
            .collect();
        let deleted = match (&req.selection, req.profile) {
            (Selection::SinceLast, ExportProfile::Full) => self.deleted_since(&already_sent)?,
            _ => Vec::new(),
        };
        let plan = ExportPlan {
            total_bytes: included.iter().map(|p| p.attachment_bytes).sum(),
            recipients,
            profile: req.profile,
            included,
            left_out,
            deleted,
        };
        Ok((plan, chosen))
    }

    /// Testimonies sent to any of these recipients before and deleted here since.
    fn deleted_since(
        &self,
        sent: &HashMap<String, HashMap<Uuid, Vec<String>>>,
    ) -> Result<Vec<DeletedTestimony>> {
        let mut out: Vec<DeletedTestimony> = Vec::new();
        for (id, heads) in sent.values().flat_map(|m| m.iter()) {
            if out.iter().any(|d| d.id == *id) {
                continue;
            }
            let Some((now, true)) = self.store.heads(*id)? else {
                continue;
            };
            let mut now = now;
            now.sort();
            if now == *heads {
                continue;
            }
            // The code as it was last saved.
            let code = self
                .store
                .revisions_of(*id)?
                .iter()
                .rev()
                .find_map(|r| r.state.as_ref()?.get("code")?.as_str().map(String::from))
                .unwrap_or_default();
            out.push(DeletedTestimony { id: *id, code });
        }
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }

    /// For each recipient fingerprint: every testimony sent to them and its heads then.
    fn sent_to(
        &self,
        recipients: &[ContactInfo],
    ) -> Result<HashMap<String, HashMap<Uuid, Vec<String>>>> {
        let mut out: HashMap<String, HashMap<Uuid, Vec<String>>> = HashMap::new();
        for (_, t) in self.store.transfers(TransferDirection::Export)? {
            for r in recipients {
                if t.recipients.contains(&r.fingerprint) {
                    let sent = out.entry(r.fingerprint.clone()).or_default();
                    for (id, heads) in &t.sent {
                        sent.insert(*id, heads.clone());
                    }
                }
            }
        }
        Ok(out)
    }

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
        if chosen.is_empty() && plan.deleted.is_empty() {
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
        let content = match req.profile {
            ExportProfile::Full => self.full_content(&chosen, &plan, seq)?,
            ExportProfile::Anonymised => self.anonymised_content(&chosen)?,
        };
        let jsonl = revisions_jsonl(&content.revisions)?;
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
        };
        let manifest_bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
        let sig = hex::encode(crypto::sign(
            self.secret.signing_key(),
            &super::manifest_hash(&manifest_bytes),
        ));

        let tmp = fsutil::tmp_path(out);
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
            fsutil::sync_parent(out)?;
            Ok((size, sha256))
        })();
        let (size, sha256) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = fsutil::remove_file_if_exists(&tmp);
                return Err(e);
            }
        };
        let manifest_sha256 = super::manifest_id(&manifest_bytes);
        let transfer = Transfer {
            direction: TransferDirection::Export,
            manifest_sha256: manifest_sha256.clone(),
            exporter: self.device_key(),
            seq,
            profile: req.profile,
            recipients: manifest.recipients.clone(),
            created_at: manifest.created_at,
            file_name: blobs::display_name(out),
            revisions: content.revisions.len() as u64,
            attachments: content.blobs.len() as u64,
            sent: content.sent,
        };
        let mut local = content.local;
        local.extend(self.sign(vec![transfer_draft(&transfer)?])?);
        self.commit_revisions(local)?;
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

    /// Every revision of each testimony and of its attachments, plus a custody entry on
    /// each attachment recording this transfer.
    fn full_content(&self, chosen: &[Chosen], plan: &ExportPlan, seq: u64) -> Result<Content> {
        let to: Vec<&str> = plan
            .recipients
            .iter()
            .map(|r| r.fingerprint.as_str())
            .collect();
        let note = format!("bundle {seq} to {}", to.join(", "));
        let mut c = Content {
            revisions: Vec::new(),
            local: Vec::new(),
            blobs: Vec::new(),
            redactions: Vec::new(),
            sent: BTreeMap::new(),
        };
        let mut shas = std::collections::HashSet::new();
        for t in chosen {
            c.revisions.extend(self.store.revisions_of(t.id)?);
            let mut heads = t.heads.clone();
            for a in &t.attachments {
                c.revisions.extend(self.store.revisions_of(a.id)?);
                let draft = self.custody_draft(
                    a,
                    CustodyAction::Transferred,
                    Some(a.attachment.sha256.clone()),
                    Some(note.clone()),
                )?;
                let signed = self.sign(vec![draft])?;
                heads.retain(|h| !a.heads.contains(h));
                heads.extend(signed.iter().map(|r| r.hash.clone()));
                c.revisions.extend(signed.iter().cloned());
                c.local.extend(signed);
                if shas.insert(a.attachment.sha256.clone()) {
                    c.blobs.push((
                        a.attachment.blob.clone(),
                        a.attachment.sha256.clone(),
                        a.attachment.size,
                    ));
                }
            }
            for id in &t.deleted_attachments {
                c.revisions.extend(self.store.revisions_of(*id)?);
            }
            heads.sort();
            c.sent.insert(t.id, heads);
        }
        // Deletions: the whole history of the testimony and its attachments, ending in the
        // tombstones (no file goes with them).
        for d in &plan.deleted {
            c.revisions.extend(self.store.revisions_of(d.id)?);
            for id in self.store.deleted_attachments_of(d.id)? {
                c.revisions.extend(self.store.revisions_of(id)?);
            }
            let mut heads = self.record_heads(d.id)?;
            heads.sort();
            c.sent.insert(d.id, heads);
        }
        Ok(c)
    }

    /// One new revision per testimony and per attachment safe to publish, signed by this
    /// device and deterministic (the same state exported again gives the same revisions).
    fn anonymised_content(&self, chosen: &[Chosen]) -> Result<Content> {
        let anon = Anonymiser::new(self.secret.signing_key());
        let mut c = Content {
            revisions: Vec::new(),
            local: Vec::new(),
            blobs: Vec::new(),
            redactions: Vec::new(),
            sent: BTreeMap::new(),
        };
        let mut shas = std::collections::HashSet::new();
        let needles = anon.needles(chosen.iter().map(|c| &c.testimony));
        for t in chosen {
            let (testimony, fields) = anon.testimony(&t.testimony, "", &needles);
            let state = testimony.to_value()?;
            let record = anon.record_id(t.id, &t.heads, &crypto::canonical_json(&state));
            let code = format!("ANON-{}", &record.simple().to_string()[..10].to_uppercase());
            let mut testimony = testimony;
            testimony.code = code;
            // Every id inside (persons, events, consents, places) replaced: a UUIDv7 carries
            // the moment it was made, which would date the interview.
            let testimony = anon.remap_ids(&testimony)?;
            // The day of the original's latest revision: deterministic, and no finer.
            let at = self.latest_at(&t.heads)?;
            let rev = Revision::sign(
                Draft {
                    record,
                    kind: RecordKind::Testimony,
                    op: Op::Create,
                    parents: vec![],
                    reason: Some("anonymised copy".into()),
                    state: Some(testimony.to_value()?),
                },
                self.secret.signing_key(),
                at,
            )?;
            c.redactions.push(Redaction {
                record,
                revision: rev.hash.clone(),
                original: self.store.testimony(t.id)?.heads,
                fields,
                attachments_dropped: t.withheld,
            });
            c.revisions.push(rev);
            for (i, a) in t.attachments.iter().enumerate() {
                let custody = CustodyEvent::new_at(
                    at,
                    None,
                    self.device_key(),
                    CustodyAction::Redacted,
                    Some(a.attachment.sha256.clone()),
                    Some("anonymised copy for publication".into()),
                )?;
                let copy = anon.attachment(&a.attachment, record, i + 1, custody);
                let rev = Revision::sign(
                    Draft {
                        record: anon.record_id(a.id, &a.heads, record.as_bytes()),
                        kind: RecordKind::Attachment,
                        op: Op::Create,
                        parents: vec![],
                        reason: Some("anonymised copy".into()),
                        state: Some(copy.to_value()?),
                    },
                    self.secret.signing_key(),
                    at,
                )?;
                c.revisions.push(rev);
                if shas.insert(a.attachment.sha256.clone()) {
                    c.blobs.push((
                        a.attachment.blob.clone(),
                        a.attachment.sha256.clone(),
                        a.attachment.size,
                    ));
                }
            }
            c.sent.insert(t.id, t.heads.clone());
        }
        Ok(c)
    }

    fn latest_at(&self, heads: &[String]) -> Result<jiff::Timestamp> {
        let mut latest = jiff::Timestamp::UNIX_EPOCH;
        for h in heads {
            if let Some(r) = self.store.revision(h)? {
                latest = latest.max(r.at);
            }
        }
        let day = latest.as_second().div_euclid(86_400) * 86_400;
        jiff::Timestamp::from_second(day).map_err(|e| Error::Internal(e.to_string()))
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
            let reader = blobs::open(self.dir(), self.secret.identity(), blob)?;
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
