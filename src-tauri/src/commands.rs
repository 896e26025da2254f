//! The commands the UI calls. Each one parses its arguments, calls the core and maps the
//! result; anything more belongs in the core. All are async so that key derivation and
//! vault I/O never run on the window's thread.

use std::path::PathBuf;

use amanat::secrecy::{ExposeSecret, SecretString};
use amanat::{
    DateReading, DraftInfo, DraftList, EditOutcome, HistoryEntry, KdfCost, PassphraseStrength,
    RecoveryKey, SavedDraft, StoredTestimony, Testimony, TestimonySummary, Vault,
};
use serde::Serialize;
use serde_json::Value;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;
use uuid::Uuid;

use crate::attach::JobProgress;
use crate::error::CmdResult;
use crate::lockdown;
use crate::state::AppState;

/// What the UI needs to choose its first screen.
#[derive(Debug, Serialize, TS)]
pub struct AppStatus {
    pub unlocked: bool,
    /// The vault folder last used, if any.
    pub vault_dir: Option<String>,
    /// Whether that folder holds a vault (else: first run).
    pub vault_exists: bool,
    pub idle_minutes: u32,
    /// The UI language the user chose; none means "follow the system".
    pub language: Option<String>,
    /// The app language of the system's locale, offered until the user chooses.
    pub system_language: String,
    /// This device's signing key (hex), to tell own revisions from others' in history.
    pub device_key: Option<String>,
    pub device_name: Option<String>,
    /// Where a first vault goes unless the user chooses otherwise: `~/Amanat`.
    pub suggested_dir: String,
    pub vocabularies: amanat::model::Vocabularies,
}

/// A contact card to give to a coordinator, and its fingerprint to compare by phone.
#[derive(Debug, Serialize, TS)]
pub struct CardView {
    pub card: String,
    pub name: String,
    pub fingerprint: String,
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

pub(crate) fn parse_id(id: &str) -> CmdResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| amanat::Error::invalid("id", "is not a record id").into())
}

pub(crate) fn testimony(state: &Value) -> CmdResult<Testimony> {
    Ok(Testimony::from_json(&state.to_string())?)
}

#[tauri::command]
pub async fn app_status<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<AppStatus> {
    let settings = state.settings();
    let (device_key, device_name) = state
        .with_vault(|v| Ok((v.device_key(), v.contact_card()?.name().to_string())))
        .map(|(k, n)| (Some(k), Some(n)))
        .unwrap_or((None, None));
    Ok(AppStatus {
        unlocked: state.is_unlocked(),
        vault_exists: settings.vault.as_deref().is_some_and(Vault::exists_at),
        vault_dir: settings.vault.map(|p| p.display().to_string()),
        idle_minutes: settings.idle_minutes,
        language: settings.language.clone(),
        system_language: amanat::settings::system_language().to_string(),
        device_key,
        device_name,
        suggested_dir: app
            .path()
            .home_dir()
            .map(|h| h.join("Amanat").display().to_string())
            .unwrap_or_default(),
        vocabularies: amanat::model::VOCABULARIES,
    })
}

#[tauri::command]
pub async fn passphrase_strength(passphrase: String, name: String) -> PassphraseStrength {
    amanat::passphrase_strength(&secret(passphrase), &[name.as_str()])
}

#[tauri::command]
pub async fn create_vault(
    state: State<'_, AppState>,
    dir: String,
    name: String,
    passphrase: String,
) -> CmdResult<String> {
    let opts = amanat::CreateOptions {
        name,
        kdf: KdfCost::Calibrated,
    };
    let (vault, recovery) = Vault::create(&PathBuf::from(dir), &secret(passphrase), &opts)?;
    let shown = recovery.expose().expose_secret().to_string();
    state.set_recovery(recovery);
    state.unlock(vault)?;
    Ok(shown)
}

