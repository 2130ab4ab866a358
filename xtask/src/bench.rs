//! `cargo xtask bench [--quick]`: Weft measured beside native CPython and Pyodide, the anchor.
//! Writes target/bench/report.md and report.json.
//!
//! - Size, start-up and speed (bench/speed.mjs): the files a page fetches to start (raw, gzip,
//!   brotli), cold and warm time to a first print, and 13 pure-Python programs
//!   (bench/programs/) timed inside Python, on native CPython (the build's own 3.13.5), Weft in
//!   Node and in headless Chromium, and Pyodide (bench/package.json, pinned) in Node and in a
//!   Chromium worker. Each start-up round and each program goes through every side before the
//!   next, so machine noise hits all sides alike.
//! - Latency and scaling (bench/sync-io.mjs, threads.mjs, archive.mjs, numpy.mjs through
//!   bench/driver.mjs): the sync-io channel, Python threads, the runtime's own parallel work, and
//!   numpy (start-up, single-thread operations, 1/2/4-thread scaling), in Node and Chromium;
//!   numpy's also natively (PyPI's numpy on the native CPython), as the reference.
//!
//! V8 runs wasm first in its baseline compiler and has no on-stack replacement, so a program's
//! first repetition is cold; figures are the median, min and max of the others.
//! `--quick` runs every part with fewer repetitions (a few minutes, for development).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{bail, human, output_of, step, Paths, Result};

pub struct Options {
    pub quick: bool,
    /// Rewrite the README's performance summary (between its bench markers) from this run.
    pub update_readme: bool,
}

/// The sides of the speed and start-up figures: JSON key and column title.
const SIDES: [(&str, &str); 5] = [
    ("native", "native"),
    ("weft_node", "Weft, Node"),
    ("weft_chromium", "Weft, Chromium"),
    ("pyodide_node", "Pyodide, Node"),
    ("pyodide_chromium", "Pyodide, Chromium"),
];

