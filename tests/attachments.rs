//! Attachments on a real filesystem: streamed import, random-access reads, extract, delete,
//! custody, and hostile files (lying type, empty, changing under the import, cancelled,
//! damaged on disk).

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use amanat::model::vocab::{AttachmentKind, CustodyAction};
use amanat::{AttachOptions, Progress, Vault};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn setup() -> (tempfile::TempDir, PathBuf, Vault, Uuid) {
    let root = common::tempdir();
    let dir = root.path().join("v.amanat");
    let (mut v, _) = common::create(&dir);
    let id = v
        .add_testimony(common::testimony("ATT-1", "x"))
        .unwrap_or_else(|e| panic!("add: {e}"));
    (root, dir, v, id)
}

fn write_png_like(path: &Path, len: usize) -> Vec<u8> {
    common::png_like(path, len, 0x9e37_79b9)
}

fn total_revisions(v: &mut Vault) -> u64 {
    v.verify().map(|r| r.revisions).unwrap_or(0)
}

fn never_cancel(_: Progress) -> bool {
    true
}

fn code(r: amanat::Result<impl Sized>) -> Option<&'static str> {
    r.err().map(|e| e.code())
}

#[test]
fn a_file_is_stored_encrypted_read_at_any_offset_and_extracted_identical() {
    let (root, dir, mut v, tid) = setup();
    let src = root.path().join("паспорт.png");
    let data = write_png_like(&src, 5 * 1024 * 1024 + 123);
    let mut calls = Vec::new();
    let aid = v
        .attach_file(tid, &src, &AttachOptions::default(), &mut |p| {
            calls.push(p);
            true
        })
        .unwrap_or_else(|e| panic!("attach: {e}"));
    assert!(calls.len() >= 5, "progress after every MiB: {calls:?}");
    assert_eq!(
        calls.last().copied(),
        Some(Progress {
            done: data.len() as u64,
            total: data.len() as u64
        })
    );

    let stored = v.attachment(aid).unwrap_or_else(|e| panic!("get: {e}"));
    let a = &stored.attachment;
    assert_eq!(a.sha256, hex::encode(Sha256::digest(&data)));
    assert_eq!(a.size, data.len() as u64);
    assert_eq!(a.media_type, "image/png");
    assert_eq!(a.kind, AttachmentKind::Photo);
    assert_eq!(a.name, "паспорт.png");
    assert_eq!(a.custody.len(), 1);
    assert_eq!(a.custody[0].action, CustodyAction::Imported);
    assert_eq!(a.custody[0].hash_seen.as_deref(), Some(a.sha256.as_str()));
    assert_eq!(common::blob_files(&dir), vec![format!("{}.age", a.blob)]);
    assert!(
        common::files_containing(
            &dir,
            std::str::from_utf8(common::MEDIA_MARKER).unwrap_or("")
        )
        .is_empty(),
        "the vault holds the file's bytes in the clear"
    );

    // Random access: reads at offsets across chunk boundaries return exactly those bytes.
    let mut r = v
        .read_attachment(aid)
        .unwrap_or_else(|e| panic!("open: {e}"));
    assert_eq!(r.len, data.len() as u64);
    for off in [0usize, 1, 65_535, 65_536, 1_000_000, 3 * 1024 * 1024 + 7] {
        let mut buf = vec![0u8; 100_000];
        r.seek(SeekFrom::Start(off as u64))
            .unwrap_or_else(|e| panic!("seek: {e}"));
        r.read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("read: {e}"));
        assert_eq!(buf, &data[off..off + 100_000], "at {off}");
    }
    let mut tail = Vec::new();
    r.seek(SeekFrom::End(-10))
        .unwrap_or_else(|e| panic!("seek: {e}"));
    r.read_to_end(&mut tail)
        .unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(tail, &data[data.len() - 10..]);

    // What a media element gets: the requested range, capped, and the size.
    let chunk = v
        .read_attachment_range(aid, Some("bytes=1000000-"), 4096)
        .unwrap_or_else(|e| panic!("range: {e}"));
    assert_eq!(
        (chunk.start, chunk.end, chunk.size),
        (1_000_000, 1_004_095, data.len() as u64)
    );
    assert_eq!(chunk.bytes, &data[1_000_000..1_004_096]);
    assert_eq!(chunk.media_type, "image/png");
    let past_end = v.read_attachment_range(aid, Some("bytes=999999999-"), 4096);
    assert_eq!(code(past_end), Some("invalid_input"));
    v.verify_attachment(aid)
        .unwrap_or_else(|e| panic!("verify one: {e}"));

    // Extract: identical bytes, never over an existing file, and recorded in custody.
    let out = root.path().join("out.png");
    v.extract_attachment(aid, &out, &mut never_cancel)
        .unwrap_or_else(|e| panic!("extract: {e}"));
    assert_eq!(std::fs::read(&out).unwrap_or_default(), data);
    let again = v.extract_attachment(aid, &out, &mut never_cancel);
    assert_eq!(code(again), Some("invalid_input"));
    let custody = v.attachment(aid).map(|s| s.attachment.custody);
    let actions: Vec<CustodyAction> = custody
        .unwrap_or_default()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, [CustodyAction::Imported, CustodyAction::Exported]);

    // Everything survives closing and reopening, and verify re-hashes the file.
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    let mut v = common::open(&dir);
    assert_eq!(v.open_report().orphan_blobs_removed, 0);
    let list = v.attachments(tid).unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(list.len(), 1);
    let report = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.attachments, 1);
}

