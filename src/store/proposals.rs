//! Proposals: revisions an import kept instead of applying (docs/trust-model.md §4). They are
//! verified like any revision but stand outside the history: no record's heads, rows or
//! search entry change until this vault accepts one, which brings it (and the proposals it
//! builds on) into the history in a frame of its own.
//!
//! Which revisions of a frame are held is written in the frame itself (the import's transfer
//! record lists them), so replaying the log holds exactly the same ones.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use uuid::Uuid;

use super::{Store, StoreTx, short_hash};
use crate::error::{Error, Result};
use crate::model::{HeldReason, Op, RecordKind, Revision, Transfer};

/// This vault's rejection of a proposal: a local record, never exported, that takes the
/// proposal (and those built on it) out of review for good.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Review {
    pub proposal: String,
    pub rejected: bool,
    /// Why it was accepted, as the user said (an acceptance only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub(super) fn reindex_review(
    tx: &StoreTx<'_>,
    rev: &Revision,
    what: &dyn Fn() -> String,
) -> Result<()> {
    let Some(v) = rev.state.as_ref() else {
        return Ok(());
    };
    let r = Review::deserialize(v)
        .map_err(|e| Error::tampered(what(), format!("its state is not a review: {e}")))?;
    if r.rejected {
        tx.drop_proposal(&r.proposal)?;
    } else {
        tx.0.execute(
            "INSERT OR REPLACE INTO acceptances (hash, at, reason) VALUES (?1, ?2, ?3)",
            params![r.proposal, rev.at.to_string(), r.reason],
        )?;
    }
    Ok(())
}

/// One proposal as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredProposal {
    pub revision: Revision,
    pub why: HeldReason,
}

/// The revisions of a batch its transfer record says to hold, and why.
#[derive(Default)]
pub(crate) struct Held(HashMap<String, HeldReason>);

/// The revisions of a frame that its transfer record says to hold, and why.
pub(super) fn held_in(revs: &[Revision]) -> HashMap<String, HeldReason> {
    let mut out = HashMap::new();
    for r in revs.iter().filter(|r| r.kind == RecordKind::Transfer) {
        let Some(t) = r.state.as_ref().and_then(|v| Transfer::deserialize(v).ok()) else {
            continue;
        };
        for h in t.held {
            out.insert(h.hash, h.why);
        }
    }
    out
}

pub(super) fn is_proposal(conn: &Connection, hash: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM proposals WHERE hash = ?1)",
        [hash],
        |r| r.get(0),
    )?)
}

