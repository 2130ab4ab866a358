//! Precompressed variants for coi-server: `X.br` and `X.gz` beside each wasm, JS and zip file in
//! dist/ (not in the npm package, dist/npm/), which coi-server sends (with `Content-Encoding`) to clients that accept them.
//!
//! A variant is rewritten when its original or the variant itself changed since the last run
//! (size + mtime of both, kept in target/xtask/precompress.json), written under a temporary name
//! and renamed, so a running server never sends half of one. It is only kept when smaller than
//! its original; variants whose original is gone are removed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value};

use crate::sizes::{brotli, gzip};
use crate::util::{files_under, note, step, Fingerprint, Paths, Result};

/// Brotli quality 9 (window 2^24) keeps this step near 1.5 s: on python.wasm (7.9 MB) q9 takes
/// 1.3 s for 2.42 MB, q10 12 s for 2.18 MB, q11 20 s for 2.10 MB. The size table still reports
/// q11, what an offline release compression would reach.
const BROTLI_QUALITY: u32 = 9;

/// The suffixes coi-server looks for, in the order it prefers them.
const VARIANTS: [&str; 2] = [".br", ".gz"];

/// The big assets a page fetches; small text files are not worth a variant.
fn is_asset(f: &Path) -> bool {
    let name = f.file_name().unwrap_or_default().to_string_lossy();
    [".wasm", ".js", ".mjs", ".zip"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn variant(f: &Path, suffix: &str) -> PathBuf {
    let mut name = f.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// What a variant was made from and what it is now: any change to either redoes it.
fn key(f: &Path) -> String {
    let mut fp = Fingerprint::new(&format!("precompress v1 br q{BROTLI_QUALITY} gzip -9"));
    fp.meta(f);
    for suffix in VARIANTS {
        fp.meta(&variant(f, suffix));
    }
    fp.hex()
}

pub fn precompress(p: &Paths, force: bool) -> Result {
    step("precompress: .br and .gz beside the wasm, JS and zip files in dist/");
    let started = Instant::now();
    // Not the npm package's copies: bundlers and hosts compress those themselves.
    let package = p.dist.join(crate::build::NPM_DIR);
    let files: Vec<PathBuf> = files_under(&p.dist)
        .into_iter()
        .filter(|f| !f.starts_with(&package))
        .collect();
    for f in &files {
        let Some(original) = VARIANTS
            .iter()
            .find_map(|s| Some(PathBuf::from(f.to_str()?.strip_suffix(s)?)))
        else {
            continue;
        };
        if is_asset(&original) && !original.exists() {
            std::fs::remove_file(f).map_err(|e| format!("cannot remove {}: {e}", f.display()))?;
            note(&format!("removed {} (its original is gone)", p.show(f)));
        }
    }
    let assets: Vec<PathBuf> = files.into_iter().filter(|f| is_asset(f)).collect();
    let rel = |f: &Path| p.show(f);
    let cache_file = p.stamps.join("precompress.json");
    let cache: Map<String, Value> = std::fs::read(&cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let stale: Vec<&PathBuf> = assets
        .iter()
        .filter(|f| force || cache.get(&rel(f)).and_then(Value::as_str) != Some(&key(f)))
        .collect();
    // One thread per file and encoding: brotli runs as its own process, gzip in the thread.
    let results: Vec<Result> = std::thread::scope(|s| {
        let handles: Vec<_> = stale
            .iter()
            .flat_map(|f| VARIANTS.map(|suffix| s.spawn(move || write_variant(f, suffix))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("precompress worker panicked"))
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    let fresh: Map<String, Value> = assets
        .iter()
        .map(|f| (rel(f), Value::String(key(f))))
        .collect();
    std::fs::create_dir_all(&p.stamps)
        .map_err(|e| format!("cannot create {}: {e}", p.stamps.display()))?;
    std::fs::write(
        &cache_file,
        serde_json::to_vec_pretty(&fresh).unwrap_or_default(),
    )
    .map_err(|e| format!("cannot write {}: {e}", cache_file.display()))?;
    note(&format!(
        "{} files, {} compressed in {:.1} s",
        assets.len(),
        stale.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn write_variant(f: &Path, suffix: &str) -> Result {
    let raw = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
    let packed = match suffix {
        ".br" => brotli(f, BROTLI_QUALITY)?,
        _ => gzip(&raw)?,
    };
    let dst = variant(f, suffix);
    if packed.len() >= raw.len() {
        // Sending it would cost the client bytes and time; without it coi-server sends `f`.
        return match std::fs::remove_file(&dst) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("cannot remove {}: {e}", dst.display()))
            }
            _ => Ok(()),
        };
    }
    // Hidden (files_under skips it) and renamed over the variant once complete.
    let tmp = dst.with_file_name(format!(
        ".{}.tmp",
        dst.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&tmp, &packed).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &dst).map_err(|e| format!("cannot rename to {}: {e}", dst.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Paths whose dist/ and stamps are a scratch directory.
    fn scratch_paths(name: &str) -> Paths {
        let mut p = Paths::new();
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        p.dist = dir.join("dist");
        p.stamps = dir.join("stamps");
        std::fs::create_dir_all(p.dist.join("runtime")).unwrap();
        p
    }

    #[test]
    fn writes_fresh_smaller_variants_only() {
        if std::process::Command::new("brotli")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: no brotli CLI (apt-get install brotli)");
            return;
        }
        let p = scratch_paths("precompress");
        let js = p.dist.join("runtime/glue.js");
        let text = "export function f() { return 42; }\n".repeat(200);
        std::fs::write(&js, &text).unwrap();
        std::fs::write(p.dist.join("tiny.wasm"), b"\0asm").unwrap(); // grows when compressed
        std::fs::write(p.dist.join("notes.d.ts"), &text).unwrap(); // not an asset
        std::fs::write(p.dist.join("gone.mjs.br"), b"old").unwrap(); // orphan
        precompress(&p, false).unwrap();

        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&std::fs::read(variant(&js, ".gz")).unwrap()[..])
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        let br = std::fs::read(variant(&js, ".br")).unwrap();
        assert!(!br.is_empty() && br.len() < text.len());
        assert!(!p.dist.join("tiny.wasm.br").exists());
        assert!(!p.dist.join("tiny.wasm.gz").exists());
        assert!(!p.dist.join("notes.d.ts.gz").exists());
        assert!(!p.dist.join("gone.mjs.br").exists());
        assert!(!p.dist.join("runtime/.glue.js.br.tmp").exists());

        // Unchanged: left alone. Changed original: redone.
        let mtime = |f: &Path| std::fs::metadata(f).unwrap().modified().unwrap();
        let before = mtime(&variant(&js, ".gz"));
        precompress(&p, false).unwrap();
        assert_eq!(mtime(&variant(&js, ".gz")), before);
        std::fs::write(&js, text.replace("42", "43")).unwrap();
        precompress(&p, false).unwrap();
        assert!(mtime(&variant(&js, ".gz")) > before);
        assert!(mtime(&variant(&js, ".gz")) >= mtime(&js));
        let _ = std::fs::remove_dir_all(p.dist.parent().unwrap());
    }

    #[test]
    fn assets_and_variants() {
        assert!(is_asset(Path::new("dist/python.wasm")));
        assert!(is_asset(Path::new("dist/runtime/worker_runtime.js")));
        assert!(is_asset(Path::new("dist/python-stdlib.zip")));
        assert!(!is_asset(Path::new("dist/weft.d.ts")));
        assert!(!is_asset(Path::new("dist/python.wasm.br")));
        assert_eq!(
            variant(Path::new("dist/weft.mjs"), ".gz"),
            Path::new("dist/weft.mjs.gz")
        );
    }
}
