//! The commands through Tauri's IPC on the mock runtime (no window, no display): every name
//! the UI may call is registered, a locked shell refuses with `locked`, and locking really
//! drops the vault (its folder can be opened again at once).

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindowBuilder};

use crate::state::AppState;

struct Harness {
    dir: tempfile::TempDir,
    app: tauri::App<tauri::test::MockRuntime>,
    window: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = crate::with_commands(mock_builder())
        .manage(AppState::new(dir.path().join("settings.json")))
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, crate::MAIN_WINDOW, Default::default())
        .build()
        .expect("mock window");
    Harness { dir, app, window }
}

impl Harness {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request)
            .map(|body| body.deserialize::<Value>().unwrap_or(Value::Null))
    }

    fn vault_dir(&self) -> String {
        self.dir.path().join("vault").display().to_string()
    }
}

#[test]
fn every_command_the_ui_may_call_is_registered() {
    let h = harness();
    for name in crate::COMMANDS {
        if let Err(e) = h.call(name, json!({})) {
            let text = e.to_string();
            assert!(!text.contains("not found"), "{name}: {text}");
        }
    }
    // The check above would see this: an unregistered name fails with "not found".
    let missing = h
        .call("no_such_command", json!({}))
        .expect_err("unregistered");
    assert!(missing.to_string().contains("not found"), "{missing}");
}

#[test]
fn a_locked_shell_refuses_with_locked_and_lock_releases_the_vault() {
    let h = harness();
    let err = h.call("list_testimonies", json!({})).expect_err("locked");
    assert_eq!(err["code"], "locked");

    let pass = "correct horse battery staple";
    let key = h
        .call(
            "create_vault",
            json!({"dir": h.vault_dir(), "name": "Aigerim", "passphrase": pass}),
        )
        .expect("create");
    assert!(key.as_str().unwrap_or("").starts_with("AGE-SECRET-KEY-1"));
    let id = h
        .call(
            "create_testimony",
            json!({"testimony": {"code": "ALA-1", "narrative": "Құлжа"}}),
        )
        .expect("create testimony");
    assert_eq!(
        h.call("list_testimonies", json!({})).expect("list")[0]["code"],
        "ALA-1"
    );

    // While open, the vault's lock file keeps a second opener out.
    let busy = amanat::Vault::open(h.vault_dir().as_ref(), &pass.to_string().into());
    assert_eq!(busy.map(|_| ()).map_err(|e| e.code()), Err("vault_locked"));

    h.call("lock", json!({})).expect("lock");
    assert!(!h.app.state::<AppState>().is_unlocked());
    assert_eq!(
        h.call("get_testimony", json!({"id": id}))
            .expect_err("locked")["code"],
        "locked"
    );
    let reopened = amanat::Vault::open(h.vault_dir().as_ref(), &pass.to_string().into());
    assert!(
        reopened.is_ok(),
        "the shell let go of the vault when it locked"
    );
    drop(reopened);

    let wrong = h.call(
        "open_vault",
        json!({"dir": h.vault_dir(), "passphrase": "nope nope nope"}),
    );
    assert_eq!(wrong.expect_err("wrong")["code"], "wrong_passphrase");
    h.call(
        "open_vault",
        json!({"dir": h.vault_dir(), "passphrase": pass}),
    )
    .expect("unlock");
    let stored = h.call("get_testimony", json!({"id": id})).expect("get");
    assert_eq!(stored["testimony"]["narrative"], "Құлжа");
}

#[test]
fn invalid_input_names_the_field() {
    let h = harness();
    let pass = "correct horse battery staple";
    h.call(
        "create_vault",
        json!({"dir": h.vault_dir(), "name": "A", "passphrase": pass}),
    )
    .expect("create");
    let err = h
        .call(
            "create_testimony",
            json!({"testimony": {"code": "X", "events": [{"kind": "nap"}]}}),
        )
        .expect_err("invalid");
    assert_eq!(err["code"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("events[0].kind"),
        "{err}"
    );
    let date = h
        .call("understand_date", json!({"text": "spring 2018"}))
        .expect("date");
    assert_eq!(date["edtf"], "2018-21");
}

#[test]
fn the_language_is_chosen_while_locked_and_survives_a_restart() {
    let h = harness();
    assert_eq!(
        h.call("app_status", json!({})).expect("status")["language"],
        Value::Null
    );
    h.call("set_language", json!({ "language": "ug" }))
        .expect("set while locked");
    let refused = h
        .call("set_language", json!({ "language": "ug-Latn-XX" }))
        .expect_err("unknown language");
    assert_eq!(refused["code"], "invalid_input");
    // A new shell on the same settings file (a restart) speaks the same language.
    let again = AppState::new(h.dir.path().join("settings.json"));
    assert_eq!(again.settings().language.as_deref(), Some("ug"));
}
