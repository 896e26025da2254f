//! Testimony operations on an open vault, and `verify`. Every change is a signed revision
//! committed through `Vault::commit`; reads come from the in-memory index.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::log;
use crate::model::revision::Draft;
use crate::model::{Op, RecordKind, Status, Testimony};
use crate::search::{SearchQuery, SearchResults};
use crate::snapshot;
use crate::store::{HistoryEntry, StoredTestimony, TestimonySummary, short_hash};
use crate::vault::Vault;

/// A code that more than one live testimony has.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CodeClash {
    pub code: String,
    pub testimonies: Vec<Uuid>,
}

/// What `verify` checked and what it found wrong.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub revisions: u64,
    pub records: u64,
    pub log_frames: u64,
    /// Attachments whose file was decrypted and re-hashed.
    pub attachments: u64,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The longest reason a revision may give (a bundle's too: `bundle::read`).
pub(crate) const REASON_MAX: usize = 1_000;

pub(crate) fn check_reason(reason: Option<&str>) -> Result<Option<String>> {
    match reason.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() > REASON_MAX => {
            Err(Error::invalid("reason", "is longer than 1000 characters"))
        }
        Some(r) => Ok(Some(r.to_string())),
    }
}

/// The reason a delete must give.
pub(crate) fn required_reason(reason: &str) -> Result<String> {
    check_reason(Some(reason))?.ok_or_else(|| Error::invalid("reason", "is required to delete"))
}

impl Vault {
    /// Adds a new testimony; returns its id.
    pub fn add_testimony(&mut self, t: Testimony) -> Result<Uuid> {
        let ids = self.add_testimonies(vec![t])?;
        ids.first()
            .copied()
            .ok_or_else(|| Error::Internal("no id for the added testimony".into()))
    }

    /// Adds many testimonies in one commit (one frame, one fdatasync): all or none.
    pub fn add_testimonies(&mut self, items: Vec<Testimony>) -> Result<Vec<Uuid>> {
        let mut codes = std::collections::HashSet::new();
        let mut drafts = Vec::with_capacity(items.len());
        let mut ids = Vec::with_capacity(items.len());
        for t in items {
            t.validate()?;
            self.check_code_free(&t.code, None)?;
            if !codes.insert(t.code.clone()) {
                return Err(Error::invalid("code", format!("{} appears twice", t.code)));
            }
            let id = Uuid::now_v7();
            ids.push(id);
            drafts.push(Draft {
                record: id,
                kind: RecordKind::Testimony,
                op: Op::Create,
                parents: vec![],
                reason: None,
                state: Some(t.to_value()?),
            });
        }
        self.commit(drafts)?;
        Ok(ids)
    }

