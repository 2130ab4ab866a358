//! `cargo xtask build`: guest (python.wasm + stdlib zip), runtime (threaded worker-runtime wasm +
//! wasm-bindgen), JS files; each step skipped when its stamp says nothing changed. Then the npm
//! package in dist/npm/, assembled from what is in dist/.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    bail, files_under, nightly_install_line, note, npm_ci, output_of, run, stable_install_line,
    step, toolchain_sysroot, Fingerprint, Paths, Result, Stamp, NIGHTLY, STABLE,
    WASM_BINDGEN_VERSION,
};

/// Flags for the threaded wasm-bindgen build of worker-runtime (nightly, `-Zbuild-std`).
/// Checked with nightly-2026-05-20 and wasm-bindgen 0.2.130; each one is needed:
///
/// - `+atomics,+bulk-memory,+mutable-globals`: shared-memory threads; std must be rebuilt with
///   them, hence `-Zbuild-std=std,panic_abort`. rustc adds no linker flags for them on
///   wasm32-unknown-unknown: alone they give an unshared memory and wasm-bindgen silently emits
///   single-threaded glue.
/// - `--shared-memory --max-memory=1 GiB`: a shared memory needs a maximum (the runtime's own
///   heap ceiling; python.wasm has its own memory).
/// - `--import-memory`: without it wasm-bindgen fails with "threading requires memory to be
///   imported"; every worker instantiates the module over the same memory.
/// - `--export=__wasm_init_tls,__tls_size,__tls_align,__tls_base`: without them wasm-bindgen
///   fails with "failed to find `__wasm_init_tls`"; it gives each thread its own TLS block.
///
/// rustc warns "unstable feature specified for `-Ctarget-feature`: `atomics`": expected.
pub const RUNTIME_RUSTFLAGS: &str = "-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--max-memory=1073741824 -C link-arg=--import-memory \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base";

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Step {
    /// python.wasm + python-stdlib.zip (guest/build.sh)
    Guest,
    /// worker-runtime and main-thread-client wasm + wasm-bindgen -> dist/runtime/, dist/main/
    Runtime,
    /// the JS files -> dist/
    Js,
}

#[derive(Default)]
pub struct Options {
    /// Ignore stamps and rerun the steps.
    pub force: bool,
    /// Only these steps (empty: all).
    pub only: Vec<Step>,
}

pub fn build(p: &Paths, o: &Options) -> Result {
    let wanted = |s: Step| o.only.is_empty() || o.only.contains(&s);
    if wanted(Step::Guest) {
        guest(p, o.force)?;
    }
    if wanted(Step::Runtime) {
        runtime(p, o.force)?;
    }
    if wanted(Step::Js) {
        js(p)?;
    }
    asset_sizes(p)?;
    crate::licenses::third_party(p, &[RUNTIME.package, MAIN_CHANNEL.package], o.force)?;
    npm_package(p)?;
    // After every step, whichever ran: each one can rewrite a file that has variants.
    crate::precompress::precompress(p, o.force)?;
    Ok(())
}

/// The installable npm package, a directory of its own under dist/: dist/ also holds the REPL
/// page, the demos and precompressed variants, none of which belong in the package.
pub const NPM_DIR: &str = "npm";