pub fn bench(p: &Paths, o: &Options) -> Result {
    let out_dir = p.target.join("bench");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    step("native reference: bash guest/build.sh --print native-python");
    let prefix = output_of(
        Command::new("bash")
            .arg(p.repo.join("guest/build.sh"))
            .args(["--print", "native-python"]),
    )
    .and_then(|o| o.lines().last().map(str::to_owned))
    .unwrap_or_default();
    let native = PathBuf::from(&prefix).join("bin/python3.13");
    if !native.is_file() {
        bail!("the native CPython build is not available (`bash guest/build.sh --print native-python` gave {prefix:?})");
    }
    step("npm ci (bench/: Pyodide; tests/: playwright-core)");
    crate::util::npm_ci(p, &p.repo.join("bench"), "npm-ci-bench")?;
    crate::util::npm_ci(p, &p.repo.join("tests"), "npm-ci")?;
    if o.quick && o.update_readme {
        bail!("--update-readme takes a full run's figures, not --quick's");
    }
    step("native numpy: bash guest/build.sh --print native-numpy");
    let native_numpy = crate::util::stdout_of(
        Command::new("bash")
            .arg(p.repo.join("guest/build.sh"))
            .args(["--print", "native-numpy"]),
    )
    .map(|o| PathBuf::from(o.trim()));
    let env = DriverEnv {
        native,
        native_numpy,
        coi_server: crate::build::coi_server(p)?,
        quick: o.quick,
    };

    let speed = driver(p, &env, &SPEED, "all");
    let sync_node = driver(p, &env, &SYNC_IO, "node");
    let sync_chromium = driver(p, &env, &SYNC_IO, "chromium");
    let threads_node = driver(p, &env, &THREADS, "node");
    let threads_chromium = driver(p, &env, &THREADS, "chromium");
    let archive_node = driver(p, &env, &ARCHIVE, "node");
    let archive_chromium = driver(p, &env, &ARCHIVE, "chromium");
    let numpy_node = driver(p, &env, &NUMPY, "node");
    let numpy_chromium = driver(p, &env, &NUMPY, "chromium");
    let numpy_native = driver(p, &env, &NUMPY, "native");
    let bridge_node = driver(p, &env, &BRIDGE, "node");
    let bridge_chromium = driver(p, &env, &BRIDGE, "chromium");

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let mut md = String::new();
    md.push_str("# Weft benchmark\n\n");
    md.push_str(&format!("{cores} cores, {cpu}."));
    if let Ok(v) = &speed {
        let ver = |k: &str| version(v, k);
        md.push_str(&format!(
            " Native CPython {}; Node {}; Chromium {} (headless); Pyodide {} (Python {}).",
            ver("native"),
            ver("node"),
            ver("chromium"),
            ver("pyodide"),
            ver("pyodide_python")
        ));
    }
    if o.quick {
        md.push_str(" **Quick run** (`--quick`): few repetitions, figures are rough.");
    }
    md.push('\n');
    let sizes = match &speed {
        Ok(v) => size_section(p, v),
        Err(e) => Err(e.clone()),
    };
    match (&speed, &sizes) {
        (Ok(v), Ok((md_sizes, _))) => {
            md.push_str(md_sizes);
            md.push_str(&startup_section(v));
            md.push_str(&speed_section(v));
        }
        (Err(e), _) | (_, Err(e)) => md.push_str(&format!(
            "\n**Size, start-up and speed were not measured:** {e}\n"
        )),
    }
    md.push_str(&sync_io_section(&sync_node, &sync_chromium));
    md.push_str(&threads_section(&threads_node, &threads_chromium));
    md.push_str(&archive_section(&archive_node, &archive_chromium));
    md.push_str(&numpy_section(&numpy_node, &numpy_chromium, &numpy_native));
    md.push_str(&bridge_section(&bridge_node, &bridge_chromium));
    let as_json = |r: &Result<Value>| match r {
        Ok(v) => v.clone(),
        Err(e) => json!({ "error": e }),
    };
    let report = json!({
        "cpu": cpu, "cores": cores, "quick": o.quick,
        "speed": as_json(&speed),
        "sizes": sizes.as_ref().map(|(_, j)| j.clone()).unwrap_or_else(|e| json!({ "error": e })),
        "sync_io": {"node": as_json(&sync_node), "chromium": as_json(&sync_chromium)},
        "threads": {"node": as_json(&threads_node), "chromium": as_json(&threads_chromium)},
        "archive": {"node": as_json(&archive_node), "chromium": as_json(&archive_chromium)},
        "bridge": {"node": as_json(&bridge_node), "chromium": as_json(&bridge_chromium)},
        "numpy": {"node": as_json(&numpy_node), "chromium": as_json(&numpy_chromium), "native": as_json(&numpy_native)},
    });
    if o.update_readme {
        let (Ok(v), Ok((_, sizes_json))) = (&speed, &sizes) else {
            bail!("--update-readme: size, start-up and speed were not measured (see above)");
        };
        let date = output_of(Command::new("date").args(["-u", "+%Y-%m-%d"])).unwrap_or_default();
        let summary = readme_summary(
            v,
            sizes_json,
            &format!("{cores} cores ({cpu})"),
            date.trim(),
        );
        update_readme(p, &summary)?;
    }
    std::fs::write(out_dir.join("report.md"), &md).map_err(|e| e.to_string())?;
    std::fs::write(
        out_dir.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .map_err(|e| e.to_string())?;
    println!("{md}");
    println!(
        "wrote {} and report.json",
        p.show(&out_dir.join("report.md"))
    );
    Ok(())
}

/// A version the speed run recorded (`versions.<k>`), or "?".
fn version(v: &Value, k: &str) -> String {
    v.get("versions")
        .and_then(|x| x.get(k))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// Median, min and max of `v` (NaN when empty).
fn stats(v: &[f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

fn floats(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// "median (min-max)" in ms.
fn spread_ms(v: &[f64]) -> String {
    let (m, lo, hi) = stats(v);
    if m.is_nan() {
        return "n/a".into();
    }
    format!("{} ({}-{})", fmt_ms(m), fmt_ms(lo), fmt_ms(hi))
}

/// `a / b` as "1.23x" ("n/a" when either is missing or `b` is not positive).
fn ratio(a: f64, b: f64) -> String {
    times_x(if b > 0.0 { a / b } else { f64::NAN })
}

/// The files each browser side fetched to start (from the cold start-ups), with sizes: the
/// markdown section and its JSON.
fn size_section(p: &Paths, v: &Value) -> Result<(String, Value)> {
    let mut md = String::from("\n## Size: every file fetched at start-up\n\n");
    md.push_str("| side | file | raw | gzip -9 | brotli 11 |\n|---|---|---:|---:|---:|\n");
    let mut totals = Vec::new();
    let mut out = serde_json::Map::new();
    for (side, title, base) in [
        ("weft_chromium", "Weft", p.dist.clone()),
        (
            "pyodide_chromium",
            "Pyodide",
            p.repo.join("bench/node_modules/pyodide"),
        ),
    ] {
        let files: Vec<(String, PathBuf)> = v
            .get("fetched")
            .and_then(|f| f.get(side))
            .and_then(Value::as_array)
            .ok_or_else(|| format!("no list of fetched files for {side}"))?
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|rel| {
                // The page's own files (the bench page, its worker) are not part of the runtime.
                let file = match side {
                    "pyodide_chromium" => base.join(rel.strip_prefix("pyodide/")?),
                    _ => base.join(rel),
                };
                file.is_file().then(|| (rel.to_owned(), file))
            })
            .collect();
        let rows = crate::sizes::measure_files(p, &files)?;
        let mut list = Vec::new();
        for r in &rows {
            md.push_str(&format!(
                "| {title} | {} | {} | {} | {} |\n",
                r.file,
                human(r.raw),
                human(r.gzip),
                human(r.brotli)
            ));
            list.push(json!({"file": r.file, "raw": r.raw, "gzip": r.gzip, "brotli": r.brotli}));
        }
        let (raw, gz, br) = crate::sizes::totals(&rows);
        md.push_str(&format!(
            "| **{title} total** | {} files | **{}** | **{}** | **{}** |\n",
            rows.len(),
            human(raw),
            human(gz),
            human(br)
        ));
        totals.push((raw, gz, br));
        out.insert(
            side.into(),
            json!({"files": list, "raw": raw, "gzip": gz, "brotli": br}),
        );
    }
    if let [w, py] = totals[..] {
        md.push_str(&format!(
            "\nWeft / Pyodide: raw {}, gzip {}, brotli {}. Files as fetched by the start-up pages \
(bench/web/), from Chromium's request log of a cold start; the bench page and Pyodide's worker \
script are left out.\n",
            ratio(w.0 as f64, py.0 as f64),
            ratio(w.1 as f64, py.1 as f64),
            ratio(w.2 as f64, py.2 as f64)
        ));
    }
    Ok((md, Value::Object(out)))
}

fn startup_section(v: &Value) -> String {
    let runs = v.get("startup_runs").and_then(Value::as_u64).unwrap_or(0);
    let mut md = String::from("\n## Start-up: time to a first `print`\n\n");
    md.push_str("| side | cold: median (min-max) | warm: median (min-max) | warm / native | vs Pyodide (cold, warm) |\n|---|---:|---:|---:|---:|\n");
    let get =
        |side: &str, kind: &str| floats(v.get("startup").and_then(|s| s.get(side)?.get(kind)));
    let native = stats(&get("native", "warm")).0;
    for (side, title) in SIDES {
        let (cold, warm) = (get(side, "cold"), get(side, "warm"));
        let vs = match side {
            "weft_node" | "weft_chromium" => {
                let anchor = side.replace("weft", "pyodide");
                format!(
                    "{}, {}",
                    ratio(stats(&cold).0, stats(&get(&anchor, "cold")).0),
                    ratio(stats(&warm).0, stats(&get(&anchor, "warm")).0)
                )
            }
            _ => String::new(),
        };
        md.push_str(&format!(
            "| {title} | {} | {} | {} | {vs} |\n",
            if cold.is_empty() {
                "-".into()
            } else {
                spread_ms(&cold)
            },
            spread_ms(&warm),
            ratio(stats(&warm).0, native),
        ));
    }
    md.push_str(&format!(
        "\n{runs} start-ups per side and kind, interleaved. **Native**: a new `python3.13 -c \
\"print('ready')\"` process, spawn to the first byte on stdout (every start is warm: the disk \
cache holds it). **Node**, cold: a new `node` process (Weft: `dist/cli.mjs -c ...`; Pyodide: \
`loadPyodide()` then `runPython`), spawn to the first byte; warm: a new interpreter (`Weft.start()` \
+ `run()`, `loadPyodide()` + `runPython()`) in a process that has loaded one before. \
**Chromium**, cold: a fresh browser profile (empty HTTP and code caches), navigation to the \
printed line reaching the page (`performance.now()`); warm: a reload in that browser. Weft \
starts with its defaults (thread pool included); Pyodide loads in a module worker.\n"
    ));
    md
}

/// Each program's steady median (s) on every side of [`SIDES`], in the report's order.
fn program_medians(v: &Value) -> Vec<(String, Vec<f64>)> {
    let programs = v
        .get("programs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    programs
        .iter()
        .filter_map(Value::as_str)
        .map(|prog| {
            let m = SIDES
                .iter()
                .map(|(side, _)| stats(&steady_times(v, side, prog)).0)
                .collect();
            (prog.to_owned(), m)
        })
        .collect()
}

/// A program's repetitions on `side` without the first (cold) one, in seconds.
fn steady_times(v: &Value, side: &str, prog: &str) -> Vec<f64> {
    let all = floats(v.get("speed").and_then(|s| s.get(side)?.get(prog)));
    all.get(1..).map(<[f64]>::to_vec).unwrap_or_default()
}

/// Geometric mean over the programs of side `a`'s median / side `b`'s (indices into [`SIDES`]).
fn geomean(rows: &[(String, Vec<f64>)], a: usize, b: usize) -> f64 {
    let logs: Vec<f64> = rows
        .iter()
        .map(|(_, m)| m[a] / m[b])
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(f64::ln)
        .collect();
    if logs.is_empty() {
        return f64::NAN;
    }
    (logs.iter().sum::<f64>() / logs.len() as f64).exp()
}

fn times_x(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}x")
    } else {
        "n/a".into()
    }
}

/// The ratio columns of the speed table: Weft / native and Weft / Pyodide, Node and Chromium.
const RATIO_COLUMNS: [(usize, usize); 4] = [(1, 0), (2, 0), (1, 3), (2, 4)];

fn speed_section(v: &Value) -> String {
    let rows = program_medians(v);
    let reps = v.get("reps").and_then(Value::as_u64).unwrap_or(0);
    let mut md =
        String::from("\n## Speed: pure-Python programs (bench/programs/), timed inside Python\n\n");
    md.push_str("| program |");
    for (_, title) in SIDES {
        md.push_str(&format!(" {title} |"));
    }
    md.push_str(" Weft / native (Node, Chromium) | Weft / Pyodide (Node, Chromium) |\n|---|");
    md.push_str(&"---:|".repeat(SIDES.len() + 2));
    md.push('\n');
    for (prog, m) in &rows {
        md.push_str(&format!("| {prog} |"));
        for (side, _) in SIDES {
            let ms: Vec<f64> = steady_times(v, side, prog)
                .iter()
                .map(|s| s * 1000.0)
                .collect();
            md.push_str(&format!(" {} |", spread_ms(&ms)));
        }
        let r: Vec<String> = RATIO_COLUMNS
            .iter()
            .map(|&(a, b)| ratio(m[a], m[b]))
            .collect();
        md.push_str(&format!(" {}, {} | {}, {} |\n", r[0], r[1], r[2], r[3]));
    }
    let g: Vec<String> = RATIO_COLUMNS
        .iter()
        .map(|&(a, b)| times_x(geomean(&rows, a, b)))
        .collect();
    md.push_str(&format!(
        "| **geometric mean** |{} **{}, {}** | **{}, {}** |\n",
        " |".repeat(SIDES.len()),
        g[0],
        g[1],
        g[2],
        g[3]
    ));
    md.push_str(&format!(
        "\nEach program's `bench()` runs {reps} times in a row through bench/speed_harness.py \
(`time.perf_counter()` around each call, the same code on every side): native and Weft run it \
as `python -c <harness> ...` (a new process each program; Weft's in one interpreter per \
environment), Pyodide with `runPython` in one instance per environment. The first repetition is \
left out (cold: V8's baseline code); cells are the median (min-max) of the other {} in ms. \
Ratios are of medians; below 1.00x Weft is faster.\n",
        reps.saturating_sub(1)
    ));
    md
}

/// A bench script run through bench/driver.mjs.
struct Driver {
    /// For messages.
    name: &'static str,
    /// Under bench/.
    script: &'static str,
    /// The prefix of its result line on stdout.
    tag: &'static str,
    /// How long one run may take before it is killed (beyond the script's own watchdog).
    timeout: Duration,
}

const SYNC_IO: Driver = Driver {
    name: "sync-io",
    script: "sync-io.mjs",
    tag: "WEFT-SYNCIO-RESULT ",
    timeout: Duration::from_secs(180),
};

const SPEED: Driver = Driver {
    name: "size, start-up and speed",
    script: "speed.mjs",
    tag: "WEFT-SPEED-RESULT ",
    timeout: Duration::from_secs(3600),
};

const NUMPY: Driver = Driver {
    name: "numpy",
    script: "numpy.mjs",
    tag: "WEFT-NUMPY-RESULT ",
    timeout: Duration::from_secs(600),
};

const BRIDGE: Driver = Driver {
    name: "bridge",
    script: "bridge.mjs",
    tag: "WEFT-BRIDGE-RESULT ",
    timeout: Duration::from_secs(240),
};

const ARCHIVE: Driver = Driver {
    name: "archive",
    script: "archive.mjs",
    tag: "WEFT-ARCHIVE-RESULT ",
    timeout: Duration::from_secs(300),
};

const THREADS: Driver = Driver {
    name: "threads",
    script: "threads.mjs",
    tag: "WEFT-THREADS-RESULT ",
    timeout: Duration::from_secs(300),
};

/// What every bench script gets from xtask (as environment variables).
struct DriverEnv {
    native: PathBuf,
    /// PyPI's numpy for `native` (guest/native-numpy.sh), the numpy bench's reference; when it
    /// cannot be had, that column says why.
    native_numpy: Result<PathBuf>,
    coi_server: PathBuf,
    quick: bool,
}

/// Runs `node bench/<script> <which>` (which: "node" or "chromium"; the speed script takes
/// "all") and returns its result object, or why there is none (the report then says so).
fn driver(p: &Paths, env: &DriverEnv, d: &Driver, which: &str) -> Result<Value> {
    step(&format!("{} figures in {which}", d.name));
    let script = format!("bench/{}", d.script);
    let chromium = std::env::var_os("WEFT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if which == "native" {
        if let Err(e) = &env.native_numpy {
            bail!("native numpy is not available: {e}");
        }
    } else if which != "node" && !chromium.is_file() {
        bail!(
            "no Chromium at {} (apt-get install chromium, or set WEFT_CHROMIUM)",
            chromium.display()
        );
    }
    let mut cmd = Command::new("node");
    cmd.arg(p.repo.join(&script))
        .arg(which)
        .env("WEFT_DIST", &p.dist)
        .env("WEFT_CHROMIUM", &chromium)
        .env("WEFT_COI_SERVER", &env.coi_server)
        .env("WEFT_NATIVE_PYTHON", &env.native)
        .env(
            "WEFT_NATIVE_NUMPY",
            env.native_numpy
                .as_deref()
                .unwrap_or(std::path::Path::new("")),
        )
        .env("WEFT_BENCH_QUICK", if env.quick { "1" } else { "0" })
        .current_dir(&p.repo);
    eprintln!("+ {}", crate::util::describe(&cmd));
    // Its own process group, so that a timeout ends the browser and server it started too.
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let t = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if t.elapsed() > d.timeout {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            bail!(
                "`node {script} {which}` took longer than {} s and was killed",
                d.timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap_or_default();
    let Some(line) = out.lines().find_map(|l| l.strip_prefix(d.tag)) else {
        bail!("`node {script} {which}` failed ({status}); its error is on stderr above");
    };
    serde_json::from_str(line).map_err(|e| format!("bad {} output: {e}", d.name))
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_f64()
}

/// Milliseconds with about three significant digits.
fn fmt_ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3} ms")
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn mark(ok: bool) -> &'static str {
    if ok {
        " ✓"
    } else {
        " ✗ **misses target**"
    }
}

/// One table cell from a driver's result: None when a figure is missing ("n/a").
type Cell = Box<dyn Fn(&Value) -> Option<String>>;

/// A section's title and table: one row per figure (label, target, cell), Node and Chromium
/// columns, then why a column was not measured.
fn figures_table(
    title: &str,
    rows: &[(String, &str, Cell)],
    node: &Result<Value>,
    chromium: &Result<Value>,
) -> String {
    columns_table(title, rows, &[("Node", node), ("Chromium", chromium)])
}

/// [`figures_table`] with any columns: (name when not measured, result).
fn columns_table(
    title: &str,
    rows: &[(String, &str, Cell)],
    columns: &[(&str, &Result<Value>)],
) -> String {
    let env = |r: &Result<Value>, fallback: &str| match r {
        Ok(v) => v
            .get("env")
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_owned(),
        Err(_) => format!("{fallback}: not measured"),
    };
    let cell = |r: &Result<Value>, f: &Cell| match r {
        Ok(v) => f(v).unwrap_or_else(|| "n/a".into()),
        Err(_) => "not measured".into(),
    };
    let mut md = format!("\n## {title}\n\n| figure | target |");
    for (name, r) in columns {
        md.push_str(&format!(" {} |", env(r, name)));
    }
    md.push_str(&format!("\n|---|---|{}\n", "---:|".repeat(columns.len())));
    for (label, target, f) in rows {
        md.push_str(&format!("| {label} | {target} |"));
        for (_, r) in columns {
            md.push_str(&format!(" {} |", cell(r, f)));
        }
        md.push('\n');
    }
    for (name, r) in columns {
        if let Err(e) = r {
            md.push_str(&format!("\n**{name} was not measured:** {e}\n"));
        }
    }
    md
}

/// The first of `path`'s value in the Node or the Chromium result, for the explanations.
fn count(node: &Result<Value>, chromium: &Result<Value>, path: &[&str]) -> String {
    [node, chromium]
        .iter()
        .find_map(|r| r.as_ref().ok().and_then(|v| num(v, path)))
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into())
}

/// The report's sync-io section: one row per figure, Node and Chromium columns.
fn sync_io_section(node: &Result<Value>, chromium: &Result<Value>) -> String {
    let mut rows: Vec<(String, &str, Cell)> = Vec::new();
    rows.push((
        "`input()` round trip, median".into(),
        "< 1 ms",
        Box::new(|v| {
            let m = num(v, &["input", "median_ms"])?;
            Some(format!("{}{}", fmt_ms(m), mark(m < 1.0)))
        }),
    ));
    rows.push((
        "`input()` round trip, p99".into(),
        "",
        Box::new(|v| Some(fmt_ms(num(v, &["input", "p99_ms"])?))),
    ));
    let states = [
        ("loop", "pure-Python loop"),
        ("sleep", "`time.sleep(30)`"),
        ("input", "`input()`, handler never answers"),
    ];
    for (key, label) in states {
        rows.push((
            format!("interrupt latency, {label}: median / max (seen on the JS side)"),
            "< 50 ms",
            Box::new(move |v| {
                let s = v.get("interrupt")?.get(key)?;
                let (reps, caught) = (num(s, &["reps"])?, num(s, &["caught"])?);
                let lost = if caught < reps {
                    format!(" ({} of {reps} interrupts not caught)", reps - caught)
                } else {
                    String::new()
                };
                let (med, max) = (num(s, &["js_median_ms"])?, num(s, &["js_max_ms"])?);
                Some(format!(
                    "{} / {}{}{lost}",
                    fmt_ms(med),
                    fmt_ms(max),
                    mark(max < 50.0 && caught == reps)
                ))
            }),
        ));
    }
    for (key, label) in states {
        rows.push((
            format!("interrupt latency, {label}: median / max (Python-stamped)"),
            "",
            Box::new(move |v| {
                let s = v.get("interrupt")?.get(key)?;
                Some(format!(
                    "{} / {}",
                    fmt_ms(num(s, &["py_median_ms"])?),
                    fmt_ms(num(s, &["py_max_ms"])?)
                ))
            }),
        ));
    }
    for (key, label) in [("0.001", "1 ms"), ("0.01", "10 ms"), ("0.1", "100 ms")] {
        rows.push((
            format!("`time.sleep({label})` overshoot: median / max"),
            "",
            Box::new(move |v| {
                let s = v.get("sleep")?.get(key)?;
                Some(format!(
                    "{} / {} (n={})",
                    fmt_ms(num(s, &["median_ms"])?),
                    fmt_ms(num(s, &["max_ms"])?),
                    num(s, &["reps"])?
                ))
            }),
        ));
    }
    rows.push((
        "CPU during `time.sleep(2)`, whole process, CPU ms per wall s (Node: `process.cpuUsage()`; Chromium: CDP `SystemInfo.getProcessInfo`, renderer processes)".into(),
        "",
        Box::new(|v| {
            let c = v.get("cpu")?;
            if let Some(e) = c.get("error").and_then(Value::as_str) {
                return Some(format!("not measured: {e}"));
            }
            Some(format!(
                "{:.1} ({:.0} CPU ms in {:.0} ms)",
                num(c, &["cpu_ms_per_wall_s"])?,
                num(c, &["cpu_ms"])?,
                num(c, &["wall_ms"])?
            ))
        }),
    ));
    rows.push((
        "CPU during `time.sleep(2)`, the interpreter's worker thread alone (`/proc/<pid>/task/<tid>/schedstat`), CPU ms per wall s".into(),
        "",
        Box::new(|v| {
            let c = v.get("cpu")?;
            let w = c.get("worker_thread")?;
            Some(format!(
                "{:.1} ({:.1} CPU ms)",
                num(w, &["cpu_ms_per_wall_s"])?,
                num(w, &["cpu_ms"])?
            ))
        }),
    ));

    let mut md = figures_table(
        "Sync-io: `input()`, interrupts, sleeps",
        &rows,
        node,
        chromium,
    );
    let count = |path: &[&str]| count(node, chromium, path);
    md.push_str(&format!(
        "\nHow these are measured (bench/sync-io-core.mjs, the same code in both columns; \
bench/sync-io.mjs drives it). Node: dist/weft.mjs on Node's main thread, the interpreter in a \
worker_threads Worker. Chromium: the system headless Chromium, a page served by coi-server \
(COOP/COEP, `crossOriginIsolated` checked), the interpreter in a module Worker. One interpreter, \
one `run()` per figure, `PYTHONUNBUFFERED=1`.\n\n\
- **`input()` round trip**: Python calls `input()` {} times; the stdin handler returns the next \
line synchronously. Each call is timed inside Python with `time.perf_counter_ns()` around \
`input()`: the whole trip (request into the channel, bell message to the main thread, handler, \
reply, `Atomics` wake-up in the worker). The first call is included.\n\
- **Interrupt latency**: {} times per state, in one process. Python prints a marker and enters \
the state; the JS side waits 80–120 ms (for `input()`: until the handler has been called, then \
20 ms) and calls `interrupt()`; the `except KeyboardInterrupt:` clause stamps `time.time()` \
and prints it. *Seen on the JS side* (the figure checked against the target): \
`performance.now()` when the stdout callback receives that line minus `performance.now()` \
just before `interrupt()`, one clock on one thread. It is an upper bound: it also contains \
the print and the output message's trip to the main thread. *Python-stamped*: the \
`time.time()` stamp (the worker's `performance.timeOrigin + now()`) minus \
`performance.timeOrigin + now()` on the main thread just before `interrupt()`: two threads' \
wall clocks, so differences below a fraction of a millisecond are within their alignment \
error. The ✓ compares the max with the target.\n\
- **Sleep overshoot**: `time.perf_counter()` around `time.sleep(d)`, minus d, inside Python.\n\
- **CPU while sleeping**: Python prints a marker, sleeps 2 s, prints another; a CPU sample \
is taken when each marker reaches the main thread, and the wall time is the time between the \
samples. Node: `process.cpuUsage()` of the whole process (main thread, the interpreter's \
worker, V8's helper threads). Chromium: CDP `SystemInfo.getProcessInfo` through a \
browser-level session, `cpuTime` summed over the renderer processes (the page's renderer runs \
the page and its dedicated worker); its resolution is the kernel's 10 ms tick, so over 2 s \
it moves in steps of 5 CPU ms per s. The second CPU row reads \
`/proc/<pid>/task/<tid>/schedstat` (nanoseconds, per thread; Linux only) for the \
interpreter's thread: the thread that used the most CPU over the whole run (it ran all the \
Python) among the renderer's `DedicatedWorker` threads in Chromium (thread-pool workers are \
some too), among the non-main threads in Node (all named `node`). Python waits in `input()` after the second marker until the end \
sample is taken, so that its exit is not counted. report.json has every process's and the \
busiest threads' figures.\n",
        count(&["input", "calls"]),
        count(&["interrupt", "loop", "reps"]),
    ));
    md
}

/// The scaling row of `kind` ("sha256", "zlib") for `threads` threads.
fn scaling_row<'a>(v: &'a Value, kind: &str, threads: f64) -> Option<&'a Value> {
    v.get("scaling")?
        .get(kind)?
        .get("rows")?
        .as_array()?
        .iter()
        .find(|r| num(r, &["threads"]) == Some(threads))
}

