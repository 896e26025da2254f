//! The attachment commands: attach, attachments, extract, detach. Progress of big files goes
//! to stderr.

use crate::vocab;
use std::io::IsTerminal;
use std::path::PathBuf;

use amanat::model::vocab::{AttachmentKind, AttachmentRole};
use amanat::{AttachOptions, Error, Progress, Result, StoredAttachment, Vault, display_name};
use clap::Subcommand;
use uuid::Uuid;

/// Files smaller than this import without a progress line.
const PROGRESS_FROM: u64 = 32 * 1024 * 1024;

#[derive(Subcommand)]
pub enum AttachCommand {
    /// Encrypt files into the vault and attach them to a testimony (by id or code)
    Attach {
        id: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// audio, video, photo, document, transcript or translation [default: from the content]
        #[arg(long)]
        kind: Option<String>,
        /// evidentiary, working, derivative or redacted [default: evidentiary]
        #[arg(long)]
        role: Option<String>,
    },
    /// List a testimony's attachments
    Attachments {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write an attachment's decrypted content to a new file (never replaces one)
    Extract {
        attachment_id: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Delete an attachment and its encrypted file; with --erase, erase it for good (a
    /// witness withdraws this file): its history keeps only a signed trace
    Detach {
        attachment_id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        erase: bool,
    },
}

fn parse_attachment_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| Error::invalid("attachment id", "is not an attachment id"))
}

/// A progress printer: a line that updates in place on a terminal, every 10% otherwise.
pub(crate) fn progress_printer(label: String) -> impl FnMut(Progress) -> bool {
    let tty = std::io::stderr().is_terminal();
    let mut last = u64::MAX;
    move |p: Progress| {
        if p.total < PROGRESS_FROM {
            return true;
        }
        let pct = p.done * 100 / p.total.max(1);
        let step = if tty { pct } else { pct / 10 * 10 };
        if step != last {
            last = step;
            let mib = |b: u64| b / (1024 * 1024);
            let line = format!("{label}: {pct}% ({} of {} MiB)", mib(p.done), mib(p.total));
            if tty {
                eprint!("\r{line}");
                if p.done >= p.total {
                    eprintln!();
                }
            } else {
                eprintln!("{line}");
            }
        }
        true
    }
}

fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn print_list(list: &[StoredAttachment]) {
    for s in list {
        let a = &s.attachment;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.id,
            a.kind.as_str(),
            size_text(a.size),
            a.media_type,
            a.sha256,
            s.added_at,
            a.name
        );
    }
    println!("{} attachments", list.len());
}

pub fn run(v: &mut Vault, cmd: &AttachCommand) -> Result<()> {
    match cmd {
        AttachCommand::Attach {
            id,
            files,
            kind,
            role,
        } => {
            let opts = AttachOptions {
                kind: kind
                    .as_deref()
                    .map(|k| vocab::<AttachmentKind>("--kind", k))
                    .transpose()?,
                role: role
                    .as_deref()
                    .map(|r| vocab::<AttachmentRole>("--role", r))
                    .transpose()?,
            };
            let testimony = v.resolve(id)?;
            for f in files {
                let mut progress = progress_printer(display_name(f));
                let aid = v.attach_file(testimony, f, &opts, &mut progress)?;
                let a = v.attachment(aid)?.attachment;
                println!("{aid}\t{}\t{}\t{}", a.kind.as_str(), a.sha256, a.name);
            }
            Ok(())
        }
        AttachCommand::Attachments { id, json } => {
            let list = v.attachments(v.resolve(id)?)?;
            if *json {
                super::print_json(&list)
            } else {
                print_list(&list);
                Ok(())
            }
        }
        AttachCommand::Extract { attachment_id, out } => {
            let aid = parse_attachment_id(attachment_id)?;
            let mut progress = progress_printer(display_name(out));
            v.extract_attachment(aid, out, &mut progress)?;
            let a = v.attachment(aid)?.attachment;
            println!("{}\t{}", a.sha256, out.display());
            Ok(())
        }
        AttachCommand::Detach {
            attachment_id,
            reason,
            erase: false,
        } => v.delete_attachment(parse_attachment_id(attachment_id)?, reason),
        AttachCommand::Detach {
            attachment_id,
            reason,
            erase: true,
        } => {
            let r = v.erase_attachment(parse_attachment_id(attachment_id)?, reason)?;
            println!(
                "erased {attachment_id}: {} revision(s) keep only their proof; {} file(s) removed\nerasure {}",
                r.revisions, r.files, r.erasure
            );
            Ok(())
        }
    }
}
