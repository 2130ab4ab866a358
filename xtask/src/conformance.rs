//! `cargo xtask conformance`: CPython's own regression tests (Lib/test, what `python -m test`
//! runs) and numpy's own test suite (pytest) under Weft in Node. One runner,
//! tests/conformance/run.mjs, runs a suite's modules in parallel worker processes against a test
//! bundle (guest/test-bundle.sh; for numpy guest/numpy-tests.sh), compares every outcome with the
//! suite's checked-in expectation file, ends with a line `<suite>: N passed, ...` and exits
//! non-zero when something differs from that file. This prints one row per suite and a total.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::build;
use crate::util::{describe, note, require_node, step, Paths, Result};

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Suite {
    /// the threading modules, every resource on, every non-pass listed (threads-expected.txt)
    Threads,
    /// about 100 modules chosen for breadth, about 3 minutes on 2 cores (expected.txt)
    Ci,
    /// every module regrtest would run (480), as `python -m test` runs them (expected.txt);
    /// about 9 minutes on 2 cores
    Full,
    /// numpy's tests of _core (test_multiarray, test_umath, test_numeric, test_dtype,
    /// test_ufunc), linalg, fft and random, with pytest (numpy-expected.txt); about 2 minutes on 2
    /// cores
    Numpy,
    /// 11 of `numpy`'s 20 modules, less its 12,000 sort kernel cases: about 1 minute
    /// (numpy-expected.txt)
    NumpyCi,
    /// every test module of numpy (177), with pytest (numpy-expected.txt); about 7 minutes
    NumpyFull,
}

impl Suite {
    fn name(self) -> &'static str {
        match self {
            Suite::Threads => "threads",
            Suite::Ci => "ci",
            Suite::Full => "full",
            Suite::Numpy => "numpy",
            Suite::NumpyCi => "numpy-ci",
            Suite::NumpyFull => "numpy-full",
        }
    }
}

/// The suites `cargo xtask test` runs: about 4.5 minutes together.
pub const TEST_SUITES: &[Suite] = &[Suite::Threads, Suite::Ci, Suite::NumpyCi];

/// Options passed through to run.mjs.
#[derive(Default, Clone)]
pub struct Options {
    pub jobs: Option<u32>,
    pub timeout: Option<u32>,
    pub only: Vec<String>,
    pub strict: bool,
    pub run_hanging: bool,
    pub not_wasm: bool,
}

pub struct Outcome {
    pub name: &'static str,
    /// Tests (CPython's or numpy's) that passed, if the suite got as far as its summary.
    pub passed: Option<u64>,
    pub summary: String,
    /// Every outcome matched the expectation file.
    pub ok: bool,
    pub seconds: f64,
}

/// Runs the suites on dist/ as it is (`cargo xtask test` builds first).
pub fn run_all(p: &Paths, suites: &[Suite], o: &Options) -> Vec<Outcome> {
    suites.iter().map(|s| run_suite(p, *s, o)).collect()
}

pub fn conformance(p: &Paths, suites: &[Suite], o: &Options) -> Result<bool> {
    require_node()?;
    // Like `run`: build only what is missing; the suites test dist/ as it is.
    if build::dist_complete(p) {
        note("testing dist/ as it is (`cargo xtask build` refreshes it)");
    } else {
        step("dist/ is incomplete: building it first");
        build::build(p, &build::Options::default())?;
    }
    let suites = if suites.is_empty() {
        note("suite `full`: every module of Lib/test, about 9 minutes on 2 cores; `cargo xtask conformance ci` runs a 3-minute subset");
        &[Suite::Full][..]
    } else {
        suites
    };
    let outcomes = run_all(p, suites, o);

    println!();
    println!("{:<12} {:>7} {:>9}  result", "suite", "passed", "seconds");
    for o in &outcomes {
        let passed = o.passed.map_or("-".to_owned(), |n| n.to_string());
        let status = if o.ok { "ok" } else { "DIFFERS" };
        println!(
            "{:<12} {:>7} {:>9.1}  {status}: {}",
            o.name, passed, o.seconds, o.summary
        );
    }
    let total: u64 = outcomes.iter().filter_map(|o| o.passed).sum();
    let bad = outcomes.iter().filter(|o| !o.ok).count();
    println!(
        "conformance: {total} tests passed; {} of {} suites match their expectations",
        outcomes.len() - bad,
        outcomes.len()
    );
    let _ = std::io::stdout().flush();
    Ok(bad == 0)
}

/// Runs one suite's script, echoing its stdout and keeping its `<name>: ...` summary line.
fn run_suite(p: &Paths, s: Suite, o: &Options) -> Outcome {
    let name = s.name();
    step(&format!(
        "conformance {name}: node tests/conformance/run.mjs {name}"
    ));
    let t = Instant::now();
    let mut cmd = Command::new("node");
    cmd.arg(p.repo.join("tests/conformance/run.mjs")).arg(name);
    if let Some(j) = o.jobs {
        cmd.arg("--jobs").arg(j.to_string());
    }
    if let Some(t) = o.timeout {
        cmd.arg("--timeout").arg(t.to_string());
    }
    for m in &o.only {
        cmd.arg("--only").arg(m);
    }
    if o.strict {
        cmd.arg("--strict");
    }
    if o.run_hanging {
        cmd.arg("--run-hanging");
    }
    if o.not_wasm {
        cmd.arg("--not-wasm");
    }
    cmd.env("WEFT_DIST", &p.dist)
        .env("WEFT_CACHE", &p.cache)
        .current_dir(&p.repo)
        .stdout(Stdio::piped());
    eprintln!("+ {}", describe(&cmd));
    let failed = |why: String| Outcome {
        name,
        passed: None,
        summary: why,
        ok: false,
        seconds: t.elapsed().as_secs_f64(),
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start node: {e}")),
    };
    let prefix = format!("{name}: ");
    let mut summary = None;
    for line in BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(std::result::Result::ok)
    {
        println!("{line}");
        if let Some(rest) = line.strip_prefix(&prefix) {
            summary = Some(rest.to_owned());
        }
    }
    let status = match child.wait() {
        Ok(s) => s,
        Err(e) => return failed(format!("cannot wait for node: {e}")),
    };
    let Some(summary) = summary else {
        return failed(format!(
            "ended ({status}) without a summary line (see output above)"
        ));
    };
    let passed = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u64>().ok());
    Outcome {
        name,
        passed,
        summary,
        ok: status.success(),
        seconds: t.elapsed().as_secs_f64(),
    }
}
