//! Headers, MIME types, precompressed variants, validators, caching and ranges, against the
//! real binary on port 0.

mod common;

use common::*;

#[test]
fn isolation_headers_on_every_response() {
    let server = start();
    let etag = get(&server, "/python.wasm")
        .header("etag")
        .unwrap()
        .to_owned();
    for (what, method, target, headers, status) in [
        ("file", "GET", "/python.wasm", vec![], 200),
        ("HEAD", "HEAD", "/python.wasm", vec![], 200),
        ("directory index", "GET", "/", vec![], 200),
        ("directory without slash", "GET", "/sub", vec![], 307),
        ("directory without index", "GET", "/nodir/", vec![], 404),
        (
            "precompressed",
            "GET",
            "/python.wasm",
            vec![("Accept-Encoding", "br")],
            200,
        ),
        (
            "304",
            "GET",
            "/python.wasm",
            vec![("If-None-Match", etag.as_str())],
            304,
        ),
        ("404", "GET", "/nope.wasm", vec![], 404),
        ("403", "GET", "/%2e%2e/secret.txt", vec![], 403),
        ("400", "GET", "/bad%zz", vec![], 400),
        (
            "206",
            "GET",
            "/digits.txt",
            vec![("Range", "bytes=0-1")],
            206,
        ),
        (
            "416",
            "GET",
            "/digits.txt",
            vec![("Range", "bytes=50-60")],
            416,
        ),
        (
            "405",
            "POST",
            "/index.html",
            vec![("Content-Length", "0")],
            405,
        ),
    ] {
        let r = request(&server, method, target, &headers);
        assert_eq!(r.status, status, "{what}");
        assert_isolated(&r, what);
    }
}

#[test]
fn coep_credentialless_option() {
    let server = start_with(&["--coep", "credentialless"]);
    for target in ["/", "/python.wasm", "/nope", "/%2e%2e/secret.txt"] {
        assert_isolated_with(&get(&server, target), "credentialless", target);
    }
}

#[test]
fn mime_types() {
    let server = start();
    for (path, ct) in [
        ("/python.wasm", "application/wasm"),
        ("/weft.mjs", "text/javascript; charset=utf-8"),
        ("/old.js", "text/javascript; charset=utf-8"),
        ("/python-stdlib.zip", "application/zip"),
        ("/weft.d.ts", "text/plain; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/sub/a%20b.txt", "text/plain; charset=utf-8"),
    ] {
        let r = get(&server, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ct), "{path}");
    }
    assert_eq!(
        get(&server, "/python.wasm").body,
        b"\0asm\x01\0\0\0 raw wasm bytes"
    );
    assert_eq!(get(&server, "/sub/a%20b.txt").body, b"spaced");
    // HEAD: same headers, no body.
    let r = request(&server, "HEAD", "/weft.mjs", &[]);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(r.body.is_empty());
}

