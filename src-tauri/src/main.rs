//! Amanat desktop: the Tauri shell. It owns one `Option<Vault>` (None = locked), a handful of
//! thin commands and the lock rules; every rule about data lives in the `amanat` core.
#![forbid(unsafe_code)]
// No console window on Windows release builds (Linux is the target; harmless elsewhere).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod attach;
mod bindings;
mod bundles;
mod commands;
mod dialogs;
mod error;
#[cfg(test)]
mod ipc_tests;
mod lockdown;
mod media;
mod search;
mod state;

include!("command_names.rs");

use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN_WINDOW: &str = "main";

/// Only our own bundled pages may load; any other URL (a link in pasted text, say) is refused.
fn is_own_page(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Whether the web view gets an ephemeral (incognito) data store. Always, except in a debug
/// build driven by WebDriver: WebKitGTK cannot automate an ephemeral context (wry creates it
/// with automation off), so the end-to-end tests run on a persistent store and then check
/// that store for plaintext, which is the stricter test. Release builds are always ephemeral
/// and therefore cannot be driven by WebDriver at all.
fn ephemeral_web_data() -> bool {
    let automated = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    !(cfg!(debug_assertions) && automated)
}

/// The builder with every command of `COMMANDS` registered (shared with the IPC tests).
fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::passphrase_strength,
            commands::create_vault,
            commands::save_recovery_key,
            commands::forget_recovery_key,
            commands::open_vault,
            commands::recover_vault,
            commands::lock,
            commands::panic_lock,
            commands::activity,
            commands::list_testimonies,
            commands::get_testimony,
            commands::create_testimony,
            commands::save_edit,
            commands::history,
            commands::understand_date,
            commands::save_draft,
            commands::list_drafts,
            commands::load_draft,
            commands::discard_draft,
            commands::set_idle_minutes,
            commands::set_language,
            commands::change_passphrase,
            commands::new_recovery_key,
            commands::change_keys,
            commands::contact_card,
            commands::verify_attachment,
            attach::pick_files,
            attach::pick_save_path,
            attach::watch_drops,
            attach::cancel_job,
            attach::list_attachments,
            attach::attach_files,
            attach::extract_attachment,
            attach::delete_attachment,
            commands::erasure_preview,
            commands::erase_testimony,
            commands::withdraw_testimony,
            commands::pending_withdrawals,
            commands::keep_withdrawn,
            commands::erase_withdrawn,
            commands::erase_attachment,
            bundles::list_contacts,
            bundles::add_contact,
            bundles::read_card_file,
            bundles::verify_contact,
            bundles::rename_contact,
            bundles::set_contact_trust,
            bundles::remove_contact,
            bundles::mark_compromised,
            bundles::plan_export,
            bundles::export_bundle,
            bundles::verify_bundle,
            bundles::import_bundle,
            bundles::list_conflicts,
            bundles::conflict_sides,
            bundles::resolve_conflict,
            bundles::code_clashes,
            bundles::rename_testimony,
            bundles::take_conflict_side,
            bundles::preview_anonymised,
            bundles::list_proposals,
            bundles::accept_proposal,
            bundles::reject_proposal,
            search::search,
            search::search_facets,
            search::people,
            search::duplicate_suggestions,
            search::merge_persons,
            search::unmerge_persons,
            search::dismiss_duplicate,
        ])
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            // Decryption runs off the window's thread.
            tauri::async_runtime::spawn_blocking(move || {
                responder.respond(media::respond(&app, &request));
            });
        })
}

fn main() {
    lockdown::forbid_core_dumps();
    let app = with_commands(tauri::Builder::default())
        .setup(|app| {
            let config = app.path().app_config_dir()?;
            app.manage(state::AppState::new(config.join("settings.json")));
            let window =
                WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
                    .title("Amanat")
                    .inner_size(1100.0, 760.0)
                    .min_inner_size(480.0, 400.0)
                    // Ephemeral WebKit data store: no disk cache, no local storage, no cookies.
                    .incognito(ephemeral_web_data())
                    .on_navigation(is_own_page)
                    .build()?;
            // Files dropped on the window: their paths go to the page (which asked for them).
            let handle = app.handle().clone();
            window.on_window_event(move |event| {
                if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) =
                    event
                {
                    let paths = paths.iter().map(|p| p.display().to_string()).collect();
                    handle.state::<state::AppState>().dropped(paths);
                }
            });
            lockdown::spawn_watcher(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                handle.state::<state::AppState>().lock();
            }
        }),
        Err(e) => {
            eprintln!("amanat-desktop: cannot start: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command the window is not granted fails at run time with a permission error that the
    /// mock runtime does not check: the capability file must grant each command by name.
    #[test]
    fn the_main_window_is_granted_every_command_and_nothing_else() {
        let file = include_str!("../capabilities/main.json");
        let caps: serde_json::Value = serde_json::from_str(file).expect("capability JSON");
        let granted: Vec<&str> = caps["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| p.starts_with("allow-"))
            .collect();
        let wanted: Vec<String> = crate::COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        let mut granted = granted;
        granted.sort_unstable();
        let mut wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        assert_eq!(granted, wanted);
    }

    #[test]
    fn only_our_own_pages_may_load() {
        let ok = |s: &str| {
            tauri::Url::parse(s)
                .map(|u| is_own_page(&u))
                .unwrap_or(false)
        };
        assert!(ok("tauri://localhost/index.html"));
        assert!(ok("http://tauri.localhost/"));
        assert!(!ok("https://example.org/"));
        assert!(!ok("tauri://evil.example/"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("http://127.0.0.1:8080/"));
    }
}
