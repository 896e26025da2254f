//! People across testimonies. A person is recorded once per testimony that mentions them;
//! a coordinator merges records of the same person (a `same_as` link written on both
//! testimonies, undone by removing it) or dismisses a suggested pair (`not_same_as`).
//! People are the groups the links make; duplicate suggestions are pairs of records in
//! different testimonies whose names match across scripts and whose birth and hometown do
//! not contradict each other.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::revision::Draft;
use crate::model::{Op, Person, PersonRef, RecordKind, Testimony};
use crate::records::check_reason;
use crate::search::{fold, place_key, place_norm};
use crate::vault::Vault;

/// One testimony's record of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PersonRecord {
    pub at: PersonRef,
    /// The testimony's code.
    pub code: String,
    pub names: Vec<String>,
    pub roles: Vec<String>,
    pub birth: Option<String>,
    pub hometown: Option<String>,
    /// Records this one was merged with (what "separate" undoes).
    pub same_as: Vec<PersonRef>,
}

/// An event a person is a victim of, as one testimony tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PersonEvent {
    pub code: String,
    pub kind: String,
    pub start: Option<String>,
    pub place: Option<String>,
}

/// A person: every record linked as the same, and the events they tell of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PersonGroup {
    /// Every spelling, once each.
    pub names: Vec<String>,
    pub records: Vec<PersonRecord>,
    pub events: Vec<PersonEvent>,
}

/// Two records that may be the same person, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicatePair {
    pub a: PersonRecord,
    pub b: PersonRecord,
    /// Words of their names that match across scripts (two at least).
    pub matching_words: u32,
    /// Both birth dates are known and may be the same.
    pub birth_agrees: bool,
    /// Both hometowns are known and are the same place.
    pub hometown_agrees: bool,
}

/// Records compared pairwise at most: a name-word pair shared by more (every "Nurlan
/// Kasymov") is compared only among those born in the same year.
const BLOCK_MAX: usize = 200;

struct Loaded {
    records: Vec<PersonRecord>,
    /// Per record: each name's loose keys (one per word).
    keys: Vec<Vec<Vec<String>>>,
    birth: Vec<Option<(i64, i64)>>,
    /// Links: (record, other person ref, same).
    links: Vec<(usize, PersonRef, bool)>,
    index: HashMap<PersonRef, usize>,
}

fn name_keys(name: &str) -> Vec<String> {
    fold::words(name)
        .filter_map(fold::fold_word_keys)
        .map(|(_, loose)| loose)
        .collect()
}

