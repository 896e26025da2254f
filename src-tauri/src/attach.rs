//! Attachment commands: pick files, attach them with progress and cancel, list, extract,
//! delete; and files dropped on the window. Each parses, calls the core and maps.

use std::path::PathBuf;

use amanat::model::vocab::AttachmentKind;
use amanat::{AttachOptions, Progress, StoredAttachment, display_name};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use crate::commands::parse_id;
use crate::dialogs;
use crate::error::CmdResult;
use crate::state::AppState;

/// Progress of a long job over one or more files.
#[derive(Debug, Clone, Serialize, TS)]
pub struct JobProgress {
    /// 1-based number of the file being worked on, of `files`.
    pub file: u32,
    pub files: u32,
    pub name: String,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

impl JobProgress {
    pub(crate) fn of(file: usize, files: usize, name: &str, p: Progress) -> JobProgress {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        JobProgress {
            file: count(file),
            files: count(files),
            name: name.to_string(),
            done: p.done,
            total: p.total,
        }
    }
}

fn strings(paths: Vec<PathBuf>) -> Vec<String> {
    paths.into_iter().map(|p| p.display().to_string()).collect()
}

/// The system's file chooser, titled in the UI's language.
#[tauri::command]
pub async fn pick_files<R: Runtime>(app: AppHandle<R>, title: String) -> CmdResult<Vec<String>> {
    Ok(strings(
        dialogs::choose(&app, title, dialogs::Choose::Open).await?,
    ))
}

/// Where an unencrypted copy goes, proposing `name`.
#[tauri::command]
pub async fn pick_save_path<R: Runtime>(
    app: AppHandle<R>,
    title: String,
    name: String,
) -> CmdResult<Option<String>> {
    let picked = dialogs::choose(&app, title, dialogs::Choose::Save(name)).await?;
    Ok(strings(picked).into_iter().next())
}

#[tauri::command]
pub async fn watch_drops(
    state: State<'_, AppState>,
    on_drop: Channel<Vec<String>>,
) -> CmdResult<()> {
    state.watch_drops(on_drop);
    Ok(())
}

#[tauri::command]
pub async fn cancel_job(state: State<'_, AppState>) -> CmdResult<()> {
    state.cancel_job();
    Ok(())
}

#[tauri::command]
pub async fn list_attachments(
    state: State<'_, AppState>,
    testimony: String,
) -> CmdResult<Vec<StoredAttachment>> {
    let id = parse_id(&testimony)?;
    state.with_vault(|v| v.attachments(id))
}

/// Attaches files one after another; returns the new attachments' ids. A file that fails
/// stops the job with its error; the files before it stay attached.
#[tauri::command]
pub async fn attach_files(
    state: State<'_, AppState>,
    testimony: String,
    paths: Vec<String>,
    kind: Option<AttachmentKind>,
    on_progress: Channel<JobProgress>,
) -> CmdResult<Vec<String>> {
    let id = parse_id(&testimony)?;
    let opts = AttachOptions { kind, role: None };
    state.with_job(|v, cancelled| {
        let mut ids = Vec::new();
        for (i, p) in paths.iter().map(PathBuf::from).enumerate() {
            let name = display_name(&p);
            let mut report = |pr: Progress| {
                let _ = on_progress.send(JobProgress::of(i + 1, paths.len(), &name, pr));
                !cancelled()
            };
            ids.push(v.attach_file(id, &p, &opts, &mut report)?.to_string());
        }
        Ok(ids)
    })
}

#[tauri::command]
pub async fn extract_attachment(
    state: State<'_, AppState>,
    id: String,
    path: String,
    on_progress: Channel<JobProgress>,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    let out = PathBuf::from(path);
    let name = display_name(&out);
    state.with_job(|v, cancelled| {
        v.extract_attachment(id, &out, &mut |pr| {
            let _ = on_progress.send(JobProgress::of(1, 1, &name, pr));
            !cancelled()
        })
    })
}

#[tauri::command]
pub async fn delete_attachment(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> CmdResult<()> {
    let id = parse_id(&id)?;
    state.with_vault(|v| v.delete_attachment(id, &reason))
}
