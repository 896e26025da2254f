//! Working copies: what the editor holds but has not saved as a revision, autosaved every few
//! seconds so that a crash loses at most those seconds. A draft is encrypted to the vault's
//! own key and signed by it, so a planted or altered file is refused, never offered. Drafts
//! are not part of the history: saving turns one into a revision, discarding removes it.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{self, DOMAIN_DRAFT};
use crate::error::{Error, Result};
use crate::fsutil::{self, TMP_SUFFIX};
use crate::vault::Vault;

pub(crate) const DRAFTS_DIR: &str = "drafts";
/// A testimony's JSON is far below this; the cap stops a hostile file from filling memory.
const DRAFT_MAX: u64 = 16 * 1024 * 1024;

/// A draft as listed for "unsaved work" offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DraftInfo {
    pub id: Uuid,
    /// The testimony being edited; none for a new one.
    pub record: Option<Uuid>,
    /// The revision of `record` the editor started from: saving the draft after the
    /// testimony moved on merges three ways or keeps both versions (`Vault::save_edit`).
    /// Absent in drafts written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// When it was last autosaved (RFC 3339).
    pub saved_at: String,
    /// The code typed so far, for the user to recognise it.
    pub code: String,
}

/// A draft with its content: the editor's working copy, not necessarily valid yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedDraft {
    pub info: DraftInfo,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub state: Value,
}

/// Drafts found, and files in the drafts folder that failed to open or verify.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DraftList {
    pub drafts: Vec<DraftInfo>,
    pub damaged: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Signed {
    body: Value,
    sig: String,
}

/// A draft's plaintext: its info and state, signed with the vault's key.
pub(crate) fn seal(
    info: &DraftInfo,
    state: &Value,
    key: &ed25519_dalek::SigningKey,
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let body = serde_json::json!({ "info": info, "state": state });
    let sig = crypto::sign(
        key,
        &crypto::labelled_hash(DOMAIN_DRAFT, &crypto::canonical_json(&body)),
    );
    serde_json::to_vec(&Signed {
        body,
        sig: hex::encode(sig),
    })
    .map(zeroize::Zeroizing::new)
    .map_err(|e| Error::Internal(e.to_string()))
}

/// Reads a draft's decrypted plaintext: signed by `key`, and the draft `id`. Returns what is
/// wrong otherwise.
pub(crate) fn open(
    plaintext: &[u8],
    key: &ed25519_dalek::VerifyingKey,
    id: Uuid,
) -> std::result::Result<SavedDraft, &'static str> {
    let signed: Signed = serde_json::from_slice(plaintext).map_err(|_| "it is not a draft")?;
    let sig = hex::decode(&signed.sig).map_err(|_| "its signature is malformed")?;
    let hash = crypto::labelled_hash(DOMAIN_DRAFT, &crypto::canonical_json(&signed.body));
    if !crypto::verify(key, &hash, &sig) {
        return Err("its signature does not verify");
    }
    #[derive(Deserialize)]
    struct Body {
        info: DraftInfo,
        state: Value,
    }
    let body: Body = serde_json::from_value(signed.body).map_err(|_| "it is not a draft")?;
    if body.info.id != id {
        return Err("it belongs to another draft");
    }
    Ok(SavedDraft {
        info: body.info,
        state: body.state,
    })
}

impl Vault {
    fn draft_path(&self, id: Uuid) -> PathBuf {
        self.dir().join(DRAFTS_DIR).join(format!("{id}.age"))
    }

    /// Replaces the draft `id` with `state`, durably (write, fsync, rename). `base` is the
    /// revision of `record` the editor started from.
    pub fn save_draft(
        &self,
        id: Uuid,
        record: Option<Uuid>,
        base: Option<&str>,
        state: &Value,
    ) -> Result<DraftInfo> {
        if let Some(b) = base
            && (b.len() != 64 || !b.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(Error::invalid("base", "is not a revision"));
        }
        // An editor left open on a testimony erased, or withdrawn, meanwhile saves nothing of
        // it again.
        if let Some(r) = record
            && (self.store.erasure(r)?.is_some() || self.store.is_withdrawn(r)?)
        {
            return Err(Error::NotFound(r.to_string()));
        }
        let info = DraftInfo {
            id,
            record,
            base: base.map(str::to_string),
            saved_at: jiff::Timestamp::now().to_string(),
            code: state
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        };
        let plaintext = seal(&info, state, self.secret.signing_key())?;
        if plaintext.len() as u64 > DRAFT_MAX {
            return Err(Error::invalid("draft", "is larger than 16 MiB"));
        }
        let dir = self.dir().join(DRAFTS_DIR);
        if !dir.is_dir() {
            fsutil::create_dir(&dir)?;
        }
        let path = self.draft_path(id);
        let ciphertext = crypto::encrypt_to(&self.secret.recipient(), &plaintext)
            .map_err(|e| Error::io("encrypt", &path, e))?;
        fsutil::write_atomic(&path, &ciphertext)?;
        Ok(info)
    }

