//! Shared plumbing: errors, paths, printing and running commands, stamps, prerequisite checks.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

pub type Result<T = ()> = std::result::Result<T, String>;

macro_rules! bail {
    ($($arg:tt)*) => { return Err(format!($($arg)*)) };
}
pub(crate) use bail;

/// The nightly that builds the threaded worker-runtime (must match rust-toolchain.toml).
pub const NIGHTLY: &str = "nightly-2026-05-20";
/// The stable toolchain that builds host tools (the wasm-bindgen CLI) and gives the guest its
/// wasm32-wasip1-threads libc.
pub const STABLE: &str = "1.95.0";
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// Where everything lives.
pub struct Paths {
    pub repo: PathBuf,
    pub dist: PathBuf,
    pub target: PathBuf,
    /// Stamps and caches of xtask itself.
    pub stamps: PathBuf,
    /// Outside the clone, shared with guest/build.sh (`$WEFT_CACHE`, default ~/.cache/weft).
    pub cache: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the repo")
            .to_owned();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(|t| repo.join(t))
            .unwrap_or_else(|| repo.join("target"));
        let cache = match std::env::var_os("WEFT_CACHE") {
            Some(c) if !c.is_empty() => PathBuf::from(c),
            _ => home().join(".cache/weft"),
        };
        Paths {
            dist: repo.join("dist"),
            stamps: target.join("xtask"),
            target,
            cache,
            repo,
        }
    }

    pub fn wasm_bindgen(&self) -> PathBuf {
        self.cache.join(format!(
            "tools/wasm-bindgen-{WASM_BINDGEN_VERSION}/bin/wasm-bindgen"
        ))
    }

    /// Relative to the repo when possible, for short messages.
    pub fn show(&self, p: &Path) -> String {
        p.strip_prefix(&self.repo)
            .unwrap_or(p)
            .display()
            .to_string()
    }
}

pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// Step headers and progress go to stderr, so that `cargo xtask run` keeps stdout for Python.
pub fn step(msg: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("\x1b[1m==> {msg}\x1b[0m");
    } else {
        eprintln!("==> {msg}");
    }
}

pub fn note(msg: &str) {
    eprintln!("    {msg}");
}

/// `cmd` as a shell-like line, with the environment variables we set on it.
pub fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            let _ = write!(s, "{}={} ", k.to_string_lossy(), quote(v));
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        s = format!("(cd {} && ", quote(dir.as_os_str())) + &s;
    }
    s.push_str(&quote(cmd.get_program()));
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&quote(a));
    }
    if cmd.get_current_dir().is_some() {
        s.push(')');
    }
    s
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=+:,@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Prints and runs `cmd` with stdout sent to our stderr (build chatter never reaches stdout).
pub fn run(cmd: &mut Command) -> Result {
    eprintln!("+ {}", describe(cmd));
    let status = cmd.stdout(stderr_stdio()).status().map_err(|e| {
        format!(
            "cannot start `{}`: {e}",
            cmd.get_program().to_string_lossy()
        )
    })?;
    if status.success() {
        Ok(())
    } else {
        bail!("`{}` failed ({status})", describe(cmd))
    }
}

pub fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::inherit(),
    }
}

/// Runs `cmd` and returns its stdout; its stderr goes to ours, and a failure is an error naming
/// the command.
pub fn stdout_of(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(stderr_stdio())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot start `{}`: {e}",
                cmd.get_program().to_string_lossy()
            )
        })?;
    if !out.status.success() {
        bail!("`{}` failed ({})", describe(cmd), out.status);
    }
    String::from_utf8(out.stdout)
        .map_err(|e| format!("`{}`: output is not UTF-8: {e}", describe(cmd)))
}

/// Runs `cmd` quietly and returns its trimmed stdout, or `None` if it cannot run or fails.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A rustup toolchain's sysroot, or a clear error saying how to install it.
pub fn toolchain_sysroot(toolchain: &str, install_hint: &str) -> Result<PathBuf> {
    match output_of(
        Command::new("rustc")
            .arg(format!("+{toolchain}"))
            .args(["--print", "sysroot"]),
    ) {
        Some(s) if !s.is_empty() => Ok(PathBuf::from(s)),
        _ => bail!("{toolchain} is not installed: run `{install_hint}`"),
    }
}

pub fn nightly_install_line() -> String {
    format!("rustup toolchain install {NIGHTLY} --profile minimal -c rust-src,rustfmt,clippy -t wasm32-unknown-unknown")
}

pub fn stable_install_line() -> String {
    format!("rustup toolchain install {STABLE} --profile minimal && rustup target add wasm32-wasip1-threads --toolchain {STABLE}")
}

/// Node 20 or newer, or a clear error.
pub fn require_node() -> Result {
    let Some(v) = output_of(Command::new("node").arg("--version")) else {
        bail!("node is not installed (or not on PATH): Weft needs Node.js 20 or newer");
    };
    let major: u32 = v
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        bail!("node {v} is too old: Weft needs Node.js 20 or newer");
    }
    Ok(())
}

/// FNV-1a (64-bit): a stable fingerprint for stamps. Not cryptographic; it does not need to be.
#[derive(Clone)]
pub struct Fingerprint(u64);

