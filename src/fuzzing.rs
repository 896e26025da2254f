//! Entry points for the fuzz targets in `fuzz/` (AFL++; `make fuzz`). Each reads hostile
//! bytes the way Amanat does where such input arrives, and must never panic whatever the
//! bytes; where something is accepted, it checks what must then hold. Not part of the API:
//! the app never calls them. [`write_seeds`] makes the valid inputs the fuzzer starts from.
//!
//! The keys here are fixed and public: they only let valid seeds get past the signature and
//! decryption checks, so that the fuzzer reaches what lies behind them.

use std::path::Path;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::drafts;
use crate::error::{Error, Result};
use crate::keys::{RecoveryKey, VaultSecret};
use crate::log::{self, LogPos};
use crate::media;
use crate::model::revision::Draft;
use crate::model::vocab::AttachmentKind;
use crate::model::{Op, RecordKind, Revision};
use crate::search::{self, SearchQuery};
use crate::snapshot::{self, Meta};
use crate::store::Store;

/// The recovery key the key-file seeds are encrypted to.
const RECOVERY: &str = "AGE-SECRET-KEY-1DY6C42J3JQQ7DQ4ZUX4W7DNCP3PJD6L8Y2848Y7DR3ZPR9DVZH4SH05VFS";
/// The fingerprint the bundle seeds list as their recipient.
pub const BUNDLE_FINGERPRINT: &str = "00000-00000-00000-00000-00000";

fn vault_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn recovery_key() -> Result<RecoveryKey> {
    RecoveryKey::parse(&SecretString::from(RECOVERY.to_string()))
}

/// A decrypted bundle (its tar stream) read the way import reads it, with every sender
/// accepted and file members discarded. Returns how many revisions it carried.
pub fn bundle(bytes: &[u8]) -> Result<usize> {
    crate::bundle::read_plain_accepting_anyone(bytes, BUNDLE_FINGERPRINT)
}

/// A key file: the first byte says which reading. 0: the decrypted text of a key file (the
/// vault's secret keys); anything else: a whole `keys/recovery.age` opened with the recovery
/// key. (The passphrase file's container is the same age format; its scrypt would make each
/// run take a second.) What is read writes back to the same text.
pub fn key_file(bytes: &[u8]) -> Result<()> {
    let Some((&mode, rest)) = bytes.split_first() else {
        return Ok(());
    };
    let secret = if mode == 0 {
        VaultSecret::from_text(rest, Path::new("fuzz"))?
    } else {
        VaultSecret::unwrap_with_recovery(rest, &recovery_key()?, Path::new("fuzz"))?
    };
    let again = VaultSecret::from_text(secret.to_text().as_bytes(), Path::new("again"))?;
    assert_eq!(again.verifying_key(), secret.verifying_key());
    assert_eq!(
        again.identity().to_string().expose_secret(),
        secret.identity().to_string().expose_secret()
    );
    Ok(())
}

/// Which of our own files [`vault_file`] reads, by the input's first byte.
const FRAME: u8 = 0;
const DRAFT: u8 = 1;
const SETTINGS: u8 = 2;
/// The draft the draft seeds are (its id is part of what is signed).
const DRAFT_ID: uuid::Uuid = uuid::Uuid::from_u128(0x0190_f3a2_0000_7000_8000_0000_0000_0002);

/// One of the files Amanat keeps, as read after decryption; the first byte says which.
/// 0: a log frame, read and verified as replay does (the first frame of a vault whose key is
/// the fixed one), every revision it carries checked on its own as well; 1: a draft (the
/// editor's autosave); anything else: the app's settings file (not encrypted), whose values
/// must come out in range whatever it holds.
pub fn vault_file(bytes: &[u8]) -> Result<()> {
    let Some((&kind, rest)) = bytes.split_first() else {
        return Ok(());
    };
    let key = vault_key().verifying_key();
    match kind {
        FRAME => {
            let frame = log::parse_frame(rest).map_err(|why| Error::tampered("frame", why))?;
            for rev in &frame.revisions {
                let _ = rev.check();
            }
            log::verify_frame(&frame, &key, &LogPos::genesis())
                .map_err(|why| Error::tampered("frame", why))?;
        }
        DRAFT => {
            drafts::open(rest, &key, DRAFT_ID).map_err(|why| Error::tampered("draft", why))?;
        }
        _ => {
            let settings = crate::settings::AppSettings::from_bytes(rest);
            let mut again = settings.clone();
            again.set_idle_minutes(settings.idle_minutes)?;
            if let Some(language) = &settings.language {
                again.set_language(language)?;
            }
        }
    }
    Ok(())
}

/// A decrypted snapshot, read as opening a vault does (the index loaded while its signature
/// is checked).
pub fn snapshot(bytes: &[u8]) -> Result<()> {
    let key: VerifyingKey = vault_key().verifying_key();
    snapshot::read_plain(bytes, "fuzz", bytes.len() as u64, &key, true).map(|_| ())
}

