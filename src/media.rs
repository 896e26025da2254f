//! What a file is, from its content: the media type is sniffed from the first bytes
//! (`infer`'s magic numbers), never taken from the name. A name whose extension claims a
//! kind of media the content is not (a PDF named `photo.jpg`) is refused, as is a kind
//! chosen by the user that the content does not fit.

use crate::error::{Error, Result};
use crate::model::vocab::AttachmentKind;

/// The media type of content starting with `head`.
pub(crate) fn sniff(head: &[u8]) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    if let Some(t) = matroska(head) {
        return t.into();
    }
    if looks_like_text(head) {
        "text/plain".into()
    } else {
        "application/octet-stream".into()
    }
}

/// WebM and Matroska by their EBML DocType. `infer` only knows the DocType written with a
/// 4-byte size and no padding; GStreamer writes `webm` with a terminating NUL (size 5),
/// which is just as valid, and is what the recordings made with it look like.
fn matroska(head: &[u8]) -> Option<&'static str> {
    if !head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        return None;
    }
    let window = &head[..head.len().min(64)];
    let at = window.windows(2).position(|w| w == [0x42, 0x82])? + 2;
    let size_byte = *window.get(at)?;
    // A one-byte EBML size (the marker bit 0x80 set); DocTypes are short.
    if size_byte & 0x80 == 0 {
        return None;
    }
    let len = usize::from(size_byte & 0x7f);
    let doc = window.get(at + 1..at + 1 + len)?;
    let doc: Vec<u8> = doc.iter().copied().take_while(|&b| b != 0).collect();
    match doc.as_slice() {
        b"webm" => Some("video/webm"),
        b"matroska" => Some("video/x-matroska"),
        _ => None,
    }
}

/// UTF-8 with no NUL, allowing a character cut off at the end of the sample.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => head.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => return false,
    };
    valid > 0 && !head[..valid].contains(&0)
}

fn top(media_type: &str) -> &str {
    media_type.split('/').next().unwrap_or("")
}

/// The kind a file is by default, from its media type.
pub(crate) fn default_kind(media_type: &str) -> AttachmentKind {
    match top(media_type) {
        "image" => AttachmentKind::Photo,
        "video" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        _ => AttachmentKind::Document,
    }
}

/// Refuses a file whose name or chosen kind says it is something its content is not.
pub(crate) fn check(name: &str, media_type: &str, kind: AttachmentKind) -> Result<()> {
    let actual = top(media_type);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if let Some(claimed) = ext.as_deref().and_then(|e| mime_guess::from_ext(e).first()) {
        let claimed_top = claimed.type_().as_str();
        let media = ["image", "audio", "video"];
        let contradicts = if media.contains(&claimed_top) || media.contains(&actual) {
            // Audio in a video container (e.g. .webm, .mp4 holding only sound) is not a lie.
            claimed_top != actual && !(claimed_top == "audio" && actual == "video")
        } else {
            claimed.essence_str() == "application/pdf" && media_type != "application/pdf"
        };
        if contradicts {
            return Err(Error::invalid(
                name,
                format!(
                    "its name says {} but its content is {media_type}",
                    claimed.essence_str()
                ),
            ));
        }
    }
    let fits = match kind {
        AttachmentKind::Photo => actual == "image",
        AttachmentKind::Video => actual == "video",
        AttachmentKind::Audio => actual == "audio" || actual == "video",
        AttachmentKind::Document | AttachmentKind::Transcript | AttachmentKind::Translation => true,
    };
    if !fits {
        return Err(Error::invalid(
            name,
            format!("its content is {media_type}, not {}", kind.as_str()),
        ));
    }
    Ok(())
}

/// A byte range a media element asked for (`Range: bytes=…`), resolved against the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive.
    pub end: u64,
}