/// Speed-up of 2 threads over 1 on GIL-releasing work that the issue asks for (and its text).
const TWO_THREAD_TARGET: (f64, &str) = (1.8, "≥ 1.8x");

/// The report's threads section: one row per figure, Node and Chromium columns.
fn threads_section(node: &Result<Value>, chromium: &Result<Value>) -> String {
    let count = |path: &[&str]| count(node, chromium, path);
    let mut rows: Vec<(String, &str, Cell)> = Vec::new();
    rows.push((
        "`Weft.start()`: first / median".into(),
        "",
        Box::new(|v| {
            let n = v.get("start_ms")?.get("all")?.as_array()?.len();
            Some(format!(
                "{} / {} (n={n})",
                fmt_ms(num(v, &["start_ms", "first"])?),
                fmt_ms(num(v, &["start_ms", "median"])?)
            ))
        }),
    ));
    for (key, label) in [
        ("first_run", "a new interpreter's first run"),
        ("second_run", "its second run"),
    ] {
        rows.push((
            format!(
                "pool warm-up, {label}: `run()` to `stats().idleThreadWorkers` ≥ {}, median (pool workers alive then)",
                count(&["idle_target"])
            ),
            "",
            Box::new(move |v| {
                let s = v.get("idle")?.get(key)?;
                let workers = num(s, &["max_workers"])?;
                Some(match num(s, &["median_ms"]) {
                    Some(m) => format!("{} ({workers} workers)", fmt_ms(m)),
                    None => "not reached within 20 s in some round".into(),
                })
            }),
        ));
    }
    for (key, label) in [
        ("new_interpreter", "a new interpreter's first run"),
        ("second_run", "its second run"),
    ] {
        rows.push((
            format!("first thread, {label}: `start()` + `join()` in Python, median (the body starts after)"),
            "",
            Box::new(move |v| {
                let s = v.get("first_spawn")?.get(key)?;
                Some(format!(
                    "{} ({})",
                    fmt_ms(num(s, &["join_ms_median"])?),
                    fmt_ms(num(s, &["body_ms_median"])?)
                ))
            }),
        ));
        rows.push((
            format!("first thread, {label}: `run()` to the main thread's first line / to the thread's line, on the JS side, median"),
            "",
            Box::new(move |v| {
                let s = v.get("first_spawn")?.get(key)?;
                Some(format!(
                    "{} / {}",
                    fmt_ms(num(s, &["main_line_ms_median"])?),
                    fmt_ms(num(s, &["body_line_ms_median"])?)
                ))
            }),
        ));
    }
    rows.push((
        "thread spawn+join (`Thread(target=f).start(); .join()`, empty `f`): median / p95".into(),
        "",
        Box::new(|v| {
            Some(format!(
                "{} / {} (n={})",
                fmt_ms(num(v, &["spawn_join", "median_ms"])?),
                fmt_ms(num(v, &["spawn_join", "p95_ms"])?),
                num(v, &["spawn_join", "n"])?
            ))
        }),
    ));
    for (kind, what) in [
        ("sha256", "`hashlib.sha256(data).digest()`"),
        ("zlib", "`zlib.compress(data, 6)`"),
    ] {
        let mib = count(&["scaling", "spec", kind, "mib"]);
        let ops = count(&["scaling", "spec", kind, "ops"]);
        for threads in [1.0, 2.0, 4.0] {
            let two = threads == 2.0;
            rows.push((
                format!(
                    "{what}, {mib} MiB, {ops} per thread, {threads} thread{}: ops/s (MiB/s), speed-up",
                    if threads == 1.0 { "" } else { "s" }
                ),
                if two { TWO_THREAD_TARGET.1 } else { "" },
                Box::new(move |v| {
                    let r = scaling_row(v, kind, threads)?;
                    let speedup = num(r, &["speedup"])?;
                    Some(format!(
                        "{:.2} ({:.0}), {speedup:.2}x{}",
                        num(r, &["ops_per_s"])?,
                        num(r, &["mib_per_s"])?,
                        if two {
                            mark(speedup >= TWO_THREAD_TARGET.0)
                        } else {
                            ""
                        }
                    ))
                }),
            ));
        }
    }
    rows.push((
        "machine load: 1-min load average before / after the run (after counts the run's own threads; other work skews the scaling)".into(),
        "",
        Box::new(|v| {
            Some(format!(
                "{:.2} / {:.2}",
                num(v, &["loadavg_1m", "before"])?,
                num(v, &["loadavg_1m", "after"])?
            ))
        }),
    ));
    let mut md = figures_table(
        "Threads: pool warm-up, spawn latency, scaling",
        &rows,
        node,
        chromium,
    );
    md.push_str(&format!(
        "\nHow these are measured (bench/threads-core.mjs, the same code in both columns; \
bench/threads.mjs drives it). Each interpreter is `Weft.start()` with the default pool \
options, `PYTHONUNBUFFERED=1`. This machine has {cores} cores.\n\n\
- **`Weft.start()`**: `performance.now()` around it, for each of the new interpreters below.\n\
- **Pool warm-up**: pool workers get a process's python.wasm instance only while that process \
runs, so a run of Python that sleeps starts right after `Weft.start()` resolves, and \
`stats()` is polled every 1 ms (`setTimeout`; pages clamp it to about 4 ms) until \
`idleThreadWorkers` reaches the default `idleWorkers`; the run is then interrupted. A second \
such run follows in the same interpreter. {rounds} new interpreters; the bracket is the \
number of pool workers alive at that moment (`threadWorkers`, the most over the rounds).\n\
- **First thread**: the first Python statement prints a line, then one thread whose body \
prints a line is started and joined; `time.perf_counter()` around `start()` + `join()`, and \
the body's start as `time.time()` differences (threads have their own `performance` clocks; \
`time.time()` is aligned across them). The JS-side figures are `performance.now()` from \
`run()` to each line's arrival. {rounds} other new interpreters, two runs each.\n\
- **Spawn+join**: in one run of a third interpreter, {warm} warm-up spawns, then {n} timed with \
`time.perf_counter_ns()` around `Thread(target=f); t.start(); t.join()`.\n\
- **Scaling**: the same run. Each of n threads calls the function {sha_ops} (sha256 of \
{sha_mib} MiB) or {zlib_ops} (zlib level 6 of {zlib_mib} MiB of random words from a \
2000-word vocabulary, compressed to {ratio}) times; the wall time runs from a barrier that \
the threads and the main thread pass to the last `join()`, so spawning is not counted. \
Throughput is n × calls / wall time, the speed-up is against 1 thread, and each \
configuration is the best of {reps} repetitions (interleaved). One untimed round with the \
most threads first, so that every worker has run the code. Both functions release the GIL.\n",
        cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        rounds = count(&["rounds"]),
        warm = count(&["spawn_join", "warm"]),
        n = count(&["spawn_join", "n"]),
        sha_ops = count(&["scaling", "spec", "sha256", "ops"]),
        sha_mib = count(&["scaling", "spec", "sha256", "mib"]),
        zlib_ops = count(&["scaling", "spec", "zlib", "ops"]),
        zlib_mib = count(&["scaling", "spec", "zlib", "mib"]),
        ratio = [node, chromium]
            .iter()
            .find_map(|r| r
                .as_ref()
                .ok()
                .and_then(|v| num(v, &["scaling", "zlib_ratio"])))
            .map(|r| format!("{:.0} %", r * 100.0))
            .unwrap_or_else(|| "?".into()),
        reps = count(&["scaling", "spec", "reps"]),
    ));
    md
}