/// What the package holds besides the client's and the worker's modules (all of
/// main-thread-client/js and worker-runtime/js): the wasm-bindgen output (without its .d.ts
/// files: weft.d.ts is the package's types), the guest's assets, the sizes behind progress
/// reports, and the service worker that isolates pages on hosts that send no headers.
const NPM_DIRS: [&str; 2] = ["main", "runtime"];
const NPM_FILES: [&str; 4] = [
    "asset-sizes.json",
    "coi-register.js",
    "coi-sw.js",
    crate::licenses::FILE,
];
/// Weft's own license texts, from the repository's root into the package's.
const LICENSE_FILES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// Lays out dist/npm/: package.json (main-thread-client/npm/package.json with the workspace's
/// version), README.md, and copies of the package's files from dist/. Skipped, with a note,
/// while dist/ lacks one of them (e.g. `cargo xtask build js` before any full build).
fn npm_package(p: &Paths) -> Result {
    step("npm package: dist/npm/ (`npm pack dist/npm` makes the tarball)");
    let source = p.repo.join("main-thread-client/npm");
    let out = p.dist.join(NPM_DIR);
    let mut names: Vec<String> = WORKER_ASSETS
        .iter()
        .chain(&NPM_FILES)
        .map(|s| (*s).to_owned())
        .collect();
    names.extend(js_sources(p).iter().map(|f| file_name(f)));
    for dir in NPM_DIRS {
        let root = p.dist.join(dir);
        for f in files_under(&root) {
            let rel = f
                .strip_prefix(&p.dist)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if !(rel.ends_with(".d.ts") || rel.ends_with(".br") || rel.ends_with(".gz")) {
                names.push(rel);
            }
        }
    }
    let missing: Vec<&String> = names.iter().filter(|n| !p.dist.join(n).is_file()).collect();
    if let Some(first) = missing.first() {
        note(&format!(
            "skipped: dist/{first} is missing ({} files in all); `cargo xtask build` makes them",
            missing.len()
        ));
        return Ok(());
    }
    let mut copies: Vec<(PathBuf, PathBuf)> = names
        .iter()
        .map(|n| (p.dist.join(n), out.join(n)))
        .collect();
    copies.push((source.join("README.md"), out.join("README.md")));
    for f in LICENSE_FILES {
        copies.push((p.repo.join(f), out.join(f)));
    }
    let updated = sync_files(p, &copies, "npm-files.txt")?;
    let manifest = package_json(&source.join("package.json"), env!("CARGO_PKG_VERSION"))?;
    let target = out.join("package.json");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(manifest.as_str()) {
        std::fs::write(&target, manifest)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    note(&format!("{} files, {updated} updated", copies.len() + 1));
    Ok(())
}

/// The package's package.json: `template` (kept by hand, so that the order of its keys, which
/// matters in "exports", stays as written) with `"version"` added after `"name"`.
fn package_json(template: &Path, version: &str) -> Result<String> {
    let text = std::fs::read_to_string(template)
        .map_err(|e| format!("cannot read {}: {e}", template.display()))?;
    with_version(&text, version).map_err(|e| format!("{}: {e}", template.display()))
}

fn with_version(text: &str, version: &str) -> Result<String> {
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if parsed.get("version").is_some() {
        bail!("has a \"version\"; the build sets it from the workspace's Cargo.toml");
    }
    let name_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("\"name\":"))
        .ok_or("has no \"name\" line")?;
    let indent = &name_line[..name_line.len() - name_line.trim_start().len()];
    let version_line = format!("{indent}\"version\": {},", serde_json::Value::from(version));
    let out = text.replacen(name_line, &format!("{name_line}\n{version_line}"), 1);
    let reparsed: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("not JSON with the version: {e}"))?;
    if reparsed.get("version").and_then(|v| v.as_str()) != Some(version) {
        bail!("the version did not land at the top level");
    }
    Ok(out)
}

/// What the worker downloads (worker-runtime/js/worker.mjs, loadAssets): the default set, and
/// with `packages: ['numpy']` the numpy interpreter and bundle.
const WORKER_ASSETS: [&str; 5] = [
    "runtime/worker_runtime_bg.wasm",
    "python.wasm",
    "python-stdlib.zip",
    "python-numpy.wasm",
    "python-numpy-lib.zip",
];