#[test]
fn precompressed_variants_by_accept_encoding() {
    let server = start();
    for (target, accept, encoding, body) in [
        ("/python.wasm", Some("br"), Some("br"), "BR python.wasm"),
        ("/python.wasm", Some("gzip"), Some("gzip"), "GZ python.wasm"),
        (
            "/python.wasm",
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            "BR python.wasm",
        ),
        (
            "/python.wasm",
            Some("br;q=0.5, gzip"),
            Some("gzip"),
            "GZ python.wasm",
        ),
        (
            "/python.wasm",
            Some("br;q=0, gzip;q=0"),
            None,
            "\0asm\x01\0\0\0 raw wasm bytes",
        ),
        (
            "/python.wasm",
            Some("identity"),
            None,
            "\0asm\x01\0\0\0 raw wasm bytes",
        ),
        ("/python.wasm", None, None, "\0asm\x01\0\0\0 raw wasm bytes"),
        // Only a .gz exists: br falls back to it, or to the original.
        ("/weft.mjs", Some("br, gzip"), Some("gzip"), "GZ weft.mjs"),
        ("/weft.mjs", Some("br"), None, "export {}; // raw module"),
        // No variants at all.
        ("/old.js", Some("br, gzip"), None, "1;"),
        // Variants older than the original are not served.
        ("/stale.js", Some("br, gzip"), None, "fresh();"),
    ] {
        let what = format!("{target} with Accept-Encoding {accept:?}");
        let headers: Vec<_> = accept.map(|a| ("Accept-Encoding", a)).into_iter().collect();
        let r = get_with(&server, target, &headers);
        assert_eq!(r.status, 200, "{what}");
        assert_eq!(r.header("content-encoding"), encoding, "{what}");
        assert_eq!(r.text(), body, "{what}");
        assert_eq!(
            r.header("content-length"),
            Some(&*body.len().to_string()),
            "{what}"
        );
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{what}");
        // The original's type, never that of a .br/.gz file.
        let ct = if target.ends_with(".wasm") {
            "application/wasm"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(r.header("content-type"), Some(ct), "{what}");
    }
    let r = request(
        &server,
        "HEAD",
        "/python.wasm",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("application/wasm"));
}

#[test]
fn etag_last_modified_and_304() {
    let server = start();
    let plain = get(&server, "/python.wasm");
    let etag = plain.header("etag").expect("ETag").to_owned();
    let last_modified = plain
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    for (what, headers) in [
        ("If-None-Match", vec![("If-None-Match", etag.clone())]),
        (
            "weak If-None-Match",
            vec![("If-None-Match", format!("W/{etag}"))],
        ),
        (
            "If-None-Match list",
            vec![("If-None-Match", format!("\"x\", {etag}"))],
        ),
        ("If-None-Match *", vec![("If-None-Match", "*".to_owned())]),
        (
            "If-Modified-Since",
            vec![("If-Modified-Since", last_modified.clone())],
        ),
        (
            "If-Modified-Since later",
            vec![(
                "If-Modified-Since",
                "Fri, 01 Jan 2100 00:00:00 GMT".to_owned(),
            )],
        ),
    ] {
        let headers: Vec<_> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = get_with(&server, "/python.wasm", &headers);
        assert_eq!(r.status, 304, "{what}");
        assert!(r.body.is_empty(), "{what}");
        assert_eq!(r.header("etag"), Some(etag.as_str()), "{what}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{what}");
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{what}");
        assert_isolated(&r, what);
    }
    for (what, headers) in [
        (
            "other ETag",
            vec![("If-None-Match", "\"other\"".to_owned())],
        ),
        (
            "If-Modified-Since earlier",
            vec![(
                "If-Modified-Since",
                "Thu, 01 Jan 1970 00:00:00 GMT".to_owned(),
            )],
        ),
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        (
            "other ETag, unmodified date",
            vec![
                ("If-None-Match", "\"other\"".to_owned()),
                ("If-Modified-Since", last_modified.clone()),
            ],
        ),
    ] {
        let headers: Vec<_> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = get_with(&server, "/python.wasm", &headers);
        assert_eq!(r.status, 200, "{what}");
        assert_eq!(r.body, b"\0asm\x01\0\0\0 raw wasm bytes", "{what}");
    }

    // Each encoding is its own representation with its own strong validator.
    let br = get_with(&server, "/python.wasm", &[("Accept-Encoding", "br")]);
    let br_etag = br.header("etag").unwrap().to_owned();
    assert_ne!(br_etag, etag);
    let gz_etag = get_with(&server, "/python.wasm", &[("Accept-Encoding", "gzip")])
        .header("etag")
        .unwrap()
        .to_owned();
    assert_ne!(gz_etag, br_etag);
    let r = get_with(
        &server,
        "/python.wasm",
        &[("Accept-Encoding", "br"), ("If-None-Match", &br_etag)],
    );
    assert_eq!(r.status, 304);
    assert_eq!(r.header("vary"), Some("accept-encoding"));
    // A client holding the br bytes that no longer accepts br gets the identity bytes.
    let r = get_with(&server, "/python.wasm", &[("If-None-Match", &br_etag)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);

    // A rebuilt file gets new validators.
    let file = server.root.join("python.wasm");
    write(&file, b"\0asm\x01\0\0\0 rebuilt, longer wasm bytes");
    set_mtime(&file, mtime(&file) + std::time::Duration::from_secs(5));
    let r = get_with(&server, "/python.wasm", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    let r = get_with(
        &server,
        "/python.wasm",
        &[("If-Modified-Since", &last_modified)],
    );
    assert_eq!(r.status, 200);
    // ...and its now stale variants are no longer offered.
    let r = get_with(&server, "/python.wasm", &[("Accept-Encoding", "br, gzip")]);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.text(), "\0asm\x01\0\0\0 rebuilt, longer wasm bytes");
}

#[test]
fn cache_control_immutable_for_content_hashed_names() {
    let server = start();
    const IMMUTABLE: &str = "public, max-age=31536000, immutable";
    let r = get(&server, "/app.3f2a9c1b.js");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
    let etag = r.header("etag").unwrap().to_owned();
    let r = get_with(&server, "/app.3f2a9c1b.js", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
    let r = get_with(&server, "/app.3f2a9c1b.js", &[("Accept-Encoding", "br")]);
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
    let r = get_with(&server, "/app.3f2a9c1b.js", &[("Range", "bytes=0-1")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
    // A missing hashed name must not be cached: it may be built a moment later.
    let r = get(&server, "/app.0a1b2c3d.js");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    for target in [
        "/app.js",
        "/python.wasm",
        "/",
        "/index.html",
        "/weft.d.ts",
        "/nope",
    ] {
        assert_eq!(
            get(&server, target).header("cache-control"),
            Some("no-cache"),
            "{target}"
        );
    }
}

#[test]
fn range_requests() {
    let server = start();
    let full = get(&server, "/digits.txt");
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    for (range, content_range, body) in [
        ("bytes=0-3", "bytes 0-3/10", "0123"),
        ("bytes=4-", "bytes 4-9/10", "456789"),
        ("bytes=-2", "bytes 8-9/10", "89"),
        ("bytes=9-9", "bytes 9-9/10", "9"),
        ("bytes=5-100", "bytes 5-9/10", "56789"),
    ] {
        let r = get_with(&server, "/digits.txt", &[("Range", range)]);
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(r.header("content-range"), Some(content_range), "{range}");
        assert_eq!(r.text(), body, "{range}");
        assert_eq!(
            r.header("content-length"),
            Some(&*body.len().to_string()),
            "{range}"
        );
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{range}"
        );
    }
    for range in ["bytes=10-", "bytes=20-30", "bytes=5-2", "lines=1-2"] {
        let r = get_with(&server, "/digits.txt", &[("Range", range)]);
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.header("content-range"), Some("bytes */10"), "{range}");
        assert_isolated(&r, range);
    }
    // A range of a wasm file keeps its type.
    let r = get_with(&server, "/python.wasm", &[("Range", "bytes=0-3")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"\0asm");
    assert_eq!(r.header("content-type"), Some("application/wasm"));
}
