//! Contacts, bundles and conflicts: `contact …`, `export`, `import`, `verify-bundle`,
//! `conflicts`, `resolve`. Parse, call the core, print.

use crate::vocab;
use std::path::PathBuf;

use amanat::bundle::{ExportPlan, ExportRequest, ImportOptions, ImportReport, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{Error, Result, Vault};
use clap::Subcommand;

use crate::attach::progress_printer;
use crate::print_json;

#[derive(Subcommand)]
pub enum ContactCommand {
    /// Add a contact from their card (the line `amanat card` prints), or --file
    Add {
        card: Option<String>,
        #[arg(long, conflicts_with = "card")]
        file: Option<PathBuf>,
        /// The name to show [default: the name on the card]
        #[arg(long)]
        name: Option<String>,
        /// organisation (e.g. your coordinator) or partner (another organisation) [default: partner]
        #[arg(long, default_value = "partner")]
        trust: String,
    },
    /// List contacts with their fingerprints
    List {
        #[arg(long)]
        json: bool,
    },
    /// Record that you compared the fingerprint with the contact (by voice or in person)
    Verify {
        name: String,
    },
    Rename {
        name: String,
        new_name: String,
    },
    /// organisation or partner: which consent an export to them needs
    Trust {
        name: String,
        trust: String,
    },
    Remove {
        name: String,
    },
    /// Mark a contact's key compromised from a date on (their device was seized, or its
    /// passphrase taken): bundles it signed dated then or later, or newer than the last one
    /// imported from it, are refused; revisions it signed from then on are held for review
    Compromised {
        name: String,
        /// From when (RFC 3339, or a date: 2026-11-30)
        #[arg(long)]
        from: String,
        /// An earlier key of theirs, by fingerprint [default: their current key]
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum BundleCommand {
    /// Contacts: who bundles go to and come from
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Write an encrypted bundle for one or more contacts
    Export {
        /// Contacts (name or fingerprint), one or more
        #[arg(long = "to", required = true, num_args = 1..)]
        to: Vec<String>,
        /// full or anonymised
        #[arg(long, default_value = "full")]
        profile: String,
        /// Testimonies by id or code [default: everything new or changed since the last export to them]
        #[arg(long, num_args = 1.., conflicts_with_all = ["since_last", "all", "withdrawals"])]
        ids: Vec<String>,
        #[arg(long)]
        since_last: bool,
        #[arg(long, conflicts_with = "withdrawals")]
        all: bool,
        /// Only the erasures made here since the last export to them ("Send withdrawals")
        #[arg(long, conflicts_with = "since_last")]
        withdrawals: bool,
        /// Only show what would be exported and what consent keeps out
        #[arg(long)]
        dry_run: bool,
        #[arg(long, required_unless_present = "dry_run")]
        out: Option<PathBuf>,
    },
    /// Import a bundle: all or nothing
    Import {
        file: PathBuf,
        /// Accept a sender who is not a contact, by the fingerprint they read to you
        #[arg(long)]
        accept_sender: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check a bundle completely without importing it
    VerifyBundle {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Testimonies with two versions from different devices
    Conflicts {
        #[arg(long)]
        json: bool,
    },
    /// Changes held for review: from a device without authority over the testimony, or
    /// changes to consent, publication, a locked testimony or a deletion
    Proposals {
        #[arg(long)]
        json: bool,
    },
    /// Accept a proposed change (by its revision, at least 8 hex digits)
    Accept {
        revision: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a proposed change: the testimony stays as it is
    Reject { revision: String },
    /// Resolve a conflict: keep one version (--take REVISION) or a merged one (--json FILE)
    Resolve {
        id: String,
        /// The versions you looked at (`amanat conflicts` lists them), comma separated, each at
        /// least 8 hex digits: if the testimony has another one by now, nothing is written
        #[arg(long, required = true, value_delimiter = ',')]
        seen: Vec<String>,
        #[arg(long, conflicts_with = "json")]
        take: Option<String>,
        #[arg(long)]
        json: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
}

pub fn run(v: &mut Vault, cmd: &BundleCommand) -> Result<()> {
    match cmd {
        BundleCommand::Contact(c) => contact(v, c),
        BundleCommand::Export {
            to,
            profile,
            ids,
            since_last: _,
            all,
            withdrawals,
            dry_run,
            out,
        } => {
            let selection = if !ids.is_empty() {
                Selection::Ids(ids.iter().map(|i| v.resolve(i)).collect::<Result<_>>()?)
            } else if *all {
                Selection::All
            } else if *withdrawals {
                Selection::Withdrawals
            } else {
                Selection::SinceLast
            };
            let req = ExportRequest {
                to: to.clone(),
                profile: vocab::<ExportProfile>("profile", profile)?,
                selection,
            };
            let plan = v.plan_export(&req)?;
            print_plan(&plan);
            if req.profile == ExportProfile::Anonymised && !plan.included.is_empty() {
                print_replacements(&v.preview_anonymised(&req)?);
            }
            let Some(out) = out.as_ref().filter(|_| !*dry_run) else {
                return Ok(());
            };
            let mut progress = progress_printer("export".into());
            let r = v.export_bundle(&req, out, &mut progress)?;
            println!(
                "wrote {} ({} bytes, bundle {} of this device)\nsha256 {}",
                r.path.display(),
                r.size,
                r.seq,
                r.sha256
            );
            Ok(())
        }
        BundleCommand::Import {
            file,
            accept_sender,
            json,
        } => {
            let opts = ImportOptions {
                accept_sender: accept_sender.clone(),
            };
            let mut progress = progress_printer("import".into());
            match v.import_bundle(file, &opts, &mut progress) {
                Err(Error::UnknownSender { name, fingerprint }) => {
                    // Whether the sender says they are a contact with a new key.
                    let replaces = v.verify_bundle(file, &mut |_| true).ok().and_then(|r| {
                        r.sender
                            .replaces
                            .map(|c| (c, r.sender.replaces_compromised))
                    });
                    match replaces {
                        Some((contact, compromised)) => eprintln!(
                            "The bundle is signed by a new key that says it replaces the key of \
                             your contact {contact}.{}\n\
                             New fingerprint: {fingerprint}\n\
                             Compare it with them (by voice or in person), then run again with\n  \
                             --accept-sender {fingerprint}",
                            if compromised {
                                " Their old key was marked compromised: this statement may \
                                 come from whoever took it."
                            } else {
                                ""
                            }
                        ),
                        None => eprintln!(
                            "The bundle is signed by {name}, who is not one of your contacts.\n\
                             Fingerprint: {fingerprint}\n\
                             Compare it with them (by voice or in person), then run again with\n  \
                             --accept-sender {fingerprint}"
                        ),
                    }
                    Err(Error::UnknownSender { name, fingerprint })
                }
                Err(e) => Err(e),
                Ok(r) if *json => print_json(&r),
                Ok(r) => {
                    print_report(&r);
                    Ok(())
                }
            }
        }
        BundleCommand::VerifyBundle { file, json } => {
            let mut progress = progress_printer("verify".into());
            let r = v.verify_bundle(file, &mut progress)?;
            if *json {
                return print_json(&r);
            }
            print_report(&r);
            println!("ok: signature, every member's SHA-256 and size, and every revision check");
            Ok(())
        }
        BundleCommand::Conflicts { json } => {
            let list = v.conflicts()?;
            if *json {
                return print_json(&list);
            }
            for c in &list {
                println!("{}  {}", c.id, c.code);
                for s in v.conflict_sides(c.id)? {
                    let who = if s.is_self {
                        "this device".to_string()
                    } else if s.author_name.is_empty() {
                        format!("device {}", &s.author[..12])
                    } else {
                        s.author_name.clone()
                    };
                    let deleted = if s.testimony.is_none() {
                        "  (deleted it)"
                    } else {
                        ""
                    };
                    println!("  version {}  by {who}  at {}{deleted}", s.revision, s.at);
                }
            }
            for c in v.code_clashes()? {
                println!(
                    "code {} is used by more than one testimony; rename all but one:",
                    c.code
                );
                for id in &c.testimonies {
                    println!(
                        "  {id}  (echo '{{\"code\": \"NEW-CODE\"}}' | amanat edit {id} --json -)"
                    );
                }
            }
            if list.is_empty() && v.code_clashes()?.is_empty() {
                println!("no conflicts");
            }
            Ok(())
        }
        BundleCommand::Proposals { json } => {
            let list = v.proposals()?;
            if *json {
                return print_json(&list);
            }
            for p in &list {
                let who = if p.author_name.is_empty() {
                    format!("device {}", p.author.get(..12).unwrap_or(&p.author))
                } else {
                    p.author_name.clone()
                };
                let what = match (&p.proposed, &p.attachment_name) {
                    (None, None) => "delete it".to_string(),
                    (None, Some(name)) => format!("attachment {name}"),
                    (Some(_), _) => "a new version".to_string(),
                };
                println!(
                    "{}  {}  {what}  by {who}  at {}  ({})",
                    p.revision,
                    p.code,
                    p.at,
                    p.why.as_str()
                );
            }
            if list.is_empty() {
                println!("no proposals");
            }
            Ok(())
        }
        BundleCommand::Accept { revision, reason } => {
            let full = full_revision(v, revision)?;
            if v.accept_proposal(&full, reason.as_deref())? == amanat::Acceptance::Conflict {
                println!(
                    "accepted beside a version made here meanwhile: both are kept; see `amanat conflicts`"
                );
            }
            Ok(())
        }
        BundleCommand::Reject { revision } => {
            let full = full_revision(v, revision)?;
            v.reject_proposal(&full)
        }
        BundleCommand::Resolve {
            id,
            seen,
            take,
            json,
            reason,
        } => {
            let id = v.resolve(id)?;
            let json: serde_json::Value = match (take, json) {
                (Some(rev), _) => return v.take_side(id, rev, seen, reason.as_deref()),
                (None, Some(file)) => serde_json::from_str(&crate::read_input(file)?)
                    .map_err(|e| Error::invalid("JSON", e.to_string()))?,
                (None, None) => {
                    return Err(Error::invalid(
                        "resolve",
                        "give --take REVISION or --json FILE",
                    ));
                }
            };
            v.resolve_conflict_json(id, &json, seen, reason.as_deref())
        }
    }
}

fn contact(v: &mut Vault, cmd: &ContactCommand) -> Result<()> {
    let show = |c: &amanat::ContactInfo| {
        let verified = if c.verified_at.is_some() {
            "verified"
        } else {
            "not verified"
        };
        println!(
            "{}  [{}, {verified}]\n  fingerprint {}",
            c.name,
            c.trust.as_str(),
            c.fingerprint
        );
        if let Some(from) = c.compromised_from {
            println!("  compromised from {from}");
        }
        for p in &c.previous_keys {
            let compromised = p
                .compromised_from
                .map(|f| format!(", compromised from {f}"))
                .unwrap_or_default();
            println!(
                "  earlier key {} (replaced {}{compromised})",
                p.fingerprint, p.until
            );
        }
    };
    match cmd {
        ContactCommand::Add {
            card,
            file,
            name,
            trust,
        } => {
            let text = match (card, file) {
                (Some(c), _) => c.clone(),
                (None, Some(f)) => Vault::read_card_file(f)?,
                (None, None) => crate::read_input("-")?,
            };
            let c = v.add_contact(
                &text,
                name.as_deref(),
                vocab::<ContactTrust>("trust", trust)?,
            )?;
            show(&c);
            println!(
                "Compare the fingerprint with them, then: amanat contact verify {:?}",
                c.name
            );
            Ok(())
        }
        ContactCommand::List { json } => {
            let list = v.contacts()?;
            if *json {
                return print_json(&list);
            }
            list.iter().for_each(show);
            Ok(())
        }
        ContactCommand::Verify { name } => v.verify_contact(name).map(|c| show(&c)),
        ContactCommand::Rename { name, new_name } => {
            v.rename_contact(name, new_name).map(|c| show(&c))
        }
        ContactCommand::Trust { name, trust } => v
            .set_contact_trust(name, vocab::<ContactTrust>("trust", trust)?)
            .map(|c| show(&c)),
        ContactCommand::Remove { name } => v.remove_contact(name),
        ContactCommand::Compromised { name, from, key } => v
            .mark_compromised(name, from, key.as_deref())
            .map(|c| show(&c)),
    }
}

/// The proposal a prefix of at least 8 hex digits names.
fn full_revision(v: &Vault, prefix: &str) -> Result<String> {
    let matches: Vec<String> = v
        .proposals()?
        .into_iter()
        .map(|p| p.revision)
        .filter(|r| prefix.len() >= 8 && r.starts_with(prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(Error::invalid("revision", "names no single proposal")),
    }
}

fn print_plan(p: &ExportPlan) {
    let to: Vec<&str> = p.recipients.iter().map(|r| r.name.as_str()).collect();
    println!(
        "{} export to {}: {} testimonies, {} attachment bytes",
        p.profile.as_str(),
        to.join(", "),
        p.included.len(),
        p.total_bytes
    );
    for t in &p.included {
        let withheld = if t.attachments_withheld > 0 {
            format!(
                ", {} withheld (not safe to publish)",
                t.attachments_withheld
            )
        } else {
            String::new()
        };
        println!("  {}  {} attachments{withheld}", t.code, t.attachments);
    }
    for l in &p.left_out {
        let why = serde_json::to_value(l.problem)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        println!(
            "  left out: {} (consent to {} for {}: {why})",
            l.code,
            l.scope.as_str(),
            l.recipient
        );
    }
    for d in &p.deleted {
        println!(
            "  deleted since it was sent: {} (a bare tombstone goes)",
            d.code
        );
    }
    for d in &p.deletions_withheld {
        println!(
            "  deletion of {} not sent: not every recipient had it; export to the others alone",
            d.code
        );
    }
    for c in &p.copies_erased {
        println!(
            "  anonymised copy {} erased: its erasure goes (the witness withdrew)",
            c.code
        );
    }
    for f in &p.files_erased {
        println!(
            "  a file of {} erased alone: its erasure goes (the witness withdrew it)",
            f.code
        );
    }
    for f in &p.files_withheld {
        println!(
            "  erasure of a file of {} not sent: not every recipient had it; \
             export to those who had it alone",
            f.code
        );
    }
    for c in &p.copies_withheld {
        println!(
            "  erasure of the anonymised copy {} not sent: not every recipient had it; \
             export to those who had it alone",
            c.code
        );
    }
}

fn print_report(r: &ImportReport) {
    let who = match &r.sender.contact {
        _ if r.sender.is_self => "this device".to_string(),
        Some(name) if r.sender.verified => format!("{name} (verified)"),
        Some(name) => format!("{name} (fingerprint not yet compared)"),
        None => match &r.sender.replaces {
            Some(c) => format!(
                "{} (a new key of your contact {c}, not yet accepted)",
                r.sender.name
            ),
            None => format!("{} (not a contact)", r.sender.name),
        },
    };
    let done = if r.imported {
        "imported"
    } else {
        "would import"
    };
    println!(
        "bundle {} from {who}, {} profile, made {}\n  fingerprint {}\n  {done}: {} new testimonies, {} changed, {} new attachments, {} new revisions ({} already here)",
        r.seq,
        r.profile.as_str(),
        r.created_at,
        r.sender.fingerprint,
        r.testimonies_new,
        r.testimonies_changed,
        r.attachments_new,
        r.revisions_new,
        r.revisions_known
    );
    if r.already_imported {
        println!("  this bundle was already imported: importing it again changes nothing");
    }
    for c in &r.conflicts {
        println!(
            "  conflict: {} has two versions; see amanat conflicts",
            c.code
        );
    }
    for c in &r.code_clashes {
        println!(
            "  code clash: {} is used by {} testimonies; see amanat conflicts",
            c.code,
            c.testimonies.len()
        );
    }
    for p in &r.proposals {
        println!(
            "  held for review: a change to {} ({}); see amanat proposals",
            p.code,
            p.why.as_str()
        );
    }
    for e in &r.erased {
        let what = match &e.file {
            Some(name) => format!("the file {name} of {}", e.code),
            None => e.code.clone(),
        };
        println!(
            "  erased here at a witness's withdrawal: {what} ({}); reason: {}",
            e.id,
            e.reason.as_deref().unwrap_or("none given")
        );
    }
}

/// Every replacement an anonymised export makes, per testimony and field, so the coordinator
/// sees them before the bundle is written (the app highlights the same in its preview).
fn print_replacements(preview: &[amanat::bundle::AnonymisedPreview]) {
    for t in preview {
        println!("{} becomes {}:", t.code, t.copy_code);
        for f in &t.fields {
            for p in &f.parts {
                if let Some(original) = &p.original {
                    println!("  {}: {original:?} → {:?}", f.field, p.text);
                }
            }
        }
        if !t.changed.is_empty() {
            println!("  also changed or dropped: {}", t.changed.join(", "));
        }
    }
}
