//! `cargo xtask <command>`: Weft's single entry point. Every step prints what it runs (on
//! stderr; stdout carries only reports, and Python's own output for `run`).

mod bench;
mod build;
mod conformance;
mod licenses;
mod precompress;
mod sizes;
mod test;
mod util;

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

use util::{bail, describe, require_node, step, Paths, Result};

#[derive(Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "Build, run, serve, test and benchmark Weft"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build dist/: python.wasm + stdlib (guest/build.sh), the runtime wasm (+ wasm-bindgen),
    /// the JS files; then print the sizes of what a page fetches.
    Build {
        /// Rerun the steps even if their inputs are unchanged.
        #[arg(long)]
        force: bool,
        /// Only these steps (default: all).
        #[arg(value_enum)]
        steps: Vec<build::Step>,
    },
    /// Build what is missing, then `node dist/cli.mjs <python args>` (same stdio, same exit code).
    Run {
        /// Arguments for Python, after `--`: `cargo xtask run -- -c 'print(1)'`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Build, then serve dist/ with cross-origin isolation headers (coi-server).
    Serve {
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Open the page in the desktop's browser (xdg-open).
        #[arg(long)]
        open: bool,
    },
    /// Build, then run every test suite and print `N passed, N failed`.
    Test {
        /// Only these suites (default: all).
        #[arg(value_enum)]
        suites: Vec<test::Suite>,
    },
    /// Size, start-up and speed against native CPython and Pyodide, then sync-io, threads and
    /// runtime parallel work in Node and Chromium (target/bench/report.md and report.json).
    Bench {
        /// Fewer repetitions: rough figures in a few minutes, for development.
        #[arg(long)]
        quick: bool,
        /// Rewrite README.md's performance summary from this run's figures.
        #[arg(long)]
        update_readme: bool,
    },
    /// CPython's own regression tests (Lib/test) and numpy's own test suite under Weft in Node,
    /// against the checked-in expectation files (tests/conformance/README.md).
    Conformance {
        /// Suites to run (default: full, the whole of Lib/test; ci is the few-minute subset;
        /// numpy and numpy-ci: numpy's tests).
        #[arg(value_enum)]
        suites: Vec<conformance::Suite>,
        /// Test modules run at once, each in its own Node process (default 2).
        #[arg(long)]
        jobs: Option<u32>,
        /// Time limit per module in seconds (default: the suite's own).
        #[arg(long)]
        timeout: Option<u32>,
        /// Only this module (test_os or test.test_os; numpy: test_umath or
        /// numpy._core.tests.test_umath); repeatable.
        #[arg(long)]
        only: Vec<String>,
        /// Also fail when listed outcomes improved (a listed test passes): the file needs tightening.
        #[arg(long)]
        strict: bool,
        /// Also run the modules and tests listed as HANG, to see whether they still hang.
        #[arg(long)]
        run_hanging: bool,
        /// numpy suites: numpy.testing.IS_WASM off, so the tests numpy skips under wasm run too
        /// (to explore; reports in target/conformance/<suite>-not-wasm/).
        #[arg(long)]
        not_wasm: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let p = Paths::new();
    let result = match cli.command {
        Cmd::Build { force, steps } => build::build(&p, &build::Options { force, only: steps })
            .and_then(|()| {
                let rows = sizes::table(&p)?;
                sizes::print(&rows);
                let numpy = sizes::numpy_table(&p)?;
                if !numpy.is_empty() {
                    println!("\nWith `packages: ['numpy']` python-numpy.wasm replaces python.wasm, plus numpy's files:");
                    sizes::print(&numpy);
                }
                Ok(ExitCode::SUCCESS)
            }),
        Cmd::Run { args } => run_python(&p, &args),
        Cmd::Serve { port, open } => serve(&p, port, open),
        Cmd::Test { suites } => test::test(&p, &suites).map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }),
        Cmd::Bench {
            quick,
            update_readme,
        } => build::build(&p, &build::Options::default())
            .and_then(|()| require_node())
            .and_then(|()| {
                bench::bench(
                    &p,
                    &bench::Options {
                        quick,
                        update_readme,
                    },
                )
            })
            .map(|()| ExitCode::SUCCESS),
        Cmd::Conformance {
            suites,
            jobs,
            timeout,
            only,
            strict,
            run_hanging,
            not_wasm,
        } => conformance::conformance(
            &p,
            &suites,
            &conformance::Options {
                jobs,
                timeout,
                only,
                strict,
                run_hanging,
                not_wasm,
            },
        )
        .map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds only when something is missing, so that `run` starts fast; `cargo xtask build`
/// refreshes an existing dist/.
fn run_python(p: &Paths, args: &[OsString]) -> Result<ExitCode> {
    require_node()?;
    if !build::dist_complete(p) {
        step("dist/ is incomplete: building it first");
        build::build(p, &build::Options::default())?;
        if !build::dist_complete(p) {
            bail!("dist/ is still incomplete after the build (is main-thread-client/js/cli.mjs in this checkout?)");
        }
    }
    let mut cmd = Command::new("node");
    cmd.arg(p.dist.join("cli.mjs")).args(args);
    eprintln!("+ {}", describe(&cmd));
    use std::os::unix::process::CommandExt;
    let err = cmd.exec(); // only returns on failure; on success Python's exit code is ours
    bail!("cannot start node: {err}")
}

fn serve(p: &Paths, port: u16, open: bool) -> Result<ExitCode> {
    build::build(p, &build::Options::default())?;
    let server = build::coi_server(p)?;
    let mut cmd = Command::new(&server);
    cmd.arg("--root")
        .arg(&p.dist)
        .arg("--port")
        .arg(port.to_string());
    if open {
        cmd.arg("--open");
    }
    let what = if p.dist.join("index.html").is_file() {
        "the URL below is the Python REPL page, with the demos linked from it"
    } else {
        "no index.html in dist/: open weft.mjs's folder from the URL below"
    };
    println!("serving {} ({what}; Ctrl-C stops it)", p.show(&p.dist));
    let _ = std::io::stdout().flush();
    eprintln!("+ exec {}", describe(&cmd));
    // The server replaces this process, so Ctrl-C and SIGTERM reach it directly and nothing is
    // left running behind a killed xtask.
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    Err(format!("cannot start {}: {e}", server.display()))
}
