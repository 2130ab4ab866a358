//! `cargo xtask bench`: start-up to first print (median of 5) and a few pure-Python loops timed
//! inside Python, native CPython 3.13.5 (same source as python.wasm) against Weft in Node.
//! Writes target/bench/report.md and target/bench/report.json.
//!
//! V8 runs wasm first in its baseline compiler and has no on-stack replacement, so a loop that
//! starts cold stays slow (TOOLCHAIN.md). Each workload therefore runs several times, each time
//! through a fresh `exec()` (a fresh eval-loop invocation): "first" is repetition 1, "steady" the
//! best of the others.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use crate::util::{bail, output_of, step, Paths, Result};

const STARTUP_RUNS: usize = 5;
const REPS: usize = 5;

const BENCH_PY: &str = r#"import json, sys, time
REPS = int(sys.argv[1])
WORKLOADS = {
    "fib(27)": """
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
assert fib(27) == 196418
""",
    "dict/str 200k": """
d = {}
for i in range(200000):
    k = "key%d" % i
    d[k] = k.upper()
s = ",".join(d.values())
parts = s.split(",")
assert len(parts) == 200000
n = sum(len(v) for v in d.values() if v.endswith("7"))
""",
    "float loop 1M": """
x = 0.0
for i in range(1, 1000000):
    x += (i * 0.5) / (i + 1.0) - x * 1e-7
assert x > 0
""",
}
results = {}
for name, src in WORKLOADS.items():
    code = compile(src, name, "exec")
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        exec(code, {})
        times.append(time.perf_counter() - t)
    results[name] = times
print("WEFT-BENCH " + json.dumps(results))
"#;

pub fn bench(p: &Paths) -> Result {
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
    let cli = p.dist.join("cli.mjs");
    let script = out_dir.join("bench.py");
    std::fs::write(&script, BENCH_PY)
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;

    let weft = |args: &[&str]| {
        let mut c = Command::new("node");
        c.arg(&cli).args(args).current_dir(&p.repo);
        c
    };
    let py = |args: &[&str]| {
        let mut c = Command::new(&native);
        c.args(args).current_dir(&p.repo);
        c
    };

    step(&format!(
        "start-up to first print, median of {STARTUP_RUNS}"
    ));
    let hello = ["-c", "print('ready')"];
    let startup_weft = median(&first_output_times(|| weft(&hello), STARTUP_RUNS)?);
    let startup_native = median(&first_output_times(|| py(&hello), STARTUP_RUNS)?);

    step(&format!("loops, {REPS} repetitions each"));
    let reps = REPS.to_string();
    let s = script.to_string_lossy().into_owned();
    let native_t = loop_times(py(&[&s, &reps]))?;
    let weft_t = loop_times(weft(&[&s, &reps]))?;

    let node_version = output_of(Command::new("node").arg("--version")).unwrap_or_default();
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
    md.push_str(&format!("Node {node_version}, {cores} cores, {cpu}. Native: CPython 3.13.5 built from the same source.\n\n"));
    md.push_str(
        "| benchmark | native | Weft first | Weft steady | first / native | steady / native |\n",
    );
    md.push_str("|---|---:|---:|---:|---:|---:|\n");
    md.push_str(&format!(
        "| start-up to first print (median of {STARTUP_RUNS}) | {} | {} | | {:.1}x | |\n",
        ms(startup_native),
        ms(startup_weft),
        startup_weft / startup_native
    ));
    let mut loops = Vec::new();
    for (name, native_runs) in &native_t {
        let Some(weft_runs) = weft_t.iter().find(|(n, _)| n == name).map(|(_, r)| r) else {
            continue;
        };
        let n = best(native_runs);
        let (wf, ws) = (weft_runs[0], best(&weft_runs[1..]));
        md.push_str(&format!(
            "| {name} | {} | {} | {} | {:.1}x | {:.1}x |\n",
            ms(n),
            ms(wf),
            ms(ws),
            wf / n,
            ws / n
        ));
        loops.push(
            json!({"name": name, "native_s": native_runs, "weft_s": weft_runs,
            "native_best_s": n, "weft_first_s": wf, "weft_steady_s": ws,
            "ratio_first": wf / n, "ratio_steady": ws / n}),
        );
    }
    md.push_str(&format!(
        "\n\"first\" is the first of {REPS} repetitions (cold: V8 baseline code), \"steady\" the best of the rest; \
         native is its best repetition. Each repetition enters the eval loop afresh through exec().\n"
    ));
    let report = json!({
        "node": node_version, "cpu": cpu, "cores": cores,
        "startup_s": {"native_median": startup_native, "weft_median": startup_weft, "runs": STARTUP_RUNS},
        "loops": loops,
    });
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

fn ms(s: f64) -> String {
    format!("{:.0} ms", s * 1000.0)
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds from spawn to the first byte on stdout, `runs` times.
fn first_output_times(mut make: impl FnMut() -> Command, runs: usize) -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut cmd = make();
        eprintln!("+ {}", crate::util::describe(&cmd));
        let t = Instant::now();
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start: {e}"))?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut byte = [0u8; 1];
        let got = stdout.read(&mut byte).map_err(|e| e.to_string())?;
        let elapsed = t.elapsed().as_secs_f64();
        let mut rest = Vec::new();
        let _ = stdout.read_to_end(&mut rest);
        let status = child.wait().map_err(|e| e.to_string())?;
        if got == 0 || !status.success() {
            bail!(
                "`{}` printed nothing or failed ({status})",
                crate::util::describe(&cmd)
            );
        }
        times.push(elapsed);
    }
    Ok(times)
}

/// Runs bench.py and returns each workload's repetition times, in the script's order.
fn loop_times(mut cmd: Command) -> Result<Vec<(String, Vec<f64>)>> {
    eprintln!("+ {}", crate::util::describe(&cmd));
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("WEFT-BENCH ")) else {
        bail!(
            "`{}` did not report results ({}): {stdout}",
            crate::util::describe(&cmd),
            out.status
        );
    };
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("bad bench output {line:?}: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "bench output is not an object".to_owned())?;
    // serde_json's Map is sorted by key; keep the script's order by scanning the text.
    let mut names: Vec<&String> = obj.keys().collect();
    names.sort_by_key(|n| line.find(&format!("\"{n}\"")).unwrap_or(usize::MAX));
    Ok(names
        .into_iter()
        .map(|n| {
            (
                n.clone(),
                obj[n]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default(),
            )
        })
        .collect())
}
