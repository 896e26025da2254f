//! The system's file chooser. GTK is not thread-safe and the window's GTK loop runs on the
//! main thread, so the dialog is built and run there (modal to the window); the command
//! waits for the answer on a worker thread. The dialog lists and returns paths only: it reads
//! nothing, and with GTK's recent-files list turned off it writes nothing either.

use std::path::PathBuf;
use std::sync::mpsc;

use gtk::prelude::*;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::{CmdError, CmdResult};

pub enum Choose {
    /// Existing files, several at once.
    Open,
    /// A new file's path, proposing this name.
    Save(String),
}

fn internal(why: impl ToString) -> CmdError {
    amanat::Error::Internal(why.to_string()).into()
}

/// Runs the dialog; an empty list when the user cancels.
pub async fn choose<R: Runtime>(
    app: &AppHandle<R>,
    title: String,
    what: Choose,
) -> CmdResult<Vec<PathBuf>> {
    let window = app
        .get_webview_window(crate::MAIN_WINDOW)
        .ok_or_else(|| internal("no window"))?;
    let (tx, rx) = mpsc::channel();
    let w = window.clone();
    window
        .run_on_main_thread(move || {
            let parent = w.gtk_window().ok();
            let _ = tx.send(run(parent.as_ref(), &title, what));
        })
        .map_err(internal)?;
    tauri::async_runtime::spawn_blocking(move || rx.recv())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| internal("the file dialog did not answer"))
}

/// GTK's own wording of a button, in the system's language (GTK's message catalog).
fn gtk_label(text: &str) -> String {
    gtk::glib::dgettext(Some("gtk30"), text).to_string()
}

fn run(parent: Option<&gtk::ApplicationWindow>, title: &str, what: Choose) -> Vec<PathBuf> {
    // GTK would otherwise write every chosen file's path and name, in plain text, to
    // ~/.local/share/recently-used.xbel (the e2e scan caught it), and list them as "Recent".
    if let Some(settings) = gtk::Settings::default() {
        settings.set_gtk_recent_files_enabled(false);
        settings.set_gtk_recent_files_max_age(0);
    }
    let (action, accept) = match what {
        Choose::Open => (gtk::FileChooserAction::Open, gtk_label("_Open")),
        Choose::Save(_) => (gtk::FileChooserAction::Save, gtk_label("_Save")),
    };
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some(title),
        parent,
        action,
        &[
            (&gtk_label("_Cancel"), gtk::ResponseType::Cancel),
            (&accept, gtk::ResponseType::Accept),
        ],
    );
    dialog.set_default_response(gtk::ResponseType::Accept);
    // A size and place of its own: without one (and with no window manager to correct it),
    // GTK has been seen to give the chooser a height of 32767 pixels, off the screen.
    dialog.set_default_size(880, 560);
    dialog.connect_map(|d| d.resize(880, 560));
    dialog.set_position(gtk::WindowPosition::CenterOnParent);
    dialog.set_modal(true);
    match &what {
        Choose::Open => dialog.set_select_multiple(true),
        Choose::Save(name) => {
            dialog.set_do_overwrite_confirmation(true);
            dialog.set_current_name(name);
        }
    }
    let chosen = if dialog.run() == gtk::ResponseType::Accept {
        dialog.filenames()
    } else {
        Vec::new()
    };
    // Hidden at once; closing lets GTK destroy it (destroy() itself is unsafe in gtk-rs).
    dialog.hide();
    dialog.close();
    chosen
}
