include!("src/command_names.rs");

fn main() {
    // Declaring the app's commands generates one `allow-<command>` permission each, so the
    // capability file grants exactly these and nothing else.
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
