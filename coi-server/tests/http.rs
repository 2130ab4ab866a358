//! Runs the real `coi-server` binary on port 0 over a scratch root and talks raw HTTP/1.1 to it
//! (a raw socket, so that `..` and `%2e%2e` reach the server unnormalized).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Server {
    child: Child,
    addr: String,
    scratch: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// scratch/secret.txt is outside the root; scratch/root is served.
fn start() -> Server {
    static N: AtomicUsize = AtomicUsize::new(0);
    let scratch = std::env::temp_dir().join(format!(
        "coi-server-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    let root = scratch.join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(scratch.join("secret.txt"), "TOP SECRET").unwrap();
    std::fs::write(root.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(root.join("python.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(root.join("weft.mjs"), "export {};").unwrap();
    std::fs::write(root.join("old.js"), "1;").unwrap();
    std::fs::write(root.join("python-stdlib.zip"), b"PK\x05\x06").unwrap();
    std::fs::write(root.join("sub/a b.txt"), "spaced").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(scratch.join("secret.txt"), root.join("link.txt")).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_coi-server"))
        .args(["--port", "0", "--root"])
        .arg(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let addr = url.trim_end_matches('/').to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_ne!(addr, "127.0.0.1:0");
    Server {
        child,
        addr,
        scratch,
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn get(server: &Server, target: &str) -> Reply {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
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
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn assert_isolated(r: &Reply) {
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
    assert_eq!(
        r.header("cross-origin-embedder-policy"),
        Some("require-corp")
    );
    assert_eq!(
        r.header("cross-origin-resource-policy"),
        Some("same-origin")
    );
}

#[test]
fn isolation_headers_and_mime_types() {
    let server = start();
    for (path, ct) in [
        ("/python.wasm", "application/wasm"),
        ("/weft.mjs", "text/javascript; charset=utf-8"),
        ("/old.js", "text/javascript; charset=utf-8"),
        ("/python-stdlib.zip", "application/zip"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/sub/a%20b.txt", "text/plain; charset=utf-8"),
    ] {
        let r = get(&server, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ct), "{path}");
        assert_isolated(&r);
    }
    assert_eq!(get(&server, "/python.wasm").body, b"\0asm\x01\0\0\0");
    assert_eq!(get(&server, "/sub/a%20b.txt").body, b"spaced");
}

#[test]
fn missing_files_are_404_and_still_isolated() {
    let server = start();
    let r = get(&server, "/nope.wasm");
    assert_eq!(r.status, 404);
    assert_isolated(&r);
}

#[test]
fn never_serves_outside_the_root() {
    let server = start();
    for path in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/link.txt",
    ] {
        let r = get(&server, path);
        assert!(
            matches!(r.status, 400 | 403 | 404),
            "{path}: status {}",
            r.status
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("TOP SECRET"),
            "{path} leaked a file outside the root"
        );
        assert_isolated(&r);
    }
}

#[test]
fn rejects_a_missing_root_with_one_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_coi-server"))
        .args(["--port", "0", "--root", "/definitely/not/here"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot serve /definitely/not/here"), "{err}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() {
    let mut server = start();
    assert_eq!(get(&server, "/").status, 200);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit status after SIGINT: {status:?}");
}