/// Union-find over record indexes.
fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl Loaded {
    fn load(v: &Vault) -> Result<Loaded> {
        let mut records = Vec::new();
        let mut birth = Vec::new();
        let mut index = HashMap::new();
        for row in v.store.person_rows()? {
            birth.push(row.birth_lo.zip(row.birth_hi));
            index.insert(row.at, records.len());
            records.push(PersonRecord {
                at: row.at,
                code: row.code,
                names: vec![],
                roles: row.roles,
                birth: row.birth,
                hometown: row.hometown,
                same_as: vec![],
            });
        }
        let mut keys = vec![Vec::new(); records.len()];
        for (at, name) in v.store.person_names()? {
            if let Some(&i) = index.get(&at) {
                keys[i].push(name_keys(&name));
                records[i].names.push(name);
            }
        }
        let links: Vec<(usize, PersonRef, bool)> = v
            .store
            .person_links()?
            .into_iter()
            .filter_map(|(at, other, same)| index.get(&at).map(|&i| (i, other, same)))
            .collect();
        for &(i, other, same) in &links {
            if same && index.contains_key(&other) {
                records[i].same_as.push(other);
            }
        }
        Ok(Loaded {
            records,
            keys,
            birth,
            links,
            index,
        })
    }

    /// Each record's group (the root of its `same_as` links, either side suffices).
    fn groups(&self) -> Vec<usize> {
        let mut parent: Vec<usize> = (0..self.records.len()).collect();
        for &(i, other, same) in &self.links {
            if let (true, Some(&j)) = (same, self.index.get(&other)) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
        (0..self.records.len())
            .map(|i| find(&mut parent, i))
            .collect()
    }

    /// Words two records' names share, best pair of names.
    fn matching_words(&self, i: usize, j: usize) -> usize {
        let mut best = 0;
        for a in &self.keys[i] {
            for b in &self.keys[j] {
                let a: BTreeSet<&String> = a.iter().collect();
                best = best.max(b.iter().collect::<BTreeSet<_>>().intersection(&a).count());
            }
        }
        best
    }
}

/// `Some(true)` same place, `Some(false)` different, `None` when either is not known.
fn same_hometown(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    let (a, b) = (a?.trim(), b?.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(place_norm(a) == place_norm(b) || place_key(a) == place_key(b))
}

fn person_mut(t: &mut Testimony, id: Uuid) -> Option<&mut Person> {
    if t.testifier.as_ref().is_some_and(|p| p.id == id) {
        return t.testifier.as_mut();
    }
    t.persons.iter_mut().find(|p| p.id == id)
}

impl Vault {
    /// People: records linked as the same person grouped, with their events; those with
    /// a name matching `query` (in any script; empty: all), most records first.
    pub fn people(&self, query: &str, limit: usize) -> Result<Vec<PersonGroup>> {
        let l = Loaded::load(self)?;
        let groups = l.groups();
        let want = name_keys(query);
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            members.entry(*g).or_default().push(i);
        }
        let matches = |i: &usize| {
            want.is_empty()
                || l.keys[*i]
                    .iter()
                    .any(|k| want.iter().all(|w| k.contains(w)))
        };
        let mut chosen: Vec<Vec<usize>> = members
            .into_values()
            .filter(|m| m.iter().any(matches))
            .collect();
        chosen.sort_by(|a, b| {
            b.len()
                .cmp(&a.len())
                .then_with(|| l.records[a[0]].code.cmp(&l.records[b[0]].code))
        });
        chosen.truncate(limit);
        let events = self.victim_events(
            &chosen
                .iter()
                .flatten()
                .map(|&i| l.records[i].at)
                .collect::<Vec<_>>(),
        )?;
        Ok(chosen
            .into_iter()
            .map(|m| {
                let mut names: Vec<String> = Vec::new();
                for &i in &m {
                    for n in &l.records[i].names {
                        if !names.contains(n) {
                            names.push(n.clone());
                        }
                    }
                }
                let events = m
                    .iter()
                    .flat_map(|&i| events.get(&l.records[i].at).cloned().unwrap_or_default())
                    .collect();
                PersonGroup {
                    names,
                    records: m.iter().map(|&i| l.records[i].clone()).collect(),
                    events,
                }
            })
            .collect())
    }

    /// Events each of `who` is a victim of.
    fn victim_events(&self, who: &[PersonRef]) -> Result<HashMap<PersonRef, Vec<PersonEvent>>> {
        let wanted: HashSet<PersonRef> = who.iter().copied().collect();
        let mut out: HashMap<PersonRef, Vec<PersonEvent>> = HashMap::new();
        for (at, e) in self.store.victim_events()? {
            if wanted.contains(&at) {
                out.entry(at).or_default().push(e);
            }
        }
        Ok(out)
    }

    /// Pairs of person records in different testimonies that may be the same person: at
    /// least two words of their names match across scripts, their birth dates may be the
    /// same and their hometowns are not different places; not already merged, not
    /// dismissed. Best first.
    pub fn duplicate_suggestions(&self, limit: usize) -> Result<Vec<DuplicatePair>> {
        let l = Loaded::load(self)?;
        let groups = l.groups();
        let dismissed: HashSet<(PersonRef, PersonRef)> = l
            .links
            .iter()
            .filter(|(_, _, same)| !same)
            .flat_map(|&(i, other, _)| [(l.records[i].at, other), (other, l.records[i].at)])
            .collect();
        // Blocks: every two words of a name.
        let mut blocks: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, names) in l.keys.iter().enumerate() {
            let mut mine = HashSet::new();
            for words in names {
                for (x, a) in words.iter().enumerate() {
                    for b in &words[x + 1..] {
                        let pair = if a <= b {
                            (a.as_str(), b.as_str())
                        } else {
                            (b.as_str(), a.as_str())
                        };
                        if pair.0 != pair.1 && mine.insert(pair) {
                            blocks.entry(pair).or_default().push(i);
                        }
                    }
                }
            }
        }
        // A common name's block is split by year of birth; those whose year nobody knows
        // are then left out of it (too many to compare with everyone of that name).
        let mut split = Vec::new();
        for block in blocks.into_values().filter(|b| b.len() > 1) {
            if block.len() <= BLOCK_MAX {
                split.push(block);
                continue;
            }
            let mut by_year: HashMap<&str, Vec<usize>> = HashMap::new();
            for i in block {
                let year = l.records[i].birth.as_deref().and_then(|b| b.get(..4));
                if let Some(y) = year.filter(|y| y.bytes().all(|c| c.is_ascii_digit())) {
                    by_year.entry(y).or_default().push(i);
                }
            }
            split.extend(
                by_year
                    .into_values()
                    .filter(|b| b.len() > 1 && b.len() <= BLOCK_MAX),
            );
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for block in &split {
            for (x, &i) in block.iter().enumerate() {
                for &j in &block[x + 1..] {
                    let (a, b) = (&l.records[i], &l.records[j]);
                    if a.at.testimony == b.at.testimony
                        || groups[i] == groups[j]
                        || dismissed.contains(&(a.at, b.at))
                        || !seen.insert((i.min(j), i.max(j)))
                    {
                        continue;
                    }
                    let birth = match (l.birth[i], l.birth[j]) {
                        (Some((alo, ahi)), Some((blo, bhi))) if ahi < blo || bhi < alo => continue,
                        (Some(_), Some(_)) => true,
                        _ => false,
                    };
                    let hometown = match same_hometown(a.hometown.as_deref(), b.hometown.as_deref())
                    {
                        Some(false) => continue,
                        Some(true) => true,
                        None => false,
                    };
                    out.push(DuplicatePair {
                        a: a.clone(),
                        b: b.clone(),
                        matching_words: l.matching_words(i, j) as u32,
                        birth_agrees: birth,
                        hometown_agrees: hometown,
                    });
                }
            }
        }
        out.sort_by(|x, y| {
            let score = |p: &DuplicatePair| {
                p.matching_words + u32::from(p.birth_agrees) + u32::from(p.hometown_agrees)
            };
            score(y)
                .cmp(&score(x))
                .then_with(|| (&x.a.code, &x.b.code).cmp(&(&y.a.code, &y.b.code)))
        });
        out.truncate(limit);
        Ok(out)
    }

    /// Records that `a` and `b` are the same person: a revision of each testimony.
    pub fn merge_persons(
        &mut self,
        a: PersonRef,
        b: PersonRef,
        reason: Option<&str>,
    ) -> Result<()> {
        self.link_persons(a, b, reason, |p, other| {
            p.not_same_as.retain(|r| *r != other);
            if !p.same_as.contains(&other) {
                p.same_as.push(other);
            }
        })
    }

    /// Undoes a merge: the link is removed from both testimonies.
    pub fn unmerge_persons(
        &mut self,
        a: PersonRef,
        b: PersonRef,
        reason: Option<&str>,
    ) -> Result<()> {
        self.link_persons(a, b, reason, |p, other| p.same_as.retain(|r| *r != other))
    }

    /// Records that `a` and `b` are not the same person: never suggested again.
    pub fn dismiss_duplicate(
        &mut self,
        a: PersonRef,
        b: PersonRef,
        reason: Option<&str>,
    ) -> Result<()> {
        self.link_persons(a, b, reason, |p, other| {
            p.same_as.retain(|r| *r != other);
            if !p.not_same_as.contains(&other) {
                p.not_same_as.push(other);
            }
        })
    }

    /// Revisions that remove, from every other testimony, the links (same person or not) to
    /// the persons of testimony `id`, which is being deleted: a link to a person that no
    /// longer exists would name the deleted testimony, and keep the other one out of every
    /// full export (`ConsentProblem::Linked`). Links are written on both sides, so the deleted
    /// testimony's own persons say where to look. A linked testimony that is locked or in
    /// conflict keeps its link until it is unlocked or resolved (`--undo` removes it then).
    /// The revisions' reason is fixed text: it goes out with the other testimony's current
    /// version, and must name neither the deleted testimony nor why it was deleted.
    pub(crate) fn unlink_drafts(&self, id: Uuid) -> Result<Vec<Draft>> {
        let gone = self.store.testimony(id)?.testimony;
        let mut others: Vec<Uuid> = gone
            .all_persons()
            .flat_map(|p| p.same_as.iter().chain(&p.not_same_as))
            .map(|r| r.testimony)
            .filter(|t| *t != id)
            .collect();
        others.sort();
        others.dedup();
        let mut drafts = Vec::new();
        for other in others {
            let Ok(current) = self.store.testimony(other) else {
                continue;
            };
            if current.heads.len() > 1 || current.testimony.status == crate::model::Status::Locked {
                continue;
            }
            let mut t = current.testimony.clone();
            for p in t.testifier.iter_mut().chain(t.persons.iter_mut()) {
                p.same_as.retain(|r| r.testimony != id);
                p.not_same_as.retain(|r| r.testimony != id);
            }
            if t != current.testimony {
                drafts.push(Draft {
                    record: other,
                    kind: RecordKind::Testimony,
                    op: Op::Update,
                    parents: current.heads,
                    reason: Some("link to a deleted testimony removed".into()),
                    state: Some(t.to_value()?),
                });
            }
        }
        Ok(drafts)
    }

    /// Changes person `a` with respect to `b` and `b` with respect to `a`, one revision of
    /// each testimony in one commit (nothing when neither changes).
    fn link_persons(
        &mut self,
        a: PersonRef,
        b: PersonRef,
        reason: Option<&str>,
        change: impl Fn(&mut Person, PersonRef),
    ) -> Result<()> {
        if a.testimony == b.testimony {
            return Err(Error::invalid(
                "person",
                "both are in the same testimony: only persons of two testimonies can be linked",
            ));
        }
        let reason = check_reason(reason)?;
        let mut drafts = Vec::new();
        for (me, other) in [(a, b), (b, a)] {
            let current = self.unlocked_testimony(me.testimony)?;
            if current.heads.len() > 1 {
                return Err(Error::Conflict(current.testimony.code));
            }
            let mut t = current.testimony.clone();
            let code = t.code.clone();
            let Some(p) = person_mut(&mut t, me.person) else {
                // A person removed since the link was made (before edits refused that): the
                // link on the other side can still be undone.
                let other_has_link = self
                    .store
                    .testimony(other.testimony)
                    .ok()
                    .and_then(|o| {
                        o.testimony
                            .all_persons()
                            .find(|p| p.id == other.person)
                            .map(|p| p.same_as.contains(&me) || p.not_same_as.contains(&me))
                    })
                    .unwrap_or(false);
                if other_has_link {
                    continue;
                }
                return Err(Error::NotFound(format!("person {} in {code}", me.person)));
            };
            change(p, other);
            t.validate()?;
            if t != current.testimony {
                drafts.push(Draft {
                    record: me.testimony,
                    kind: RecordKind::Testimony,
                    op: Op::Update,
                    parents: current.heads,
                    reason: reason.clone(),
                    state: Some(t.to_value()?),
                });
            }
        }
        if !drafts.is_empty() {
            self.commit(drafts)?;
        }
        Ok(())
    }
}
