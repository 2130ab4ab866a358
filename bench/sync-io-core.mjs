// Sync-io figures for Weft, the same code in Node (main thread, worker_threads) and in a
// cross-origin isolated page (module Worker): input() round trips, interrupt latency in three
// states, time.sleep() overshoot and CPU use during a sleep. Driven by bench/sync-io.mjs, which
// passes the Weft class and a way to sample CPU time; results are plain JSON.

/** Sorted copy. */
const sorted = (v) => [...v].sort((a, b) => a - b);

export function median(v) {
  const s = sorted(v);
  const n = s.length;
  if (!n) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(v, p) {
  const s = sorted(v);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const max = (v) => (v.length ? Math.max(...v) : null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Wall clock in ms with sub-ms precision: what the worker's WASI clock_time_get(REALTIME) reads. */
const wallMs = () => performance.timeOrigin + performance.now();

const INPUT_PY = `import sys, time, json
N = int(sys.argv[1])
pc = time.perf_counter_ns
times = []
for i in range(N):
    t = pc()
    line = input()
    times.append(pc() - t)
    if line != "x%d" % i:
        raise SystemExit("input %d: got %r" % (i, line))
print("WEFT-SYNCIO " + json.dumps(times))
`;

const INTERRUPT_PY = `import sys, time
state, reps = sys.argv[1], int(sys.argv[2])
def out(s):
    sys.stdout.write(s + "\\n")
    sys.stdout.flush()
for i in range(reps):
    try:
        out("ENTER %d" % i)
        if state == "loop":
            x = 0
            while True:
                x += 1
        elif state == "sleep":
            time.sleep(30)
        else:
            input()
        out("MISSED %d" % i)
    except KeyboardInterrupt:
        t = time.time()
        out("CAUGHT %d %.3f" % (i, t * 1000))
out("DONE")
`;

const SLEEP_PY = `import time, json
res = {}
for d, n in ((0.001, 50), (0.01, 30), (0.1, 10)):
    over = []
    for _ in range(n):
        t = time.perf_counter()
        time.sleep(d)
        over.append(time.perf_counter() - t - d)
    res["%g" % d] = over
print("WEFT-SYNCIO " + json.dumps(res))
`;

// After SLEEP-END Python waits in input() until the end sample is taken, so that its exit
// (interpreter teardown) is not counted.
const CPU_PY = `import sys, time
sys.stdout.write("SLEEP-START\\n"); sys.stdout.flush()
time.sleep(2)
sys.stdout.write("SLEEP-END\\n"); sys.stdout.flush()
input()
`;

/** Feeds stdout bytes, calls onLine(line, arrivalMs) per complete line (arrival = performance.now()). */
export function lineSink(onLine) {
  const decoder = new TextDecoder();
  let pending = '';
  return (bytes) => {
    const at = performance.now();
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const l of lines) onLine(l, at);
  };
}

/**
 * Runs every measurement on one interpreter. `cpuSample('start' | 'end')` resolves to
 * `{cpuMs, wallMs, detail?}` (cumulative CPU of whatever it measures, and a wall clock) or
 * throws if CPU cannot be measured; `log(text)` reports progress.
 */
export async function runSyncIo(Weft, { cpuSample, log = () => {}, trace = null, events = [], inputCalls = 1000, interruptReps = 15 } = {}) {
  // The last events (lines received, handler calls, interrupts), for explaining a stall.
  const note = (m) => {
    const e = `${performance.now().toFixed(1)} ${m}`;
    events.push(e);
    if (events.length > 80) events.shift();
    trace?.(e);
  };
  let onLine = () => {};
  const onLineTraced = (l, at) => {
    if (!l.startsWith('WEFT-SYNCIO ')) note(`line ${l.slice(0, 60)}`);
    onLine(l, at);
  };
  let stderr = '';
  const errDecoder = new TextDecoder();
  const py = await Weft.start({
    stdout: lineSink(onLineTraced),
    stderr: (b) => { stderr += errDecoder.decode(b, { stream: true }); },
    env: { PYTHONUNBUFFERED: '1' },
  });
  if (!py.syncIo) throw new Error('sync-io is unavailable here (no SharedArrayBuffer / not cross-origin isolated)');
  const result = {};
  const runChecked = async (what, args) => {
    stderr = '';
    const code = await py.run(args);
    if (code !== 0) throw new Error(`${what}: python exited with ${code}: ${stderr}`);
  };
  try {
    // 1. input() round trip, timed inside Python around each input() call.
    {
      log(`input(): ${inputCalls} calls`);
      let calls = 0;
      let payload = null;
      py.setStdin(() => `x${calls++}`);
      onLine = (l) => { if (l.startsWith('WEFT-SYNCIO ')) payload = JSON.parse(l.slice(12)); };
      const t0 = performance.now();
      await runChecked('input()', ['-c', INPUT_PY, String(inputCalls)]);
      const wall = performance.now() - t0;
      if (!payload) throw new Error('input(): no result line');
      const ms = payload.map((ns) => ns / 1e6);
      result.input = {
        calls: ms.length, handler_calls: calls, run_wall_ms: wall,
        median_ms: median(ms), p99_ms: percentile(ms, 99), max_ms: max(ms), first_ms: ms[0],
        per_call_ms: ms,
      };
    }

    // 2. Interrupt latency in three states.
    result.interrupt = {};
    for (const state of ['loop', 'sleep', 'input']) {
      log(`interrupt: ${state}, ${interruptReps} times`);
      note(`state ${state}`);
      let waiting = null; // resolves when the handler is called (input state)
      let handlerCalled = () => {};
      py.setStdin(() => {
        note('stdin handler called');
        handlerCalled();
        return new Promise(() => {}); // never answered: only an interrupt ends this input()
      });
      const js = []; // interrupt() to arrival of the CAUGHT line, performance.now() on this thread
      const stamped = []; // interrupt() (wall clock here) to time.time() in the except clause
      let lost = 0;
      let noHandlerCall = 0;
      let missed = 0;
      let current = null; // the interrupt in flight: {i, t0, w0, timer}
      let done;
      const finished = new Promise((r) => { done = r; });
      onLine = (l, at) => {
        const [word, idx, stamp] = l.split(' ');
        if (word === 'ENTER') {
          const i = Number(idx);
          if (state === 'input') waiting = new Promise((r) => { handlerCalled = r; });
          (async () => {
            if (state === 'input') {
              // Python asks for input right after ENTER; if the handler is not called, say so
              // and interrupt anyway rather than stall.
              let timer;
              const called = await Promise.race([
                waiting.then(() => true),
                new Promise((r) => { timer = setTimeout(() => r(false), 5000); }),
              ]);
              clearTimeout(timer);
              if (!called) {
                noHandlerCall++;
                note(`no stdin handler call within 5 s of ENTER ${i}`);
              }
            }
            await sleep(state === 'input' ? 20 : 80 + Math.random() * 40);
            const w0 = wallMs();
            const t0 = performance.now();
            py.interrupt();
            const rec = { i, t0, w0 };
            current = rec;
            note(`interrupt() ${i}`);
            // An interrupt that never lands: try again, then give up (terminate ends the run).
            rec.timer = setTimeout(() => {
              lost++;
              note(`interrupt ${i} not caught within 5 s: again`);
              py.interrupt();
              rec.timer = setTimeout(() => py.terminate(), 5000);
            }, 5000);
          })();
        } else if (word === 'CAUGHT' && current && current.i === Number(idx)) {
          js.push(at - current.t0);
          stamped.push(Number(stamp) - current.w0);
          clearTimeout(current.timer);
          current = null;
        } else if (word === 'MISSED') {
          missed++;
        } else if (word === 'DONE') {
          done();
        }
      };
      await runChecked(`interrupt ${state}`, ['-c', INTERRUPT_PY, state, String(interruptReps)]);
      await finished;
      result.interrupt[state] = {
        reps: interruptReps, caught: js.length, lost, missed, no_handler_call: noHandlerCall,
        js_median_ms: median(js), js_max_ms: max(js),
        py_median_ms: median(stamped), py_max_ms: max(stamped),
        js_ms: js, py_ms: stamped,
      };
    }
    py.setStdin(null);

    // 3. time.sleep() overshoot, perf_counter inside Python.
    {
      log('time.sleep overshoot');
      let payload = null;
      onLine = (l) => { if (l.startsWith('WEFT-SYNCIO ')) payload = JSON.parse(l.slice(12)); };
      await runChecked('sleep', ['-c', SLEEP_PY]);
      if (!payload) throw new Error('sleep: no result line');
      result.sleep = {};
      for (const [d, over] of Object.entries(payload)) {
        const ms = over.map((s) => s * 1000);
        result.sleep[d] = { reps: ms.length, median_ms: median(ms), max_ms: max(ms), min_ms: Math.min(...ms), overshoot_ms: ms };
      }
    }

    // 4. CPU during time.sleep(2), between the markers printed around it.
    {
      log('CPU during time.sleep(2)');
      const measure = async (between) => {
        let start = null;
        let end = null;
        let failure = null;
        let pending = Promise.resolve();
        const take = (which) => cpuSample(which).then((s) => { if (which === 'start') start = s; else end = s; }, (e) => { failure = e; });
        await between({
          start: () => { pending = take('start'); return pending; },
          end: () => { pending = pending.then(() => take('end')); return pending; },
        });
        await pending;
        if (failure || !start || !end) return { error: String(failure?.message ?? failure ?? 'no sample') };
        const cpu = end.cpuMs - start.cpuMs;
        const wall = end.wallMs - start.wallMs;
        return { cpu_ms: cpu, wall_ms: wall, cpu_ms_per_wall_s: cpu / (wall / 1000), what: end.what, samples: [start, end] };
      };
      result.cpu = await measure(async ({ start, end }) => {
        let release;
        const sampled = new Promise((r) => { release = r; });
        py.setStdin(() => sampled.then(() => 'go'));
        onLine = (l) => {
          if (l === 'SLEEP-START') start();
          else if (l === 'SLEEP-END') end().finally(release);
        };
        await runChecked('cpu', ['-c', CPU_PY]);
      });
    }
  } finally {
    await py.close();
  }
  return result;
}