/// The configuration of the archive figures with `runtime_threads` workers.
fn archive_config(v: &Value, runtime_threads: f64) -> Option<&Value> {
    v.get("configs")?
        .as_array()?
        .iter()
        .find(|c| num(c, &["runtime_threads"]) == Some(runtime_threads))
}

/// The report's section on the runtime's own parallel work: `unpackArchive` on 0-4 workers.
fn archive_section(node: &Result<Value>, chromium: &Result<Value>) -> String {
    let count = |path: &[&str]| count(node, chromium, path);
    let mut rows: Vec<(String, &str, Cell)> = Vec::new();
    for threads in [0.0, 1.0, 2.0, 4.0] {
        let label = if threads == 0.0 {
            "`runtimeThreads: 0` (the interpreter's worker alone)".to_string()
        } else {
            format!("`runtimeThreads: {threads}`")
        };
        rows.push((
            format!("{label}: median (min-max), speed-up over 0; first call"),
            "",
            Box::new(move |v| {
                let c = archive_config(v, threads)?;
                Some(format!(
                    "{} ({}-{}), {:.2}x; {}",
                    fmt_ms(num(c, &["median_ms"])?),
                    fmt_ms(num(c, &["min_ms"])?),
                    fmt_ms(num(c, &["max_ms"])?),
                    num(c, &["speedup"])?,
                    fmt_ms(num(c, &["first_ms"])?)
                ))
            }),
        ));
    }
    let mut md = figures_table(
        "Runtime parallel work: `unpackArchive` on wasm-bindgen-rayon workers",
        &rows,
        node,
        chromium,
    );
    let mib = |path: &[&str]| {
        [node, chromium]
            .iter()
            .find_map(|r| r.as_ref().ok().and_then(|v| num(v, path)))
            .map(|b| format!("{:.1} MiB", b / 1048576.0))
            .unwrap_or_else(|| "?".into())
    };
    md.push_str(&format!(
        "\nHow these are measured (bench/archive-core.mjs, the same code in both columns; \
bench/archive.mjs drives it): `performance.now()` around `unpackArchive(bytes, 'zip')` on the \
client, so it includes posting the archive to the worker. The archive is python-stdlib.zip \
({zip}: {files} deflated files, {out} uncompressed), extracted over the same directory each \
time. One interpreter per configuration; its first call (which starts the workers, on code V8 \
has not optimized yet) is reported apart, then {warm} untimed calls, then {reps} timed ones, \
interleaved across configurations. Only decompression runs on the workers: buffers are \
allocated before (wasm's allocator is one spin lock) and the files written after, on the \
interpreter's worker.\n\n\
The stdlib bundle itself is not decompressed this way: entries are decompressed lazily as \
Python opens them, and CPython 3.13 freezes its start-up modules into python.wasm, so a start \
decompresses {startup_files} files from it ({startup_kb} KB), too little to share out.\n",
        zip = mib(&["archive", "zip_bytes"]),
        files = count(&["archive", "files"]),
        out = mib(&["archive", "bytes"]),
        warm = count(&["warm"]),
        reps = count(&["reps"]),
        startup_files = count(&["startup_from_bundle", "modules"]),
        startup_kb = [node, chromium]
            .iter()
            .find_map(|r| r
                .as_ref()
                .ok()
                .and_then(|v| num(v, &["startup_from_bundle", "bytes"])))
            .map(|b| format!("{:.0}", b / 1000.0))
            .unwrap_or_else(|| "?".into()),
    ));
    md
}

