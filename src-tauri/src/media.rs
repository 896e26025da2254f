//! The `media:` URI scheme: `media://localhost/<attachment id>` serves an attachment's
//! decrypted bytes to the page's `<img>`, `<video>` and `<audio>`, one requested range at a
//! time (`Range` → 206), never stored (`Cache-Control: no-store`), never through a file or a
//! socket. The range logic and the decryption are the core's (`read_attachment_range`).

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime};

use crate::commands::parse_id;
use crate::state::AppState;

pub const SCHEME: &str = "media";
/// Most bytes one range response carries (a media element asks again for the rest).
const RANGE_MAX: u64 = 4 << 20;
/// Most bytes a request without a range gets (an image shown whole).
const WHOLE_MAX: u64 = 64 << 20;

/// Our own page's origin, the only one that may read media (`fetch` is cross-origin here:
/// the page is tauri://localhost, media are media://localhost).
fn allowed_origin(request: &Request<Vec<u8>>) -> Option<header::HeaderValue> {
    let origin = request.headers().get(header::ORIGIN)?;
    matches!(
        origin.to_str().ok()?,
        "tauri://localhost" | "http://tauri.localhost"
    )
    .then(|| origin.clone())
}

fn with_cors(mut r: Response<Vec<u8>>, origin: Option<header::HeaderValue>) -> Response<Vec<u8>> {
    use header::HeaderValue as V;
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, V::from_static("no-store"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, V::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            V::from_static("Range"),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, V::from_static("GET"));
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            V::from_static("Content-Range, Content-Length, Content-Type"),
        );
    }
    r
}

fn empty(status: StatusCode) -> Response<Vec<u8>> {
    let mut r = Response::new(Vec::new());
    *r.status_mut() = status;
    r
}

pub fn respond<R: Runtime>(app: &AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let origin = allowed_origin(request);
    if request.method() == tauri::http::Method::OPTIONS {
        return with_cors(empty(StatusCode::NO_CONTENT), origin);
    }
    with_cors(body(app, request), origin)
}

fn body<R: Runtime>(app: &AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let state = app.state::<AppState>();
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let max = if range.is_some() {
        RANGE_MAX
    } else {
        WHOLE_MAX
    };
    let id = request.uri().path().trim_start_matches('/');
    let chunk =
        parse_id(id).and_then(|id| state.with_vault(|v| v.read_attachment_range(id, range, max)));
    let chunk = match chunk {
        Ok(c) => c,
        Err(e) => {
            return empty(match e.code.as_str() {
                "locked" => StatusCode::FORBIDDEN,
                "not_found" => StatusCode::NOT_FOUND,
                "invalid_input" => StatusCode::RANGE_NOT_SATISFIABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
    };
    let whole = chunk.start == 0 && chunk.end + 1 == chunk.size && range.is_none();
    let len = chunk.bytes.len();
    let builder = Response::builder()
        .status(if whole {
            StatusCode::OK
        } else {
            StatusCode::PARTIAL_CONTENT
        })
        .header(header::CONTENT_TYPE, chunk.media_type)
        .header(header::CONTENT_LENGTH, len)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let builder = if whole {
        builder
    } else {
        builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", chunk.start, chunk.end, chunk.size),
        )
    };
    builder
        .body(chunk.bytes)
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}