/// An attached file: the first line is its name (and, read as a `Range` header, what a
/// media element asks of it), the rest its first bytes. The sniffed type is checked against
/// the name and every kind.
pub fn attachment(bytes: &[u8]) -> Result<()> {
    let (name, head) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (&[][..], bytes),
    };
    let name = String::from_utf8_lossy(name);
    let media_type = media::sniff(head);
    let default = media::default_kind(&media_type);
    assert!(
        media::check("file", &media_type, default).is_ok(),
        "{media_type} does not fit its own kind"
    );
    for kind in AttachmentKind::ALL {
        let _ = media::check(&name, &media_type, *kind);
    }
    let size = head.len() as u64;
    if let Ok(r) = media::resolve_range(Some(&name), size, 1 << 20) {
        assert!(r.start <= r.end && r.end < size, "{name}: {r:?} of {size}");
    }
    Ok(())
}

/// A recovery key as typed or read from a file. What is accepted reads back the same.
pub fn recovery(bytes: &[u8]) -> Result<()> {
    let typed = SecretString::from(String::from_utf8_lossy(bytes).into_owned());
    let key = RecoveryKey::parse(&typed)?;
    let again = RecoveryKey::parse(&key.expose())?;
    assert_eq!(again.expose().expose_secret(), key.expose().expose_secret());
    Ok(())
}

thread_local! {
    static SEARCH_STORE: Result<Store> = search_store();
}

/// A search as typed (or a whole query with filters as the app sends it, in JSON) over a
/// small index of testimonies in four scripts: folding, the query, filters and facets.
pub fn search(bytes: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(bytes);
    let mut query = serde_json::from_str::<SearchQuery>(&text)
        .unwrap_or_else(|_| SearchQuery::new(text.as_ref()));
    query.limit = query.limit.min(50);
    for word in search::fold::words(&query.text) {
        let _ = search::fold::fold_word_keys(word);
    }
    SEARCH_STORE.with(|store| {
        let store = store.as_ref().map_err(|e| Error::Internal(e.to_string()))?;
        let results = store.search(&query)?;
        assert!(results.hits.len() <= query.limit);
        store.facets(&query).map(|_| ())
    })
}

const SEARCH_TESTIMONIES: [&str; 3] = [
    r#"{"code": "A-1", "narrative": "Менің ағам Ержанат 2018 жылы ұсталды. 他被拘留了。",
        "persons": [{"names": [{"name": "Ержанат Абай"}, {"name": "ئەرجانات ئاباي"}],
                     "birth": "1979", "hometown": "Ghulja"}],
        "places": [{"id": "0190f3a2-0000-7000-8000-000000000001",
                    "names": [{"name": "Ghulja"}, {"name": "伊宁县"}], "level": "county"}],
        "events": [{"kind": "detention", "start": "2018-03",
                    "place_id": "0190f3a2-0000-7000-8000-000000000001"}],
        "tags": ["camp"]}"#,
    r#"{"code": "A-2", "narrative": "Yerzhanat Abai was released in spring 2020.",
        "persons": [{"names": [{"name": "叶尔扎那提"}]}],
        "events": [{"kind": "release", "start": "2020-21", "place": "Ghulja"}]}"#,
    r#"{"code": "A-3", "narrative": "", "status": "reviewed"}"#,
];

fn search_store() -> Result<Store> {
    let mut store = Store::new()?;
    let key = vault_key();
    let tx = store.tx()?;
    for (seq, json) in (1..).zip(SEARCH_TESTIMONIES) {
        tx.apply(&sample_revision(json, &key)?, seq)?;
    }
    tx.commit()?;
    Ok(store)
}

fn sample_revision(json: &str, key: &SigningKey) -> Result<Revision> {
    let state = crate::Testimony::from_json(json)?.to_value()?;
    Revision::sign(
        Draft {
            record: uuid::Uuid::now_v7(),
            kind: RecordKind::Testimony,
            op: Op::Create,
            parents: vec![],
            reason: None,
            state: Some(state),
        },
        key,
        jiff::Timestamp::now(),
    )
}

