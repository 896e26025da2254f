//! Builds bundles by hand, the way someone with only docs/bundle-format.md would: canonical
//! JSON, SHA-256 with a domain label, Ed25519, tar, age. Used to make the hostile-bundle
//! corpus; every way a bundle can be wrong is made from a valid one by one change.

#![allow(dead_code)]

use std::io::Write;

use age::x25519;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The corpus sender's keys: fixed, so the corpus can be regenerated with the same sender.
pub const SENDER_AGE: &str =
    "AGE-SECRET-KEY-1HP2Y9ZMALYGND07FCDL3SL5ZJ5R7EJT34E5KV5JPYGHJ3VDYFSEQ7UWDXV";
pub const SENDER_SEED: [u8; 32] = [42; 32];

pub struct Sender {
    pub key: SigningKey,
    pub age: x25519::Identity,
    pub name: String,
}

impl Sender {
    pub fn corpus() -> Sender {
        Sender {
            key: SigningKey::from_bytes(&SENDER_SEED),
            age: SENDER_AGE.parse().unwrap_or_else(|e| panic!("{e}")),
            name: "Corpus sender".into(),
        }
    }

    pub fn stranger(seed: u8) -> Sender {
        Sender {
            key: SigningKey::from_bytes(&[seed; 32]),
            age: x25519::Identity::generate(),
            name: "Stranger".into(),
        }
    }

    pub fn card(&self) -> String {
        amanat::ContactCard::new(&self.name, &self.age.to_public(), self.key.verifying_key())
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string()
    }

    pub fn key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }
}

/// JSON with object keys sorted at every depth, no spaces: what hashes are computed over.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

