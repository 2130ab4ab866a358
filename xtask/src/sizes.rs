//! The size table: raw, gzip -9 and brotli -q 11 sizes of every file in dist/ a page fetches.
//! Compressed sizes are cached per file (path, size, mtime) in target/xtask/sizes.json, since
//! brotli at quality 11 takes about 20 s on python.wasm.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Map, Value};

use crate::util::{files_under, human, step, Fingerprint, Paths, Result};

pub struct Row {
    pub file: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// The assets a start with `packages: ['numpy']` fetches instead of python.wasm (worker.mjs,
/// PACKAGES): not part of the default page's download, so listed in a table of their own.
pub const NUMPY_ASSETS: [&str; 2] = ["python-numpy.wasm", "python-numpy-lib.zip"];

/// What a page loading Weft downloads: everything but the CLI, type declarations, metadata
/// (package.json), licenses and the numpy assets. Precompressed `.br`/`.gz` variants are the same
/// files, already counted.
fn fetched_by_page(rel: &str) -> bool {
    !(rel == "cli.mjs"
        || NUMPY_ASSETS.contains(&rel)
        || rel.ends_with(".d.ts")
        || rel.ends_with(".json")
        || rel.ends_with(".md")
        || rel.ends_with("LICENSE.txt")
        || rel.ends_with(".br")
        || rel.ends_with(".gz"))
}

pub fn table(p: &Paths) -> Result<Vec<Row>> {
    step("sizes of what a page fetches from dist/");
    let files: Vec<_> = files_under(&p.dist)
        .into_iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&p.dist).ok()?.to_string_lossy().into_owned();
            fetched_by_page(&rel).then_some((rel, f))
        })
        .collect();
    measure_files(p, &files)
}

/// Sizes of the numpy assets present in dist/ (see [`NUMPY_ASSETS`]).
pub fn numpy_table(p: &Paths) -> Result<Vec<Row>> {
    let files: Vec<_> = NUMPY_ASSETS
        .iter()
        .map(|n| (n.to_string(), p.dist.join(n)))
        .filter(|(_, f)| f.is_file())
        .collect();
    measure_files(p, &files)
}

/// Sizes of `files` (name for the table, path), one thread each; compressed sizes come from
/// the cache when the file is unchanged.
pub fn measure_files(p: &Paths, files: &[(String, PathBuf)]) -> Result<Vec<Row>> {
    let cache_file = p.stamps.join("sizes.json");
    let mut cache: Map<String, Value> = std::fs::read(&cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let rows: Vec<Result<Row>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .iter()
            .map(|(rel, f)| {
                let cached = cache.get(&cache_key(f)).cloned();
                s.spawn(move || measure(rel, f, cached))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("size worker panicked"))
            .collect()
    });
    let rows: Vec<Row> = rows.into_iter().collect::<Result<_>>()?;
    for (r, (_, f)) in rows.iter().zip(files) {
        cache.insert(
            cache_key(f),
            json!({"key": key(f), "gzip": r.gzip, "brotli": r.brotli}),
        );
    }
    let _ = std::fs::create_dir_all(&p.stamps);
    let _ = std::fs::write(
        &cache_file,
        serde_json::to_vec_pretty(&Value::Object(cache)).unwrap_or_default(),
    );
    Ok(rows)
}

/// Cache entries are by the file's full path: tables of other folders share the cache.
fn cache_key(f: &Path) -> String {
    f.to_string_lossy().into_owned()
}

fn key(f: &Path) -> String {
    Fingerprint::new("size").meta(f).hex()
}

fn measure(rel: &str, f: &Path, cached: Option<Value>) -> Result<Row> {
    let raw = std::fs::metadata(f)
        .map_err(|e| format!("cannot stat {}: {e}", f.display()))?
        .len();
    if let Some(c) = cached {
        if c["key"].as_str() == Some(&key(f)) {
            if let (Some(gzip), Some(brotli)) = (c["gzip"].as_u64(), c["brotli"].as_u64()) {
                return Ok(Row {
                    file: rel.to_owned(),
                    raw,
                    gzip,
                    brotli,
                });
            }
        }
    }
    let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
    let gzip = gzip(&bytes)?.len() as u64;
    let brotli = brotli(f, 11)?.len() as u64;
    Ok(Row {
        file: rel.to_owned(),
        raw,
        gzip,
        brotli,
    })
}

/// `gzip -9`.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

/// `brotli -q QUALITY -w 24` through the brotli CLI (the C encoder is several times faster than
/// the Rust port at quality 11 on python.wasm).
pub fn brotli(f: &Path, quality: u32) -> Result<Vec<u8>> {
    let q = quality.to_string();
    let out = Command::new("brotli")
        .args(["-q", &q, "-w", "24", "-c"])
        .arg(f)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run brotli ({e}): install it (apt-get install brotli)"))?;
    if !out.status.success() {
        return Err(format!(
            "brotli -q {q} -c {} failed ({})",
            f.display(),
            out.status
        ));
    }
    Ok(out.stdout)
}

/// The rows' raw, gzip and brotli sizes added up.
pub fn totals(rows: &[Row]) -> (u64, u64, u64) {
    rows.iter().fold((0, 0, 0), |(raw, gz, br), r| {
        (raw + r.raw, gz + r.gzip, br + r.brotli)
    })
}

pub fn print(rows: &[Row]) {
    let width = rows.iter().map(|r| r.file.len()).max().unwrap_or(4).max(5);
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    for r in rows {
        println!(
            "{:<width$}  {:>10}  {:>10}  {:>10}",
            r.file,
            human(r.raw),
            human(r.gzip),
            human(r.brotli)
        );
    }
    let (raw, gzip, brotli) = totals(rows);
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}",
        "total",
        human(raw),
        human(gzip),
        human(brotli)
    );
}
