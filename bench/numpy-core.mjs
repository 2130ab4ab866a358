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
${TIMED_PY}for kind in work:  # warm-up: every worker the runs use gets the hot code compiled
    timed(kind, max(spec["threads"]), 1)
scaling = {kind: {str(t): [] for t in spec["threads"]} for kind in work}
for rep in range(spec["reps"]):
    for kind in work:
        for t in spec["threads"]:
            scaling[kind][str(t)].append(timed(kind, t, spec["ops"][kind]))
# One thread: the operations of issue 8's list, best of a few, in ms.
B = rng.standard_normal((300, 300))
v = rng.standard_normal(1_000_000)
ops = {
    "matmul 300x300": lambda: B @ B,
    "solve 300x300": lambda: np.linalg.solve(B, v[:300]),
    "inv 300x300": lambda: np.linalg.inv(B),
    "svd 100x100": lambda: np.linalg.svd(B[:100, :100]),
    "eig 100x100": lambda: np.linalg.eig(B[:100, :100]),
    "fft 2^20": lambda: np.fft.fft(v[:1 << 20] if v.size >= 1 << 20 else np.resize(v, 1 << 20)),
    "sort 1e6": lambda: np.sort(v),
    "sum 1e6": lambda: v.sum(),
    "sin+exp 1e6": lambda: np.exp(np.sin(v)),
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

/** Runs every measurement; `log` reports progress, `events` keeps the last events. */
export async function runNumpy(Weft, {
  log = () => {}, events = [],
  rounds = 3,
  // Each thread's share is some 50 ms of work (48 matmuls of 200x200 with BLAS, 4 passes over
  // 2e6 elements), so that thread wake-ups and GIL hand-offs do not weigh in the ratios.
  spec = { threads: [1, 2, 4], reps: 5, ops: { matmul: 48, ufunc: 4 }, matmul_n: 200, ufunc_len: 2_000_000, single_reps: 5 },
} = {}) {
  const note = (m) => {
    events.push(`${performance.now().toFixed(1)} ${m}`);
    if (events.length > 80) events.shift();
  };
  const result = { spec, start_ms: [], import_s: [], runs: [] };
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1} of ${rounds}`);
    let payload = null;
    let stderr = '';
    const errDecoder = new TextDecoder();
    const t0 = performance.now();
    const py = await Weft.start({
      packages: ['numpy'],
      stdout: lineSink((l) => { note(`line ${l.slice(0, 60)}`); if (l.startsWith('WEFT-NUMPY ')) payload = JSON.parse(l.slice(11)); }),
      stderr: (b) => { stderr += errDecoder.decode(b, { stream: true }); },
    });
    result.start_ms.push(performance.now() - t0);
    try {
      note('run');
      const code = await py.run(['-c', NUMPY_PY, JSON.stringify(spec)]);
      if (code !== 0 || !payload) throw new Error(`numpy bench: exit ${code}: ${stderr}`);
    } finally {
      await py.close();
    }
    result.import_s.push(payload.import_s);
    result.runs.push(payload);
  }
  // Medians over rounds and repetitions.
  const scaling = {};
  for (const kind of Object.keys(result.runs[0].scaling)) {
    scaling[kind] = {};
    for (const t of spec.threads) {
      const s = median(result.runs.flatMap((run) => run.scaling[kind][String(t)]));
      const one = median(result.runs.flatMap((run) => run.scaling[kind]['1']));
      // same_total_work: the time n threads take for n times the work, over n times what one
      // thread takes for one share: 1/n is perfect scaling (issue 8 asks <= 0.55 at 2 threads).
      scaling[kind][t] = { s, ratio_to_1: s / one, same_total_work: s / (t * one) };
    }
  }
  const single = {};
  for (const name of Object.keys(result.runs[0].single_ms)) single[name] = median(result.runs.map((run) => run.single_ms[name]));
  return { start_ms: median(result.start_ms), import_s: median(result.import_s), scaling, single_ms: single, spec };
}
