// Thread figures for Weft, the same code in Node (worker_threads) and in a cross-origin isolated
// page (module Workers): Weft.start() time and how soon the thread pool is ready, the first
// spawn in a new interpreter, spawn+join latency, and throughput of GIL-releasing work (sha256,
// zlib) on 1, 2 and 4 threads. Driven by bench/threads.mjs; results are plain JSON.
import { lineSink, median, percentile } from './sync-io-core.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits in an interruptible sleep; the JS side interrupts it once it has seen what it measures.
const IDLE_PY = `import time
try:
    print("SLEEPING")
    time.sleep(60)
except KeyboardInterrupt:
    pass
`;

// The first thread of a process. time.time() (the workers' timeOrigin + now(), aligned across
// threads) for the body's start; perf_counter on the main thread for spawn+join.
const FIRST_SPAWN_PY = `import json, threading, time
print("MAIN")
body = []
def f():
    body.append(time.time())
    print("BODY")
t0, w0 = time.perf_counter(), time.time()
t = threading.Thread(target=f)
t.start()
t.join()
joined = time.perf_counter() - t0
print("WEFT-THREADS " + json.dumps({"join_ms": joined * 1000, "body_ms": (body[0] - w0) * 1000}))
`;

const SPAWN_JOIN_PY = `import json, sys, threading, time
n, warm = int(sys.argv[1]), int(sys.argv[2])
def f():
    pass
for _ in range(warm):
    t = threading.Thread(target=f); t.start(); t.join()
pc = time.perf_counter_ns
times = []
for _ in range(n):
    t0 = pc()
    t = threading.Thread(target=f); t.start(); t.join()
    times.append(pc() - t0)
print("WEFT-THREADS " + json.dumps(times))
`;

/**
 * Python: `timed(kind, n, ops)`, the seconds n threads take to each call `work[kind]` `ops`
 * times, from a barrier that they and the caller pass (thread start-up is not counted) to the
 * last join. Shared by the numpy core.
 */
export const TIMED_PY = `def timed(kind, n, ops):
    fn = work[kind]
    barrier = threading.Barrier(n + 1)
    def run():
        barrier.wait()
        for _ in range(ops):
            fn()
    ts = [threading.Thread(target=run) for _ in range(n)]
    for t in ts:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    return time.perf_counter() - t0
`;

// Each of n threads does `ops` calls; the clock runs from a barrier all threads and the main
// thread pass (so thread start-up is not counted) to the last join. Configurations are
// interleaved across repetitions so that drift in the machine's load hits all of them alike.
const SCALING_PY = `import hashlib, json, random, sys, threading, time, zlib
spec = json.loads(sys.argv[1])
rnd = random.Random(1)
sha_data = bytes(range(256)) * (spec["sha256"]["mib"] << 12)
# Random "words" from a small vocabulary: zlib finds repeats but no long runs (ratio ~0.43).
vocab = [rnd.randbytes(rnd.randint(1, 8)) for _ in range(2000)]
size = spec["zlib"]["mib"] << 20
zlib_data = b" ".join(rnd.choices(vocab, k=size // 5))[:size]
assert len(zlib_data) == size
work = {
    "sha256": lambda: hashlib.sha256(sha_data).digest(),
    "zlib": lambda: zlib.compress(zlib_data, 6),
}
${TIMED_PY}# Warm-up: every worker the runs will use gets the hot code compiled.
for kind in work:
    timed(kind, max(spec["threads"]), 1)
out = {kind: {str(n): [] for n in spec["threads"]} for kind in work}
for rep in range(spec["reps"]):
    for kind in work:
        for n in spec["threads"]:
            out[kind][str(n)].append(timed(kind, n, spec[kind]["ops"]))
out["zlib_ratio"] = len(zlib.compress(zlib_data, 6)) / size
print("WEFT-THREADS " + json.dumps(out))
`;

/**
 * Runs every measurement; `client` is dist/weft.mjs's exports (for the pool's defaults), `log`
 * reports progress, `events` keeps the last events for explaining a stall.
 */
