//! `coi-server`: serves a directory (normally Weft's `dist/`) so that pages loaded from it are
//! cross-origin isolated (`crossOriginIsolated === true`), which Weft needs for
//! `SharedArrayBuffer`, `Atomics.wait` in workers and shared wasm memory.
//!
//! Every response carries `Cross-Origin-Opener-Policy: same-origin`,
//! `Cross-Origin-Embedder-Policy: require-corp` and `Cross-Origin-Resource-Policy: same-origin`,
//! plus `Cache-Control: no-cache` (a rebuilt `dist/` is picked up on reload; unchanged files are
//! answered with 304 through `Last-Modified`). Content types are fixed for what Weft ships
//! (`application/wasm`, `text/javascript` for `.mjs`/`.js`, `application/zip`) instead of
//! trusting the platform's MIME guess.
//!
//! Nothing outside the root is ever served: `tower_http::services::ServeDir` refuses `..` and
//! encoded traversal, and [`confine`] additionally refuses any request whose resolved path
//! (symbolic links followed) leaves the canonical root, answering 403.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Headers that make a page served by us cross-origin isolated.
pub const ISOLATION_HEADERS: [(&str, &str); 3] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// The content type we send for a file name, when we know better than a generic MIME guess.
pub fn content_type_for(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "wasm" => "application/wasm",
        "mjs" | "js" => "text/javascript; charset=utf-8",
        "zip" => "application/zip",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "ts" => "text/plain; charset=utf-8", // `.d.ts`; a MIME guess would say video/mp2t
        "txt" | "md" | "py" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// The router serving `root` (which must exist; it is canonicalized here).
pub fn router(root: &Path) -> std::io::Result<Router> {
    let root = root.canonicalize()?;
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    let mut app = Router::new()
        .fallback_service(ServeDir::new(&root).append_index_html_on_directories(true))
        .layer(middleware::from_fn_with_state(root, confine))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));
    for (name, value) in ISOLATION_HEADERS {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    Ok(app)
}

/// Refuses requests that resolve outside `root`, fixes content types, logs failures to stderr.
async fn confine(State(root): State<PathBuf>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    let Some(decoded) = percent_decode(&raw_path) else {
        return refuse(&method, &raw_path, StatusCode::BAD_REQUEST);
    };
    let mut file = root.clone();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return refuse(&method, &raw_path, StatusCode::FORBIDDEN),
            s if s.contains('\\') || s.contains('\0') || Path::new(s).is_absolute() => {
                return refuse(&method, &raw_path, StatusCode::FORBIDDEN)
            }
            s => file.push(s),
        }
    }
    // Symbolic links are followed by the file system: check where the path really leads.
    if let Ok(real) = file.canonicalize() {
        if !real.starts_with(&root) {
            return refuse(&method, &raw_path, StatusCode::FORBIDDEN);
        }
    }
    let mut response = next.run(req).await;
    if response.status().is_success() {
        let name = if decoded.ends_with('/') {
            "index.html"
        } else {
            decoded.as_str()
        };
        if let Some(ct) = content_type_for(name) {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    } else if response.status().is_client_error() || response.status().is_server_error() {
        eprintln!("{method} {raw_path} -> {}", response.status());
    }
    response
}

fn refuse(method: &axum::http::Method, path: &str, status: StatusCode) -> Response {
    eprintln!("{method} {path} -> {status} (refused: outside the root or malformed)");
    (status, status.canonical_reason().unwrap_or("refused")).into_response()
}

/// Decodes `%XX` escapes; `None` for malformed escapes or non-UTF-8 results.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The URL to print for a bound address (`0.0.0.0`/`::` are shown as given).
pub fn url_for(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("http://{}:{}/", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("http://[{}]:{}/", a.ip(), a.port()),
    }
}

/// Resolves when the process receives Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/%2e%2E/x").as_deref(), Some("/../x"));
        assert_eq!(percent_decode("/bad%2"), None);
        assert_eq!(percent_decode("/bad%zz"), None);
        assert_eq!(percent_decode("/%ff"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type_for("python.wasm"), Some("application/wasm"));
        assert_eq!(
            content_type_for("weft.mjs"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            content_type_for("python-stdlib.ZIP"),
            Some("application/zip")
        );
        assert_eq!(content_type_for("noext"), None);
    }

    #[test]
    fn urls() {
        assert_eq!(
            url_for("127.0.0.1:80".parse().unwrap()),
            "http://127.0.0.1:80/"
        );
        assert_eq!(url_for("[::1]:8000".parse().unwrap()), "http://[::1]:8000/");
    }
}
