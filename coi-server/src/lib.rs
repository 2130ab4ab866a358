//! `coi-server`: serves a directory (normally Weft's `dist/`) so that pages loaded from it are
//! cross-origin isolated (`crossOriginIsolated === true`), which Weft needs for
//! `SharedArrayBuffer`, `Atomics.wait` in workers and shared wasm memory.
//!
//! The central abstraction is [`router`]: tower-http's `ServeDir` over a [`Confined`] file
//! system backend, between two middlewares. Layer by layer, from the socket inwards:
//!
//! 1. `finish` stamps every response (200, 206, 304, 307, 403, 404, 405, 416...) with
//!    `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`
//!    (or `credentialless`, [`Options::coep`]) and `Cross-Origin-Resource-Policy: same-origin`;
//!    fixes the content type of successful responses from the requested name (so that
//!    `python.wasm` served from `python.wasm.br` is still `application/wasm`, and `.d.ts` is not
//!    `video/mp2t`), see [`content_type_for`]; sets `Cache-Control` ([`cache_control_for`]) and
//!    `Vary: accept-encoding` (304s included, as RFC 9110 §15.4.5 asks).
//! 2. `confine` refuses requests whose path escapes the root with 403: `..` segments (also
//!    `%2e%2e`), backslashes, NUL, and paths whose symbolic links lead outside the canonical
//!    root. It also hides precompressed variants older than their original from content
//!    negotiation, so that a rebuilt `python.wasm` is never answered with a stale
//!    `python.wasm.br`.
//! 3. `ServeDir` does the HTTP file semantics: directory index (`index.html`), precompressed
//!    `X.br`/`X.gz` chosen by `Accept-Encoding`, `ETag`/`Last-Modified` and 304/412, single
//!    byte ranges (206, 416), HEAD.
//! 4. [`Confined`] is the only way `ServeDir` touches the file system: every path it opens or
//!    stats is canonicalized and must lie inside the root, or it does not exist (404). This
//!    covers the files `ServeDir` derives itself (`dir/index.html`, `X.br`, `X.gz`), which
//!    `confine` never sees. The checked canonical path is the one opened, so only someone who
//!    can rewrite the root's directories while it serves could race the check.
//!
//! Validators: `ServeDir` derives a strong `ETag` from the size and the modification time (ns)
//! of the file it actually sends, so each encoding of a resource has its own `ETag` and its own
//! `Last-Modified`. That is the correct semantics: a `br` and an identity response are
//! different representations with different bytes (RFC 9110 §8.8.3), a 304 must confirm the
//! exact bytes the client holds, and ranges of a compressed response are ranges of the
//! compressed bytes, which `If-Range` must be able to tell apart. Two tags could only coincide
//! for files of equal size written in the same nanosecond; `cargo xtask build` writes variants
//! one after the other, after their original, and only when smaller than it.
//!
//! Caching: `Cache-Control: public, max-age=31536000, immutable` for content-hashed names
//! ([`is_content_hashed`]), `no-cache` for everything else (a rebuilt `dist/` is picked up on
//! reload; unchanged files are answered with 304).
//!
//! The binary (`src/main.rs`) adds the command line:
//!
//! ```text
//! coi-server [--root DIR] [--port N] [--host ADDR] [--coep require-corp|credentialless] [--open]
//! ```
//!
//! `--root` defaults to `dist`, `--port` to 8000 (0 picks a free one), `--host` to `127.0.0.1`
//! (nothing outside the machine can connect unless asked). The first line on stdout is
//! `listening on http://HOST:PORT/`. `--open` opens that URL with `$BROWSER`, else the desktop's
//! opener (`xdg-open`, `open`, `start`); failing to do so is a warning. Ctrl-C or SIGTERM stops
//! the server with exit code 0 after in-flight responses finish (at most [`SHUTDOWN_GRACE`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::fs::{Backend, TokioBackend, TokioFile};
use tower_http::services::ServeDir;