pub fn labelled(label: &str, data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update(data);
    h.finalize().into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Signs a revision (a JSON object without hash and sig) as `key`, filling author, hash, sig.
pub fn sign_revision(mut rev: Value, key: &SigningKey) -> Value {
    rev["author"] = json!(hex::encode(key.verifying_key().as_bytes()));
    if let Value::Object(m) = &mut rev {
        m.remove("hash");
        m.remove("sig");
    }
    let hash = labelled("amanat/revision/v1\n", canonical(&rev).as_bytes());
    rev["hash"] = json!(hex::encode(hash));
    rev["sig"] = json!(hex::encode(key.sign(&hash).to_bytes()));
    rev
}

/// A custody entry with its hash.
pub fn custody(actor: &str, at: &str, sha: &str) -> Value {
    let mut e = json!({
        "at": at, "actor": actor, "action": "imported", "tool": "amanat",
        "tool_version": "0.1.0", "hash_seen": sha
    });
    let hash = labelled("amanat/custody/v1\n", canonical(&e).as_bytes());
    e["hash"] = json!(hex::encode(hash));
    e
}

pub fn testimony_revision(key: &SigningKey, record: &str, state: Value, parents: &[&str]) -> Value {
    let state = amanat::Testimony::from_json(&state.to_string())
        .and_then(|t| t.to_value())
        .unwrap_or_else(|e| panic!("testimony: {e}"));
    sign_revision(
        json!({
            "record": record, "kind": "testimony",
            "op": if parents.is_empty() { "create" } else { "update" },
            "parents": parents, "author": "", "at": "2025-04-01T10:00:00Z", "state": state
        }),
        key,
    )
}

pub fn attachment_revision(
    key: &SigningKey,
    record: &str,
    testimony: &str,
    blob: &str,
    content: &[u8],
) -> Value {
    let sha = sha256_hex(content);
    let actor = hex::encode(key.verifying_key().as_bytes());
    sign_revision(
        json!({
            "record": record, "kind": "attachment", "op": "create", "parents": [],
            "author": "", "at": "2025-04-01T10:05:00Z",
            "state": {
                "testimony": testimony, "blob": blob, "sha256": sha, "size": content.len(),
                "media_type": "image/png", "name": "photo.png", "kind": "photo",
                "role": "evidentiary", "safe_to_publish": false,
                "custody": [custody(&actor, "2025-04-01T10:05:00Z", &sha)]
            }
        }),
        key,
    )
}

pub fn jsonl(revs: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in revs {
        out.extend_from_slice(r.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// One tar member as the crafting code wants it.
pub struct Entry {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub data: Vec<u8>,
    /// The size the header declares (normally the data's length).
    pub size: u64,
    pub link: Option<Vec<u8>>,
}

impl Entry {
    pub fn file(name: &str, data: Vec<u8>) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            kind: tar::EntryType::Regular,
            size: data.len() as u64,
            data,
            link: None,
        }
    }
}

/// A bundle's plaintext parts, before they become a tar stream.
#[derive(Clone)]
pub struct Parts {
    pub manifest: Value,
    pub sig: Option<Vec<u8>>,
    pub revisions: Vec<u8>,
    pub blobs: Vec<Vec<u8>>,
}

impl Parts {
    /// A manifest that lists exactly these parts, for `recipients`.
    pub fn new(
        sender: &Sender,
        recipients: &[String],
        seq: u64,
        revs: &[Value],
        blobs: Vec<Vec<u8>>,
    ) -> Parts {
        let revisions = jsonl(revs);
        let mut p = Parts {
            manifest: json!({
                "format": "amanat-bundle", "version": 1, "exporter": sender.card(),
                "recipients": recipients, "created_at": "2025-04-02T09:00:00Z",
                "profile": "full", "seq": seq, "members": []
            }),
            sig: None,
            revisions,
            blobs,
        };
        p.relist();
        p
    }

    /// Lists the current revisions and blobs in the manifest.
    pub fn relist(&mut self) {
        let mut members = vec![json!({
            "path": "revisions.jsonl", "sha256": sha256_hex(&self.revisions),
            "size": self.revisions.len()
        })];
        for b in &self.blobs {
            let sha = sha256_hex(b);
            members.push(json!({"path": format!("blobs/{sha}"), "sha256": sha, "size": b.len()}));
        }
        self.manifest["members"] = Value::Array(members);
    }

    pub fn manifest_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.manifest).unwrap_or_default()
    }

    /// The signature file: Ed25519 over SHA-256("amanat/manifest/v1\n" || manifest), hex.
    pub fn signature(&self, key: &SigningKey) -> Vec<u8> {
        let h = labelled("amanat/manifest/v1\n", &self.manifest_bytes());
        hex::encode(key.sign(&h).to_bytes()).into_bytes()
    }

    pub fn sign(&mut self, key: &SigningKey) {
        self.sig = Some(self.signature(key));
    }

    /// The members in the standard order.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = vec![
            Entry::file("manifest.json", self.manifest_bytes()),
            Entry::file("manifest.sig", self.sig.clone().unwrap_or_default()),
            Entry::file("revisions.jsonl", self.revisions.clone()),
        ];
        for b in &self.blobs {
            out.push(Entry::file(&format!("blobs/{}", sha256_hex(b)), b.clone()));
        }
        out
    }
}

/// A tar stream of `entries`, names written as raw bytes (so `../` and `/` survive).
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = tar::Header::new_ustar();
        {
            let old = h.as_old_mut();
            let n = e.name.len().min(old.name.len());
            old.name[..n].copy_from_slice(&e.name[..n]);
            if let Some(link) = &e.link {
                let n = link.len().min(old.linkname.len());
                old.linkname[..n].copy_from_slice(&link[..n]);
            }
        }
        h.set_mode(0o600);
        h.set_mtime(0);
        h.set_entry_type(e.kind);
        h.set_size(e.size);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

pub fn encrypt(plain: &[u8], recipients: &[x25519::Recipient]) -> Vec<u8> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap_or_else(|e| panic!("{e}"));
    w.write_all(plain).unwrap_or_else(|e| panic!("{e}"));
    w.finish().unwrap_or_else(|e| panic!("{e}"));
    out
}

pub fn encrypt_with_passphrase(plain: &[u8]) -> Vec<u8> {
    let mut enc = age::scrypt::Recipient::new(age::secrecy::SecretString::from("x".to_string()));
    enc.set_work_factor(10);
    let enc = age::Encryptor::with_recipients(std::iter::once(&enc as &dyn age::Recipient))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap_or_else(|e| panic!("{e}"));
    w.write_all(plain).unwrap_or_else(|e| panic!("{e}"));
    w.finish().unwrap_or_else(|e| panic!("{e}"));
    out
}