/// Writes dist/asset-sizes.json, the sizes of the worker's downloads, for its progress reports: a
/// server that compresses sends the compressed size as Content-Length, not the body's.
fn asset_sizes(p: &Paths) -> Result {
    let mut sizes = serde_json::Map::new();
    for name in WORKER_ASSETS {
        if let Ok(m) = std::fs::metadata(p.dist.join(name)) {
            sizes.insert(name.to_owned(), m.len().into());
        }
    }
    let file = p.dist.join("asset-sizes.json");
    let json = serde_json::to_string_pretty(&sizes).expect("a map serialises") + "\n";
    if std::fs::read_to_string(&file).ok().as_deref() == Some(json.as_str()) {
        return Ok(());
    }
    std::fs::create_dir_all(&p.dist)
        .and_then(|()| std::fs::write(&file, json))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// Builds coi-server (native; cargo decides what to recompile) and returns its binary.
pub fn coi_server(p: &Paths) -> Result<PathBuf> {
    step("coi-server");
    run(Command::new("cargo")
        .args(["build", "--quiet", "-p", "coi-server"])
        .current_dir(&p.repo))?;
    Ok(p.target.join("debug/coi-server"))
}

/// True when the artifacts `node dist/cli.mjs` needs are all present.
pub fn dist_complete(p: &Paths) -> bool {
    [
        "python.wasm",
        "python-stdlib.zip",
        "runtime/worker_runtime.js",
        "runtime/worker_runtime_bg.wasm",
        "main/main_thread_client.js",
        "main/main_thread_client_bg.wasm",
        "cli.mjs",
        "weft.mjs",
    ]
    .iter()
    .all(|f| p.dist.join(f).is_file())
}

fn guest(p: &Paths, force: bool) -> Result {
    step("guest: python.wasm + python-stdlib.zip, python-numpy.wasm + python-numpy-lib.zip (guest/build.sh)");
    let script = p.repo.join("guest/build.sh");
    if !script.is_file() {
        bail!("guest/build.sh is missing from this checkout: cannot build python.wasm");
    }
    let mut inputs = Fingerprint::new("guest v1");
    inputs.tree(&p.repo.join("guest"));
    for var in ["WEFT_SOURCES", "WEFT_CACHE", "JOBS"] {
        inputs.str(var).str(&std::env::var(var).unwrap_or_default());
    }
    let outputs = [
        "python.wasm",
        "python-stdlib.zip",
        "python-numpy.wasm",
        "python-numpy-lib.zip",
    ]
    .iter()
    .map(|f| p.dist.join(f))
    .collect();
    let stamp = Stamp::new(p, "guest", &inputs, outputs);
    if stamp.fresh(force) {
        note("up to date (guest/ unchanged since the last build; `cargo xtask build --force` reruns it)");
        return Ok(());
    }
    stamp.clear();
    run(Command::new("bash")
        .arg(&script)
        .arg("--dist")
        .arg(&p.dist)
        .current_dir(&p.repo))?;
    stamp.save()
}

/// One crate compiled to wasm32 and passed through wasm-bindgen (`--target web`).
struct BindgenCrate {
    /// Cargo package; its wasm file and the `--out-name` are its name with `_`.
    package: &'static str,
    /// Threaded build (nightly, build-std, [`RUNTIME_RUSTFLAGS`]) or a plain one.
    threads: bool,
    /// Own target dir under target/: each set of RUSTFLAGS would invalidate the others' builds.
    target_dir: &'static str,
    /// Output directory under dist/.
    out_dir: &'static str,
}

/// The interpreter worker's runtime: threaded, because every Python thread's worker shares its
/// memory (file systems, fd table).
const RUNTIME: BindgenCrate = BindgenCrate {
    package: "worker-runtime",
    threads: true,
    target_dir: "wasm-threads",
    out_dir: "runtime",
};
/// The main side of the sync-io channel: no atomics, the page's main thread never blocks.
const MAIN_CHANNEL: BindgenCrate = BindgenCrate {
    package: "main-thread-client",
    threads: false,
    target_dir: "wasm-main",
    out_dir: "main",
};

fn runtime(p: &Paths, force: bool) -> Result {
    step("runtime: worker-runtime (threaded wasm32) + main-thread-client (wasm32) + wasm-bindgen");
    bindgen_crate(p, force, &RUNTIME)?;
    bindgen_crate(p, force, &MAIN_CHANNEL)
}

fn bindgen_crate(p: &Paths, force: bool, c: &BindgenCrate) -> Result {
    let target_dir = p.target.join(c.target_dir);
    let mut cargo = Command::new("cargo");
    if c.threads {
        let sysroot = toolchain_sysroot(NIGHTLY, &nightly_install_line())?;
        if !sysroot.join("lib/rustlib/src/rust/library/std").is_dir() {
            bail!("{NIGHTLY} has no rust-src component: run `rustup component add rust-src --toolchain {NIGHTLY}`");
        }
        cargo.arg(format!("+{NIGHTLY}"));
    }
    cargo.args([
        "build",
        "--release",
        "-p",
        c.package,
        "--target",
        "wasm32-unknown-unknown",
    ]);
    if c.threads {
        cargo
            .args(["-Z", "build-std=std,panic_abort"])
            .env("RUSTFLAGS", RUNTIME_RUSTFLAGS);
    } else {
        cargo.env_remove("RUSTFLAGS");
    }
    // cargo's own fingerprints decide what to recompile: a no-op build takes about a second.
    run(cargo
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .current_dir(&p.repo))?;
    let name = c.package.replace('-', "_");
    let wasm = target_dir.join(format!("wasm32-unknown-unknown/release/{name}.wasm"));
    let wasm_bindgen = ensure_wasm_bindgen(p)?;
    let out = p.dist.join(c.out_dir);
    let mut inputs = Fingerprint::new("bindgen v1");
    inputs
        .meta(&wasm)
        .str(WASM_BINDGEN_VERSION)
        .str(&out.to_string_lossy());
    let outputs = vec![
        out.join(format!("{name}.js")),
        out.join(format!("{name}_bg.wasm")),
    ];
    let stamp = Stamp::new(p, c.package, &inputs, outputs);
    if stamp.fresh(force) {
        note(&format!("wasm-bindgen: up to date ({name}.wasm unchanged)"));
        return Ok(());
    }
    stamp.clear();
    let _ = std::fs::remove_dir_all(&out); // no stale snippets
    run(Command::new(&wasm_bindgen)
        .args(["--target", "web", "--out-dir"])
        .arg(&out)
        .args(["--out-name", &name])
        .arg(&wasm))?;
    stamp.save()
}

/// The pinned wasm-bindgen CLI (it must match the `wasm-bindgen` crate exactly), installed under
/// the cache on first use.
pub fn ensure_wasm_bindgen(p: &Paths) -> Result<PathBuf> {
    let bin = p.wasm_bindgen();
    let root = bin
        .parent()
        .and_then(Path::parent)
        .expect("bin/wasm-bindgen has a root")
        .to_owned();
    if !bin.is_file() {
        step(&format!(
            "installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} into {} (once, a few minutes)",
            root.display()
        ));
        toolchain_sysroot(STABLE, &stable_install_line())?;
        let install = || {
            let mut c = Command::new("cargo");
            c.arg(format!("+{STABLE}"))
                .args([
                    "install",
                    "wasm-bindgen-cli",
                    "--version",
                    &format!("={WASM_BINDGEN_VERSION}"),
                    "--root",
                ])
                .arg(&root)
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_TARGET_DIR");
            c
        };
        if run(install().arg("--locked")).is_err() {
            // Seen on these machines: the lock file pins webpki-roots 1.0.11, which the registry
            // mirror does not have; an unlocked resolve picks 1.0.10 and builds.
            note("the --locked install failed (a locked dependency version may be missing from the registry); retrying without --locked");
            run(&mut install())?;
        }
    }
    let version = output_of(Command::new(&bin).arg("--version")).unwrap_or_default();
    if version != format!("wasm-bindgen {WASM_BINDGEN_VERSION}") {
        bail!(
            "{} reports {version:?}, expected \"wasm-bindgen {WASM_BINDGEN_VERSION}\": delete {} and rerun",
            bin.display(),
            root.display()
        );
    }
    Ok(bin)
}

/// The pages' third-party code, installed by npm from main-thread-client/www-vendor/ (pinned by
/// its lock), as (file under its node_modules/, name under dist/vendor/): the ESM builds and CSS
/// the pages import, and each package's license.
const VENDOR_FILES: [(&str, &str); 5] = [
    ("@xterm/xterm/lib/xterm.mjs", "xterm.mjs"),
    ("@xterm/xterm/css/xterm.css", "xterm.css"),
    ("@xterm/xterm/LICENSE", "xterm-LICENSE.txt"),
    ("@xterm/addon-fit/lib/addon-fit.mjs", "addon-fit.mjs"),
    ("@xterm/addon-fit/LICENSE", "addon-fit-LICENSE.txt"),
];

fn file_name(f: &Path) -> String {
    f.file_name().unwrap().to_string_lossy().into_owned()
}

/// The client's and the worker's modules and types (copied flat into dist/).
fn js_sources(p: &Paths) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["main-thread-client/js", "worker-runtime/js"] {
        let Ok(entries) = std::fs::read_dir(p.repo.join(dir)) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|f| f.is_file())
            .filter(|f| {
                let name = file_name(f);
                name.ends_with(".mjs") || name.ends_with(".d.ts")
            })
            .collect();
        names.sort();
        files.extend(names);
    }
    files
}