    /// Replaces a testimony's state. Saving an unchanged state records nothing.
    pub fn update_testimony(&mut self, id: Uuid, t: Testimony, reason: Option<&str>) -> Result<()> {
        t.validate()?;
        let reason = check_reason(reason)?;
        let current = self.store.testimony(id)?;
        if current.heads.len() > 1 {
            return Err(Error::Conflict(current.testimony.code));
        }
        if current.testimony == t {
            return Ok(());
        }
        refuse_dropping_links(&current.testimony, &t)?;
        if current.testimony.status == Status::Locked {
            let mut unlocked = current.testimony.clone();
            unlocked.status = t.status;
            if unlocked != t {
                return Err(Error::RecordLocked(current.testimony.code));
            }
        }
        self.check_code_free(&t.code, Some(id))?;
        self.commit(vec![Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Update,
            parents: current.heads,
            reason,
            state: Some(t.to_value()?),
        }])?;
        Ok(())
    }

    /// Applies a JSON merge patch (RFC 7386) to a testimony: fields present replace the
    /// current ones, `null` removes one; persons, events, places and consents keep their ids
    /// (`model::patch`).
    pub fn edit_testimony(&mut self, id: Uuid, patch: &Value, reason: Option<&str>) -> Result<()> {
        let current = self.store.testimony(id)?;
        let t = crate::model::patch::apply_merge_patch(&current.testimony, patch)?;
        self.update_testimony(id, t, reason)
    }

    /// Gives a testimony another code (ends a code clash): refused if another testimony has it.
    pub fn rename_testimony(&mut self, id: Uuid, code: &str) -> Result<()> {
        let code = code.trim();
        self.edit_testimony(
            id,
            &serde_json::json!({ "code": code }),
            Some("code changed: another testimony had the same code"),
        )
    }

    /// Deletes a testimony: a tombstone revision; its text leaves the live tables and the
    /// search index (its history keeps the earlier revisions).
    pub fn delete_testimony(&mut self, id: Uuid, reason: &str) -> Result<()> {
        let reason = required_reason(reason)?;
        let current = self.unlocked_testimony(id)?;
        // Its attachments go with it, in the same commit; their files after it is durable.
        // Links to its persons from other testimonies go too (`unlink_drafts`).
        let (mut drafts, blobs) = self.attachment_tombstones(id, &reason)?;
        drafts.extend(self.unlink_drafts(id)?);
        drafts.push(Draft {
            record: id,
            kind: RecordKind::Testimony,
            op: Op::Delete,
            parents: current.heads,
            reason: Some(reason),
            state: None,
        });
        self.commit(drafts)?;
        for b in blobs {
            // Durable already; a file left behind is an orphan removed on the next open.
            let _ = crate::blobs::remove(self.dir(), &b);
        }
        Ok(())
    }

    /// A live testimony that may be changed: refused with `record_locked` while locked.
    pub(crate) fn unlocked_testimony(&self, id: Uuid) -> Result<StoredTestimony> {
        let current = self.store.testimony(id)?;
        if current.testimony.status == Status::Locked {
            return Err(Error::RecordLocked(current.testimony.code));
        }
        Ok(current)
    }

    /// A testimony may have `code` unless another live testimony has it. One that already has
    /// it keeps it: after an import brought two testimonies with one code (a clash), each can
    /// still be edited, and renaming either ends the clash.
    pub(crate) fn check_code_free(&self, code: &str, except: Option<Uuid>) -> Result<()> {
        // A withdrawn one waiting to be erased keeps its code: it may yet be kept, and the
        // command line finds it by its code.
        if self
            .pending_withdrawals()?
            .iter()
            .any(|w| w.code == code && Some(w.id) != except)
        {
            return Err(Error::invalid(
                "code",
                format!("{code} is used by a withdrawn testimony waiting to be erased"),
            ));
        }
        let others: Vec<Uuid> = self
            .store
            .ids_by_code(code)?
            .into_iter()
            .filter(|id| Some(*id) != except)
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        if let Some(id) = except
            && self.store.ids_by_code(code)?.contains(&id)
        {
            return Ok(());
        }
        Err(Error::invalid(
            "code",
            format!("{code} is already used by another testimony"),
        ))
    }

    /// Codes that more than one testimony has (each made on a different device, and met
    /// here by an import): until one is renamed, a code names neither of them
    /// (`resolve` asks for the id).
    pub fn code_clashes(&self) -> Result<Vec<CodeClash>> {
        Ok(self
            .store
            .code_clashes()?
            .into_iter()
            .map(|(code, testimonies)| CodeClash { code, testimonies })
            .collect())
    }

    pub fn testimony(&self, id: Uuid) -> Result<StoredTestimony> {
        self.store.testimony(id)
    }

    /// Finds a live testimony by id or by code.
    pub fn resolve(&self, id_or_code: &str) -> Result<Uuid> {
        if let Ok(id) = Uuid::parse_str(id_or_code)
            && self.store.heads(id)?.is_some()
            && self.store.record_kind(id)?.as_deref() == Some("testimony")
        {
            return Ok(id);
        }
        let mut ids = self.store.ids_by_code(id_or_code)?;
        // A withdrawn one, hidden until it is erased, is still found by its code.
        ids.extend(
            self.pending_withdrawals()?
                .into_iter()
                .filter(|w| w.code == id_or_code)
                .map(|w| w.id),
        );
        match ids.as_slice() {
            [] => Err(Error::NotFound(id_or_code.to_string())),
            [id] => Ok(*id),
            ids => Err(Error::invalid(
                "code",
                format!(
                    "{id_or_code} is used by {} testimonies ({}): give the id, and rename one",
                    ids.len(),
                    ids.iter()
                        .map(Uuid::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    pub fn list_testimonies(&self) -> Result<Vec<TestimonySummary>> {
        self.store.list_testimonies()
    }

    pub fn count_testimonies(&self) -> Result<u64> {
        self.store.count_testimonies()
    }

    /// How many of the testimonies a query matches have each value of each facet.
    pub fn facets(&self, query: &SearchQuery) -> Result<crate::search::Facets> {
        self.store.facets(query)
    }

    /// How large the in-memory index and its search index are.
    pub fn index_size(&self) -> Result<crate::store::IndexSize> {
        self.store.index_size()
    }

    /// Search over live testimonies in any script (every word must match), best first.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        self.store.search(query)
    }

    pub fn history(&self, id: Uuid) -> Result<Vec<HistoryEntry>> {
        self.store.history(id)
    }

    /// Checks every revision's hash, signature and parent links, every record's heads, the
    /// current snapshot's signature, and every log frame on disk.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        self.wait_for_snapshot();
        let mut report = VerifyReport::default();
        if let Some(p) = self.store.integrity_problem()? {
            report.problems.push(format!("index: {p}"));
        }
        let mut known: HashMap<String, String> = HashMap::new();
        let problems = &mut report.problems;
        let mut revisions = 0u64;
        self.store.for_each_revision(|_, r| {
            revisions += 1;
            let record = r.record.to_string();
            let name = format!("revision {} of record {record}", short_hash(&r.hash));
            if let Err(why) = r.check() {
                problems.push(format!("{name}: {why}"));
            }
            for p in &r.parents {
                if known.get(p) != Some(&record) {
                    problems.push(format!("{name}: parent {} is missing", short_hash(p)));
                }
            }
            known.insert(r.hash.clone(), record);
            Ok(())
        })?;
        report.revisions = revisions;
        for p in self.store.proposals()? {
            if let Err(why) = p.revision.check() {
                report.problems.push(format!(
                    "proposal {} of record {}: {why}",
                    short_hash(&p.revision.hash),
                    p.revision.record
                ));
            }
        }
        for (id, heads) in self.store.all_heads()? {
            report.records += 1;
            for h in heads {
                if known.get(&h) != Some(&id) {
                    report
                        .problems
                        .push(format!("record {id}: head {} is missing", short_hash(&h)));
                }
            }
        }
        let key = self.secret.verifying_key();
        match snapshot::read(
            &self.dir().join(snapshot::CURRENT),
            self.secret.identity(),
            &key,
            false,
        ) {
            Err(e) => report.problems.push(format!("snapshot: {e}")),
            Ok((meta, _)) => {
                match log::replay(
                    &self.dir().join("log"),
                    self.secret.identity(),
                    &key,
                    meta.start_segment,
                    meta.pos,
                    |_, _, _| Ok(()),
                ) {
                    Err(e) => report.problems.push(format!("log: {e}")),
                    Ok(r) => {
                        report.log_frames = r.frames;
                        if r.pos != *self.log_pos() {
                            report.problems.push(
                                "log: the log on disk does not end where this session's does"
                                    .into(),
                            );
                        }
                    }
                }
            }
        }
        let (attachments, problems) = self.verify_attachments()?;
        report.attachments = attachments;
        report.problems.extend(problems);
        let prev = self.dir().join(snapshot::PREVIOUS);
        if prev.exists()
            && let Err(e) = snapshot::read(&prev, self.secret.identity(), &key, false)
        {
            report.problems.push(format!("previous snapshot: {e}"));
        }
        Ok(report)
    }
}

/// Refuses a new state that no longer has a person linked to a person of another testimony:
/// the link would point at nobody. The user undoes the link first (`same-person --undo`).
pub(crate) fn refuse_dropping_links(before: &Testimony, after: &Testimony) -> Result<()> {
    if let Some(p) = crate::model::patch::dropped_linked(before, after).first() {
        let name = p.names.first().map(|n| n.name.as_str()).unwrap_or("");
        return Err(Error::invalid(
            "persons",
            format!(
                "would remove {name} ({}), who is linked to a person of another testimony; \
                 undo that link first",
                p.id
            ),
        ));
    }
    Ok(())
}
