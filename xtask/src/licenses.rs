//! dist/THIRD-PARTY-LICENSES.txt: the license texts of everything Weft ships that is not its
//! own code, so that the npm package and a served dist/ carry them beside the binaries. The
//! guest's part (CPython, its C libraries, numpy) comes from the pinned sources
//! (guest/licenses.sh); the Rust parts (numpy's BLAS in guest/blas, the runtime in dist/runtime
//! and dist/main) from their crates, found through `cargo metadata` (build-time crates such as
//! proc macros excluded).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{bail, note, stdout_of, step, Fingerprint, Paths, Result, Stamp};

pub const FILE: &str = "THIRD-PARTY-LICENSES.txt";

/// Writes dist/THIRD-PARTY-LICENSES.txt for the wasm crates `roots`; skipped while its inputs
/// (the guest's sources list and script, the Cargo.lock files) are unchanged.
pub fn third_party(p: &Paths, roots: &[&str], force: bool) -> Result {
    step("licenses: dist/THIRD-PARTY-LICENSES.txt (guest sources, numpy BLAS and runtime crates)");
    let out = p.dist.join(FILE);
    let mut inputs = Fingerprint::new("licenses");
    inputs
        .content(&p.repo.join("guest/licenses.sh"))
        .content(&p.repo.join("guest/sources.txt"))
        .content(&p.repo.join("Cargo.lock"))
        .content(&p.repo.join("guest/blas/Cargo.lock"));
    for r in roots {
        inputs.str(r);
    }
    let stamp = Stamp::new(p, "licenses", &inputs, vec![out.clone()]);
    if stamp.fresh(force) {
        note("up to date");
        return Ok(());
    }
    let guest = stdout_of(Command::new("bash").arg(p.repo.join("guest/licenses.sh")))?;
    let runtime = shipped_crates(
        p,
        &p.repo.join("Cargo.toml"),
        roots,
        "wasm32-unknown-unknown",
    )?;
    let blas = shipped_crates(
        p,
        &p.repo.join(BLAS_MANIFEST),
        &["weft-blas"],
        "wasm32-wasip1-threads",
    )?;
    let mut text = String::from(
        "Weft ships the following software besides its own code (MIT OR Apache-2.0, see\n\
         LICENSE-MIT and LICENSE-APACHE). Each part's license text follows. The Rust parts\n\
         (parts 2 and 3) also contain Rust's standard library, under MIT OR Apache-2.0 (the\n\
         same texts as Weft's own, copyright the Rust Project Developers).\n",
    );
    text.push_str(
        "\n\n# Part 1: the interpreter (python.wasm, python-numpy.wasm and their zips)\n",
    );
    text.push_str(&guest);
    text.push_str(
        "\n\n# Part 2: Rust crates linked into python-numpy.wasm (numpy's BLAS, guest/blas)\n",
    );
    let mut written = BTreeMap::new();
    crate_notices(&mut text, &blas, &mut written)?;
    text.push_str("\n\n# Part 3: Rust crates compiled into the runtime (runtime/, main/)\n");
    crate_notices(&mut text, &runtime, &mut written)?;
    std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    note(&format!("{} + {} crates", blas.len(), runtime.len()));
    stamp.save()
}

/// The crates guest/numpy.sh links into python-numpy.wasm as numpy's BLAS.
const BLAS_MANIFEST: &str = "guest/blas/Cargo.toml";

/// A list of `crates` with their licenses, then each one's license files. Most crates carry the
/// same Apache-2.0 text: each distinct text (up to whitespace) is written once (`written`: text
/// -> where), later copies point to it.
fn crate_notices(
    text: &mut String,
    crates: &[Crate],
    written: &mut BTreeMap<String, String>,
) -> Result {
    text.push('\n');
    for c in crates {
        text.push_str(&format!("- {} {}: {}\n", c.name, c.version, c.license));
    }
    for c in crates {
        let title = format!("{} {} ({})", c.name, c.version, c.license);
        text.push_str(&format!(
            "\n{title}\n{}\n",
            "=".repeat(title.chars().count())
        ));
        if c.files.is_empty() {
            text.push_str("(the crate carries no license file; its license is named above)\n");
        }
        for f in &c.files {
            let body = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            let key = body.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(first) = written.get(&key) {
                text.push_str(&format!(
                    "\n-- {}: the same text as {first} --\n",
                    file_label(f)
                ));
            } else {
                text.push_str(&format!(
                    "\n-- {} --\n\n{}\n",
                    file_label(f),
                    body.trim_end()
                ));
                written.insert(key, format!("{}'s {}", c.name, file_label(f)));
            }
        }
    }
    Ok(())
}

struct Crate {
    name: String,
    version: String,
    license: String,
    files: Vec<PathBuf>,
}

/// The registry crates in the normal-dependency closure of the packages `roots` of the
/// workspace of `manifest`, built for `platform`, sorted by name.
fn shipped_crates(
    p: &Paths,
    manifest: &Path,
    roots: &[&str],
    platform: &str,
) -> Result<Vec<Crate>> {
    let json = stdout_of(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&p.repo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
                "--manifest-path",
            ])
            .arg(manifest)
            .args(["--filter-platform", platform]),
    )?;
    let meta: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pk| Some((pk["id"].as_str()?, pk)))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let is_proc_macro = |pk: &serde_json::Value| {
        pk["targets"].as_array().into_iter().flatten().any(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "proc-macro"))
        })
    };
    let mut stack: Vec<&str> = packages
        .iter()
        .filter(|(_, pk)| roots.contains(&pk["name"].as_str().unwrap_or("")))
        .map(|(id, _)| *id)
        .collect();
    if stack.len() != roots.len() {
        bail!("cargo metadata: not all of {roots:?} are workspace packages");
    }
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes
            .get(id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            let Some(pkg) = dep["pkg"].as_str() else {
                continue;
            };
            if normal && packages.get(pkg).is_some_and(|pk| !is_proc_macro(pk)) {
                stack.push(pkg);
            }
        }
    }
    let mut crates: Vec<Crate> = seen
        .into_iter()
        .filter_map(|id| packages.get(id))
        .filter(|pk| !pk["source"].is_null()) // path packages are Weft's own
        .map(|pk| {
            let dir = Path::new(pk["manifest_path"].as_str().unwrap_or("")).parent();
            Crate {
                name: pk["name"].as_str().unwrap_or("?").to_owned(),
                version: pk["version"].as_str().unwrap_or("?").to_owned(),
                license: pk["license"].as_str().unwrap_or("(not stated)").to_owned(),
                files: dir.map(license_files).unwrap_or_default(),
            }
        })
        .collect();
    crates.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok(crates)
}

/// A crate's license and notice files (LICENSE*, LICENCE*, COPYING*, NOTICE*), sorted.
fn license_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|f| {
            let name = file_label(f).to_ascii_uppercase();
            f.is_file()
                && ["LICENSE", "LICENCE", "COPYING", "NOTICE"]
                    .iter()
                    .any(|s| name.starts_with(s))
        })
        .collect();
    files.sort();
    files
}

fn file_label(f: &Path) -> String {
    f.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
