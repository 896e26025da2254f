//! The `amanat` command-line contract (README): what scripts and coordinators rely on.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use amanat::ContactCard;

struct Cli {
    _root: tempfile::TempDir,
    vault: PathBuf,
    pass: PathBuf,
    /// The POSIX locale the CLI runs in (its messages follow it).
    locale: &'static str,
}

impl Cli {
    fn new() -> Cli {
        let root = common::tempdir();
        let pass = root.path().join("pass");
        std::fs::write(&pass, format!("{}\n", common::PASSPHRASE)).unwrap_or_default();
        Cli {
            vault: root.path().join("v"),
            pass,
            locale: "C.UTF-8",
            _root: root,
        }
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self._root.path().join(name);
        std::fs::write(&p, content).unwrap_or_default();
        p
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_with(&self.pass, args, stdin)
    }

    fn run_with(&self, pass: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amanat"));
        c.arg("--vault")
            .arg(&self.vault)
            .arg("--passphrase-file")
            .arg(pass)
            .args(args)
            .env("AMANAT_INSECURE_TEST_KDF", "10")
            .env_remove("AMANAT_LANG")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .env("LC_ALL", self.locale)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
        if let (Some(text), Some(mut s)) = (stdin, child.stdin.take()) {
            s.write_all(text.as_bytes()).unwrap_or_default();
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"))
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.run(args, stdin);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file of the vault with its bytes, to prove that a failed command changed nothing.
fn snapshot_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(
                std::fs::read_dir(&p)
                    .map(|r| r.flatten().map(|e| e.path()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
        }
    }
    out
}

const EXAMPLE: &str = r#"{"code": "ALA-2025-0412", "interview_date": "2025-03-31", "medium": "video_call",
 "languages": ["kk", "ru"], "summary": "...", "narrative": "...",
 "testifier": {"names": [{"name": "Ержанат Абай", "script": "Cyrl"},
                          {"name": "Yerzhanat Abai", "script": "Latn"}],
               "birth": "2002-04-11", "hometown": "Gongliu County"},
 "events": [{"kind": "detention", "start": "2025-05", "place": "Zharkent"}]}"#;

#[test]
fn the_documented_workflow_works_end_to_end() {
    let cli = Cli::new();
    let init = cli.ok(&["init", "--name", "Aigerim N."], None);
    assert!(init.contains("AGE-SECRET-KEY-1"), "{init}");
    let id = cli
        .ok(&["add", "--json", "-"], Some(EXAMPLE))
        .trim()
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let shown: serde_json::Value =
        serde_json::from_str(&cli.ok(&["show", &id, "--json"], None)).unwrap_or_default();
    assert_eq!(
        shown["testimony"]["testifier"]["names"][0]["name"],
        "Ержанат Абай"
    );
    assert_eq!(shown["testimony"]["events"][0]["start"], "2025-05");
    let human = cli.ok(&["show", "ALA-2025-0412"], None);
    assert!(
        human.contains("2025-05 (2025-05-01 … 2025-05-31)"),
        "{human}"
    );

    cli.ok(
        &[
            "edit",
            "ALA-2025-0412",
            "--json",
            "-",
            "--reason",
            "reviewed",
        ],
        Some(r#"{"status": "reviewed", "summary": null}"#),
    );
    let history: serde_json::Value =
        serde_json::from_str(&cli.ok(&["history", &id, "--json"], None)).unwrap_or_default();
    assert_eq!(history.as_array().map(Vec::len), Some(2));
    assert_eq!(
        history[1]["changed"],
        serde_json::json!(["status", "summary"])
    );
    assert_eq!(history[1]["reason"], "reviewed");
    assert!(cli.ok(&["history", &id], None).contains("by this device"));

    let list: serde_json::Value =
        serde_json::from_str(&cli.ok(&["list", "--json"], None)).unwrap_or_default();
    assert_eq!(list[0]["status"], "reviewed");
    // The witness's name in Latin letters finds the testimony written in Cyrillic.
    let found = cli.ok(&["search", "Yerzhanat Abai"], None);
    assert!(
        found.contains("ALA-2025-0412") && found.contains("»Ержанат« »Абай«"),
        "{found}"
    );
    assert!(found.ends_with("1 of 1 matching testimonies\n"), "{found}");
    let found: serde_json::Value = serde_json::from_str(&cli.ok(
        &[
            "search",
            "叶尔扎那提",
            "--event",
            "2025",
            "--kind",
            "detention",
            "--json",
            "--facets",
        ],
        None,
    ))
    .unwrap_or_default();
    assert_eq!(found["results"]["total"], 1, "{found}");
    assert_eq!(
        found["results"]["hits"][0]["testimony"]["code"],
        "ALA-2025-0412"
    );
    assert_eq!(found["facets"]["event_kinds"][0]["value"], "detention");
    let none = cli.ok(&["search", "", "--event", "2010/2012"], None);
    assert!(none.contains("0 of 0"), "{none}");
    let bad = cli.run(&["search", "x", "--kind", "kidnap"], None);
    assert!(
        stderr(&bad).starts_with("error[invalid_input]"),
        "{}",
        stderr(&bad)
    );
    assert!(cli.ok(&["search", "nowhere"], None).contains("0 of 0"));
    let verify = cli.ok(&["verify"], None);
    assert!(
        verify.starts_with("ok: 2 revisions of 1 records"),
        "{verify}"
    );

    let card_out = cli.ok(&["card"], None);
    let card = ContactCard::parse(card_out.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(card.name(), "Aigerim N.");

    cli.ok(&["delete", &id, "--reason", "witness withdrew"], None);
    assert!(cli.ok(&["list"], None).contains("0 testimonies"));
    let gone = cli.run(&["show", &id], None);
    assert!(
        stderr(&gone).starts_with("error[not_found]"),
        "{}",
        stderr(&gone)
    );
    assert!(cli.ok(&["history", &id], None).contains("delete"));
}

#[test]
fn wrong_passphrase_is_refused_and_writes_nothing() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    cli.ok(&["add"], Some(EXAMPLE));
    let before = snapshot_of(&cli.vault);
    let wrong = cli.file("wrong", "not the passphrase\n");
    for args in [
        &["list"][..],
        &["add"],
        &["passwd", "--new-passphrase-file", "/dev/null"],
    ] {
        let o = cli.run_with(&wrong, args, Some(EXAMPLE));
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            stderr(&o).trim(),
            "error[wrong_passphrase]: wrong passphrase"
        );
    }
    assert!(
        before == snapshot_of(&cli.vault),
        "a refused command changed the vault"
    );
}

#[test]
fn errors_speak_the_coordinators_language_and_keep_their_code() {
    let mut cli = Cli::new();
    cli.ok(&["init"], None);
    let wrong = cli.file("wrong", "not the passphrase\n");
    cli.locale = "kk_KZ.UTF-8";
    let o = cli.run_with(&wrong, &["list"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).lines().next(),
        Some("қате[wrong_passphrase]: Құпия сөз қате.")
    );
    cli.locale = "zh_CN.UTF-8";
    let o = cli.run_with(&wrong, &["list"], None);
    assert!(
        stderr(&o).starts_with("错误[wrong_passphrase]: 密码短语错误。"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_second_process_gets_vault_locked() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    let held = common::open(&cli.vault);
    let o = cli.run(&["list"], None);
    assert!(
        stderr(&o).starts_with("error[vault_locked]"),
        "{}",
        stderr(&o)
    );
    drop(held);
    cli.ok(&["list"], None);
}

#[test]
fn passphrase_change_and_recovery_round_trip() {
    let cli = Cli::new();
    let init = cli.ok(&["init"], None);
    let key = init
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap_or_default()
        .to_string();
    let id = cli.ok(&["add"], Some(EXAMPLE)).trim().to_string();

    let second = cli.file("second", "second passphrase here\n");
    cli.ok(
        &[
            "passwd",
            "--new-passphrase-file",
            second.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(stderr(&cli.run(&["list"], None)).starts_with("error[wrong_passphrase]"));
    assert!(cli.run_with(&second, &["show", &id], None).status.success());

    // Forgotten passphrase: the recovery key (typed in lower case, in groups) sets a new one.
    let typed: String = key
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .chunks(8)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let key_file = cli.file("recovery", &typed);
    let third = cli.file("third", "third passphrase here\n");
    let o = cli.run(
        &[
            "recover",
            "--recovery-key-file",
            key_file.to_str().unwrap_or_default(),
            "--new-passphrase-file",
            third.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(cli.run_with(&third, &["show", &id], None).status.success());
    assert!(stderr(&cli.run_with(&second, &["list"], None)).starts_with("error[wrong_passphrase]"));

    let short = cli.file("short", "short\n");
    let o = cli.run_with(
        &third,
        &[
            "passwd",
            "--new-passphrase-file",
            short.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(
        stderr(&o).starts_with("error[weak_passphrase]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_input_names_the_field_and_changes_nothing() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    cli.ok(&["add"], Some(EXAMPLE));
    let before = snapshot_of(&cli.vault);
    let cases = [
        (
            r#"{"code": "X", "events": [{"kind": "detentoin"}]}"#,
            "events[0].kind",
        ),
        (
            r#"{"code": "X", "events": [{"kind": "detention", "start": "2018-13"}]}"#,
            "`13`",
        ),
        (r#"{"code": "ALA-2025-0412"}"#, "already used"),
        ("not json", "invalid JSON"),
    ];
    for (json, expect) in cases {
        let o = cli.run(&["add"], Some(json));
        let e = stderr(&o);
        assert!(
            e.starts_with("error[invalid_input]") && e.contains(expect),
            "{json}: {e}"
        );
    }
    assert!(before == snapshot_of(&cli.vault));
    let o = cli.run(&["init"], None);
    assert!(
        stderr(&o).starts_with("error[vault_exists]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn huge_deep_or_binary_json_is_refused_without_reading_it_all() {
    let cli = Cli::new();
    cli.ok(&["init"], None);
    let id = cli.ok(&["add"], Some(EXAMPLE)).trim().to_string();
    let before = snapshot_of(&cli.vault);
    // A 1 GiB file (sparse: it costs no disk) is refused after its first 16 MiB.
    let huge = cli.file("huge.json", "");
    std::fs::File::options()
        .write(true)
        .open(&huge)
        .and_then(|f| f.set_len(1 << 30))
        .unwrap_or_default();
    let huge = huge.to_string_lossy().into_owned();
    let big_stdin = format!(r#"{{"code": "X", "narrative": "{}"}}"#, "а".repeat(9 << 20));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_patch = format!("{}1{}", r#"{"notes":"#.repeat(100_000), "}".repeat(100_000));
    let binary = cli.file("binary.json", "");
    std::fs::write(&binary, b"{\"code\": \"\xff\xfe\"}").unwrap_or_default();
    let binary = binary.to_string_lossy().into_owned();
    let cases: [(&[&str], Option<&str>, &str); 6] = [
        (&["add", "--json", &huge], None, "larger than 16 MiB"),
        (&["edit", &id, "--json", &huge], None, "larger than 16 MiB"),
        (&["add"], Some(&big_stdin), "larger than 16 MiB"),
        (&["add"], Some(&deep), "expected a string"),
        (
            &["edit", &id, "--json", "-"],
            Some(&deep_patch),
            "recursion limit exceeded",
        ),
        (&["add", "--json", &binary], None, "not UTF-8"),
    ];
    for (args, stdin, expect) in cases {
        let o = cli.run(args, stdin);
        let e = stderr(&o);
        assert!(
            e.starts_with("error[invalid_input]") && e.contains(expect),
            "{args:?}: {e}"
        );
    }
    assert!(before == snapshot_of(&cli.vault));
}

#[test]
fn people_duplicates_and_a_merge_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["init", "--name", "Coordinator"], None);
    for (code, name) in [("A-1", "Ержанат Абай"), ("A-2", "ئەرجانات ئاباي")]
    {
        let json = format!(
            r#"{{"code": "{code}", "persons": [{{"names": [{{"name": "{name}"}}], "roles": ["victim"], "birth": "1980"}}],
                "testifier": {{"names": [{{"name": "Witness"}}]}}, "events": [{{"kind": "detention", "start": "2018"}}]}}"#
        );
        cli.ok(&["add", "--json", "-"], Some(&json));
    }
    let pairs: serde_json::Value =
        serde_json::from_str(&cli.ok(&["people", "--duplicates", "--json"], None))
            .unwrap_or_default();
    assert_eq!(pairs.as_array().map(Vec::len), Some(1), "{pairs}");
    let r = |side: &str| {
        format!(
            "{}:{}",
            pairs[0][side]["code"].as_str().unwrap_or_default(),
            pairs[0][side]["at"]["person"].as_str().unwrap_or_default()
        )
    };
    let (a, b) = (r("a"), r("b"));
    cli.ok(
        &["same-person", &a, &b, "--reason", "checked with the family"],
        None,
    );
    let people = cli.ok(&["people", "Yerzhanat"], None);
    assert!(
        people.starts_with("Ержанат Абай / ئەرجانات ئاباي\n"),
        "{people}"
    );
    assert!(people.ends_with("1 people\n"), "{people}");
    assert!(
        cli.ok(&["people", "--duplicates"], None)
            .contains("0 possible duplicates")
    );
    cli.ok(&["same-person", &a, &b, "--undo"], None);
    cli.ok(&["not-same-person", &a, &b], None);
    assert!(
        cli.ok(&["people", "--duplicates"], None)
            .contains("0 possible duplicates")
    );
    let bad = cli.run(&["same-person", "A-1", &b], None);
    assert!(
        stderr(&bad).starts_with("error[invalid_input]"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn keys_change_and_a_contact_is_marked_compromised_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["init", "--name", "Interviewer"], None);
    let id = cli.ok(&["add"], Some(EXAMPLE)).trim().to_string();
    let card_before = cli.ok(&["card"], None);
    let new_pass = cli.file("new-pass", "a passphrase after the border\n");
    let key_out = cli._root.path().join("usb-new-recovery-key.txt");
    let out = cli.ok(
        &[
            "change-keys",
            "--recovery-key-out",
            key_out.to_str().unwrap_or_default(),
            "--new-passphrase-file",
            new_pass.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(out.contains("Keys changed. New fingerprint:"), "{out}");
    let key_text = std::fs::read_to_string(&key_out).unwrap_or_default();
    assert!(
        key_text.contains("AGE-SECRET-KEY-1"),
        "the new recovery key is written first"
    );
    // The old passphrase no longer opens it; the new one does, with a new card.
    assert!(stderr(&cli.run(&["list"], None)).starts_with("error[wrong_passphrase]"));
    assert!(
        cli.run_with(&new_pass, &["show", &id], None)
            .status
            .success()
    );
    let card_after = cli.run_with(&new_pass, &["card"], None);
    assert_ne!(String::from_utf8_lossy(&card_after.stdout), card_before);
    // Refuses to overwrite a file: the recovery key must never replace something.
    let o = cli.run_with(
        &new_pass,
        &[
            "change-keys",
            "--recovery-key-out",
            key_out.to_str().unwrap_or_default(),
            "--new-passphrase-file",
            new_pass.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(!o.status.success(), "overwrote the recovery key file");
    assert!(
        cli.run_with(&new_pass, &["show", &id], None)
            .status
            .success()
    );

    // A contact's key marked compromised from a date: shown on the contact.
    let other = common::tempdir();
    let (other_vault, _) = common::create(&other.path().join("o"));
    let card = other_vault
        .contact_card()
        .map(|c| c.to_string())
        .unwrap_or_default();
    cli.run_with(
        &new_pass,
        &[
            "contact",
            "add",
            &card,
            "--name",
            "Field laptop",
            "--trust",
            "organisation",
        ],
        None,
    );
    let o = cli.run_with(
        &new_pass,
        &[
            "contact",
            "compromised",
            "Field laptop",
            "--from",
            "2026-11-30",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        shown.contains("compromised from 2026-11-30T00:00:00Z"),
        "{shown}"
    );
    let o = cli.run_with(
        &new_pass,
        &[
            "contact",
            "compromised",
            "Field laptop",
            "--from",
            "last week",
        ],
        None,
    );
    assert!(
        stderr(&o).starts_with("error[invalid_input]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_anonymised_dry_run_shows_every_replacement_before_anything_is_written() {
    let cli = Cli::new();
    cli.ok(&["init", "--name", "Coordinator"], None);
    let testimony = serde_json::json!({
        "code": "ANO-CLI",
        "narrative": "Ержанатты полиция 12.03.2018 ұстады.",
        "testifier": {"names": [{"name": "Ержанат Абай"}]},
        "consents": [{"scopes": {"publish_anonymised": "granted"}}]
    })
    .to_string();
    cli.ok(&["add"], Some(&testimony));
    let (_, card) = common::outsider("Publisher", 41);
    cli.ok(&["contact", "add", &card, "--trust", "partner"], None);
    let out = cli.ok(
        &[
            "export",
            "--to",
            "Publisher",
            "--profile",
            "anonymised",
            "--all",
            "--dry-run",
        ],
        None,
    );
    assert!(out.contains("\"Ержанатты\" →"), "{out}");
    assert!(out.contains("\"12.03.2018\" → \"2018\""), "{out}");
}

#[test]
fn a_testimony_is_erased_from_the_command_line_once_its_code_is_typed() {
    let cli = Cli::new();
    cli.ok(&["init", "--name", "Interviewer"], None);
    cli.ok(
        &["add", "--json", "-"],
        Some(r#"{"code": "ALA-9", "narrative": "Withdrawnwordq"}"#),
    );
    let preview = cli.ok(&["erase", "ALA-9"], None);
    assert!(
        preview.contains("Erasing ALA-9") && preview.contains("--code"),
        "{preview}"
    );
    assert!(
        cli.ok(&["list"], None).contains("ALA-9"),
        "erased by the preview"
    );
    let wrong = cli.run(
        &["erase", "ALA-9", "--code", "ALA-8", "--reason", "withdrew"],
        None,
    );
    assert!(
        stderr(&wrong).contains("invalid_input"),
        "{}",
        stderr(&wrong)
    );
    let done = cli.ok(
        &[
            "erase",
            "ALA-9",
            "--code",
            "ALA-9",
            "--reason",
            "the witness withdrew",
        ],
        None,
    );
    assert!(done.starts_with("erased ALA-9"), "{done}");
    assert!(!cli.ok(&["list"], None).contains("ALA-9"));
    // The code was content and is gone; the id finds the trace.
    let id = done
        .split(['(', ')'])
        .nth(1)
        .unwrap_or_else(|| panic!("no id in {done}"));
    let history = cli.ok(&["history", id], None);
    assert!(
        history.contains("erase") && history.contains("the witness withdrew"),
        "{history}"
    );
}

/// Hide now, erase later from the command line: `erase --after` hides it, `withdrawals`
/// lists it (found by its code though hidden), `keep` shows it again; withdrawn again,
/// `erase` with its code erases it at once.
#[test]
fn a_testimony_is_withdrawn_kept_and_erased_from_the_command_line() {
    let cli = Cli::new();
    cli.ok(&["init", "--name", "Interviewer"], None);
    cli.ok(
        &["add", "--json", "-"],
        Some(r#"{"code": "ALA-5", "narrative": "Hiddenwordq"}"#),
    );
    let withdraw = [
        "erase",
        "ALA-5",
        "--code",
        "ALA-5",
        "--reason",
        "asked by phone",
        "--after",
        "7",
    ];
    let hidden = cli.ok(&withdraw, None);
    assert!(hidden.starts_with("withdrawn ALA-5"), "{hidden}");
    assert!(!cli.ok(&["list"], None).contains("ALA-5"));
    assert!(cli.ok(&["withdrawals"], None).contains("ALA-5"));
    cli.ok(&["keep", "ALA-5", "--reason", "confirmed in person"], None);
    assert!(cli.ok(&["list"], None).contains("ALA-5"));
    assert!(
        cli.ok(&["withdrawals"], None).starts_with("no withdrawn"),
        "kept, yet still waiting"
    );
    cli.ok(&withdraw, None);
    let done = cli.ok(
        &[
            "erase",
            "ALA-5",
            "--code",
            "ALA-5",
            "--reason",
            "asked again",
        ],
        None,
    );
    assert!(done.starts_with("erased ALA-5"), "{done}");
    assert!(cli.ok(&["withdrawals"], None).starts_with("no withdrawn"));
    assert!(!cli.ok(&["list"], None).contains("ALA-5"));
}
