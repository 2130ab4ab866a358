//! `cargo xtask build`: guest (python.wasm + stdlib zip), runtime (threaded worker-runtime wasm +
//! wasm-bindgen), JS files; each step skipped when its stamp says nothing changed.

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
    // After every step, whichever ran: each one can rewrite a file that has variants.
    crate::precompress::precompress(p, o.force)?;
    Ok(())
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

/// Copies the JS (client, CLI, worker), the pages (REPL, demos) and their vendor files into
/// dist/, only what changed, and removes files it copied before whose source is gone.
fn js(p: &Paths) -> Result {
    step("js: client, CLI, worker, pages and their vendor files into dist/");
    let vendor = p.repo.join("main-thread-client/www-vendor");
    npm_ci(p, &vendor, "npm-ci-www-vendor")?;
    let mut copies: Vec<(PathBuf, PathBuf)> = Vec::new();
    for dir in ["main-thread-client/js", "worker-runtime/js"] {
        let dir = p.repo.join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|f| f.is_file())
            .collect();
        names.sort();
        for f in names {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".mjs") || name.ends_with(".d.ts") {
                copies.push((f, p.dist.join(name)));
            }
        }
    }
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
    let package = p.repo.join("main-thread-client/package.json");
    if package.is_file() {
        copies.push((package, p.dist.join("package.json")));
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
    let mut updated = 0;
    for (src, dst) in &copies {
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
    let manifest = p.stamps.join("js-files.txt");
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
    note(&format!("{} files, {updated} updated", copies.len()));
    Ok(())
}
