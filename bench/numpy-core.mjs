// numpy figures for Weft, the same code in Node (worker_threads) and in a cross-origin isolated
// page (module Workers): Weft.start({packages: ['numpy']}) time, `import numpy` in a fresh
// process, single-thread timings of the operations issue 8 lists, and 1/2/4-thread scaling of
// independent matmuls and large ufuncs. Driven by bench/numpy.mjs; results are plain JSON.
import { lineSink, median } from './sync-io-core.mjs';
import { TIMED_PY } from './threads-core.mjs';

// Each of n threads does `ops[kind]` calls; the clock runs from a barrier all threads and the main
// thread pass (so thread start-up is not counted) to the last join. Thread counts are
// interleaved across repetitions so that drift in the machine's load hits all of them alike.
const NUMPY_PY = `import json, sys, threading, time
t0 = time.perf_counter()
import numpy as np
import_s = time.perf_counter() - t0
spec = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
n = spec["matmul_n"]
A = rng.standard_normal((n, n))
X = rng.standard_normal(spec["ufunc_len"])
work = {
    "matmul": lambda: A @ A,
    "ufunc": lambda: np.sqrt(np.exp(np.sin(X)) + 1.0),
}
${TIMED_PY}# Warm-up. V8 runs wasm in its baseline tier first and optimizes hot functions in the
# background: matmul takes about half a second of calls to reach its final speed, and
# repetitions measured before that (and the compiler threads taking a core) skew the ratios.
for kind in work:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < spec.get("warmup_s", 1.0):
        timed(kind, 1, spec["ops"][kind])
    timed(kind, max(spec["threads"]), 1)  # every worker the runs use has run it
scaling = {kind: {str(t): [] for t in spec["threads"]} for kind in work}
for rep in range(spec["reps"]):
    for kind in work:
        for t in spec["threads"]:
            scaling[kind][str(t)].append(timed(kind, t, spec["ops"][kind]))
# One thread: the operations of issue 8's list (and a few more), best of a few, in ms.
M = {k: rng.standard_normal((k, k)) for k in (200, 300, 1000)}
B = M[300]
v = rng.standard_normal(1_000_000)
w = rng.standard_normal(1_000_000)
ops = {
    "matmul 200x200": lambda: M[200] @ M[200],
    "matmul 300x300": lambda: B @ B,
    "matmul 1000x1000": lambda: M[1000] @ M[1000],
    "linalg.solve 300x300": lambda: np.linalg.solve(B, v[:300]),
    "linalg.inv 300x300": lambda: np.linalg.inv(B),
    "linalg.svd 100x100": lambda: np.linalg.svd(B[:100, :100]),
    "linalg.eig 100x100": lambda: np.linalg.eig(B[:100, :100]),
    "fft 2^16": lambda: np.fft.fft(v[:1 << 16]),
    "sort 1e6 float64": lambda: np.sort(v),
    "v * w + 1 on 1e6": lambda: v * w + 1.0,
    "exp(sin(v)) on 1e6": lambda: np.exp(np.sin(v)),
    "sum 1e6": lambda: v.sum(),
    "random normal 1e6": lambda: rng.standard_normal(1_000_000),
}
single = {}
for name, fn in ops.items():
    times = []
    for _ in range(spec["single_reps"]):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    single[name] = min(times) * 1000
print("WEFT-NUMPY " + json.dumps({"import_s": import_s, "scaling": scaling, "single_ms": single}))
`;

/** What each round runs: each thread's share is some 50 ms of work (48 matmuls of 200x200
 *  with BLAS, 4 passes over 2e6 elements), so that thread wake-ups and GIL hand-offs do not
 *  weigh in the ratios. */
export const SPEC = { threads: [1, 2, 4], reps: 9, ops: { matmul: 48, ufunc: 4 }, matmul_n: 200, ufunc_len: 2_000_000, single_reps: 5 };