/// The value of `Cross-Origin-Embedder-Policy`; both make a page cross-origin isolated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Coep {
    /// Every cross-origin subresource must opt in with CORP or CORS.
    #[default]
    RequireCorp,
    /// Cross-origin no-CORS subresources are fetched without credentials instead.
    Credentialless,
}

impl Coep {
    pub fn as_str(self) -> &'static str {
        match self {
            Coep::RequireCorp => "require-corp",
            Coep::Credentialless => "credentialless",
        }
    }
}

/// What the command line can change about the responses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub coep: Coep,
}

/// `Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy`; COEP comes from [`Coep`].
pub const COOP: &str = "same-origin";
pub const CORP: &str = "same-origin";

/// `Cache-Control` for content-hashed names: the name changes whenever the content does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// How long Ctrl-C waits for open connections (a slow download, an idle keep-alive socket that
/// a client does not close) before stopping anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

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

/// True when a file name carries a content hash, which makes it safe to cache forever.
///
/// The rule: a `.`-separated segment that is neither the first (the name) nor the last (the
/// extension), `name.HASH.ext` or `name.HASH.d.ts`, of at least 8 characters, all lowercase hex,
/// all uppercase hex, or all RFC 4648 base32 in one case (`a-z2-7`, `A-Z2-7`), containing at
/// least one digit and one letter. Requiring both keeps words (`weft.bindings.js`) and dates
/// (`log.20240101.txt`) out; a real 8-character hash lacks one of them rarely, and then it is
/// merely revalidated like any other file. A false positive would be worse: a file cached for a
/// year under a name whose content changes.
pub fn is_content_hashed(name: &str) -> bool {
    let segments: Vec<&str> = name.split('.').collect();
    segments.len() >= 3 && segments[1..segments.len() - 1].iter().any(|s| is_hash(s))
}

fn is_hash(s: &str) -> bool {
    let b = s.as_bytes();
    let all = |f: fn(&u8) -> bool| b.iter().all(f);
    let alphabet = all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        || all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
        || all(|c| matches!(c, b'2'..=b'7' | b'a'..=b'z'))
        || all(|c| matches!(c, b'2'..=b'7' | b'A'..=b'Z'));
    b.len() >= 8
        && alphabet
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
}

/// `Cache-Control` for a response with `status` to a request for the file `name`. Only
/// successful and 304 responses may be immutable: a cached 404 for a hashed name would hide the
/// file once it is built.
pub fn cache_control_for(name: &str, status: StatusCode) -> &'static str {
    let cacheable = status.is_success() || status == StatusCode::NOT_MODIFIED;
    if cacheable && is_content_hashed(name) {
        IMMUTABLE
    } else {
        "no-cache"
    }
}

/// The router serving `root` (which must exist; it is canonicalized here).
pub fn router(root: &Path, options: Options) -> io::Result<Router> {
    let root = root.canonicalize()?;
    if !root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    let files = ServeDir::with_backend(
        &root,
        Confined {
            root: Arc::new(root.clone()),
        },
    )
    .append_index_html_on_directories(true)
    .precompressed_br()
    .precompressed_gzip();
    Ok(Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(root, confine))
        .layer(middleware::from_fn_with_state(options, finish)))
}

/// A `ServeDir` backend that only sees files inside `root`: each path is canonicalized (symbolic
/// links resolved) and anything outside is reported as not found.
#[derive(Clone, Debug)]
pub struct Confined {
    root: Arc<PathBuf>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl Confined {
    fn resolve(&self, path: PathBuf) -> impl Future<Output = io::Result<PathBuf>> + Send {
        let root = self.root.clone();
        async move {
            let real = tokio::fs::canonicalize(&path).await?;
            if real.starts_with(&*root) {
                Ok(real)
            } else {
                eprintln!("refused {}: it leads outside the root", path.display());
                // NotFound, not PermissionDenied: ServeDir then falls back from a refused
                // `X.br` to `X`, and answers 404 for a refused `X`.
                Err(io::Error::new(io::ErrorKind::NotFound, "outside the root"))
            }
        }
    }
}

impl Backend for Confined {
    type File = TokioFile;
    type Metadata = std::fs::Metadata;
    type OpenFuture = BoxFuture<TokioFile>;
    type MetadataFuture = BoxFuture<std::fs::Metadata>;

