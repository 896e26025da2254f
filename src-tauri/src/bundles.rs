//! Contacts, bundles and conflicts in the app: each command parses, calls the core and maps.
//! Export and import report progress over a channel and stop when the job is cancelled.

use std::path::PathBuf;

use amanat::bundle::{
    AnonymisedPreview, Conflict, ExportPlan, ExportRequest, ExportResult, ImportOptions,
    ImportReport, Selection,
};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{CodeClash, ConflictSide, ContactInfo, Proposal, display_name};
use serde::Deserialize;
use serde_json::Value;
use tauri::State;
use tauri::ipc::Channel;
use ts_rs::TS;

use crate::attach::JobProgress;
use crate::commands::{parse_id, testimony};
use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
pub async fn list_contacts(state: State<'_, AppState>) -> CmdResult<Vec<ContactInfo>> {
    state.with_vault(|v| v.contacts())
}

#[tauri::command]
pub async fn add_contact(
    state: State<'_, AppState>,
    card: String,
    name: Option<String>,
    trust: ContactTrust,
) -> CmdResult<ContactInfo> {
    let name = name.filter(|n| !n.trim().is_empty());
    state.with_vault(|v| v.add_contact(&card, name.as_deref(), trust))
}

/// A card saved in a file (from another device's "Save my card").
#[tauri::command]
pub async fn read_card_file(path: String) -> CmdResult<String> {
    Ok(amanat::Vault::read_card_file(&PathBuf::from(path))?)
}

#[tauri::command]
pub async fn verify_contact(state: State<'_, AppState>, id: String) -> CmdResult<ContactInfo> {
    state.with_vault(|v| v.verify_contact(&id))
}

/// Marks a contact's key (their current one, or the earlier one with fingerprint `key`)
/// compromised from `from` (RFC 3339 or a date).
#[tauri::command]
pub async fn mark_compromised(
    state: State<'_, AppState>,
    id: String,
    from: String,
    key: Option<String>,
) -> CmdResult<ContactInfo> {
    state.with_vault(|v| v.mark_compromised(&id, &from, key.as_deref()))
}

#[tauri::command]
pub async fn rename_contact(
    state: State<'_, AppState>,
    id: String,
    name: String,
) -> CmdResult<ContactInfo> {
    state.with_vault(|v| v.rename_contact(&id, &name))
}

#[tauri::command]
pub async fn set_contact_trust(
    state: State<'_, AppState>,
    id: String,
    trust: ContactTrust,
) -> CmdResult<ContactInfo> {
    state.with_vault(|v| v.set_contact_trust(&id, trust))
}

#[tauri::command]
pub async fn remove_contact(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    state.with_vault(|v| v.remove_contact(&id))
}

/// What the export wizard asks for: recipients (contact ids), the profile, and either the
/// chosen testimonies or everything new since the last export to them.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportArgs {
    pub to: Vec<String>,
    pub profile: ExportProfile,
    /// Testimony ids; `null` for everything new or changed since the last export.
    pub ids: Option<Vec<String>>,
    /// Only the erasures made since the last export ("Send withdrawals"); `ids` is ignored.
    #[serde(default)]
    pub withdrawals: bool,
}

impl ExportArgs {
    fn request(self) -> CmdResult<ExportRequest> {
        let selection = match (self.withdrawals, self.ids) {
            (true, _) => Selection::Withdrawals,
            (false, Some(ids)) => {
                Selection::Ids(ids.iter().map(|i| parse_id(i)).collect::<CmdResult<_>>()?)
            }
            (false, None) => Selection::SinceLast,
        };
        Ok(ExportRequest {
            to: self.to,
            profile: self.profile,
            selection,
        })
    }
}

#[tauri::command]
pub async fn plan_export(state: State<'_, AppState>, args: ExportArgs) -> CmdResult<ExportPlan> {
    let req = args.request()?;
    state.with_vault(|v| v.plan_export(&req))
}