/// Resolves an HTTP `Range` header against a body of `size` bytes, serving at most `max`
/// bytes: `None` for no header (the whole body, capped), an error for a range that cannot be
/// satisfied or parsed. Only single ranges are served (what media elements ask for).
pub fn resolve_range(header: Option<&str>, size: u64, max: u64) -> Result<ByteRange> {
    let bad = || Error::invalid("Range", "cannot be satisfied");
    if size == 0 {
        return Err(bad());
    }
    let (start, end) = match header.map(str::trim) {
        None => (0, size - 1),
        Some(h) => {
            let spec = h.strip_prefix("bytes=").ok_or_else(bad)?;
            let (a, b) = spec.split_once('-').ok_or_else(bad)?;
            let (a, b) = (a.trim(), b.trim());
            let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
            match (a.is_empty(), b.is_empty()) {
                (false, true) => (num(a)?, size - 1),
                (false, false) => (num(a)?, num(b)?.min(size - 1)),
                (true, false) => {
                    let suffix = num(b)?;
                    if suffix == 0 {
                        return Err(bad());
                    }
                    (size.saturating_sub(suffix), size - 1)
                }
                (true, true) => return Err(bad()),
            }
        }
    };
    if start > end || start >= size {
        return Err(bad());
    }
    Ok(ByteRange {
        start,
        end: end.min(start.saturating_add(max.max(1)) - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

    #[test]
    fn ranges_resolve_like_http_and_are_capped() {
        let r = |h: Option<&str>| resolve_range(h, 1000, 100).map(|r| (r.start, r.end)).ok();
        assert_eq!(r(None), Some((0, 99)));
        assert_eq!(r(Some("bytes=0-")), Some((0, 99)));
        assert_eq!(r(Some("bytes=950-")), Some((950, 999)));
        assert_eq!(r(Some("bytes=10-19")), Some((10, 19)));
        assert_eq!(r(Some("bytes=990-5000")), Some((990, 999)));
        assert_eq!(r(Some("bytes=-10")), Some((990, 999)));
        for bad in [
            "bytes=1000-",
            "bytes=20-10",
            "bytes=-0",
            "bytes=-",
            "items=0-1",
            "bytes=a-b",
            "bytes=0-1,5-6",
        ] {
            assert_eq!(r(Some(bad)), None, "{bad}");
        }
        assert!(resolve_range(None, 0, 10).is_err());
        assert_eq!(
            resolve_range(Some("bytes=5-"), u64::MAX, u64::MAX)
                .map(|r| r.end)
                .ok(),
            Some(u64::MAX - 1)
        );
    }

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(PDF), "application/pdf");
        assert_eq!(sniff("Ержанат 叶尔扎那提".as_bytes()), "text/plain");
        // A multi-byte character cut at the end of the sample is still text.
        assert_eq!(sniff(&"Ержанат".as_bytes()[..3]), "text/plain");
        assert_eq!(sniff(&[0, 1, 2, 3, 0xff]), "application/octet-stream");
        // GStreamer's webmmux: DocType "webm\0" with size 5.
        let gst = b"\x1a\x45\xdf\xa3\x01\0\0\0\0\0\0\x10\x42\x82\x85webm\0\x42\x87\x81\x02";
        assert_eq!(sniff(gst), "video/webm");
        let mkv = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska";
        assert_eq!(sniff(mkv), "video/x-matroska");
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x42\x82\x85other"),
            "application/octet-stream"
        );
    }

    #[test]
    fn a_file_that_lies_about_its_type_is_refused() {
        let pdf = sniff(PDF);
        assert_eq!(default_kind(&pdf), AttachmentKind::Document);
        let lie = check("passport.jpg", &pdf, AttachmentKind::Document);
        assert_eq!(lie.err().map(|e| e.code()), Some("invalid_input"));
        let png = sniff(PNG);
        assert!(check("scan.pdf", &png, AttachmentKind::Photo).is_err());
        assert!(check("notice.png", &png, AttachmentKind::Video).is_err());
        assert!(check("notice.png", &png, AttachmentKind::Photo).is_ok());
        assert!(check("no-extension", &png, AttachmentKind::Photo).is_ok());
        assert!(check("notes.txt", "text/plain", AttachmentKind::Transcript).is_ok());
        assert!(check("call.m4a", "video/mp4", AttachmentKind::Audio).is_ok());
    }
}