/// The report's Python <-> JS bridge section (issue 5), Node and Chromium columns.
fn bridge_section(node: &Result<Value>, chromium: &Result<Value>) -> String {
    let count = |path: &[&str]| count(node, chromium, path);
    let us = |key: &'static str| -> Cell {
        Box::new(move |v| {
            Some(format!(
                "{:.1} µs ({:.1}-{:.1})",
                num(v, &[key, "median"])?,
                num(v, &[key, "min"])?,
                num(v, &[key, "max"])?
            ))
        })
    };
    let ms = |key: &'static str| -> Cell {
        Box::new(move |v| {
            Some(format!(
                "{} ({}-{})",
                fmt_ms(num(v, &[key, "median"])?),
                fmt_ms(num(v, &[key, "min"])?),
                fmt_ms(num(v, &[key, "max"])?)
            ))
        })
    };
    let rows: Vec<(String, &str, Cell)> = vec![
        (
            "`runPython('1')` from the main thread, round trip".into(),
            "",
            us("run_python_us"),
        ),
        (
            "calling a Python function's PyProxy from the main thread".into(),
            "",
            us("proxy_call_us"),
        ),
        (
            "Python -> JS call in the worker (`f()`, f a JS function)".into(),
            "Pyodide: 3.3-5.8 µs",
            us("py_to_js_us"),
        ),
        (
            "JS -> Python call in the worker (a PyProxy of a lambda)".into(),
            "Pyodide: 0.8-1.0 µs",
            us("js_to_py_us"),
        ),
        (
            "Python in the worker -> main-thread function, synchronous (`weft.main`)".into(),
            "",
            us("sync_main_call_us"),
        ),
        (
            "10 MiB buffer main -> Python (`f(uint8Array)`, then `.to_bytes()`)".into(),
            "",
            ms("buffer_to_python_ms"),
        ),
        (
            "the same with `f(transfer(uint8Array))`: moved, not cloned".into(),
            "",
            ms("buffer_to_python_transfer_ms"),
        ),
        (
            "10 MiB `bytes` Python -> main (`runPython('big')`)".into(),
            "",
            ms("buffer_from_python_ms"),
        ),
    ];
    let mut md = figures_table("Python <-> JS bridge", &rows, node, chromium);
    md.push_str(&format!(
        "\nHow these are measured (bench/bridge-core.mjs, the same code in both columns; \
bench/bridge.mjs drives it). One interpreter. Round trips: `performance.now()` around each awaited \
call on the client, {runs} calls after 20 warm-up calls, median (min-max). In-worker calls: \
{calls} calls in a Python loop timed with `time.perf_counter_ns()`, {reps} times; the figure is \
per call; the synchronous main-thread calls ({sync} per repetition) cross the sync-io channel \
(request, bell message, the page's answer, `Atomics` wake-up). The Pyodide figures are the issue's (same-thread calls, its own measurement). Buffers: \
the main thread's Uint8Array is structured-cloned to the worker (or, with `transfer()`, moved), \
then copied into Python by `to_bytes()`; `bytes` become a Uint8Array in the worker (one copy out of wasm memory) and are \
transferred, not copied, to the main thread.\n",
        runs = count(&["run_python_us", "n"]),
        calls = count(&["calls"]),
        sync = count(&["sync_calls"]),
        reps = count(&["py_to_js_us", "n"]),
    ));
    md
}

