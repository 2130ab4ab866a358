//! Nothing outside the root is ever served, however the path is spelled, and whatever symbolic
//! links inside the root point to.

mod common;

use common::*;

fn assert_refused(server: &Server, method: &str, target: &str, allowed: &[u16]) {
    let r = request(server, method, target, &[("Accept-Encoding", "br, gzip")]);
    assert!(
        allowed.contains(&r.status),
        "{target}: status {} (expected one of {allowed:?})",
        r.status
    );
    assert!(
        !r.text().contains(SECRET),
        "{target} leaked a file outside the root"
    );
    // A 400 may come from the HTTP parser, before any of our code runs.
    if r.status != 400 {
        assert_isolated(&r, target);
    }
}

#[test]
fn dot_dot_in_every_spelling_is_refused() {
    let server = start();
    for target in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/./../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%2f..%2fsecret.txt",
        // Double-encoded: decoded once, this is a file literally named `%2e%2e` (absent).
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/sub/%252e%252e/%252e%252e/secret.txt",
        // Backslashes, raw and encoded.
        "/..\\secret.txt",
        "/sub\\..\\..\\secret.txt",
        "/..%5csecret.txt",
        "/%5c..%5csecret.txt",
        // NUL, encoded (a raw NUL never gets past the HTTP parser).
        "/secret.txt%00",
        "/%00/../secret.txt",
        "/index.html%00.txt",
    ] {
        assert_refused(&server, "GET", target, &[403, 404]);
        assert_refused(&server, "HEAD", target, &[403, 404]);
    }
}

#[test]
fn absolute_paths_stay_inside_the_root() {
    let server = start();
    let secret = server.scratch.join("secret.txt");
    let secret = secret.to_str().unwrap();
    for target in [
        format!("/{secret}"), // `//tmp/.../secret.txt`
        format!("/%2f{}", &secret[1..]),
        format!("/%2F{}", &secret[1..]),
        "//etc/passwd".to_owned(),
        "///etc/passwd".to_owned(),
        "/%2fetc/passwd".to_owned(),
        "/C:/Windows/win.ini".to_owned(),
        "/C:%5cWindows%5cwin.ini".to_owned(),
        "/\\\\server\\share".to_owned(),
    ] {
        assert_refused(&server, "GET", &target, &[403, 404]);
    }
    let r = get(&server, "//etc/passwd");
    assert!(!r.text().contains("root:"), "served /etc/passwd");
}

#[test]
fn malformed_request_targets_are_rejected() {
    let server = start();
    // Malformed escapes and non-UTF-8 paths: 400. Request targets without a leading slash are
    // refused by the HTTP parser itself.
    for target in [
        "/bad%zz",
        "/%ff/x",
        "/x%2",
        "../secret.txt",
        "..%2fsecret.txt",
    ] {
        assert_refused(&server, "GET", target, &[400, 403, 404]);
    }
    // The absolute form is normalized to its path, which is then checked like any other.
    let absolute = format!("http://{}/../secret.txt", server.addr);
    assert_refused(&server, "GET", &absolute, &[400, 403, 404]);
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_root_are_refused() {
    let server = start();
    for target in [
        "/link.txt",          // a file symlink
        "/outdir/",           // a directory symlink
        "/outdir/index.html", // a file through it
        "/outdir",            // the same without the slash
        "/sub2/",             // a directory whose index.html points outside
        "/sub2/index.html",
    ] {
        assert_refused(&server, "GET", target, &[403, 404]);
    }
    // A precompressed variant pointing outside is skipped: the original is sent instead.
    let r = get_with(&server, "/lib.js", &[("Accept-Encoding", "br")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.text(), "lib();");
    // Symbolic links that stay inside the root are fine.
    let r = get(&server, "/alias.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "spaced");
    // The refusals are logged.
    let log = server.stderr();
    assert!(log.contains("GET /link.txt -> 403"), "{log}");
    assert!(
        log.contains("lib.js.br: it leads outside the root"),
        "{log}"
    );
}

#[test]
fn symlinked_root_is_served() {
    // The root itself may be a symbolic link (a `dist` link to a build directory).
    let scratch = scratch();
    write(&scratch.join("real/index.html"), "real");
    #[cfg(unix)]
    std::os::unix::fs::symlink(scratch.join("real"), scratch.join("dist")).unwrap();
    #[cfg(not(unix))]
    std::fs::rename(scratch.join("real"), scratch.join("dist")).unwrap();
    let root = scratch.join("dist");
    let server = spawn(scratch, root, &[], &[]);
    assert_eq!(get(&server, "/").text(), "real");
}