impl StoreTx<'_> {
    /// Keeps a verified revision as a proposal. Its parents must be in the history or be
    /// proposals themselves; holding one already held or applied changes nothing.
    pub(crate) fn hold(&self, rev: &Revision, why: HeldReason, seq: u64) -> Result<()> {
        let known: bool = self.0.query_row(
            "SELECT EXISTS (SELECT 1 FROM revisions WHERE hash = ?1)",
            [&rev.hash],
            |r| r.get(0),
        )?;
        if known || is_proposal(&self.0, &rev.hash)? {
            return Ok(());
        }
        // Nothing of an erased record is held for review: its proof is kept, its content not.
        if let Some(erasure) = super::erase::covering(&self.0, rev)? {
            return super::erase::keep_proof(&self.0, rev, seq, &erasure);
        }
        let record = rev.record.to_string();
        for parent in &rev.parents {
            let of: Option<String> = self
                .0
                .query_row(
                    "SELECT record_id FROM revisions WHERE hash = ?1
                     UNION ALL SELECT record_id FROM proposals WHERE hash = ?1",
                    [parent],
                    |r| r.get(0),
                )
                .optional()?;
            if of.as_deref() != Some(record.as_str()) {
                return Err(Error::tampered(
                    format!("revision {} of record {record}", short_hash(&rev.hash)),
                    "it follows a revision that is not in this vault",
                ));
            }
        }
        let json = serde_json::to_string(rev).map_err(|e| Error::Internal(e.to_string()))?;
        self.0.execute(
            "INSERT INTO proposals (hash, record_id, author, at, why, seq, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                rev.hash,
                record,
                rev.author,
                rev.at.to_string(),
                why.as_str(),
                seq as i64,
                json
            ],
        )?;
        Ok(())
    }

    /// Applies every revision of one frame in order, holding those its transfer record lists.
    pub(crate) fn apply_frame(&self, revs: &[Revision], seq: u64) -> Result<()> {
        self.apply_batch_frame(revs, seq, &mut Held::default())
    }

    /// Applies one frame of a batch: `held` carries what the batch's transfer record (in its
    /// first frame) says to hold into the frames after it.
    pub(crate) fn apply_batch_frame(
        &self,
        revs: &[Revision],
        seq: u64,
        held: &mut Held,
    ) -> Result<()> {
        held.0.extend(held_in(revs));
        for r in revs {
            match held.0.get(&r.hash) {
                Some(why) => self.hold(r, *why, seq)?,
                None => self.apply(r, seq)?,
            }
        }
        Ok(())
    }

    /// The author of a record's first revision: the device that created it.
    pub(crate) fn creator(&self, record: Uuid) -> Result<Option<String>> {
        Ok(self
            .0
            .query_row(
                "SELECT author FROM revisions WHERE record_id = ?1 AND op = 'create'
                 ORDER BY ord LIMIT 1",
                [record.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The state a record shows now (its shown head), if it has one.
    pub(crate) fn shown_state(&self, record: Uuid) -> Result<Option<serde_json::Value>> {
        let Some(heads) = super::queries::record_heads(&self.0, &record.to_string())? else {
            return Ok(None);
        };
        Ok(super::queries::shown_head(&self.0, &heads)?.and_then(|r| r.state))
    }

    /// The states this vault had for a record before the revisions in `arrived` (those of
    /// the bundle being imported): walking back from `parents`, past revisions that arrived
    /// with the bundle and past proofs without content, to the nearest revisions with content
    /// that were here before. What a bundle changes is judged against these, so a chain of
    /// revisions (unlock, then edit; a proof, then new content) is judged as a whole.
    pub(crate) fn baseline_states(
        &self,
        parents: &[String],
        arrived: &HashSet<String>,
    ) -> Result<Vec<serde_json::Value>> {
        let mut out = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut todo: Vec<String> = parents.to_vec();
        while let Some(h) = todo.pop() {
            if !seen.insert(h.clone()) {
                continue;
            }
            let Some(rev) = super::queries::revision(&self.0, &h)? else {
                continue;
            };
            match (&rev.state, arrived.contains(&h)) {
                (Some(state), false) if !rev.op.removes() => out.push(state.clone()),
                _ => todo.extend(rev.parents),
            }
        }
        Ok(out)
    }

    pub(crate) fn is_proposal(&self, hash: &str) -> Result<bool> {
        is_proposal(&self.0, hash)
    }

    /// The proposals `rev` builds on (and those they build on), oldest first.
    pub(crate) fn proposals_under(&self, rev: &Revision) -> Result<Vec<Revision>> {
        proposal_chain(&self.0, &rev.parents)
    }

    /// Whether the record exists here and every one of its current versions deletes it: a
    /// deletion that arrives now deletes nothing (another vault's confirmation of a deletion
    /// this vault made or accepted, coming back).
    pub(crate) fn already_deleted(&self, record: Uuid) -> Result<bool> {
        Ok(self
            .0
            .query_row(
                "SELECT deleted FROM records WHERE id = ?1",
                [record.to_string()],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Whether this vault had any revision of `record` — in its history or held for review —
    /// before the revisions in `arrived` (those of the bundle being imported).
    pub(crate) fn had_before(&self, record: Uuid, arrived: &HashSet<String>) -> Result<bool> {
        let id = record.to_string();
        let mut stmt = self.0.prepare(
            "SELECT hash FROM revisions WHERE record_id = ?1
             UNION SELECT hash FROM proposals WHERE record_id = ?1",
        )?;
        let hashes = stmt.query_map([&id], |r| r.get::<_, String>(0))?;
        for h in hashes {
            if !arrived.contains(&h?) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(crate) fn is_known(&self, hash: &str) -> Result<bool> {
        Ok(self.0.query_row(
            "SELECT EXISTS (SELECT 1 FROM revisions WHERE hash = ?1)",
            [hash],
            |r| r.get(0),
        )?)
    }

    /// Takes a revision out of the proposals (it is being brought into the history).
    pub(super) fn promote(&self, hash: &str) -> Result<()> {
        self.0
            .execute("DELETE FROM proposals WHERE hash = ?1", [hash])?;
        Ok(())
    }

    /// Forgets a proposal this vault rejected, and every proposal built on it.
    pub(super) fn drop_proposal(&self, hash: &str) -> Result<()> {
        let Some(record) = self
            .0
            .query_row(
                "SELECT record_id FROM proposals WHERE hash = ?1",
                [hash],
                |r| r.get::<_, String>(0),
            )
            .optional()?
        else {
            return Ok(());
        };
        let mut gone = vec![hash.to_string()];
        let others: Vec<(String, String)> = self
            .0
            .prepare("SELECT hash, json FROM proposals WHERE record_id = ?1 ORDER BY seq")?
            .query_map([&record], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (h, json) in others {
            let rev: Revision =
                serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?;
            if rev.parents.iter().any(|p| gone.contains(p)) {
                gone.push(h);
            }
        }
        for h in gone {
            self.0
                .execute("DELETE FROM proposals WHERE hash = ?1", [h])?;
        }
        Ok(())
    }
}

fn proposal(conn: &Connection, hash: &str) -> Result<Option<StoredProposal>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT json, why FROM proposals WHERE hash = ?1",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(json, why)| parse(&json, &why)).transpose()
}

fn parse(json: &str, why: &str) -> Result<StoredProposal> {
    let internal = |e: &dyn std::fmt::Display| Error::Internal(format!("stored proposal: {e}"));
    Ok(StoredProposal {
        revision: serde_json::from_str(json).map_err(|e| internal(&e))?,
        why: serde_json::from_value(serde_json::Value::String(why.to_string()))
            .map_err(|e| internal(&e))?,
    })
}

impl Store {
    /// Every proposal, oldest first.
    pub(crate) fn proposals(&self) -> Result<Vec<StoredProposal>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT json, why FROM proposals ORDER BY seq, at, hash")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (json, why) = row?;
            parse(&json, &why)
        })
        .collect()
    }

    pub(crate) fn proposal(&self, hash: &str) -> Result<Option<StoredProposal>> {
        proposal(self.conn(), hash)
    }

    /// The ones of `heads` that the proposal `hash` does not build on (neither it nor one of
    /// its ancestors, through the proposals it builds on and the history): the versions of
    /// this vault it was made beside. One walk of its ancestry, stopped once all are found.
    pub(crate) fn not_followed_by(&self, hash: &str, heads: &[String]) -> Result<Vec<String>> {
        let mut missing: HashSet<&str> = heads.iter().map(String::as_str).collect();
        let mut stack = vec![hash.to_string()];
        let mut seen = HashSet::new();
        while let Some(h) = stack.pop() {
            if missing.is_empty() {
                break;
            }
            missing.remove(h.as_str());
            if !seen.insert(h.clone()) {
                continue;
            }
            let parents = match self.proposal(&h)? {
                Some(p) => p.revision.parents,
                None => self.revision(&h)?.map(|r| r.parents).unwrap_or_default(),
            };
            stack.extend(parents);
        }
        Ok(heads
            .iter()
            .filter(|h| missing.contains(h.as_str()))
            .cloned()
            .collect())
    }

    /// `hash` and the proposals it builds on, oldest first: what accepting it brings in.
    pub(crate) fn proposal_chain(&self, hash: &str) -> Result<Vec<Revision>> {
        proposal_chain(self.conn(), &[hash.to_string()])
    }
}

/// The proposals among `hashes` and those they build on, oldest first.
fn proposal_chain(conn: &Connection, hashes: &[String]) -> Result<Vec<Revision>> {
    let mut chain = Vec::new();
    let mut stack = hashes.to_vec();
    let mut seen = std::collections::HashSet::new();
    while let Some(h) = stack.pop() {
        if !seen.insert(h.clone()) {
            continue;
        }
        if let Some(p) = proposal(conn, &h)? {
            stack.extend(p.revision.parents.iter().cloned());
            chain.push(p.revision);
        }
    }
    chain.reverse();
    Ok(chain)
}

/// Whether a revision only appends to an attachment's custody log (what any device that
/// handled the file may do).
pub(crate) fn only_appends_custody(before: &serde_json::Value, after: &Revision) -> bool {
    let (Some(mut a), Some(mut b)) = (before.as_object().cloned(), after.state.clone()) else {
        return false;
    };
    let Some(b) = b.as_object_mut() else {
        return false;
    };
    if after.op != Op::Update {
        return false;
    }
    let old = a.remove("custody");
    let new = b.remove("custody");
    let extends = match (
        old.as_ref().and_then(|v| v.as_array()),
        new.as_ref().and_then(|v| v.as_array()),
    ) {
        // Entries of the shown log that the change lacks were appended beside it on another
        // device (the logs merge); that it keeps every entry of its own parents is checked
        // when it is applied.
        (Some(_), Some(n)) => !n.is_empty(),
        _ => false,
    };
    extends && a == *b
}