/// What 2 threads may take for twice one thread's share of independent numpy work (issue 8).
const NUMPY_TWO_THREAD_TARGET: (f64, &str) = (0.55, "≤ 0.55");

/// The report's numpy section (`Weft.start({packages: ['numpy']})`): Weft in Node and Chromium,
/// and the same Python program on the native CPython with PyPI's numpy as the reference column;
/// Weft's single-thread figures also say how many times native's time they take.
fn numpy_section(node: &Result<Value>, chromium: &Result<Value>, native: &Result<Value>) -> String {
    let reference = native.as_ref().ok();
    // Whether `v` is the reference column's own result, by identity (no ratio, no target mark
    // there). A raw pointer keeps the check `Copy` and the cells `'static`.
    let reference_ptr: *const Value = reference.map_or(std::ptr::null(), |r| r);
    let is_reference = move |v: &Value| std::ptr::eq(v, reference_ptr);
    let mut rows: Vec<(String, &str, Cell)> = vec![
        (
            "`Weft.start({packages: ['numpy']})`, median".into(),
            "",
            Box::new(|v| Some(fmt_ms(num(v, &["start_ms"])?))),
        ),
        (
            "`import numpy` in a fresh process, median".into(),
            "",
            Box::new(|v| Some(fmt_ms(num(v, &["import_s"])? * 1000.0))),
        ),
    ];
    for (kind, what) in [("matmul", "independent matmuls"), ("ufunc", "large ufuncs")] {
        for threads in ["1", "2", "4", "8"] {
            let two = threads == "2";
            rows.push((
                format!("{what}, `ThreadPoolExecutor({threads})`: wall time for the batch (as a fraction of 1 worker's)"),
                if two { NUMPY_TWO_THREAD_TARGET.1 } else { "" },
                Box::new(move |v| {
                    let r = v.get("scaling")?.get(kind)?.get(threads)?;
                    let f = num(r, &["same_total_work"])?;
                    let best = num(r, &["best_same_total_work"])?;
                    let checked = two && !is_reference(v);
                    Some(format!(
                        "{} ({f:.2}; best {best:.2}){}",
                        fmt_ms(num(r, &["s"])? * 1000.0),
                        if checked { mark(f <= NUMPY_TWO_THREAD_TARGET.0) } else { "" }
                    ))
                }),
            ));
        }
    }
    let names: Vec<String> = [node, chromium, native]
        .iter()
        .find_map(|r| {
            let m = r.as_ref().ok()?.get("single_ms")?.as_object()?;
            Some(m.keys().cloned().collect())
        })
        .unwrap_or_default();
    for name in names {
        let key = name.clone();
        let base = reference.and_then(|r| num(r, &["single_ms", &key]));
        rows.push((
            format!("one thread: {name}, best of a few (x native)"),
            "",
            Box::new(move |v| {
                let ms = num(v, &["single_ms", &key])?;
                Some(match base {
                    Some(b) if !is_reference(v) && b > 0.0 => {
                        format!("{} ({:.1}x)", fmt_ms(ms), ms / b)
                    }
                    _ => fmt_ms(ms),
                })
            }),
        ));
    }
    let mut md = columns_table(
        "numpy (`packages: ['numpy']`)",
        &rows,
        &[
            ("Node", node),
            ("Chromium", chromium),
            ("native numpy", native),
        ],
    );
    md.push_str(&format!(
        "\nHow these are measured (bench/numpy-core.mjs, the same Python program in every column): \
each round starts a new interpreter with numpy (the native column: a new `python3.13` process \
with PyPI's numpy 2.3.5 wheel, its OpenBLAS held to one thread by `OPENBLAS_NUM_THREADS=1`, as \
Weft's BLAS uses one thread a call), imports numpy (`time.perf_counter()` around the import), \
then a `ThreadPoolExecutor` of n workers runs one batch of tasks ({mm_tasks} matmuls of \
{n}x{n} float64, or {uf_tasks} times `sqrt(exp(sin(x)) + 1)` with x in turn each slice of {chunk} of {len} \
float64), timed from the first submit to the last result, the pool's threads started beforehand; \
n = 1, 2, 4, 8 interleaved, {reps} times a round. The fraction is n workers' time over one \
worker's for the same batch: 1/2 is perfect on 2 cores; it is taken from the medians (checked \
against the target) and from the best times (other work on the machine only adds time); where \
the cores are shared with other work the medians vary from run to run, and `python3 \
bench/host_phases.py` shows how much. One thread: the best of a few calls of each operation. \
numpy's BLAS in Weft is guest/blas (a 4x4 tile for float64, fused multiply-adds by relaxed \
SIMD where the engine has it, as Node and Chromium here do; the gemm crate's SIMD128 kernels \
otherwise) under numpy's bundled lapack_lite; `np.sort` and one-kth `np.partition` of 32/64-bit \
keys run highway's vqsort and vqselect on SIMD128, the rest of numpy's SIMD layer has no wasm \
backend (see the README).\n",
        reps = count(node, chromium, &["spec", "reps"]),
        mm_tasks = count(node, chromium, &["spec", "tasks", "matmul"]),
        uf_tasks = count(node, chromium, &["spec", "tasks", "ufunc"]),
        chunk = count(node, chromium, &["spec", "ufunc_chunk"]),
        n = count(node, chromium, &["spec", "matmul_n"]),
        len = count(node, chromium, &["spec", "ufunc_len"]),
    ));
    md
}