    fn open(&self, path: PathBuf) -> Self::OpenFuture {
        let real = self.resolve(path);
        Box::pin(async move { TokioBackend.open(real.await?).await })
    }

    fn metadata(&self, path: PathBuf) -> Self::MetadataFuture {
        let real = self.resolve(path);
        Box::pin(async move { tokio::fs::metadata(real.await?).await })
    }
}

/// Refuses requests that name a path outside `root` (403) and drops stale precompressed
/// variants from `Accept-Encoding`.
async fn confine(State(root): State<PathBuf>, mut req: Request, next: Next) -> Response {
    let Some(decoded) = percent_decode(req.uri().path()) else {
        return refuse(StatusCode::BAD_REQUEST);
    };
    let mut file = root.clone();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return refuse(StatusCode::FORBIDDEN),
            s if s.contains('\\') || s.contains('\0') || Path::new(s).is_absolute() => {
                return refuse(StatusCode::FORBIDDEN)
            }
            s => file.push(s),
        }
    }
    // Symbolic links are followed by the file system: check where the path really leads.
    if let Ok(real) = tokio::fs::canonicalize(&file).await {
        if !real.starts_with(&root) {
            return refuse(StatusCode::FORBIDDEN);
        }
        if tokio::fs::metadata(&real).await.is_ok_and(|m| m.is_dir()) {
            file.push("index.html");
        }
        let stale = stale_encodings(&file).await;
        if !stale.is_empty() {
            without_encodings(req.headers_mut(), &stale);
        }
    }
    next.run(req).await
}

/// The `Accept-Encoding` tokens whose precompressed variant of `file` is older than `file`
/// itself: left over from a build that rewrote the original but not its variants (`cargo xtask
/// build` always writes variants after their original).
async fn stale_encodings(file: &Path) -> Vec<&'static str> {
    let Ok(original) = tokio::fs::metadata(file).await.and_then(|m| m.modified()) else {
        return Vec::new();
    };
    let mut stale = Vec::new();
    for (suffix, tokens) in [(".br", &["br"][..]), (".gz", &["gzip", "x-gzip"][..])] {
        let mut variant = file.as_os_str().to_owned();
        variant.push(suffix);
        if let Ok(modified) = tokio::fs::metadata(&variant)
            .await
            .and_then(|m| m.modified())
        {
            if modified < original {
                eprintln!("ignoring stale {}", Path::new(&variant).display());
                stale.extend_from_slice(tokens);
            }
        }
    }
    stale
}

/// Removes the codings `tokens` from the request's `Accept-Encoding`, so that `ServeDir` does not
/// pick their variants.
fn without_encodings(headers: &mut header::HeaderMap, tokens: &[&str]) {
    let kept: Vec<String> = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter(|item| {
            let coding = item.split(';').next().unwrap_or("").trim();
            !tokens.iter().any(|t| coding.eq_ignore_ascii_case(t))
        })
        .map(|item| item.trim().to_owned())
        .collect();
    headers.remove(header::ACCEPT_ENCODING);
    if let Ok(v) = HeaderValue::from_str(&kept.join(", ")) {
        headers.insert(header::ACCEPT_ENCODING, v);
    }
}