#[tauri::command]
pub async fn save_recovery_key(state: State<'_, AppState>, path: String) -> CmdResult<()> {
    state.with_recovery(|key| Ok(key.write_to_new_file(&PathBuf::from(&path))?))
}

#[tauri::command]
pub async fn forget_recovery_key(state: State<'_, AppState>) -> CmdResult<()> {
    state.forget_recovery();
    Ok(())
}

#[tauri::command]
pub async fn open_vault(
    state: State<'_, AppState>,
    dir: String,
    passphrase: String,
) -> CmdResult<()> {
    let vault = Vault::open(&PathBuf::from(dir), &secret(passphrase))?;
    state.unlock(vault)
}

#[tauri::command]
pub async fn recover_vault(
    state: State<'_, AppState>,
    dir: String,
    recovery_key: String,
    new_passphrase: String,
) -> CmdResult<()> {
    let key = RecoveryKey::parse(&secret(recovery_key))?;
    let vault = Vault::recover(
        &PathBuf::from(dir),
        &key,
        &secret(new_passphrase),
        KdfCost::Calibrated,
    )?;
    state.unlock(vault)
}

#[tauri::command]
pub async fn lock<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> CmdResult<()> {
    lockdown::lock_now(&app, &state, false);
    Ok(())
}

#[tauri::command]
pub async fn panic_lock<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<()> {
    lockdown::lock_now(&app, &state, true);
    Ok(())
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>) -> CmdResult<()> {
    state.touch();
    Ok(())
}

#[tauri::command]
pub async fn list_testimonies(state: State<'_, AppState>) -> CmdResult<Vec<TestimonySummary>> {
    state.with_vault(|v| v.list_testimonies())
}

#[tauri::command]
pub async fn get_testimony(state: State<'_, AppState>, id: String) -> CmdResult<StoredTestimony> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.testimony(id))
}

#[tauri::command]
pub async fn create_testimony(state: State<'_, AppState>, testimony: Value) -> CmdResult<String> {
    let t = self::testimony(&testimony)?;
    state.with_vault(|v| v.add_testimony(t).map(|id| id.to_string()))
}

/// Saves an edit made from revision `base`: merged with what changed since, or kept beside
/// it as a conflict (`Vault::save_edit`).
#[tauri::command]
pub async fn save_edit(
    state: State<'_, AppState>,
    id: String,
    testimony: Value,
    base: String,
    reason: Option<String>,
) -> CmdResult<EditOutcome> {
    let (id, t) = (parse_id(&id)?, self::testimony(&testimony)?);
    state.with_vault(|v| v.save_edit(id, t, &base, reason.as_deref()))
}

#[tauri::command]
pub async fn history(state: State<'_, AppState>, id: String) -> CmdResult<Vec<HistoryEntry>> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.history(id))
}

#[tauri::command]
pub async fn erasure_preview(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<amanat::ErasurePreview> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.erasure_preview(id))
}

/// Erases a testimony (a witness's withdrawal). Not cancellable: once the erasure is signed
/// the vault's files are rewritten to the end (`Vault::erase`).
#[tauri::command]
pub async fn erase_testimony(
    state: State<'_, AppState>,
    id: String,
    code: String,
    reason: String,
) -> CmdResult<amanat::ErasureReport> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.erase(id, &code, &reason))
}

/// Hides a testimony now and erases it after `days` days, unless it is kept first (hide
/// now, erase later: `Vault::withdraw`).
#[tauri::command]
pub async fn withdraw_testimony(
    state: State<'_, AppState>,
    id: String,
    code: String,
    reason: String,
    days: u32,
) -> CmdResult<amanat::Withdrawn> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.withdraw(id, &code, &reason, days))
}

#[tauri::command]
pub async fn pending_withdrawals(state: State<'_, AppState>) -> CmdResult<Vec<amanat::Withdrawn>> {
    state.with_vault(|v| v.pending_withdrawals())
}

