//! Consent at every seam, as a property (docs/trust-model.md §1): random testimonies with
//! consents for several scopes, persons named in four scripts, edits, narrowed and widened
//! consent, relatives removed, deletions, attachments (some marked safe to publish, some
//! recordings) and conflicts made by a coordinator's edit, then exports of every profile to
//! recipients of each trust level. Every bundle is decrypted with a recipient's key and
//! searched for anything its recipients may not have: text of an earlier version, a
//! testimony or file consent keeps from them, a deleted one, a name in an anonymised copy.
//!
//! Cases: AMANAT_CONSENT_CASES (default 1,200, in two tests that run side by side: `make
//! test`; `make consent-long` runs 20,000).
//! A failing case prints its operations and proptest's seed.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{AttachOptions, Progress, Testimony, Vault};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn go(_: Progress) -> bool {
    true
}

/// The scopes the exports here need, in the order the generated decisions are given.
const SCOPES: [&str; 4] = [
    "store_internally",
    "share_with_partner",
    "publish_anonymised",
    "publish_image_voice",
];
/// Names in the four scripts interviewers write them in.
const NAMES: [&str; 8] = [
    "Ержанат",
    "Гүлнар",
    "ئابلىز",
    "پاتىگۈل",
    "Mamat",
    "Aygul",
    "叶尔扎那提",
    "古丽娜尔",
];

#[derive(Debug, Clone)]
enum Op {
    /// A new testimony: a decision (none, granted, refused, conditional) per scope for the
    /// witness, and maybe a relative with a consent of their own.
    Add {
        witness: [u8; 4],
        relative: Option<[u8; 4]>,
        names: (usize, usize),
    },
    Edit(usize),
    SetScope {
        t: usize,
        scope: usize,
        decision: u8,
    },
    RemoveRelative(usize),
    Delete(usize),
    Attach {
        t: usize,
        recording: bool,
        safe: bool,
    },
    DeleteAttachment(usize),
    /// The coordinator edits the testimony it was sent, beside the interviewer's own edits,
    /// and sends it back: a conflict or a proposal on the interviewer's side.
    CoordinatorEdit(usize),
    Export {
        to: u8,
        anonymised: bool,
        selection: u8,
        t: usize,
    },
}

fn decision() -> impl Strategy<Value = [u8; 4]> {
    [0u8..4, 0u8..4, 0u8..4, 0u8..4]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (decision(), proptest::option::of(decision()), (0..NAMES.len(), 0..NAMES.len()))
            .prop_map(|(witness, relative, names)| Op::Add { witness, relative, names }),
        3 => (0usize..4).prop_map(Op::Edit),
        2 => (0usize..4, 0usize..4, 0u8..4).prop_map(|(t, scope, decision)| Op::SetScope { t, scope, decision }),
        1 => (0usize..4).prop_map(Op::RemoveRelative),
        1 => (0usize..4).prop_map(Op::Delete),
        2 => (0usize..4, any::<bool>(), any::<bool>()).prop_map(|(t, recording, safe)| Op::Attach { t, recording, safe }),
        1 => (0usize..4).prop_map(Op::DeleteAttachment),
        1 => (0usize..4).prop_map(Op::CoordinatorEdit),
        4 => (1u8..8, any::<bool>(), 0u8..3, 0usize..4)
            .prop_map(|(to, anonymised, selection, t)| Op::Export { to, anonymised, selection, t }),
    ]
}

fn decision_name(d: u8) -> Option<&'static str> {
    match d {
        1 => Some("granted"),
        2 => Some("refused"),
        3 => Some("conditional"),
        _ => None,
    }
}

fn scopes_json(d: &[u8; 4]) -> Value {
    let mut m = serde_json::Map::new();
    for (s, d) in SCOPES.iter().zip(d) {
        if let Some(name) = decision_name(*d) {
            m.insert(s.to_string(), json!(name));
        }
    }
    Value::Object(m)
}

/// What the test knows of one testimony, as the interviewer's vault has it.
struct Known {
    id: Uuid,
    /// Every canary ever written into it, and the ones its current version holds.
    ever: Vec<String>,
    /// Names of its persons, ever and now.
    names_ever: Vec<String>,
    deleted: bool,
    /// Attachments: (id, marker, recording, safe, deleted).
    files: Vec<(Uuid, Vec<u8>, bool, bool, bool)>,
    sent_to_coordinator: bool,
}