#[test]
fn deleting_an_attachment_or_its_testimony_removes_the_file() {
    let (root, dir, mut v, tid) = setup();
    let a = root.path().join("a.png");
    let b = root.path().join("b.png");
    write_png_like(&a, 10_000);
    write_png_like(&b, 20_000);
    let opts = AttachOptions::default();
    let first = v
        .attach_file(tid, &a, &opts, &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    v.attach_file(tid, &b, &opts, &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    assert_eq!(common::blob_files(&dir).len(), 2);
    assert_eq!(code(v.delete_attachment(first, " ")), Some("invalid_input"));
    v.delete_attachment(first, "wrong file")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    assert_eq!(common::blob_files(&dir).len(), 1);
    assert_eq!(code(v.attachment(first)), Some("not_found"));
    v.delete_testimony(tid, "withdrawn")
        .unwrap_or_else(|e| panic!("delete: {e}"));
    assert!(common::blob_files(&dir).is_empty());
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    let mut v = common::open(&dir);
    let report = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn hostile_files_are_refused_and_leave_nothing() {
    let (root, dir, mut v, tid) = setup();
    let opts = AttachOptions::default();
    let before = total_revisions(&mut v);

    let empty = root.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("{e}"));
    let lying = root.path().join("photo.jpg");
    std::fs::write(&lying, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let folder = root.path().join("folder.png");
    std::fs::create_dir(&folder).unwrap_or_else(|e| panic!("{e}"));
    for (file, kind) in [
        (&empty, None),
        (&lying, None),
        (&folder, None),
        (&root.path().join("missing.png"), None),
    ] {
        let o = AttachOptions { kind, role: None };
        let r = v.attach_file(tid, file, &o, &mut never_cancel);
        assert!(r.is_err(), "{} was accepted", file.display());
    }
    let png = root.path().join("notice.png");
    write_png_like(&png, 3 * 1024 * 1024);
    let as_video = AttachOptions {
        kind: Some(AttachmentKind::Video),
        role: None,
    };
    assert_eq!(
        code(v.attach_file(tid, &png, &as_video, &mut never_cancel)),
        Some("invalid_input")
    );

    // Cancelled part-way: no file, no revision.
    let mut n = 0;
    let cancelled = v.attach_file(tid, &png, &opts, &mut |_| {
        n += 1;
        n < 2
    });
    assert_eq!(code(cancelled), Some("cancelled"));

    // Cut short while it is being read (the file shrinks under the import). The reader runs
    // at most a few MiB ahead of the encryption, so a 16 MiB file is still being read.
    write_png_like(&png, 16 * 1024 * 1024);
    let mut cut = 0;
    let path = png.clone();
    let shrunk = v.attach_file(tid, &png, &opts, &mut |_| {
        cut += 1;
        if cut == 1 {
            let f = std::fs::OpenOptions::new().write(true).open(&path);
            let _ = f.and_then(|f| f.set_len(1024 * 1024 + 10));
        }
        true
    });
    assert_eq!(code(shrunk), Some("invalid_input"));

    assert!(
        common::blob_files(&dir).is_empty(),
        "{:?}",
        common::blob_files(&dir)
    );
    assert_eq!(total_revisions(&mut v), before);
    assert!(v.attachments(tid).unwrap_or_default().is_empty());

    // A locked testimony takes no attachments.
    let mut t = v
        .testimony(tid)
        .map(|s| s.testimony)
        .unwrap_or_else(|e| panic!("{e}"));
    t.status = amanat::model::Status::Locked;
    v.update_testimony(tid, t, None)
        .unwrap_or_else(|e| panic!("{e}"));
    write_png_like(&png, 1000);
    assert_eq!(
        code(v.attach_file(tid, &png, &opts, &mut never_cancel)),
        Some("record_locked")
    );
}

#[test]
fn a_flipped_byte_in_a_file_fails_verify_naming_the_attachment_and_reads_error() {
    let (root, dir, mut v, tid) = setup();
    let src = root.path().join("call.png");
    write_png_like(&src, 300_000);
    let aid = v
        .attach_file(tid, &src, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    let blob = v
        .attachment(aid)
        .map(|s| s.attachment.blob)
        .unwrap_or_default();
    let path = dir.join("blobs").join(format!("{blob}.age"));
    let mut bytes = std::fs::read(&path).unwrap_or_default();
    let at = bytes.len() - 1000;
    bytes[at] ^= 0x01;
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .unwrap_or_else(|e| panic!("{e}"));

    let report = v.verify().unwrap_or_else(|e| panic!("verify: {e}"));
    assert!(!report.ok());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("call.png") && p.contains(&aid.to_string())),
        "{:?}",
        report.problems
    );
    assert_eq!(code(v.verify_attachment(aid)), Some("tampered"));
    let near_end = format!("bytes={}-", 300_000 - 2000);
    assert_eq!(
        code(v.read_attachment_range(aid, Some(&near_end), 4096)),
        Some("tampered")
    );
    // Reading the damaged part is an error, never wrong bytes: at open (which checks the
    // file's size, reading its last chunk) or at the read.
    let read = v.read_attachment(aid).map(|mut r| {
        let mut all = Vec::new();
        r.read_to_end(&mut all)
    });
    assert!(!matches!(read, Ok(Ok(_))), "the damaged file was read");
    let out = root.path().join("extracted.png");
    assert_eq!(
        code(v.extract_attachment(aid, &out, &mut never_cancel)),
        Some("tampered")
    );
    assert!(!out.exists(), "a damaged extract must not be left behind");
}

#[test]
fn orphan_and_partial_blob_files_are_removed_on_open_and_others_left_alone() {
    let (root, dir, mut v, tid) = setup();
    let src = root.path().join("kept.png");
    write_png_like(&src, 50_000);
    v.attach_file(tid, &src, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    v.close().unwrap_or_else(|e| panic!("close: {e}"));
    let blobs = dir.join("blobs");
    let orphan = "0123456789abcdef0123456789abcdef";
    for name in [
        format!("{orphan}.age"),
        "fedcba9876543210fedcba9876543210.age.tmp".to_string(),
        "README.txt".to_string(),
    ] {
        std::fs::write(blobs.join(name), b"x").unwrap_or_else(|e| panic!("{e}"));
    }
    let v = common::open(&dir);
    assert_eq!(v.open_report().orphan_blobs_removed, 2);
    let files = common::blob_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.contains(&"README.txt".to_string()));
}

#[test]
fn a_vault_whose_empty_blobs_folder_was_lost_takes_files_again() {
    // Copying a vault with a tool (or git) that drops empty folders loses `blobs/`.
    let (root, dir, mut v, id) = setup();
    std::fs::remove_dir(dir.join("blobs")).unwrap_or_else(|e| panic!("{e}"));
    let src = root.path().join("photo.png");
    let data = write_png_like(&src, 100_000);
    let aid = v
        .attach_file(id, &src, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    let mut back = Vec::new();
    v.read_attachment(aid)
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_end(&mut back)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(back == data);
}

/// A file of the same size made by someone who has only the vault's contact card (its
/// published age recipient), as `rage -r age1…` would make it.
fn planted(recipient: &str, len: usize) -> Vec<u8> {
    let r: age::x25519::Recipient = recipient.parse().unwrap_or_else(|e| panic!("{e}"));
    let e = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let mut w = e.wrap_output(&mut out).unwrap_or_else(|e| panic!("{e}"));
    let mut fake = vec![0u8; len];
    fake[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    w.write_all(&fake).unwrap_or_else(|e| panic!("{e}"));
    w.finish().unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn a_file_planted_or_swapped_in_the_vault_is_refused_when_shown_extracted_or_exported() {
    let (root, dir, mut v, tid) = setup();
    let a = root.path().join("a.png");
    let b = root.path().join("b.png");
    write_png_like(&a, 300_000);
    common::png_like(&b, 200_000, 7);
    let aid = v
        .attach_file(tid, &a, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("{e}"));
    let bid = v
        .attach_file(tid, &b, &AttachOptions::default(), &mut never_cancel)
        .unwrap_or_else(|e| panic!("{e}"));
    let blob = |id: Uuid| {
        let a = v
            .attachment(id)
            .unwrap_or_else(|e| panic!("{e}"))
            .attachment;
        dir.join("blobs").join(format!("{}.age", a.blob))
    };
    let (a_file, b_file) = (blob(aid), blob(bid));
    let card = v.contact_card().unwrap_or_else(|e| panic!("{e}"));

    // Planted: encrypted to the recipient on the contact card, same size.
    std::fs::write(&a_file, planted(card.recipient(), 300_000)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(v.read_attachment_range(aid, None, 1 << 20)),
        Some("tampered")
    );
    assert_eq!(code(v.read_attachment(aid)), Some("tampered"));
    let out = root.path().join("out.png");
    assert_eq!(
        code(v.extract_attachment(aid, &out, &mut never_cancel)),
        Some("tampered")
    );
    assert!(!out.exists());
    let report = v.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.ok(), "verify does not see the planted file");

    // Swapped: another attachment's file (a real one of this vault) moved into place.
    std::fs::copy(&b_file, &a_file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(v.read_attachment_range(aid, Some("bytes=0-99"), 1 << 20)),
        Some("tampered")
    );
    assert_eq!(
        code(v.extract_attachment(aid, &out, &mut never_cancel)),
        Some("tampered")
    );
}