/** Runs every measurement in Weft; `log` reports progress, `events` keeps the last events. */
export function runNumpy(Weft, { log = () => {}, events = [], rounds = 3, spec = SPEC } = {}) {
  const note = (m) => {
    events.push(`${performance.now().toFixed(1)} ${m}`);
    if (events.length > 80) events.shift();
  };
  return measure({ log, rounds, spec }, async () => {
    let payload = null;
    let stderr = '';
    const errDecoder = new TextDecoder();
    const t0 = performance.now();
    const py = await Weft.start({
      packages: ['numpy'],
      stdout: lineSink((l) => { note(`line ${l.slice(0, 60)}`); if (l.startsWith('WEFT-NUMPY ')) payload = JSON.parse(l.slice(11)); }),
      stderr: (b) => { stderr += errDecoder.decode(b, { stream: true }); },
    });
    const startMs = performance.now() - t0;
    try {
      note('run');
      const code = await py.run(['-c', NUMPY_PY, JSON.stringify(spec)]);
      if (code !== 0 || !payload) throw new Error(`numpy bench: exit ${code}: ${stderr}`);
    } finally {
      await py.close();
    }
    return { payload, startMs };
  });
}

/**
 * The same program on the native CPython `python` with numpy from `site` (PyPI's wheel, its
 * OpenBLAS held to one thread a call, as Weft's BLAS): the reference column. Node only.
 */
export async function runNumpyNative({ python, site, log = () => {}, rounds = 3, spec = SPEC }) {
  const { execFile } = await import('node:child_process');
  const run = (args, env) => new Promise((resolve, reject) => {
    execFile(python, args, { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const env = { ...process.env, PYTHONPATH: site, OPENBLAS_NUM_THREADS: '1' };
  const version = (await run(['-c', 'import sys, numpy; print(sys.version.split()[0], numpy.__version__)'], env)).trim().split(' ');
  const result = await measure({ log, rounds, spec }, async () => {
    const out = await run(['-c', NUMPY_PY, JSON.stringify(spec)], env);
    const line = out.split('\n').find((l) => l.startsWith('WEFT-NUMPY '));
    if (!line) throw new Error(`native numpy bench printed no result: ${out.slice(-500)}`);
    return { payload: JSON.parse(line.slice(11)), startMs: null };
  });
  return { env: `native CPython ${version[0]}, numpy ${version[1]} (OpenBLAS, 1 thread)`, ...result };
}

/** `rounds` of `runOnce()` -> {payload (NUMPY_PY's result), startMs}, summarized: medians over
 *  rounds and repetitions. */
async function measure({ log, rounds, spec }, runOnce) {
  const result = { start_ms: [], import_s: [], runs: [] };
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1} of ${rounds}`);
    const { payload, startMs } = await runOnce();
    if (startMs !== null) result.start_ms.push(startMs);
    result.import_s.push(payload.import_s);
    result.runs.push(payload);
  }
  const scaling = {};
  for (const kind of Object.keys(result.runs[0].scaling)) {
    scaling[kind] = {};
    for (const t of spec.threads) {
      const times = result.runs.flatMap((run) => run.scaling[kind][String(t)]);
      const ones = result.runs.flatMap((run) => run.scaling[kind]['1']);
      const s = median(times);
      const one = median(ones);
      // same_total_work: the time n threads take for n times the work, over n times what one
      // thread takes for one share: 1/n is perfect scaling (issue 8 asks <= 0.55 at 2 threads).
      // Medians, and the best times too: other work on the machine only ever adds time.
      scaling[kind][t] = {
        s, ratio_to_1: s / one, same_total_work: s / (t * one),
        best_s: Math.min(...times), best_same_total_work: Math.min(...times) / (t * Math.min(...ones)),
      };
    }
  }
  const single = {};
  for (const name of Object.keys(result.runs[0].single_ms)) single[name] = median(result.runs.map((run) => run.single_ms[name]));
  return {
    start_ms: result.start_ms.length ? median(result.start_ms) : null,
    import_s: median(result.import_s), scaling, single_ms: single, spec,
  };
}