struct World {
    _root: tempfile::TempDir,
    root: PathBuf,
    v: Vault,
    /// The coordinator's vault, made when an operation first needs it.
    coordinator: Option<Vault>,
    /// The outside recipients' age keys: organisation, partner, publisher.
    readers: Vec<(String, age::x25519::Identity, ContactTrust)>,
    known: Vec<Known>,
    n: u64,
    bundles: u32,
}

/// With underscores, which none of the encodings in a bundle use: an upper-case "Q2Z" once
/// turned up inside a base32 pseudonym ("Person …Q2Z…") and a lower-case "q5z" inside a
/// bech32 age recipient ("age1q5z8…") in the manifest, each read as a leak (2026-12-01).
fn canary(n: &mut u64) -> String {
    *n += 1;
    format!("q_{}_z", *n)
}

/// A name made unique with letters of its own script (a name never mixes scripts).
fn unique_name(base: &str, n: u64) -> String {
    let first = base.chars().next().unwrap_or('a');
    let digits: &[char] = match first as u32 {
        0x0400..=0x04FF => &['а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'и', 'к'],
        0x0600..=0x06FF => &['ا', 'ب', 'ت', 'ج', 'د', 'ر', 'س', 'ش', 'ق', 'ك'],
        0x4E00..=0x9FFF => &['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'],
        _ => &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k'],
    };
    // Ended by a letter that is no digit, so no name is the beginning of another ("Aygulc"
    // inside "Aygulcb" once read as a leak).
    let end = match first as u32 {
        0x0400..=0x04FF => 'ю',
        0x0600..=0x06FF => 'ف',
        0x4E00..=0x9FFF => '号',
        _ => 'z',
    };
    let tag: String = n
        .to_string()
        .bytes()
        .map(|d| digits[usize::from(d - b'0')])
        .collect();
    format!("{base}{tag}{end}")
}

fn scratch() -> tempfile::TempDir {
    // Vault files on tmpfs: an fsync there costs nothing, so thousands of cases fit.
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("amanat-consent-")
            .tempdir_in(shm)
            .unwrap_or_else(|e| panic!("{e}"))
    } else {
        common::tempdir()
    }
}