/// Copies the JS (client, CLI, worker), the pages (REPL, demos) and their vendor files into
/// dist/, only what changed, and removes files it copied before whose source is gone.
fn js(p: &Paths) -> Result {
    step("js: client, CLI, worker, pages and their vendor files into dist/");
    let vendor = p.repo.join("main-thread-client/www-vendor");
    npm_ci(p, &vendor, "npm-ci-www-vendor")?;
    let mut copies: Vec<(PathBuf, PathBuf)> = js_sources(p)
        .into_iter()
        .map(|f| {
            let to = p.dist.join(file_name(&f));
            (f, to)
        })
        .collect();
    let www = p.repo.join("main-thread-client/www");
    for f in files_under(&www) {
        let rel = f.strip_prefix(&www).unwrap().to_owned();
        copies.push((f, p.dist.join(rel)));
    }
    for (from, to) in VENDOR_FILES {
        copies.push((
            vendor.join("node_modules").join(from),
            p.dist.join("vendor").join(to),
        ));
    }
    let mut seen = std::collections::BTreeMap::new();
    for (src, dst) in &copies {
        if let Some(other) = seen.insert(dst.clone(), src.clone()) {
            bail!(
                "{} and {} would both be copied to {}",
                p.show(&other),
                p.show(src),
                p.show(dst)
            );
        }
    }
    if !copies.iter().any(|(_, d)| d.ends_with("weft.mjs")) {
        note("warning: main-thread-client/js/weft.mjs does not exist yet");
    }
    let updated = sync_files(p, &copies, "js-files.txt")?;
    note(&format!("{} files, {updated} updated", copies.len()));
    Ok(())
}

