//! `cargo xtask conformance`: CPython's own test suite under Weft in Node. Each suite is a Node
//! script in tests/conformance/ that runs some of CPython's test modules, compares every outcome
//! with its checked-in expectation file, ends with a line `<suite>: N passed, ...` and exits
//! non-zero when something differs from that file. This prints one row per suite and a total.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::build;
use crate::util::{describe, note, require_node, step, Paths, Result};

struct Suite {
    name: &'static str,
    /// Relative to the repo.
    script: &'static str,
}

/// More suites (other areas of Lib/test) go here, each with its own script and expectation file.
const SUITES: &[Suite] = &[Suite {
    name: "threads",
    script: "tests/conformance/threads.mjs",
}];

pub struct Outcome {
    pub name: &'static str,
    /// CPython tests that passed, if the suite got as far as its summary.
    pub passed: Option<u64>,
    pub summary: String,
    /// Every outcome matched the expectation file.
    pub ok: bool,
    pub seconds: f64,
}

/// Runs every suite on dist/ as it is (`cargo xtask test` builds first).
pub fn run_all(p: &Paths) -> Vec<Outcome> {
    SUITES.iter().map(|s| run_suite(p, s)).collect()
}

pub fn conformance(p: &Paths) -> Result<bool> {
    require_node()?;
    // Like `run`: build only what is missing; the suites test dist/ as it is.
    if build::dist_complete(p) {
        note("testing dist/ as it is (`cargo xtask build` refreshes it)");
    } else {
        step("dist/ is incomplete: building it first");
        build::build(p, &build::Options::default())?;
    }
    let outcomes = run_all(p);

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
        "conformance: {total} CPython tests passed; {} of {} suites match their expectations",
        outcomes.len() - bad,
        outcomes.len()
    );
    let _ = std::io::stdout().flush();
    Ok(bad == 0)
}

/// Runs one suite's script, echoing its stdout and keeping its `<name>: ...` summary line.
fn run_suite(p: &Paths, s: &Suite) -> Outcome {
    step(&format!("conformance {}: node {}", s.name, s.script));
    let t = Instant::now();
    let mut cmd = Command::new("node");
    cmd.arg(p.repo.join(s.script))
        .env("WEFT_DIST", &p.dist)
        .env("WEFT_CACHE", &p.cache)
        .current_dir(&p.repo)
        .stdout(Stdio::piped());
    eprintln!("+ {}", describe(&cmd));
    let failed = |why: String| Outcome {
        name: s.name,
        passed: None,
        summary: why,
        ok: false,
        seconds: t.elapsed().as_secs_f64(),
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start node: {e}")),
    };
    let prefix = format!("{}: ", s.name);
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
        name: s.name,
        passed,
        summary,
        ok: status.success(),
        seconds: t.elapsed().as_secs_f64(),
    }
}