fn card(v: &Vault) -> String {
    v.contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

impl World {
    fn new() -> World {
        let root = scratch();
        let path = root.path().to_path_buf();
        let (mut v, _) = common::create(&path.join("v.amanat"));
        let mut readers = Vec::new();
        for (i, (name, trust)) in [
            ("Org reader", ContactTrust::Organisation),
            ("Partner", ContactTrust::Partner),
            ("Publisher", ContactTrust::Partner),
        ]
        .into_iter()
        .enumerate()
        {
            let (identity, c) = common::outsider(name, 50 + i as u8);
            v.add_contact(&c, None, trust)
                .unwrap_or_else(|e| panic!("{e}"));
            readers.push((name.to_string(), identity, trust));
        }
        World {
            _root: root,
            root: path,
            v,
            coordinator: None,
            readers,
            known: Vec::new(),
            n: 0,
            bundles: 0,
        }
    }

    fn coordinator(&mut self) -> &mut Vault {
        if self.coordinator.is_none() {
            let (mut c, _) = common::create(&self.root.join("c.amanat"));
            self.v
                .add_contact(&card(&c), Some("Coordinator"), ContactTrust::Organisation)
                .unwrap_or_else(|e| panic!("{e}"));
            c.add_contact(
                &card(&self.v),
                Some("Interviewer"),
                ContactTrust::Organisation,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            self.coordinator = Some(c);
        }
        self.coordinator.as_mut().unwrap_or_else(|| unreachable!())
    }

    fn live(&self, i: usize) -> Option<usize> {
        let live: Vec<usize> = (0..self.known.len())
            .filter(|&k| !self.known[k].deleted)
            .collect();
        (!live.is_empty()).then(|| live[i % live.len()])
    }

    fn state(&self, k: usize) -> Option<Value> {
        let t = self.v.testimony(self.known[k].id).ok()?;
        if t.heads.len() > 1 {
            return None;
        }
        t.testimony.to_value().ok()
    }

    fn save(&mut self, k: usize, state: Value) {
        let t = Testimony::from_json(&state.to_string()).unwrap_or_else(|e| panic!("{e}"));
        // A testimony in conflict refuses edits: that is the rule, not a failure here.
        let _ = self.v.update_testimony(self.known[k].id, t, None);
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Add {
                witness,
                relative,
                names,
            } => {
                let c1 = canary(&mut self.n);
                let witness_name = unique_name(NAMES[names.0], self.n * 2);
                let relative_name = unique_name(NAMES[names.1], self.n * 2 + 1);
                let rel_id = Uuid::now_v7();
                let mut consents = vec![json!({"scopes": scopes_json(witness)})];
                let mut persons = vec![];
                if let Some(r) = relative {
                    persons.push(json!({"id": rel_id, "names": [{"name": relative_name}],
                                        "roles": ["relative"]}));
                    consents.push(json!({"person": rel_id, "scopes": scopes_json(r)}));
                }
                let state = json!({
                    "code": format!("P-{}", self.n),
                    // Only recorded names are promised to go (trust-model §3): the relative
                    // is named in the text only when recorded (an unrecorded "Aygulcb" once
                    // read as a leak of another testimony's "Aygulc").
                    "narrative": if relative.is_some() {
                        format!("{c1}: {witness_name}ның інісі {relative_name} ұсталды.")
                    } else {
                        format!("{c1}: {witness_name}ның інісі ұсталды.")
                    },
                    "testifier": {"names": [{"name": witness_name}]},
                    "persons": persons,
                    "consents": consents,
                });
                let t = Testimony::from_json(&state.to_string()).unwrap_or_else(|e| panic!("{e}"));
                let id = self.v.add_testimony(t).unwrap_or_else(|e| panic!("{e}"));
                let mut names_ever = vec![witness_name];
                if relative.is_some() {
                    names_ever.push(relative_name);
                }
                self.known.push(Known {
                    id,
                    ever: vec![c1],
                    names_ever,
                    deleted: false,
                    files: vec![],
                    sent_to_coordinator: false,
                });
            }
            Op::Edit(i) => {
                let Some(k) = self.live(*i) else { return };
                let Some(mut s) = self.state(k) else { return };
                let c = canary(&mut self.n);
                s["summary"] = json!(format!("edited {c}"));
                self.known[k].ever.push(c);
                self.save(k, s);
            }
            Op::SetScope { t, scope, decision } => {
                let Some(k) = self.live(*t) else { return };
                let Some(mut s) = self.state(k) else { return };
                if let Some(c) = s["consents"].get_mut(0).and_then(Value::as_object_mut) {
                    let scopes = c.entry("scopes").or_insert_with(|| json!({}));
                    if let Some(m) = scopes.as_object_mut() {
                        match decision_name(*decision) {
                            Some(d) => {
                                m.insert(SCOPES[*scope].to_string(), json!(d));
                            }
                            None => {
                                m.remove(SCOPES[*scope]);
                            }
                        }
                    }
                }
                self.save(k, s);
            }
            Op::RemoveRelative(i) => {
                let Some(k) = self.live(*i) else { return };
                let Some(mut s) = self.state(k) else { return };
                s["persons"] = json!([]);
                if let Some(c) = s["consents"].as_array_mut() {
                    c.truncate(1);
                }
                self.save(k, s);
            }
            Op::Delete(i) => {
                let Some(k) = self.live(*i) else { return };
                if self
                    .v
                    .delete_testimony(self.known[k].id, "withdrawn")
                    .is_ok()
                {
                    self.known[k].deleted = true;
                    for f in &mut self.known[k].files {
                        f.4 = true;
                    }
                }
            }
            Op::Attach { t, recording, safe } => {
                let Some(k) = self.live(*t) else { return };
                let marker = format!("FILE{}MARK", canary(&mut self.n)).into_bytes();
                let (name, bytes) = if *recording {
                    ("voice.wav", wav(&marker))
                } else {
                    let mut pdf = b"%PDF-1.4\n".to_vec();
                    pdf.extend_from_slice(&marker);
                    pdf.extend(std::iter::repeat_n(b' ', 200));
                    ("letter.pdf", pdf)
                };
                let path = self.root.join(name);
                std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
                let Ok(id) =
                    self.v
                        .attach_file(self.known[k].id, &path, &AttachOptions::default(), &mut go)
                else {
                    return;
                };
                if *safe {
                    let _ = self.v.set_safe_to_publish(id, true);
                }
                self.known[k]
                    .files
                    .push((id, marker, *recording, *safe, false));
            }
            Op::DeleteAttachment(i) => {
                let Some(k) = self.live(*i) else { return };
                let Some(f) = self.known[k].files.iter_mut().find(|f| !f.4) else {
                    return;
                };
                if self.v.delete_attachment(f.0, "wrong file").is_ok() {
                    f.4 = true;
                }
            }
            Op::CoordinatorEdit(i) => {
                let Some(k) = self.live(*i) else { return };
                let id = self.known[k].id;
                let to_c = self.root.join(format!("to-c-{}.amanat", self.bundles));
                let back = self.root.join(format!("back-{}.amanat", self.bundles));
                self.bundles += 1;
                self.coordinator();
                let req = ExportRequest {
                    to: vec!["Coordinator".into()],
                    profile: ExportProfile::Full,
                    selection: Selection::Ids(vec![id]),
                };
                if self.v.export_bundle(&req, &to_c, &mut go).is_err() {
                    return;
                }
                self.check_bundle(&to_c, &req);
                let _ = self
                    .coordinator()
                    .import_bundle(&to_c, &ImportOptions::default(), &mut go);
                self.known[k].sent_to_coordinator = true;
                let c = canary(&mut self.n);
                if self
                    .coordinator()
                    .edit_testimony(id, &json!({"narrative": format!("coordinator {c}")}), None)
                    .is_err()
                {
                    return;
                }
                self.known[k].ever.push(c);
                let back_req = ExportRequest {
                    to: vec!["Interviewer".into()],
                    profile: ExportProfile::Full,
                    selection: Selection::Ids(vec![id]),
                };
                if self
                    .coordinator()
                    .export_bundle(&back_req, &back, &mut go)
                    .is_ok()
                {
                    let _ = self
                        .v
                        .import_bundle(&back, &ImportOptions::default(), &mut go);
                }
            }
            Op::Export {
                to,
                anonymised,
                selection,
                t,
            } => {
                let names: Vec<String> = self
                    .readers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| to & (1 << i) != 0)
                    .map(|(_, r)| r.0.clone())
                    .collect();
                let selection = match selection {
                    0 => Selection::SinceLast,
                    1 => Selection::All,
                    _ => match self.live(*t) {
                        Some(k) => Selection::Ids(vec![self.known[k].id]),
                        None => Selection::All,
                    },
                };
                let req = ExportRequest {
                    to: names,
                    profile: if *anonymised {
                        ExportProfile::Anonymised
                    } else {
                        ExportProfile::Full
                    },
                    selection,
                };
                let out = self.root.join(format!("b-{}.amanat", self.bundles));
                self.bundles += 1;
                match self.v.export_bundle(&req, &out, &mut go) {
                    Ok(_) => self.check_bundle(&out, &req),
                    Err(e) => assert!(
                        ["nothing_to_export", "conflict"].contains(&e.code()),
                        "export: error[{}] {e}",
                        e.code()
                    ),
                }
            }
        }
    }

    /// Whether testimony `k` may go to every recipient of `req` now: not deleted, not in
    /// conflict, and its current consent grants each recipient's scope.
    fn allowed(&self, k: usize, req: &ExportRequest) -> bool {
        let kn = &self.known[k];
        if kn.deleted {
            return false;
        }
        let Ok(t) = self.v.testimony(kn.id) else {
            return false;
        };
        // A testimony in conflict goes in no anonymised bundle, and in a full one only if every
        // version grants the scope (a deleting side grants nothing and asks nothing).
        if t.heads.len() > 1 && req.profile == ExportProfile::Anonymised {
            return false;
        }
        let states = self.versions(kn.id);
        !states.is_empty()
            && states.iter().all(|state| {
                req.to.iter().all(|name| {
                    let trust = self
                        .readers
                        .iter()
                        .find(|r| r.0 == *name)
                        .map(|r| r.2)
                        .or_else(|| (name == "Coordinator").then_some(ContactTrust::Organisation))
                        .unwrap_or(ContactTrust::Partner);
                    let scope = match (req.profile, trust) {
                        (ExportProfile::Anonymised, _) => "publish_anonymised",
                        (ExportProfile::Full, ContactTrust::Organisation) => "store_internally",
                        (ExportProfile::Full, ContactTrust::Partner) => "share_with_partner",
                    };
                    grants(state, scope)
                })
            })
    }

    /// Every current version of a testimony: one, or each side of a conflict that keeps it.
    fn versions(&self, id: Uuid) -> Vec<Value> {
        self.v
            .conflict_sides(id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.testimony?.to_value().ok())
            .collect()
    }

    /// Decrypts a bundle as its first recipient and checks it against the rules.
    fn check_bundle(&self, path: &Path, req: &ExportRequest) {
        let Some(identity) = self
            .readers
            .iter()
            .find(|r| req.to.contains(&r.0))
            .map(|r| &r.1)
        else {
            return; // to the coordinator only: it reads it through import, checked below
        };
        let plain = common::decrypt(identity, path);
        let text = String::from_utf8_lossy(&plain);
        let anonymised = req.profile == ExportProfile::Anonymised;
        for (k, kn) in self.known.iter().enumerate() {
            let allowed = self.allowed(k, req);
            let current: String = self.versions(kn.id).iter().map(Value::to_string).collect();
            for c in &kn.ever {
                let now = current.contains(c.as_str());
                // Text of an earlier version never leaves; the current one only where allowed.
                if text.contains(c.as_str()) {
                    assert!(
                        allowed && now && !kn.deleted,
                        "{c} of testimony {k} is in a {:?} bundle to {:?} (allowed {allowed}, \
                         in the current version {now}, deleted {})",
                        req.profile,
                        req.to,
                        kn.deleted
                    );
                }
            }
            for name in &kn.names_ever {
                if text.contains(name.as_str()) {
                    assert!(
                        !anonymised && allowed && current.contains(name.as_str()),
                        "the name {name} of testimony {k} is in a {:?} bundle to {:?}",
                        req.profile,
                        req.to
                    );
                }
            }
            let state: Value = serde_json::from_str(&current).unwrap_or_default();
            for (_, marker, recording, safe, deleted) in &kn.files {
                if !common::contains(&plain, marker) {
                    continue;
                }
                let may = !deleted
                    && allowed
                    && (!anonymised
                        || (*safe && (!recording || grants(&state, "publish_image_voice"))));
                assert!(
                    may,
                    "a file of testimony {k} (recording {recording}, safe {safe}, deleted \
                     {deleted}) is in a {:?} bundle to {:?}",
                    req.profile, req.to
                );
            }
        }
    }
}

