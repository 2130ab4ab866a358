//! Shared by the integration tests: a scratch directory served by the real `coi-server` binary
//! on port 0, and a raw HTTP/1.1 client (a raw socket, so that `..`, `%2e%2e`, backslashes and
//! `//` reach the server exactly as written, which no HTTP client library guarantees).

#![allow(dead_code)] // each test binary uses a different part

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// What `scratch/secret.txt` (outside the root) contains; no response may ever include it.
pub const SECRET: &str = "TOP SECRET";

pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub scratch: PathBuf,
    pub root: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl Server {
    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.scratch.join("stderr.txt")).unwrap_or_default()
    }
}

/// A fresh empty directory under the system's temp dir.
pub fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "coi-server-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn set_mtime(path: &Path, t: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

pub fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// `scratch/root` is served; `scratch/secret.txt` and `scratch/outside/` are not.
pub fn fixture() -> PathBuf {
    let scratch = scratch();
    let root = scratch.join("root");
    write(&scratch.join("secret.txt"), SECRET);
    write(&scratch.join("outside/index.html"), SECRET);
    write(&root.join("index.html"), "<!doctype html><title>t</title>");
    write(&root.join("python.wasm"), b"\0asm\x01\0\0\0 raw wasm bytes");
    write(&root.join("weft.mjs"), "export {}; // raw module");
    write(&root.join("old.js"), "1;");
    write(&root.join("weft.d.ts"), "export declare const x: number;");
    write(&root.join("python-stdlib.zip"), b"PK\x05\x06");
    write(&root.join("sub/a b.txt"), "spaced");
    write(&root.join("nodir/.keep"), "");
    write(&root.join("digits.txt"), "0123456789");
    write(&root.join("app.3f2a9c1b.js"), "hashed();");
    write(&root.join("app.js"), "plain();");
    // Precompressed variants with recognizable bodies (the server never decodes them), written
    // after their original like `cargo xtask build` writes them.
    for (original, variant, body, later) in [
        ("python.wasm", "python.wasm.br", "BR python.wasm", 1),
        ("python.wasm", "python.wasm.gz", "GZ python.wasm", 2),
        ("weft.mjs", "weft.mjs.gz", "GZ weft.mjs", 1),
        ("app.3f2a9c1b.js", "app.3f2a9c1b.js.br", "BR hashed", 1),
    ] {
        write(&root.join(variant), body);
        let t = mtime(&root.join(original)) + Duration::from_secs(later);
        set_mtime(&root.join(variant), t);
    }
    // A variant older than its original: left over from an earlier build.
    write(&root.join("stale.js"), "fresh();");
    write(&root.join("stale.js.br"), "BR old");
    write(&root.join("stale.js.gz"), "GZ old");
    let earlier = mtime(&root.join("stale.js")) - Duration::from_secs(60);
    set_mtime(&root.join("stale.js.br"), earlier);
    set_mtime(&root.join("stale.js.gz"), earlier);
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        // Out of the root: a file, a directory, a directory index and a precompressed variant.
        symlink(scratch.join("secret.txt"), root.join("link.txt")).unwrap();
        symlink(scratch.join("outside"), root.join("outdir")).unwrap();
        std::fs::create_dir_all(root.join("sub2")).unwrap();
        symlink(scratch.join("secret.txt"), root.join("sub2/index.html")).unwrap();
        write(&root.join("lib.js"), "lib();");
        symlink(scratch.join("secret.txt"), root.join("lib.js.br")).unwrap();
        // Older than the link's target, so that only the confinement keeps it from being sent.
        set_mtime(
            &root.join("lib.js"),
            mtime(&scratch.join("secret.txt")) - Duration::from_secs(60),
        );
        // Inside the root: allowed.
        symlink(root.join("sub/a b.txt"), root.join("alias.txt")).unwrap();
    }
    root
}

/// Runs the built binary on `root` with `args` (plus `--port 0`) and waits for its first stdout
/// line; its stderr goes to `scratch/stderr.txt`.
pub fn spawn(scratch: PathBuf, root: PathBuf, args: &[&str], envs: &[(&str, &str)]) -> Server {
    let stderr = File::create(scratch.join("stderr.txt")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coi-server"));
    cmd.args(["--port", "0", "--root"])
        .arg(&root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(url) = line.strip_suffix('\n') else {
        let _ = child.kill();
        panic!(
            "no first line from coi-server: {line:?}; stderr: {}",
            std::fs::read_to_string(scratch.join("stderr.txt")).unwrap_or_default()
        );
    };
    let addr = url
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server {
        child,
        addr,
        scratch,
        root,
    }
}

/// The fixture served with default options plus `args`.
pub fn start_with(args: &[&str]) -> Server {
    let root = fixture();
    let scratch = root.parent().unwrap().to_owned();
    spawn(scratch, root, args, &[])
}

pub fn start() -> Server {
    start_with(&[])
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut all = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = all.next().map(|(_, v)| v.as_str());
        assert!(all.next().is_none(), "{name} sent twice");
        first
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection (`Connection: close`, so the body ends at EOF).
pub fn request(server: &Server, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

pub fn get(server: &Server, target: &str) -> Reply {
    request(server, "GET", target, &[])
}

pub fn get_with(server: &Server, target: &str, headers: &[(&str, &str)]) -> Reply {
    request(server, "GET", target, headers)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    // axum answers its own refusals with a fixed length; hyper may chunk a streamed body.
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_line = std::str::from_utf8(&b[..eol]).unwrap();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).unwrap();
        b = &b[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// COOP, COEP (`coep`) and CORP, each exactly once.
pub fn assert_isolated_with(r: &Reply, coep: &str, what: &str) {
    assert_eq!(
        r.header("cross-origin-opener-policy"),
        Some("same-origin"),
        "{what}"
    );
    assert_eq!(
        r.header("cross-origin-embedder-policy"),
        Some(coep),
        "{what}"
    );
    assert_eq!(
        r.header("cross-origin-resource-policy"),
        Some("same-origin"),
        "{what}"
    );
}

pub fn assert_isolated(r: &Reply, what: &str) {
    assert_isolated_with(r, "require-corp", what);
}

/// Sends `sig` (`INT`, `TERM`) with kill(1): no libc binding needed.
#[cfg(unix)]
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// Waits at most `limit` for the child to exit.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
