//! The command line: default bind address, the startup line, `--open`, `--help`, a bad root,
//! and a clean exit on Ctrl-C / SIGTERM.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::*;

#[test]
fn binds_loopback_on_the_requested_port() {
    let server = start();
    // `start` parsed `listening on http://ADDR/`; the default address is loopback only.
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    assert_ne!(
        server.addr, "127.0.0.1:0",
        "port 0 must be replaced by the real port"
    );
    assert_eq!(get(&server, "/").status, 200);
    // `--host` changes it (to IPv6 loopback, so that the test exposes nothing; skipped where
    // the machine has no IPv6).
    let root = fixture();
    let mut child = Command::new(env!("CARGO_BIN_EXE_coi-server"))
        .args(["--port", "0", "--host", "::1", "--root"])
        .arg(&root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
    if line.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot listen on [::1]:0"), "{err}");
    } else {
        assert!(line.starts_with("listening on http://[::1]:"), "{line}");
    }
}

#[test]
fn rejects_a_missing_root_with_one_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_coi-server"))
        .args(["--port", "0", "--root", "/definitely/not/here"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot serve /definitely/not/here"), "{err}");
}

#[test]
fn help_describes_the_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_coi-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--root",
        "--port",
        "--host",
        "--open",
        "--coep",
        "credentialless",
        "[default: 127.0.0.1]",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[cfg(unix)]
#[test]
fn open_starts_the_browser_with_the_url() {
    use std::os::unix::fs::PermissionsExt;
    let root = fixture();
    let scratch = root.parent().unwrap().to_owned();
    // $BROWSER stands in for the desktop's browser: it records the URL it was given.
    let browser = scratch.join("browser.sh");
    let opened = scratch.join("opened.txt");
    write(
        &browser,
        format!(
            "#!/bin/sh\necho \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            opened.display()
        ),
    );
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = spawn(
        scratch,
        root,
        &["--open"],
        &[("BROWSER", browser.to_str().unwrap())],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&opened).expect("--open did not run $BROWSER");
    assert_eq!(url.trim(), format!("http://{}/", server.addr));
}

#[test]
fn open_failure_is_only_a_warning() {
    let root = fixture();
    let scratch = root.parent().unwrap().to_owned();
    let missing = scratch.join("no-such-browser");
    let mut server = spawn(
        scratch,
        root,
        &["--open"],
        &[("BROWSER", missing.to_str().unwrap())],
    );
    assert_eq!(get(&server, "/").status, 200);
    assert!(server.child.try_wait().unwrap().is_none(), "exited");
    let log = server.stderr();
    assert!(log.contains("warning: --open: cannot start"), "{log}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_and_sigterm_stop_cleanly() {
    for sig in ["INT", "TERM"] {
        let mut server = start();
        assert_eq!(get(&server, "/").status, 200);
        signal(&server.child, sig);
        let status = wait_timeout(&mut server.child, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("still running 10 s after SIG{sig}"));
        assert!(status.success(), "exit status after SIG{sig}: {status:?}");
        assert!(
            server.stderr().contains("coi-server: stopped"),
            "{}",
            server.stderr()
        );
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_does_not_wait_forever_for_idle_clients() {
    let mut server = start();
    // A keep-alive connection after one response, and one stuck in the middle of its headers.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    write!(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut stuck = TcpStream::connect(&server.addr).unwrap();
    write!(stuck, "GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&server.child, "INT");
    let status = wait_timeout(&mut server.child, Duration::from_secs(10))
        .expect("still running 10 s after SIGINT with open connections");
    assert!(status.success(), "exit status after SIGINT: {status:?}");
    let log = server.stderr();
    assert!(log.contains("coi-server: stopped"), "{log}");
    drop((idle, stuck));
}
