//! Attachment commands: pick files, attach them with progress and cancel, list, extract,
//! delete; and files dropped on the window. Each parses, calls the core and maps.

use std::path::PathBuf;
use std::sync::mpsc;

use amanat::model::vocab::AttachmentKind;
use amanat::{AttachOptions, Progress, StoredAttachment};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use crate::commands::parse_id;
use crate::error::{CmdError, CmdResult};
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

fn name_of(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A native dialog runs on the window's (GTK) thread; this waits for its answer elsewhere.
async fn on_main_thread<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    f: impl FnOnce() -> T + Send + 'static,
) -> CmdResult<T> {
    let (tx, rx) = mpsc::channel();
    app.run_on_main_thread(move || {
        let _ = tx.send(f());
    })
    .map_err(|e| CmdError::from(amanat::Error::Internal(e.to_string())))?;
    tauri::async_runtime::spawn_blocking(move || rx.recv())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| amanat::Error::Internal("the file dialog did not answer".into()).into())
}

fn strings(paths: Vec<PathBuf>) -> Vec<String> {
    paths.into_iter().map(|p| p.display().to_string()).collect()
}

/// The system's file chooser, titled in the UI's language.
#[tauri::command]
pub async fn pick_files<R: Runtime>(app: AppHandle<R>, title: String) -> CmdResult<Vec<String>> {
    let picked = on_main_thread(&app, move || {
        rfd::FileDialog::new().set_title(title).pick_files()
    })
    .await?;
    Ok(strings(picked.unwrap_or_default()))
}

#[tauri::command]
pub async fn pick_save_path<R: Runtime>(
    app: AppHandle<R>,
    title: String,
    name: String,
) -> CmdResult<Option<String>> {
    let picked = on_main_thread(&app, move || {
        rfd::FileDialog::new()
            .set_title(title)
            .set_file_name(name)
            .save_file()
    })
    .await?;
    Ok(picked.map(|p| p.display().to_string()))
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
    let files = u32::try_from(paths.len()).unwrap_or(u32::MAX);
    state.with_job(|v, cancelled| {
        let mut ids = Vec::new();
        for (i, p) in paths.iter().map(PathBuf::from).enumerate() {
            let name = name_of(&p);
            let file = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let mut report = |pr: Progress| {
                let _ = on_progress.send(JobProgress {
                    file,
                    files,
                    name: name.clone(),
                    done: pr.done,
                    total: pr.total,
                });
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
    let name = name_of(&out);
    state.with_job(|v, cancelled| {
        v.extract_attachment(id, &out, &mut |pr| {
            let _ = on_progress.send(JobProgress {
                file: 1,
                files: 1,
                name: name.clone(),
                done: pr.done,
                total: pr.total,
            });
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