/// Keeps a withdrawn testimony (the organisation confirmed otherwise): it shows again.
#[tauri::command]
pub async fn keep_withdrawn(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.keep_withdrawn(id, &reason))
}

/// Erases a withdrawn testimony now. Not cancellable, like `erase_testimony`.
#[tauri::command]
pub async fn erase_withdrawn(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<amanat::ErasureReport> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.erase_withdrawn(id))
}

/// Erases one file of a testimony for good (a witness withdraws it). Not cancellable.
#[tauri::command]
pub async fn erase_attachment(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> CmdResult<amanat::ErasureReport> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.erase_attachment(id, &reason))
}

#[tauri::command]
pub async fn understand_date(text: String) -> CmdResult<DateReading> {
    Ok(amanat::understand_date(&text)?)
}

#[tauri::command]
pub async fn save_draft(
    state: State<'_, AppState>,
    id: String,
    record: Option<String>,
    base: Option<String>,
    testimony: Value,
) -> CmdResult<DraftInfo> {
    let id = parse_id(&id)?;
    let record = record.as_deref().map(parse_id).transpose()?;
    state.with_vault(|v| v.save_draft(id, record, base.as_deref(), &testimony))
}

#[tauri::command]
pub async fn list_drafts(state: State<'_, AppState>) -> CmdResult<DraftList> {
    state.with_vault(|v| v.drafts())
}

#[tauri::command]
pub async fn load_draft(state: State<'_, AppState>, id: String) -> CmdResult<SavedDraft> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.load_draft(id))
}

#[tauri::command]
pub async fn discard_draft(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.discard_draft(id))
}

#[tauri::command]
pub async fn set_idle_minutes(state: State<'_, AppState>, minutes: u32) -> CmdResult<()> {
    state.update_settings(|s| s.set_idle_minutes(minutes))
}

/// Works locked or unlocked: the language is chosen before the first vault exists.
#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> CmdResult<()> {
    state.update_settings(|s| s.set_language(&language))
}

#[tauri::command]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    new_passphrase: String,
) -> CmdResult<()> {
    let (current, new) = (secret(current), secret(new_passphrase));
    state.with_vault(|v| {
        v.check_passphrase(&current)?;
        v.change_passphrase(&new, KdfCost::Calibrated)
    })
}

/// A new recovery key for "Change keys", kept here until the change is done: shown (and saved
/// with `save_recovery_key`) before the change begins.
#[tauri::command]
pub async fn new_recovery_key(state: State<'_, AppState>) -> CmdResult<String> {
    let key = Vault::new_recovery_key();
    let shown = key.expose().expose_secret().to_string();
    state.set_recovery(key);
    Ok(shown)
}

/// Replaces the vault's keys with the recovery key from `new_recovery_key`; the progress is
/// that of re-encrypting attachment files (cancelling stops there: the keys are changed).
#[tauri::command]
pub async fn change_keys(
    state: State<'_, AppState>,
    current: String,
    new_passphrase: String,
    on_progress: Channel<JobProgress>,
) -> CmdResult<amanat::KeyChangeReport> {
    let (current, new) = (secret(current), secret(new_passphrase));
    let report = state.with_recovery(|key| {
        state.with_job(|v, cancelled| {
            v.check_passphrase(&current)?;
            v.change_keys(&new, KdfCost::Calibrated, key, &mut |p| {
                let _ = on_progress.send(JobProgress::of(1, 1, "", p));
                !cancelled()
            })
        })
    })?;
    state.forget_recovery();
    Ok(report)
}

#[tauri::command]
pub async fn contact_card(state: State<'_, AppState>) -> CmdResult<CardView> {
    state.with_vault(|v| {
        let card = v.contact_card()?;
        Ok(CardView {
            card: card.to_string(),
            name: card.name().to_string(),
            fingerprint: card.fingerprint(),
        })
    })
}

/// Re-hashes one attachment's file: why a recording would not play, in words.
#[tauri::command]
pub async fn verify_attachment(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.verify_attachment(id))
}
