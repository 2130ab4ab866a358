//! `cargo xtask test`: build, native Rust tests, npm ci, the Node suites, the Chromium suite, the
//! npm package's suite, the CPython and numpy conformance suites (`cargo xtask conformance`), and
//! one summary line `N passed, N failed` (tests counted across all suites; a suite that cannot
//! run at all counts as one failure).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::build;
use crate::util::{describe, require_node, step, Paths, Result};

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Suite {
    /// `cargo test --workspace` (native)
    Rust,
    /// the sync-io channel model-checked with loom (`--cfg loom`, own target dir)
    Loom,
    /// `node --test tests/node/`
    Node,
    /// headless Chromium through playwright-core (`tests/browser/`)
    Browser,
    /// the npm package (dist/npm/) packed, installed, used from Node, type-checked, and built
    /// into an app by Vite that runs in Chromium (`tests/package/`)
    Package,
    /// CPython's and numpy's own tests under Weft in Node: the `threads`, `ci` and `numpy-ci`
    /// conformance suites
    Conformance,
}

struct Outcome {
    name: String,
    passed: u64,
    failed: u64,
    note: String,
    seconds: f64,
}

pub fn test(p: &Paths, only: &[Suite]) -> Result<bool> {
    let wanted = |s: Suite| only.is_empty() || only.contains(&s);
    let mut outcomes = Vec::new();
    let t = Instant::now();
    let built = build::build(p, &build::Options::default());
    let build_error = built.as_ref().err().cloned();
    outcomes.push(Outcome {
        name: "build".into(),
        passed: 0,
        failed: u64::from(build_error.is_some()),
        note: build_error.clone().unwrap_or_else(|| "ok".into()),
        seconds: t.elapsed().as_secs_f64(),
    });
    if let Some(e) = &build_error {
        eprintln!("xtask: build failed: {e}");
    }

    if wanted(Suite::Rust) {
        outcomes.push(rust_suite(p));
        outcomes.push(blas_suite(p));
    }
    if wanted(Suite::Loom) {
        outcomes.push(loom_suite(p));
    }
    let js_suites: Vec<(Suite, &str, &str)> = vec![
        (Suite::Node, "node (tests/node)", "tests/node"),
        (Suite::Browser, "chromium (tests/browser)", "tests/browser"),
        (Suite::Package, "package (tests/package)", "tests/package"),
    ];
    let js_wanted: Vec<_> = js_suites.into_iter().filter(|(s, ..)| wanted(*s)).collect();
    if !js_wanted.is_empty() {
        let prereq = require_node()
            .and_then(|()| npm_ci(p))
            .and_then(|()| build::coi_server(p));
        for (_, name, dir) in js_wanted {
            let ready = match (&build_error, &prereq) {
                (Some(_), _) => Err("not run: the build failed".to_owned()),
                (_, Err(e)) => Err(format!("not run: {e}")),
                (None, Ok(coi)) => Ok(coi),
            };
            outcomes.push(match ready {
                Err(why) => Outcome {
                    name: name.into(),
                    passed: 0,
                    failed: 1,
                    note: why,
                    seconds: 0.0,
                },
                Ok(coi) => node_suite(p, name, &p.repo.join(dir), coi),
            });
        }
    }

    if wanted(Suite::Conformance) {
        if build_error.is_some() {
            outcomes.push(Outcome {
                name: "conformance".into(),
                passed: 0,
                failed: 1,
                note: "not run: the build failed".into(),
                seconds: 0.0,
            });
        } else {
            // Counted as one test per suite: the tests themselves are reported by the suite.
            let suites = crate::conformance::TEST_SUITES;
            for c in crate::conformance::run_all(p, suites, &Default::default()) {
                outcomes.push(Outcome {
                    name: format!("conformance {}", c.name),
                    passed: u64::from(c.ok),
                    failed: u64::from(!c.ok),
                    note: c.summary,
                    seconds: c.seconds,
                });
            }
        }
    }

    println!();
    println!(
        "{:<28} {:>7} {:>7} {:>9}  note",
        "suite", "passed", "failed", "seconds"
    );
    for o in &outcomes {
        println!(
            "{:<28} {:>7} {:>7} {:>9.1}  {}",
            o.name, o.passed, o.failed, o.seconds, o.note
        );
    }
    let passed: u64 = outcomes.iter().map(|o| o.passed).sum();
    let failed: u64 = outcomes.iter().map(|o| o.failed).sum();
    println!("{passed} passed, {failed} failed");
    let _ = std::io::stdout().flush();
    Ok(failed == 0)
}

/// `cargo test --workspace`, echoing its output and adding up its `test result:` lines.
fn rust_suite(p: &Paths) -> Outcome {
    step("rust: cargo test --workspace (native)");
    let t = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.args(["test", "--workspace"]).current_dir(&p.repo);
    cargo_test_suite("rust (cargo test)", &mut cmd, t)
}

/// guest/blas (numpy's BLAS, a wasm-only static library outside the workspace) tested on the
/// host with its pinned toolchain: every routine against naive loops.
fn blas_suite(p: &Paths) -> Outcome {
    step("rust: cargo test guest/blas (native)");
    let t = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.arg(format!("+{}", crate::util::STABLE))
        .args([
            "test",
            "--release",
            "--locked",
            "--manifest-path",
            "guest/blas/Cargo.toml",
        ])
        .env("CARGO_TARGET_DIR", p.target.join("guest-blas"))
        .current_dir(&p.repo);
    cargo_test_suite("rust (guest/blas)", &mut cmd, t)
}

/// Runs a `cargo test` command, adding up its `test result:` lines.
fn cargo_test_suite(name: &str, cmd: &mut Command, t: Instant) -> Outcome {
    let (passed, failed, ok) = run_counting(cmd, |line, passed, failed| {
        let (p, f) = rust_result_line(line);
        *passed += p;
        *failed += f;
    });
    finish(name, passed, failed, ok, t)
}