const README_BEGIN: &str = "<!-- bench:begin: written by `cargo xtask bench --update-readme` -->";
const README_END: &str = "<!-- bench:end -->";

/// The README's performance summary: the report's headline figures, with machine and versions.
fn readme_summary(v: &Value, sizes: &Value, machine: &str, date: &str) -> String {
    let ver = |k: &str| version(v, k);
    let start = |side: &str, kind: &str| {
        stats(&floats(
            v.get("startup").and_then(|s| s.get(side)?.get(kind)),
        ))
        .0
    };
    let size = |side: &str, kind: &str| {
        sizes
            .get(side)
            .and_then(|s| s.get(kind))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let secs = |ms: f64| {
        if ms.is_finite() {
            format!("{:.2} s", ms / 1000.0)
        } else {
            "n/a".into()
        }
    };
    let rows = program_medians(v);
    let mut md = format!(
        "Measured on {date} by `cargo xtask bench` ({machine}; native CPython {}, Node {}, \
Chromium {} headless, Pyodide {} with Python {}). Full tables, with min/max and every program: \
`target/bench/report.md` after a run.\n\n",
        ver("native"),
        ver("node"),
        ver("chromium"),
        ver("pyodide"),
        ver("pyodide_python")
    );
    md.push_str("| | Weft | Pyodide | Weft / Pyodide |\n|---|---:|---:|---:|\n");
    let (wb, pb) = (
        size("weft_chromium", "brotli"),
        size("pyodide_chromium", "brotli"),
    );
    md.push_str(&format!(
        "| download to start (brotli; raw) | {} ({}) | {} ({}) | {} |\n",
        human(wb),
        human(size("weft_chromium", "raw")),
        human(pb),
        human(size("pyodide_chromium", "raw")),
        ratio(wb as f64, pb as f64)
    ));
    for (env, w, py) in [
        ("Chromium", "weft_chromium", "pyodide_chromium"),
        ("Node", "weft_node", "pyodide_node"),
    ] {
        md.push_str(&format!(
            "| start-up to a first print, {env}: cold / warm | {} / {} | {} / {} | {} / {} |\n",
            secs(start(w, "cold")),
            secs(start(w, "warm")),
            secs(start(py, "cold")),
            secs(start(py, "warm")),
            ratio(start(w, "cold"), start(py, "cold")),
            ratio(start(w, "warm"), start(py, "warm"))
        ));
    }
    for (env, w, py) in [("Node", 1, 3), ("Chromium", 2, 4)] {
        md.push_str(&format!(
            "| {} pure-Python programs, {env}: time vs native CPython (geometric mean) | {} | {} | {} |\n",
            rows.len(),
            times_x(geomean(&rows, w, 0)),
            times_x(geomean(&rows, py, 0)),
            times_x(geomean(&rows, w, py))
        ));
    }
    md
}

/// Replaces what lies between the README's bench markers with `summary`.
fn update_readme(p: &Paths, summary: &str) -> Result {
    let path = p.repo.join("README.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read README.md: {e}"))?;
    std::fs::write(&path, with_summary(&text, summary)?)
        .map_err(|e| format!("cannot write README.md: {e}"))?;
    println!("updated the performance summary in README.md");
    Ok(())
}