/// Writes valid inputs for the key file, vault file, snapshot, attachment, recovery key and
/// search targets into `dir/<target>/`.
pub fn write_seeds(dir: &Path) -> Result<()> {
    let put = |target: &str, name: &str, bytes: &[u8]| -> Result<()> {
        let sub = dir.join(target);
        std::fs::create_dir_all(&sub).map_err(|e| Error::io("mkdir", &sub, e))?;
        let path = sub.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))
    };
    // Key files: fixed keys, so the seeds stay the same from run to run.
    let secret = VaultSecret::from_parts(
        x25519::Identity::from_str(RECOVERY).map_err(|e| Error::Internal(e.to_string()))?,
        vault_key(),
    );
    put(
        "key_file",
        "text",
        &[&[0], secret.to_text().as_bytes()].concat(),
    )?;
    let wrapped = secret.wrap_to_recovery(&recovery_key()?)?;
    put(
        "key_file",
        "recovery.age",
        &[&[1], wrapped.as_slice()].concat(),
    )?;

    let key = vault_key();
    let rev = sample_revision(SEARCH_TESTIMONIES[0], &key)?;
    let genesis = LogPos::genesis();
    let revs = [rev];
    let (frame, _) = log::FrameOut::signed(&genesis, &revs, false, &key)?;
    let json = serde_json::to_vec(&frame).map_err(|e| Error::Internal(e.to_string()))?;
    put(
        "vault_file",
        "frame.json",
        &[&[FRAME], json.as_slice()].concat(),
    )?;
    let info = drafts::DraftInfo {
        id: DRAFT_ID,
        record: None,
        base: None,
        saved_at: "2026-11-28T10:00:00Z".into(),
        code: "ALA-2026-0001".into(),
    };
    let state = crate::Testimony::from_json(SEARCH_TESTIMONIES[1])?.to_value()?;
    let draft = drafts::seal(&info, &state, &key)?;
    put(
        "vault_file",
        "draft.json",
        &[&[DRAFT], draft.as_slice()].concat(),
    )?;
    let settings = br#"{"vault": "/home/a/Amanat", "idle_minutes": 10, "language": "ug"}"#;
    put(
        "vault_file",
        "settings.json",
        &[&[SETTINGS], &settings[..]].concat(),
    )?;

    // A small database (not a whole index: the fuzzer works best on small inputs).
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES ('Ержанат');")?;
    let db = conn.serialize(rusqlite::MAIN_DB)?.to_vec();
    let meta = Meta {
        format: 1,
        pos: LogPos::genesis(),
        start_segment: 1,
        prev_start_segment: 1,
        db_len: db.len() as u64,
        created_at: jiff::Timestamp::UNIX_EPOCH,
    };
    let mut plain = Vec::new();
    snapshot::write_plain(&mut plain, &key, &meta, &db)
        .map_err(|e| Error::io("write", Path::new("seed"), e))?;
    put("snapshot", "small.bin", &plain)?;

    let heads: [(&str, &[u8]); 5] = [
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
        ),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        (
            "call.webm",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x85webm\0\x42\x87",
        ),
        ("bytes=0-99", "Жазба: ئەرجانات\n".as_bytes()),
        ("voice.m4a", b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom"),
    ];
    for (i, (name, head)) in heads.iter().enumerate() {
        put(
            "attachment",
            &i.to_string(),
            &[name.as_bytes(), b"\n", head].concat(),
        )?;
    }

    put("recovery", "typed", RECOVERY.to_lowercase().as_bytes())?;
    let saved = format!("Amanat recovery key. Whoever holds it can open the vault.\n{RECOVERY}\n");
    put("recovery", "saved-file", saved.as_bytes())?;

    let queries = [
        "Ержанат Абай",
        "ئەرجانات",
        "叶尔扎那提 拘留",
        "yerzhanat released",
        r#"{"text": "Abai", "filters": {"event": "2018/2020", "event_kinds": ["detention"],
            "place": "Ghulja", "statuses": ["draft"], "tags": ["camp"]}, "limit": 5}"#,
    ];
    for (i, q) in queries.iter().enumerate() {
        put("search", &i.to_string(), q.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed is read as valid (so the fuzzer starts past the signature and decryption
    /// checks), and the signed or encrypted ones are refused with one byte changed.
    #[test]
    fn the_seeds_are_accepted_and_a_changed_byte_is_refused() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("mkdir", Path::new("tmp"), e))?;
        write_seeds(dir.path())?;
        type Target = fn(&[u8]) -> Result<()>;
        let targets: [(&str, Target); 6] = [
            ("key_file", key_file),
            ("vault_file", vault_file),
            ("snapshot", snapshot),
            ("attachment", attachment),
            ("recovery", recovery),
            ("search", search),
        ];
        let sealed = ["recovery.age", "frame.json", "draft.json", "small.bin"];
        let mut changed_refused = 0;
        for (target, run) in targets {
            let entries = std::fs::read_dir(dir.path().join(target))
                .map_err(|e| Error::io("list", Path::new(target), e))?;
            for entry in entries.flatten() {
                let bytes =
                    std::fs::read(entry.path()).map_err(|e| Error::io("read", &entry.path(), e))?;
                run(&bytes).map_err(|e| {
                    Error::Internal(format!("{target} {:?}: {e}", entry.file_name()))
                })?;
                if sealed.iter().any(|s| entry.file_name() == *s) {
                    changed_refused += 1;
                    let mut changed = bytes.clone();
                    let at = changed.len() * 2 / 3;
                    changed[at] ^= 0x01;
                    assert!(
                        run(&changed).is_err(),
                        "{target}: a changed byte was accepted"
                    );
                }
            }
        }
        assert_eq!(changed_refused, sealed.len());
        assert_eq!(bundle(b"not a tar").ok(), None);
        Ok(())
    }
}
