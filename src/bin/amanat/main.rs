//! The `amanat` command line: parse arguments, call the core, print. No logic of its own.
//! Errors go to stderr as `error[CODE]: message` with exit status 1 (2 for bad usage), in the
//! language of the locale (messages.rs).
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amanat::model::read_json_input;
use amanat::secrecy::{ExposeSecret, SecretString};
use amanat::{CreateOptions, Error, KdfCost, RecoveryKey, Result, Testimony, Vault};
use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

mod attach;
mod bundle;
mod messages;
mod render;
mod search;

#[derive(Parser)]
#[command(
    name = "amanat",
    version,
    about = "An encrypted vault for witness testimonies"
)]
struct Cli {
    /// The vault folder [default: $AMANAT_VAULT, then the platform data folder]
    #[arg(long, global = true, env = "AMANAT_VAULT")]
    vault: Option<PathBuf>,
    /// Read the passphrase from this file instead of the terminal
    #[arg(long, global = true, env = "AMANAT_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a vault; print the recovery key once
    Init {
        /// This device's name on its contact card
        #[arg(long, default_value = "Amanat")]
        name: String,
    },
    /// Add a testimony from JSON (a file, or - for standard input); print its id
    Add {
        #[arg(long, default_value = "-")]
        json: String,
    },
    /// Show one testimony (by id or code), current state
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a testimony from JSON (a merge patch); records a new revision
    Edit {
        id: String,
        #[arg(long)]
        json: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Delete a testimony (its history is kept)
    Delete {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Withdraw and erase a testimony (a witness's withdrawal): its content, files and drafts
    /// leave every file of the vault for good; its history keeps a signed trace. Without
    /// --code, shows what would go and who has copies
    Erase {
        id: String,
        /// Why (kept, signed, in the history)
        #[arg(long)]
        reason: Option<String>,
        /// The testimony's code, typed again to confirm
        #[arg(long)]
        code: Option<String>,
        /// Hide it now and erase it on the first opening this many days from today (1–90),
        /// unless it is kept first (`amanat keep`)
        #[arg(long, value_name = "DAYS")]
        after: Option<u32>,
    },
    /// Withdrawn testimonies waiting to be erased (`amanat erase --after`)
    Withdrawals,
    /// Keep a withdrawn testimony (the organisation confirmed the witness wants it kept): it
    /// is not erased and shows again
    Keep {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Look for words in every file of the vault, decrypted with its keys (to see for
    /// yourself that an erasure left nothing); fails if any is found
    Scan { words: Vec<String> },
    /// List live testimonies
    List {
        #[arg(long)]
        json: bool,
    },
    /// Search testimonies in any script (a name finds its spellings in the others), with
    /// filters and counts per facet
    Search(search::SearchArgs),
    /// People across testimonies, or (--duplicates) records that may be the same person
    People(search::PeopleArgs),
    /// Record that two persons (TESTIMONY:PERSON-ID) are the same person, or undo it
    SamePerson {
        a: String,
        b: String,
        /// Undo an earlier merge
        #[arg(long)]
        undo: bool,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Record that two persons are not the same: they are not suggested again
    NotSamePerson {
        a: String,
        b: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// A testimony's revisions: time, author, hash, changed fields
    History {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Check every signature and hash link; exit 0 only if all hold
    Verify,
    /// Change the passphrase
    Passwd {
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Replace the vault's keys (after a coerced unlock or a lost laptop): a new secret, a new
    /// signing key and card, a new recovery key (written to --recovery-key-out first) and a
    /// passphrase; everything is encrypted again under the new key
    ChangeKeys {
        /// Where to write the new recovery key (a new file, e.g. on a USB stick)
        #[arg(long)]
        recovery_key_out: PathBuf,
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Set a new passphrase using the recovery key
    Recover {
        #[arg(long)]
        recovery_key_file: Option<PathBuf>,
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Print this device's contact card (or save it to a file for a USB stick)
    Card {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    #[command(flatten)]
    Attachment(attach::AttachCommand),
    #[command(flatten)]
    Bundle(bundle::BundleCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "{}",
                messages::error_text(messages::language_from_env(), &e)
            );
            ExitCode::from(1)
        }
    }
}

fn vault_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(v) = &cli.vault {
        return Ok(v.clone());
    }
    directories::ProjectDirs::from("org", "Amanat", "Amanat")
        .map(|d| d.data_dir().join("vault"))
        .ok_or_else(|| Error::invalid("--vault", "no home folder; pass --vault DIR"))
}

/// Test builds only: a cheap KDF so that tests can open vaults hundreds of times.
fn kdf() -> KdfCost {
    if cfg!(debug_assertions)
        && let Some(n) = std::env::var("AMANAT_INSECURE_TEST_KDF")
            .ok()
            .and_then(|v| v.parse().ok())
    {
        return KdfCost::InsecureForTests(n);
    }
    KdfCost::Calibrated
}

fn read_secret_file(path: &Path) -> Result<SecretString> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err("open", path, e))?;
    let mut text = Zeroizing::new(String::new());
    f.read_to_string(&mut text)
        .map_err(|e| io_err("read", path, e))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(SecretString::from(line.to_string()))
}

fn io_err(op: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        op,
        path: path.to_path_buf(),
        source: e,
    }
}

fn prompt(label: &str) -> Result<SecretString> {
    rpassword::prompt_password(label)
        .map(SecretString::from)
        .map_err(|e| io_err("read the passphrase from", Path::new("the terminal"), e))
}

fn passphrase(cli: &Cli) -> Result<SecretString> {
    match &cli.passphrase_file {
        Some(p) => read_secret_file(p),
        None => prompt("Passphrase: "),
    }
}

/// A new passphrase: from a file, or typed twice.
fn new_passphrase(file: Option<&Path>) -> Result<SecretString> {
    if let Some(p) = file {
        return read_secret_file(p);
    }
    let a = prompt("New passphrase: ")?;
    let b = prompt("Repeat it: ")?;
    if a.expose_secret() != b.expose_secret() {
        return Err(Error::invalid("passphrase", "the two entries differ"));
    }
    Ok(a)
}

fn read_input(arg: &str) -> Result<String> {
    if arg == "-" {
        return read_json_input(std::io::stdin().lock(), Path::new("standard input"));
    }
    let path = Path::new(arg);
    let f = std::fs::File::open(path).map_err(|e| io_err("open", path, e))?;
    read_json_input(f, path)
}

fn open(cli: &Cli) -> Result<Vault> {
    let dir = vault_dir(cli)?;
    let vault = Vault::open(&dir, &passphrase(cli)?)?;
    warn_about(vault.open_report());
    Ok(vault)
}

fn warn_about(r: &amanat::OpenReport) {
    if let Some(why) = &r.used_previous_snapshot {
        eprintln!(
            "warning: the latest snapshot could not be used ({why}); opened from the previous one and the log"
        );
    }
    if r.torn_bytes_discarded > 0 {
        eprintln!(
            "warning: an unfinished last save ({} bytes, interrupted by a crash) was discarded",
            r.torn_bytes_discarded
        );
    }
}

/// A vocabulary value as the CLI takes it (its stored spelling).
fn vocab<T: serde::de::DeserializeOwned>(field: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| Error::invalid(field, e.to_string()))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Internal(e.to_string()))?;
    println!("{s}");
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Init { name } => {
            let dir = vault_dir(&cli)?;
            let pass = match &cli.passphrase_file {
                Some(p) => read_secret_file(p)?,
                None => new_passphrase(None)?,
            };
            let opts = CreateOptions {
                name: name.clone(),
                kdf: kdf(),
            };
            let (vault, recovery) = Vault::create(&dir, &pass, &opts)?;
            vault.close()?;
            println!("Created the vault {}", dir.display());
            println!(
                "Recovery key (shown only now; write it down and keep it apart from this computer):"
            );
            println!("{}", recovery.expose().expose_secret());
            Ok(())
        }
        Command::Add { json } => {
            let t = Testimony::from_json(&read_input(json)?)?;
            let mut v = open(&cli)?;
            let id = v.add_testimony(t)?;
            v.close()?;
            println!("{id}");
            Ok(())
        }
        Command::Show { id, json } => {
            let v = open(&cli)?;
            let t = v.testimony(v.resolve(id)?)?;
            if *json {
                print_json(&t)
            } else {
                print!("{}", render::testimony(&t));
                Ok(())
            }
        }
        Command::Edit { id, json, reason } => {
            let patch: serde_json::Value = serde_json::from_str(&read_input(json)?)
                .map_err(|e| Error::invalid("JSON", e.to_string()))?;
            let mut v = open(&cli)?;
            let id = v.resolve(id)?;
            v.edit_testimony(id, &patch, reason.as_deref())?;
            v.close()
        }
        Command::Delete { id, reason } => {
            let mut v = open(&cli)?;
            let id = v.resolve(id)?;
            v.delete_testimony(id, reason)?;
            v.close()
        }
        Command::Erase {
            id,
            reason,
            code,
            after,
        } => {
            let mut v = open(&cli)?;
            let id = v.resolve(id)?;
            let preview = v.erasure_preview(id)?;
            let (Some(code), Some(reason)) = (code, reason) else {
                print!("{}", render::erasure_preview(&preview));
                return v.close();
            };
            if let Some(days) = after {
                let w = v.withdraw(id, code, reason, *days)?;
                print!("{}", render::withdrawn(std::slice::from_ref(&w)));
                return v.close();
            }
            let report = v.erase(id, code, reason)?;
            print!("{}", render::erasure_report(&preview, &report));
            v.close()
        }
        Command::Withdrawals => {
            let v = open(&cli)?;
            print!("{}", render::withdrawn(&v.pending_withdrawals()?));
            v.close()
        }
        Command::Keep { id, reason } => {
            let mut v = open(&cli)?;
            let id = v.resolve(id)?;
            v.keep_withdrawn(id, reason)?;
            println!("kept {id}: it is not erased and shows again");
            v.close()
        }
        Command::Scan { words } => {
            let v = open(&cli)?;
            let dir = v.dir().to_path_buf();
            // The files as they are on disk once nothing is writing: the vault is closed.
            v.close()?;
            let found = amanat::forensics::scan(
                &dir,
                amanat::forensics::Unlock::Passphrase(&passphrase(&cli)?),
                words,
            )?;
            for (path, word) in &found {
                println!("found {word:?} in {}", path.display());
            }
            if found.is_empty() {
                println!("none of the words is in any file of the vault");
                Ok(())
            } else {
                Err(Error::invalid("words", "found in the vault"))
            }
        }
        Command::Search(args) => search::search(&open(&cli)?, args),
        Command::People(args) => search::people(&open(&cli)?, args),
        Command::SamePerson { a, b, undo, reason } => {
            let mut v = open(&cli)?;
            let (a, b) = (search::person_ref(&v, a)?, search::person_ref(&v, b)?);
            if *undo {
                v.unmerge_persons(a, b, reason.as_deref())?;
            } else {
                v.merge_persons(a, b, reason.as_deref())?;
            }
            v.close()
        }
        Command::NotSamePerson { a, b, reason } => {
            let mut v = open(&cli)?;
            let (a, b) = (search::person_ref(&v, a)?, search::person_ref(&v, b)?);
            v.dismiss_duplicate(a, b, reason.as_deref())?;
            v.close()
        }
        Command::List { json } => {
            let v = open(&cli)?;
            let list = v.list_testimonies()?;
            if *json {
                print_json(&list)
            } else {
                print!("{}", render::list(&list));
                Ok(())
            }
        }
        Command::History { id, json } => {
            let v = open(&cli)?;
            let h = v.history(v.resolve(id)?)?;
            if *json {
                print_json(&h)
            } else {
                let own = hex_key(&v)?;
                print!("{}", render::history(&h, &own));
                Ok(())
            }
        }
        Command::Verify => {
            let mut v = open(&cli)?;
            let report = v.verify()?;
            for p in &report.problems {
                eprintln!("problem: {p}");
            }
            if !report.ok() {
                return Err(Error::VerifyFailed(report.problems.len()));
            }
            println!(
                "ok: {} revisions of {} records, {} log frames, snapshot signature valid, {} attachment files re-hashed",
                report.revisions, report.records, report.log_frames, report.attachments
            );
            Ok(())
        }
        Command::Passwd {
            new_passphrase_file,
        } => {
            let mut v = open(&cli)?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            v.change_passphrase(&new, kdf())?;
            v.close()?;
            println!("Passphrase changed.");
            Ok(())
        }
        Command::ChangeKeys {
            recovery_key_out,
            new_passphrase_file,
        } => {
            let mut v = open(&cli)?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            let key = Vault::new_recovery_key();
            key.write_to_new_file(recovery_key_out)?;
            let mut progress = attach::progress_printer("re-encrypt".into());
            let r = v.change_keys(&new, kdf(), &key, &mut progress)?;
            v.close()?;
            println!(
                "Keys changed. New fingerprint: {}\n\
                 The new recovery key is in {}; the old one no longer opens this vault.\n\
                 {} attachment files encrypted again{}.\n\
                 Tell your contacts to expect a new fingerprint with your next bundle.",
                r.fingerprint,
                recovery_key_out.display(),
                r.files_reencrypted,
                if r.files_left > 0 {
                    format!(", {} left for next time", r.files_left)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Recover {
            recovery_key_file,
            new_passphrase_file,
        } => {
            let dir = vault_dir(&cli)?;
            let key = match recovery_key_file {
                Some(p) => read_secret_file(p)?,
                None => prompt("Recovery key: ")?,
            };
            let key = RecoveryKey::parse(&key)?;
            let new = new_passphrase(new_passphrase_file.as_deref())?;
            let v = Vault::recover(&dir, &key, &new, kdf())?;
            warn_about(v.open_report());
            v.close()?;
            println!("A new passphrase is set.");
            Ok(())
        }
        Command::Attachment(cmd) => {
            let mut v = open(&cli)?;
            let outcome = attach::run(&mut v, cmd);
            v.close()?;
            outcome
        }
        Command::Card { out } => {
            let v = open(&cli)?;
            let card = v.contact_card()?;
            if let Some(out) = out {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(out)
                    .and_then(|mut f| writeln!(f, "{card}"))
                    .map_err(|e| io_err("write", out, e))?;
            }
            println!("{card}");
            println!("fingerprint: {}", card.fingerprint());
            Ok(())
        }
        Command::Bundle(cmd) => {
            let mut v = open(&cli)?;
            let outcome = bundle::run(&mut v, cmd);
            v.close()?;
            outcome
        }
    }
}

fn hex_key(v: &Vault) -> Result<String> {
    Ok(hex::encode(v.contact_card()?.verifying_key().as_bytes()))
}