/// `text` with `summary` between the bench markers (which stay).
fn with_summary(text: &str, summary: &str) -> Result<String> {
    let (Some(a), Some(b)) = (text.find(README_BEGIN), text.find(README_END)) else {
        bail!("README.md has no bench markers ({README_BEGIN} ... {README_END})");
    };
    if b < a {
        bail!("README.md's bench markers are out of order");
    }
    Ok(format!(
        "{}\n{summary}{}",
        &text[..a + README_BEGIN.len()],
        &text[b..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_of_ratios_skips_missing_figures() {
        let rows = vec![
            ("a".to_owned(), vec![1.0, 2.0]),
            ("b".to_owned(), vec![1.0, 8.0]),
            ("c".to_owned(), vec![1.0, f64::NAN]),
        ];
        assert!((geomean(&rows, 1, 0) - 4.0).abs() < 1e-12);
        assert!((geomean(&rows, 0, 1) - 0.25).abs() < 1e-12);
        assert!(geomean(&[], 0, 1).is_nan());
    }

    #[test]
    fn summary_replaces_only_the_marked_block() {
        let text = format!("intro\n{README_BEGIN}\nold figures\n{README_END}\nrest\n");
        let out = with_summary(&text, "new figures\n").unwrap();
        assert_eq!(
            out,
            format!("intro\n{README_BEGIN}\nnew figures\n{README_END}\nrest\n")
        );
        // Idempotent: a second run gives the same text.
        assert_eq!(with_summary(&out, "new figures\n").unwrap(), out);
        assert!(with_summary("no markers", "x").is_err());
    }

    #[test]
    fn medians_leave_out_the_cold_repetition() {
        let v = json!({
            "programs": ["p"],
            "speed": {"native": {"p": [9.0, 1.0, 3.0, 2.0]}},
        });
        let rows = program_medians(&v);
        assert_eq!(rows[0].0, "p");
        assert_eq!(rows[0].1[0], 2.0);
        assert!(rows[0].1[1].is_nan());
    }
}