#[tauri::command]
pub async fn export_bundle(
    state: State<'_, AppState>,
    args: ExportArgs,
    path: String,
    on_progress: Channel<JobProgress>,
) -> CmdResult<ExportResult> {
    let req = args.request()?;
    let out = PathBuf::from(path);
    let name = display_name(&out);
    state.with_job(|v, cancelled| {
        v.export_bundle(&req, &out, &mut |p| {
            let _ = on_progress.send(JobProgress::of(1, 1, &name, p));
            !cancelled()
        })
    })
}

/// Checks a bundle completely and says what importing it would change; writes nothing.
#[tauri::command]
pub async fn verify_bundle(
    state: State<'_, AppState>,
    path: String,
    on_progress: Channel<JobProgress>,
) -> CmdResult<ImportReport> {
    let file = PathBuf::from(path);
    let name = display_name(&file);
    state.with_job(|v, cancelled| {
        v.verify_bundle(&file, &mut |p| {
            let _ = on_progress.send(JobProgress::of(1, 1, &name, p));
            !cancelled()
        })
    })
}

#[tauri::command]
pub async fn import_bundle(
    state: State<'_, AppState>,
    path: String,
    accept_sender: Option<String>,
    on_progress: Channel<JobProgress>,
) -> CmdResult<ImportReport> {
    let file = PathBuf::from(path);
    let name = display_name(&file);
    let opts = ImportOptions { accept_sender };
    state.with_job(|v, cancelled| {
        v.import_bundle(&file, &opts, &mut |p| {
            let _ = on_progress.send(JobProgress::of(1, 1, &name, p));
            !cancelled()
        })
    })
}

#[tauri::command]
pub async fn list_conflicts(state: State<'_, AppState>) -> CmdResult<Vec<Conflict>> {
    state.with_vault(|v| v.conflicts())
}

#[tauri::command]
pub async fn conflict_sides(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<Vec<ConflictSide>> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.conflict_sides(id))
}

#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    id: String,
    testimony_state: Value,
    seen: Vec<String>,
    reason: Option<String>,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    let t = testimony(&testimony_state)?;
    state.with_vault(|v| v.resolve_conflict(id, t, &seen, reason.as_deref()))
}

/// Every replacement an anonymised export would make, before it is written.
#[tauri::command]
pub async fn preview_anonymised(
    state: State<'_, AppState>,
    args: ExportArgs,
) -> CmdResult<Vec<AnonymisedPreview>> {
    let req = args.request()?;
    state.with_vault(|v| v.preview_anonymised(&req))
}

/// Resolves a conflict by taking one version as it is (an edit, or a deletion).
#[tauri::command]
pub async fn take_conflict_side(
    state: State<'_, AppState>,
    id: String,
    revision: String,
    seen: Vec<String>,
    reason: Option<String>,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.take_side(id, &revision, &seen, reason.as_deref()))
}

#[tauri::command]
pub async fn list_proposals(state: State<'_, AppState>) -> CmdResult<Vec<Proposal>> {
    state.with_vault(|v| v.proposals())
}

#[tauri::command]
pub async fn accept_proposal(
    state: State<'_, AppState>,
    revision: String,
    reason: Option<String>,
) -> CmdResult<amanat::Acceptance> {
    state.with_vault(|v| v.accept_proposal(&revision, reason.as_deref()))
}

#[tauri::command]
pub async fn reject_proposal(state: State<'_, AppState>, revision: String) -> CmdResult<()> {
    state.with_vault(|v| v.reject_proposal(&revision))
}

/// Codes more than one testimony has (met by an import).
#[tauri::command]
pub async fn code_clashes(state: State<'_, AppState>) -> CmdResult<Vec<CodeClash>> {
    state.with_vault(|v| v.code_clashes())
}

/// Gives a testimony another code, to end a clash.
#[tauri::command]
pub async fn rename_testimony(
    state: State<'_, AppState>,
    id: String,
    code: String,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.rename_testimony(id, &code))
}