/// Makes each `(src, dst)` a copy of its source, writing only what differs, and removes the
/// files that an earlier run listed in `manifest` (under target/xtask/) and this one does not.
/// Returns how many it wrote.
fn sync_files(p: &Paths, copies: &[(PathBuf, PathBuf)], manifest: &str) -> Result<usize> {
    let mut updated = 0;
    for (src, dst) in copies {
        let bytes =
            std::fs::read(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        if std::fs::read(dst).ok().as_deref() != Some(&bytes[..]) {
            if let Some(d) = dst.parent() {
                std::fs::create_dir_all(d)
                    .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
            }
            std::fs::write(dst, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", dst.display()))?;
            updated += 1;
        }
    }
    // Files copied by an earlier run whose source has disappeared.
    let manifest = p.stamps.join(manifest);
    let now: Vec<String> = copies
        .iter()
        .map(|(_, d)| d.to_string_lossy().into_owned())
        .collect();
    if let Ok(before) = std::fs::read_to_string(&manifest) {
        for old in before.lines().filter(|l| !now.iter().any(|n| n == l)) {
            if std::fs::remove_file(old).is_ok() {
                note(&format!("removed stale {}", p.show(Path::new(old))));
            }
        }
    }
    std::fs::create_dir_all(&p.stamps)
        .map_err(|e| format!("cannot create {}: {e}", p.stamps.display()))?;
    std::fs::write(&manifest, now.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_gets_the_version_after_its_name_and_keeps_its_order() {
        let template = "{\n  \"name\": \"weft-python\",\n  \"exports\": {\n    \".\": {\n      \"types\": \"./weft.d.ts\",\n      \"default\": \"./weft.mjs\"\n    }\n  }\n}\n";
        let out = with_version(template, "1.2.3").unwrap();
        assert!(out.starts_with(
            "{\n  \"name\": \"weft-python\",\n  \"version\": \"1.2.3\",\n  \"exports\""
        ));
        // "exports" conditions are tried in order: "types" must stay first.
        assert!(out.find("\"types\"").unwrap() < out.find("\"default\"").unwrap());
    }

    #[test]
    fn package_json_template_must_leave_the_version_to_the_build() {
        assert!(with_version("{\"name\": \"x\", \"version\": \"0.0.1\"}", "1.0.0").is_err());
        assert!(with_version("{\"private\": true}", "1.0.0").is_err());
        assert!(with_version("not json", "1.0.0").is_err());
    }

    #[test]
    fn the_repository_template_is_valid() {
        let p = Paths::new();
        let out = package_json(
            &p.repo.join("main-thread-client/npm/package.json"),
            env!("CARGO_PKG_VERSION"),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["name"], "weft-python");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    }
}