impl Fingerprint {
    pub fn new(label: &str) -> Fingerprint {
        let mut f = Fingerprint(0xcbf2_9ce4_8422_2325);
        f.bytes(label.as_bytes());
        f
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator, so that ("ab","c") and ("a","bc") differ.
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0100_0000_01b3);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// A file's path, size and modification time (or "missing").
    pub fn meta(&mut self, p: &Path) -> &mut Self {
        self.str(&p.to_string_lossy());
        match std::fs::metadata(p) {
            Ok(m) => {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .unwrap_or_default();
                self.str(&format!("{} {}", m.len(), mtime.as_nanos()))
            }
            Err(_) => self.str("missing"),
        }
    }

    /// A file's path and bytes (or "missing").
    pub fn content(&mut self, p: &Path) -> &mut Self {
        self.str(&p.to_string_lossy());
        match std::fs::read(p) {
            Ok(b) => self.bytes(&b),
            Err(_) => self.str("missing"),
        }
    }

    /// Every file under `dir` (sorted, recursive), by content.
    pub fn tree(&mut self, dir: &Path) -> &mut Self {
        for f in files_under(dir) {
            self.content(&f);
        }
        self
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// Files under `dir`, recursively, sorted; hidden entries skipped. Empty if `dir` is missing.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) => out.push(p),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// A build step's record of what it last produced: inputs' fingerprint + outputs' fingerprint.
/// The step is up to date when both still match (so a damaged or deleted output reruns it).
pub struct Stamp {
    file: PathBuf,
    inputs: String,
    outputs: Vec<PathBuf>,
}

impl Stamp {
    pub fn new(paths: &Paths, name: &str, inputs: &Fingerprint, outputs: Vec<PathBuf>) -> Stamp {
        Stamp {
            file: paths.stamps.join(format!("{name}.stamp")),
            inputs: inputs.hex(),
            outputs,
        }
    }

    fn outputs_fp(&self) -> Option<String> {
        let mut f = Fingerprint::new("outputs");
        for o in &self.outputs {
            if !o.exists() {
                return None;
            }
            f.meta(o);
        }
        Some(f.hex())
    }

    pub fn fresh(&self, force: bool) -> bool {
        if force {
            return false;
        }
        let (Ok(saved), Some(out)) = (std::fs::read_to_string(&self.file), self.outputs_fp())
        else {
            return false;
        };
        saved == format!("{}\n{}\n", self.inputs, out)
    }

    pub fn save(&self) -> Result {
        let out = self
            .outputs_fp()
            .ok_or_else(|| format!("a step did not produce all of {:?}", self.outputs))?;
        if let Some(d) = self.file.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        std::fs::write(&self.file, format!("{}\n{}\n", self.inputs, out))
            .map_err(|e| format!("cannot write {}: {e}", self.file.display()))
    }

    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

/// `npm ci` in `dir` (a package.json with its lock), skipped while both are unchanged since the
/// last install; `stamp` names the record in target/xtask/.
pub fn npm_ci(p: &Paths, dir: &Path, stamp: &str) -> Result {
    let mut inputs = Fingerprint::new("npm ci v1");
    inputs
        .content(&dir.join("package.json"))
        .content(&dir.join("package-lock.json"));
    let stamp = Stamp::new(
        p,
        stamp,
        &inputs,
        vec![dir.join("node_modules/.package-lock.json")],
    );
    if stamp.fresh(false) {
        note(&format!(
            "npm ci: up to date ({} unchanged)",
            p.show(&dir.join("package-lock.json"))
        ));
        return Ok(());
    }
    stamp.clear();
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))?;
    stamp.save()
}

pub fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.2} MB", bytes as f64 / (1u64 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> Paths {
        let dir = std::env::temp_dir().join(format!("xtask-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Paths {
            repo: dir.clone(),
            dist: dir.join("dist"),
            target: dir.join("target"),
            stamps: dir.join("target/xtask"),
            cache: dir.join("cache"),
        }
    }

    #[test]
    fn fingerprints_are_stable_and_separated() {
        assert_eq!(
            Fingerprint::new("a").str("bc").hex(),
            Fingerprint::new("a").str("bc").hex()
        );
        assert_ne!(
            Fingerprint::new("a").str("bc").hex(),
            Fingerprint::new("ab").str("c").hex()
        );
        assert_ne!(
            Fingerprint::new("a").str("b").str("c").hex(),
            Fingerprint::new("a").str("bc").hex()
        );
    }

    #[test]
    fn stamps_track_inputs_and_outputs() {
        let p = scratch("stamp");
        let out = p.repo.join("out.bin");
        let inputs = Fingerprint::new("inputs v1");
        let stamp = Stamp::new(&p, "step", &inputs, vec![out.clone()]);
        assert!(!stamp.fresh(false), "never built");
        assert!(stamp.save().is_err(), "output missing");
        std::fs::write(&out, b"1").unwrap();
        stamp.save().unwrap();
        assert!(stamp.fresh(false));
        assert!(!stamp.fresh(true), "--force");
        assert!(!Stamp::new(
            &p,
            "step",
            &Fingerprint::new("inputs v2"),
            vec![out.clone()]
        )
        .fresh(false));
        std::fs::write(&out, b"22").unwrap(); // output damaged
        assert!(!stamp.fresh(false));
        std::fs::remove_dir_all(&p.repo).unwrap();
    }

    #[test]
    fn describes_commands_like_a_shell() {
        let mut c = Command::new("node");
        c.args(["cli.mjs", "-c", "print('hi')"]).env("A", "b c");
        assert_eq!(
            describe(&c),
            "A='b c' node cli.mjs -c 'print('\\''hi'\\'')'"
        );
    }
}