export async function runThreads(Weft, {
  client, log = () => {}, events = [],
  rounds = 3, spawnJoin = 500, spawnJoinWarm = 50,
  scaling = { threads: [1, 2, 4], reps: 7, sha256: { mib: 16, ops: 12 }, zlib: { mib: 4, ops: 6 } },
} = {}) {
  const note = (m) => {
    events.push(`${performance.now().toFixed(1)} ${m}`);
    if (events.length > 80) events.shift();
  };
  const idleTarget = client?.THREAD_DEFAULTS?.idleWorkers ?? 2;

  /** A fresh interpreter (default options); `onLine` is swapped per run. */
  const session = async () => {
    const s = { onLine: () => {}, stderr: '' };
    const errDecoder = new TextDecoder();
    const t0 = performance.now();
    s.py = await Weft.start({
      stdout: lineSink((l, at) => { note(`line ${l.slice(0, 60)}`); s.onLine(l, at); }),
      stderr: (b) => { s.stderr += errDecoder.decode(b, { stream: true }); },
      env: { PYTHONUNBUFFERED: '1' },
    });
    s.startMs = performance.now() - t0;
    if (!s.py.threads) throw new Error('threads are unavailable here (no SharedArrayBuffer / not cross-origin isolated)');
    s.run = async (what, args) => {
      s.stderr = '';
      note(`run ${what}`);
      const code = await s.py.run(args);
      if (code !== 0) throw new Error(`${what}: python exited with ${code}: ${s.stderr}`);
    };
    return s;
  };
  /** Runs `args`, returning the JSON after the `WEFT-THREADS ` line. */
  const payloadOf = async (s, what, args) => {
    let payload = null;
    s.onLine = (l) => { if (l.startsWith('WEFT-THREADS ')) payload = JSON.parse(l.slice(13)); };
    await s.run(what, args);
    if (!payload) throw new Error(`${what}: no result line`);
    return payload;
  };

  /**
   * One run of IDLE_PY: `ms` from run() until stats() shows `idleTarget` idle workers (null if
   * not within 20 s), polled every ms (setTimeout's resolution: 1 ms in Node, up to 4 ms in
   * pages), and `workers`, the pool workers alive then.
   */
  const idleRun = async (s) => {
    let sleeping;
    const asleep = new Promise((r) => { sleeping = r; });
    s.onLine = (l) => { if (l === 'SLEEPING') sleeping(); };
    const t0 = performance.now();
    const run = s.run('idle', ['-c', IDLE_PY]);
    let ms = null;
    let workers = null;
    let polls = 0;
    while (performance.now() - t0 < 20_000) {
      const stats = s.py.stats();
      if (stats.idleThreadWorkers >= idleTarget) {
        ms = performance.now() - t0;
        workers = stats.threadWorkers;
        break;
      }
      polls++;
      await sleep(1);
    }
    note(`idle after ${ms} ms, ${polls} polls`);
    // Interrupt only inside the try block, or the KeyboardInterrupt would fail the run.
    await Promise.race([asleep, run]);
    s.py.interrupt();
    await run;
    return { ms, workers };
  };

  /** One run of FIRST_SPAWN_PY: Python's figures and when its lines reached this thread. */
  const firstSpawnRun = async (s) => {
    const at = {};
    let payload = null;
    s.onLine = (l, t) => {
      if (l.startsWith('WEFT-THREADS ')) payload = JSON.parse(l.slice(13));
      else at[l] ??= t;
    };
    const t0 = performance.now();
    await s.run('first spawn', ['-c', FIRST_SPAWN_PY]);
    if (!payload || at.MAIN === undefined || at.BODY === undefined) throw new Error('first spawn: missing output');
    return { ...payload, main_line_ms: at.MAIN - t0, body_line_ms: at.BODY - t0, workers_after: s.py.stats().threadWorkers };
  };

  const result = { idle_target: idleTarget, rounds };
  const startMs = [];
  const idle = { first_run: [], second_run: [] };
  const first = { new_interpreter: [], second_run: [] };
  // A new interpreter per figure and round: only its first run shows the cold pool.
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1} of ${rounds}: pool warm-up, first spawn`);
    let s = await session();
    startMs.push(s.startMs);
    try {
      idle.first_run.push(await idleRun(s));
      idle.second_run.push(await idleRun(s));
    } finally {
      await s.py.close();
    }
    s = await session();
    startMs.push(s.startMs);
    try {
      first.new_interpreter.push(await firstSpawnRun(s));
      first.second_run.push(await firstSpawnRun(s));
    } finally {
      await s.py.close();
    }
  }
  result.start_ms = { first: startMs[0], median: median(startMs), all: startMs };
  // A round that never got there makes the median meaningless: null says so.
  const idleSummary = (runs) => ({
    median_ms: runs.some((r) => r.ms === null) ? null : median(runs.map((r) => r.ms)),
    max_workers: Math.max(...runs.map((r) => r.workers ?? 0)),
    runs,
  });
  result.idle = { first_run: idleSummary(idle.first_run), second_run: idleSummary(idle.second_run) };
  const summary = (runs) => Object.fromEntries(
    ['join_ms', 'body_ms', 'main_line_ms', 'body_line_ms'].map((k) => [`${k}_median`, median(runs.map((x) => x[k]))]),
  );
  result.first_spawn = {
    new_interpreter: { ...summary(first.new_interpreter), runs: first.new_interpreter },
    second_run: { ...summary(first.second_run), runs: first.second_run },
  };

  const s = await session();
  try {
    log(`spawn+join: ${spawnJoin} times after ${spawnJoinWarm}`);
    const ns = await payloadOf(s, 'spawn+join', ['-c', SPAWN_JOIN_PY, String(spawnJoin), String(spawnJoinWarm)]);
    const ms = ns.map((x) => x / 1e6);
    result.spawn_join = {
      n: ms.length, warm: spawnJoinWarm, median_ms: median(ms), p95_ms: percentile(ms, 95),
      p99_ms: percentile(ms, 99), max_ms: Math.max(...ms), per_call_ms: ms,
    };

    log(`scaling: ${scaling.threads.join('/')} threads, best of ${scaling.reps}`);
    const out = await payloadOf(s, 'scaling', ['-c', SCALING_PY, JSON.stringify(scaling)]);
    result.scaling = { spec: scaling, zlib_ratio: out.zlib_ratio, workers_after: s.py.stats().threadWorkers };
    for (const kind of ['sha256', 'zlib']) {
      const { mib, ops } = scaling[kind];
      const rows = {};
      for (const n of scaling.threads) {
        const times = out[kind][String(n)];
        const best = Math.min(...times);
        const opsPerS = (n * ops) / best;
        rows[n] = { threads: n, ops: n * ops, best_s: best, ops_per_s: opsPerS, mib_per_s: opsPerS * mib, times_s: times };
      }
      for (const row of Object.values(rows)) row.speedup = row.ops_per_s / rows[scaling.threads[0]].ops_per_s;
      result.scaling[kind] = { mib, ops_per_thread: ops, rows: Object.values(rows) };
    }
  } finally {
    await s.py.close();
  }
  return result;
}