/// sync-io's loom models (sync-io/tests/loom.rs): every interleaving of a reply, an interrupt
/// and a time-out, up to the preemption bound the tests set. Release build in its own target
/// dir, because `--cfg loom` rebuilds every dependency.
fn loom_suite(p: &Paths) -> Outcome {
    step("loom: cargo test -p sync-io --release (--cfg loom)");
    let t = Instant::now();
    let mut cmd = Command::new("cargo");
    cmd.args(["test", "-p", "sync-io", "--release", "--test", "loom"])
        .env("RUSTFLAGS", "--cfg loom")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", p.target.join("loom"))
        .current_dir(&p.repo);
    cargo_test_suite("loom (sync-io model)", &mut cmd, t)
}

/// `node --test` over the suite's `*.test.mjs` files: spec output on stdout, TAP to a file we
/// count from.
fn node_suite(p: &Paths, name: &str, dir: &Path, coi_server: &Path) -> Outcome {
    step(&format!("{name}: node --test"));
    let t = Instant::now();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|f| f.to_string_lossy().ends_with(".test.mjs"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        return Outcome {
            name: name.into(),
            passed: 0,
            failed: 1,
            note: format!("no *.test.mjs in {}", p.show(dir)),
            seconds: 0.0,
        };
    }
    let artifacts = p.target.join("test-artifacts");
    let _ = std::fs::create_dir_all(&artifacts);
    let tap = p.stamps.join(format!(
        "{}.tap",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let _ = std::fs::create_dir_all(&p.stamps);
    let mut cmd = Command::new("node");
    cmd.args([
        "--test",
        "--test-timeout=600000",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
    ])
    .arg("--test-reporter=tap")
    .arg(format!("--test-reporter-destination={}", tap.display()))
    .args(&files)
    .env("WEFT_DIST", &p.dist)
    .env("WEFT_ARTIFACTS", &artifacts)
    .env("WEFT_COI_SERVER", coi_server)
    .current_dir(&p.repo);
    eprintln!("+ {}", describe(&cmd));
    let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
    let (passed, failed) = tap_summary(&std::fs::read_to_string(&tap).unwrap_or_default());
    finish(name, passed, failed, ok, t)
}

/// (passed, failed) from a libtest line "test result: ok. 5 passed; 0 failed; ...".
fn rust_result_line(line: &str) -> (u64, u64) {
    let (mut passed, mut failed) = (0, 0);
    if let Some(rest) = line.split("test result: ").nth(1) {
        for part in rest.split(['.', ';']) {
            let mut w = part.split_whitespace();
            if let (Some(n), Some(what)) = (w.next().and_then(|n| n.parse::<u64>().ok()), w.next())
            {
                match what {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    _ => {}
                }
            }
        }
    }
    (passed, failed)
}

/// (passed, failed) from node's TAP summary ("# pass N", "# fail N", "# cancelled N").
fn tap_summary(tap: &str) -> (u64, u64) {
    let (mut passed, mut failed) = (0, 0);
    for line in tap.lines() {
        let mut w = line.split_whitespace();
        if let (Some("#"), Some(what), Some(n)) = (
            w.next(),
            w.next(),
            w.next().and_then(|n| n.parse::<u64>().ok()),
        ) {
            match what {
                "pass" => passed = n,
                "fail" | "cancelled" => failed += n,
                _ => {}
            }
        }
    }
    (passed, failed)
}

fn finish(name: &str, passed: u64, mut failed: u64, ok: bool, t: Instant) -> Outcome {
    let note = if ok {
        "ok".to_owned()
    } else if failed == 0 {
        failed = 1; // it failed without reporting a failing test (compile error, crash, ...)
        "FAILED before reporting test results (see output above)".to_owned()
    } else {
        "FAILED".to_owned()
    };
    Outcome {
        name: name.into(),
        passed,
        failed,
        note,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Runs `cmd`, echoing stdout line by line while `count` inspects each line.
fn run_counting(
    cmd: &mut Command,
    mut count: impl FnMut(&str, &mut u64, &mut u64),
) -> (u64, u64, bool) {
    eprintln!("+ {}", describe(cmd));
    let (mut passed, mut failed) = (0, 0);
    let mut child = match cmd.stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot start {}: {e}", describe(cmd));
            return (0, 0, false);
        }
    };
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout)
        .lines()
        .map_while(std::result::Result::ok)
    {
        println!("{line}");
        count(&line, &mut passed, &mut failed);
    }
    let ok = child.wait().map(|s| s.success()).unwrap_or(false);
    (passed, failed, ok)
}

/// `npm ci` in tests/ (pinned playwright-core, Vite, TypeScript), skipped while package-lock.json
/// is unchanged.
fn npm_ci(p: &Paths) -> Result {
    step("npm ci (tests/)");
    crate::util::npm_ci(p, &p.repo.join("tests"), "npm-ci")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_lines() {
        assert_eq!(
            rust_result_line("test result: ok. 61 passed; 0 failed; 0 ignored; 0 measured"),
            (61, 0)
        );
        assert_eq!(
            rust_result_line("test result: FAILED. 3 passed; 2 failed; 1 ignored"),
            (3, 2)
        );
        assert_eq!(rust_result_line("test foo ... ok"), (0, 0));
    }

    #[test]
    fn counts_tap_summaries() {
        let tap =
            "ok 1 - x\n# tests 7\n# suites 1\n# pass 5\n# fail 1\n# cancelled 1\n# skipped 0\n";
        assert_eq!(tap_summary(tap), (5, 2));
        assert_eq!(tap_summary(""), (0, 0));
    }
}