/// The headers every response gets; content type and caching from the requested name.
async fn finish(State(options): State<Options>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let raw_path = req.uri().path().to_owned();
    let name = match percent_decode(&raw_path) {
        Some(p) if p.ends_with('/') => "index.html".to_owned(),
        Some(p) => p.rsplit('/').next().unwrap_or_default().to_owned(),
        None => String::new(),
    };
    let mut response = next.run(req).await;
    let status = response.status();
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static(COOP),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-embedder-policy"),
        HeaderValue::from_static(options.coep.as_str()),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static(CORP),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control_for(&name, status)),
    );
    if status.is_success() {
        if let Some(ct) = content_type_for(&name) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    // ServeDir sends Vary on 200/206 only; a 304 must repeat it for caches to key it correctly.
    if (status.is_success() || status == StatusCode::NOT_MODIFIED)
        && !headers.contains_key(header::VARY)
    {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if status.is_client_error() || status.is_server_error() {
        eprintln!("{method} {raw_path} -> {status}");
    }
    response
}

/// The answer to a path outside the root or a malformed one (`finish` logs it).
fn refuse(status: StatusCode) -> Response {
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

/// The URL a browser on this machine can open: a wildcard bind is reached through loopback.
pub fn local_url_for(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    url_for(addr)
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
        assert_eq!(percent_decode("/%252e").as_deref(), Some("/%2e"));
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
    fn content_hashed_names() {
        for hashed in [
            "app.3f2a9c1b.js",
            "app.3F2A9C1B.js",
            "chunk.k7qz2m4n.mjs",
            "chunk.K7QZ2M4NAB.wasm",
            "types.0123abcd.d.ts",
            "x.e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.wasm",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "python.wasm",
            "weft.mjs",
            "weft.d.ts",
            "3f2a9c1b.js",         // the hash is the name: no rule says it is one
            "app.js.3f2a9c1b",     // ...or the extension
            "weft.bindings.js",    // a word: no digit
            "app.deadbeef.js",     // no digit either
            "log.20240101.txt",    // a date: no letter
            "app.3f2a9c1.js",      // 7 characters
            "app.3f2A9c1b.js",     // mixed case
            "app.k7qz8m4n.js",     // 8 is not base32, and k..z are not hex
            "python-3.13.0a1.zip", // short segments
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn cache_control() {
        assert_eq!(
            cache_control_for("a.3f2a9c1b.js", StatusCode::OK),
            IMMUTABLE
        );
        assert_eq!(
            cache_control_for("a.3f2a9c1b.js", StatusCode::NOT_MODIFIED),
            IMMUTABLE
        );
        assert_eq!(
            cache_control_for("a.3f2a9c1b.js", StatusCode::NOT_FOUND),
            "no-cache"
        );
        assert_eq!(cache_control_for("python.wasm", StatusCode::OK), "no-cache");
    }

    #[test]
    fn drops_codings_from_accept_encoding() {
        let mut h = header::HeaderMap::new();
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, BR;q=0.9"),
        );
        h.append(header::ACCEPT_ENCODING, HeaderValue::from_static("x-gzip"));
        without_encodings(&mut h, &["br"]);
        assert_eq!(h.get_all(header::ACCEPT_ENCODING).iter().count(), 1);
        assert_eq!(h[header::ACCEPT_ENCODING], "gzip, deflate, x-gzip");
        without_encodings(&mut h, &["gzip", "x-gzip"]);
        assert_eq!(h[header::ACCEPT_ENCODING], "deflate");
    }

    #[test]
    fn urls() {
        assert_eq!(
            url_for("127.0.0.1:80".parse().unwrap()),
            "http://127.0.0.1:80/"
        );
        assert_eq!(url_for("[::1]:8000".parse().unwrap()), "http://[::1]:8000/");
        assert_eq!(
            local_url_for("0.0.0.0:8000".parse().unwrap()),
            "http://127.0.0.1:8000/"
        );
        assert_eq!(
            local_url_for("[::]:8000".parse().unwrap()),
            "http://[::1]:8000/"
        );
        assert_eq!(
            local_url_for("192.168.1.2:8000".parse().unwrap()),
            "http://192.168.1.2:8000/"
        );
    }
}