/// Whether every person's latest consent in `state` grants `scope` (the rule, restated).
fn grants(state: &Value, scope: &str) -> bool {
    let Some(consents) = state["consents"].as_array() else {
        return false;
    };
    let mut latest: BTreeMap<String, (u64, &Value)> = BTreeMap::new();
    for c in consents {
        if c.get("withdrawn_at").is_some() {
            return false;
        }
        let who = c["person"].as_str().unwrap_or("").to_string();
        let version = c["version"].as_u64().unwrap_or(1);
        if latest.get(&who).is_none_or(|(v, _)| version > *v) {
            latest.insert(who, (version, c));
        }
    }
    !latest.is_empty()
        && latest
            .values()
            .all(|(_, c)| c["scopes"][scope].as_str() == Some("granted"))
}

fn wav(marker: &[u8]) -> Vec<u8> {
    let mut data = marker.to_vec();
    data.extend(std::iter::repeat_n(0x11u8, 400));
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8_000u32.to_le_bytes());
    b.extend_from_slice(&8_000u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

/// Cases per test (two tests run side by side, one per core).
fn cases() -> u32 {
    std::env::var("AMANAT_CONSENT_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1_200)
        / 2
}

fn run(ops: &[Op]) {
    let mut w = World::new();
    for op in ops {
        w.apply(op);
    }
    // And a last export of everything to every kind of recipient, full and anonymised.
    for to in [1u8, 2, 4, 7] {
        w.apply(&Op::Export {
            to,
            anonymised: false,
            selection: 1,
            t: 0,
        });
        w.apply(&Op::Export {
            to,
            anonymised: true,
            selection: 1,
            t: 0,
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_bundle_carries_what_consent_keeps_from_its_recipients(
        ops in proptest::collection::vec(op(), 1..14)
    ) {
        run(&ops);
    }

    #[test]
    fn no_bundle_carries_what_consent_keeps_from_its_recipients_either(
        ops in proptest::collection::vec(op(), 1..14)
    ) {
        run(&ops);
    }
}
