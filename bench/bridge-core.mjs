// Python <-> JS bridge figures, the same code in Node and in a cross-origin isolated page: the
// main thread's round trip to the worker (runPython('1'), a PyProxy call), calls across the
// bridge inside the worker (Python -> JS and JS -> Python, timed in Python), a synchronous call
// from Python to a main-thread function (weft.main), and moving a 10 MB buffer each way. Driven by bench/bridge.mjs; plain JSON out.
import { median } from './sync-io-core.mjs';

const summary = (v) => ({ median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length });

// Per-call time of `n` calls in a tight loop, timed inside Python (ns per call), `reps` times.
const IN_WORKER_PY = `
import js, time
from weft import create_proxy
noop_js = js.Function.new("return 1")
def per_call_ns(f, n):
    t = time.perf_counter_ns()
    f(n)
    return (time.perf_counter_ns() - t) / n
def py_to_js(n):
    for _ in range(n):
        noop_js()
py_noop = create_proxy(lambda: 1)
js_loop = js.Function.new("f", "n", "for (let i = 0; i < n; i++) f();")
def js_to_py(n):
    js_loop(py_noop, n)
def measure(n, reps):
    py_to_js(n); js_to_py(n)  # warm
    return [[per_call_ns(py_to_js, n) for _ in range(reps)], [per_call_ns(js_to_py, n) for _ in range(reps)]]
`;

export async function runBridge(Weft, { log = () => {}, client, reps = 21, calls = 20000, bufferMb = 10 } = {}) {
  const py = await Weft.start({ stdout: () => {}, stderr: () => {} });
  try {
    const out = {};
    await py.runPython('1');
    const time = async (f, n) => {
      const v = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await f();
        v.push((performance.now() - t) * 1000);
      }
      return summary(v);
    };
    log('runPython round trip');
    for (let i = 0; i < 20; i++) await py.runPython('1');
    out.run_python_us = await time(() => py.runPython('1'), reps * 5);
    const f = await py.runPython('lambda: 1');
    for (let i = 0; i < 20; i++) await f();
    out.proxy_call_us = await time(() => f(), reps * 5);
    await f.destroy();

    log('calls inside the worker');
    await py.runPython(IN_WORKER_PY);
    const [pyToJs, jsToPy] = await py.runPython(`measure(${calls}, ${reps})`).then((p) => p.toJs());
    out.py_to_js_us = summary(pyToJs.map((ns) => ns / 1000));
    out.js_to_py_us = summary(jsToPy.map((ns) => ns / 1000));

    log('sync calls to the main thread');
    // A page function Python calls synchronously through the sync-io channel (weft.main).
    globalThis.weftBenchNoop = () => 1;
    const syncCalls = Math.max(50, Math.floor(calls / 40));
    const perSync = await py.runPython(`
from weft import main
f = main.weftBenchNoop
f()
[per_call_ns(lambda n: [f() for _ in range(n)], ${syncCalls}) for _ in range(${reps})]`).then((p) => p.toJs());
    delete globalThis.weftBenchNoop;
    out.sync_main_call_us = summary(perSync.map((ns) => ns / 1000));
    out.sync_calls = syncCalls;

    log(`${bufferMb} MB each way`);
    const size = bufferMb * 1024 * 1024;
    const buffer = new Uint8Array(size).fill(7);
    const take = await py.runPython('lambda b: len(b.to_bytes())');
    const toPy = [];
    const moved = [];
    const fromPy = [];
    await py.runPython(`big = bytes(${size})`);
    for (let i = 0; i < Math.max(3, Math.floor(reps / 3)); i++) {
      let t = performance.now();
      if ((await take(buffer)) !== size) throw new Error('the buffer did not arrive whole');
      toPy.push(performance.now() - t);
      const fresh = new Uint8Array(size).fill(7); // transfer() empties it: a new one each time
      t = performance.now();
      if ((await take(client.transfer(fresh))) !== size) throw new Error('the buffer did not arrive whole');
      moved.push(performance.now() - t);
      t = performance.now();
      const b = await py.runPython('big');
      if (b.length !== size) throw new Error('the buffer did not come back whole');
      fromPy.push(performance.now() - t);
    }
    await take.destroy();
    out.buffer_bytes = size;
    out.buffer_to_python_ms = summary(toPy);
    out.buffer_to_python_transfer_ms = summary(moved);
    out.buffer_from_python_ms = summary(fromPy);
    out.calls = calls;
    return out;
  } finally {
    await py.close();
  }
}