    /// Reads and verifies one draft.
    pub fn load_draft(&self, id: Uuid) -> Result<SavedDraft> {
        let path = self.draft_path(id);
        if !path.exists() {
            return Err(Error::NotFound(format!("draft {id}")));
        }
        let tampered = |detail: &'static str| Error::Tampered {
            what: format!("draft {id}"),
            detail: detail.to_string(),
        };
        let ciphertext = fsutil::read_capped(&path, DRAFT_MAX * 2)?;
        let plaintext = crypto::decrypt_all(self.secret.identity(), &ciphertext)
            .map_err(|_| tampered("it does not decrypt with this vault's key"))?;
        open(&plaintext, &self.secret.verifying_key(), id).map_err(tampered)
    }

    fn draft_of_withdrawn(&self, d: &DraftInfo) -> Result<bool> {
        match d.record {
            Some(r) => self.store.is_withdrawn(r),
            None => Ok(false),
        }
    }

    /// Every draft, newest first. Leftover temporary files of an interrupted save are removed.
    pub fn drafts(&self) -> Result<DraftList> {
        let dir = self.dir().join(DRAFTS_DIR);
        let mut list = DraftList::default();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(list),
            Err(e) => return Err(Error::io("read", &dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read", &dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(TMP_SUFFIX) {
                fsutil::remove_file_if_exists(&entry.path())?;
                continue;
            }
            let id = name
                .strip_suffix(".age")
                .and_then(|s| Uuid::parse_str(s).ok());
            match id.map(|id| self.load_draft(id)) {
                // A withdrawn testimony's drafts are hidden with it (erased with it, or shown
                // again once it is kept).
                Some(Ok(d)) if self.draft_of_withdrawn(&d.info)? => {}
                Some(Ok(d)) => list.drafts.push(d.info),
                _ => list.damaged.push(name),
            }
        }
        list.drafts.sort_by(|a, b| b.saved_at.cmp(&a.saved_at));
        list.damaged.sort();
        Ok(list)
    }

    /// Writes every draft made under an earlier key (`old`, whose signatures `old_key` checks)
    /// again under the current one, as it was (a key change). Drafts that open with neither
    /// are left for `drafts` to list as damaged. Returns how many were written.
    pub(crate) fn reseal_drafts(
        &self,
        old: &age::x25519::Identity,
        old_key: &ed25519_dalek::VerifyingKey,
    ) -> Result<u64> {
        let dir = self.dir().join(DRAFTS_DIR);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("read", &dir, e)),
        };
        let mut n = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) = path
                .file_name()
                .and_then(|f| f.to_str())
                .and_then(|f| f.strip_suffix(".age"))
                .and_then(|s| Uuid::parse_str(s).ok())
            else {
                continue;
            };
            let ciphertext = fsutil::read_capped(&path, DRAFT_MAX * 2)?;
            if crypto::decrypt_all(self.secret.identity(), &ciphertext).is_ok() {
                continue;
            }
            let Ok(plaintext) = crypto::decrypt_all(old, &ciphertext) else {
                continue;
            };
            let Ok(draft) = open(&plaintext, old_key, id) else {
                continue;
            };
            let sealed = seal(&draft.info, &draft.state, self.secret.signing_key())?;
            let ciphertext = crypto::encrypt_to(&self.secret.recipient(), &sealed)
                .map_err(|e| Error::io("encrypt", &path, e))?;
            fsutil::write_atomic(&path, &ciphertext)?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes every draft of the erased `records`; returns how many.
    pub(crate) fn remove_drafts_of(
        &self,
        records: &std::collections::HashSet<Uuid>,
    ) -> Result<u64> {
        let mut n = 0;
        for d in self.drafts()?.drafts {
            if d.record.is_some_and(|r| records.contains(&r)) {
                self.discard_draft(d.id)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes a draft (after it was saved as a revision, or when the user discards it).
    pub fn discard_draft(&self, id: Uuid) -> Result<()> {
        let path = self.draft_path(id);
        fsutil::remove_file_if_exists(&path)?;
        fsutil::sync_parent(&path)
    }

    /// Removes a file of the drafts folder that `drafts` listed as damaged.
    pub fn discard_damaged_draft(&self, name: &str) -> Result<()> {
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::invalid("name", "is not a file of the drafts folder"));
        }
        let path = self.dir().join(DRAFTS_DIR).join(name);
        fsutil::remove_file_if_exists(&path)?;
        fsutil::sync_parent(&path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KdfCost;
    use crate::vault::CreateOptions;
    use secrecy::SecretString;

    fn vault(dir: &std::path::Path) -> Result<Vault> {
        let pass = SecretString::from("correct horse battery staple".to_string());
        let opts = CreateOptions {
            name: "Test".into(),
            kdf: KdfCost::InsecureForTests(1),
        };
        Ok(Vault::create(&dir.join("v"), &pass, &opts)?.0)
    }

    #[test]
    fn a_draft_survives_and_is_listed_then_discarded() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let v = vault(tmp.path())?;
        let id = Uuid::now_v7();
        let state = serde_json::json!({"code": "ALA-1", "narrative": "Ержанат"});
        v.save_draft(id, None, None, &state)?;
        let list = v.drafts()?;
        assert_eq!(list.drafts.len(), 1);
        assert_eq!(list.drafts[0].code, "ALA-1");
        assert_eq!(v.load_draft(id)?.state, state);
        v.discard_draft(id)?;
        assert!(v.drafts()?.drafts.is_empty());
        Ok(())
    }

    #[test]
    fn a_planted_or_swapped_draft_is_refused() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
        let v = vault(tmp.path())?;
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        v.save_draft(a, None, None, &serde_json::json!({"code": "A"}))?;
        // Encrypted to our public key but not signed by us: anyone could have written it.
        let planted = crypto::encrypt_to(
            &v.secret.recipient(),
            br#"{"body":{"info":{},"state":{}},"sig":"00"}"#,
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
        fs::write(v.draft_path(b), planted).map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(
            v.load_draft(b).map_err(|e| e.code()).err(),
            Some("tampered")
        );
        // A genuine draft renamed to another id.
        let c = Uuid::now_v7();
        fs::copy(v.draft_path(a), v.draft_path(c)).map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(
            v.load_draft(c).map_err(|e| e.code()).err(),
            Some("tampered")
        );
        let list = v.drafts()?;
        assert_eq!(list.drafts.len(), 1);
        assert_eq!(list.damaged.len(), 2);
        Ok(())
    }
}
