// Host -> guest KeyboardInterrupt test for python.wasm under node:wasi (not the Weft runtime).
// Python runs in a worker_thread on a shared memory (wasi-threads via more workers, as in
// smoke-test.mjs --threads); this (main) thread waits for the script to print READY, waits 300 ms,
// then does what the Weft host does on Ctrl-C:
//   addr = instance.exports.weft_interrupt_word.value      (posted here by the worker)
//   Atomics.store(new Int32Array(memory.buffer), addr >> 2, 1); Atomics.notify(...)
// and checks the exit status, output, that the word is back to 0, and the latencies
// store -> word consumed (spinning on the word) and store -> wasi.start returned.
// Like the Weft runtime, this host makes the main thread's blocking calls return EINTR on an
// interrupt (node:wasi itself never does): poll_oneoff with one clock subscription (time.sleep;
// it also makes sleeping work at all, which node:wasi's does not here) and fd_read of stdin wait
// on the word with Atomics.wait; CPython then retries them (PEP 475) after PyErr_CheckSignals().
//
// usage: node interrupt-test.mjs PYTHON_WASM STDLIB [CASE...]
//   STDLIB: python-stdlib.zip or a lib/python3.13 directory; CASE: names below (default all).
// Exit status 0 iff every case passed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { extractZip, harnessImports, readMemoryImportMin, startReactor } from './wasi-node-util.mjs';

process.removeAllListeners('warning'); // "WASI is an experimental feature"...
const { WASI } = await import('node:wasi'); // ...is emitted on load: import it after that

// An unhandled KeyboardInterrupt ends CPython through exit_sigint(): with no kill() on WASI it
// returns 128 + SIGINT.
const KI_STATUS = 130;
const READY = 'print("READY", flush=True)';
const CASES = {
  // JUMP_BACKWARD -> CHECK_EVAL_BREAKER.
  loop: { code: `${READY}\nwhile True: pass`, ki: true },
  call: { code: `def f(x):\n    return x + 1\n${READY}\nwhile True:\n    f(1)`, ki: true },
  // No backward jump at all: only RESUME_CHECK's deopt on the pending word reaches a check.
  recursion: { code: `def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n${READY}\nfib(60)`, ki: true, tb: 'in fib' },
  // PEP 709 inlines the comprehension: its FOR_ITER loop jumps back in this frame.
  listcomp: { code: `${READY}\nxs = [x for x in range(10**10) if x < 0]\nprint("listcomp finished")`, ki: true, tb: 'xs = [x for x' },
  // One C call (Karatsuba squaring, seconds long) that polls only via PyErr_CheckSignals().
  bigint: { code: `x = (1 << 20_000_000) - 1\n${READY}\ny = x * x\nprint("multiply finished")`, ki: true, tb: 'y = x * x' },
  // Blocking calls returning EINTR: PyErr_CheckSignals() must find the word.
  sleep: { code: `import time\n${READY}\ntime.sleep(60)\nprint("sleep finished")`, ki: true, tb: 'time.sleep(60)' },
  stdin: { code: `${READY}\ninput()\nprint("input finished")`, ki: true, tb: 'input()' },
  // A handler that returns: the sleep resumes for the rest of its second (PEP 475).
  sleep_handler: {
    code: `import signal, time\nsignal.signal(signal.SIGINT, lambda s, f: print("handler ran", flush=True))\n` +
      `${READY}\nt = time.monotonic()\ntime.sleep(1.0)\nprint("slept", round(time.monotonic() - t, 1))`,
    status: 0, stdout: 'handler ran\nslept 1.0',
  },
  // A Python handler runs instead of default_int_handler.
  handler: {
    code: `import signal, sys\ndef h(signum, frame):\n    print("handler ran", signum == signal.SIGINT, flush=True)\n    sys.exit(0)\n` +
      `signal.signal(signal.SIGINT, h)\n${READY}\nwhile True: pass`,
    status: 0, stdout: 'handler ran True',
  },
  // SIG_IGN: the word is consumed, nothing is raised.
  ignore: {
    code: `import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n${READY}\n` +
      `t = time.monotonic()\nwhile time.monotonic() - t < 1.5: pass\nprint("survived")`,
    status: 0, stdout: 'survived',
  },
  // Another thread runs Python with the word set while the main thread is blocked in a lock
  // (a futex wait, which polls nothing): the word must still be set 1 s later. Once the lock is
  // released the main thread takes it at the eval-breaker check that follows the call.
  thread: {
    code: `import threading, time\nlock = threading.Lock(); lock.acquire()\n` +
      `def spin():\n    t = time.monotonic()\n    while time.monotonic() - t < 2.0: pass\n    lock.release()\n` +
      `threading.Thread(target=spin, daemon=True).start()\n${READY}\nlock.acquire()\nprint("main finished")`,
    ki: true, tb: 'lock.acquire()', stillSetAfterMs: 1000,
  },
};

if (!isMainThread) {
  const d = workerData;
  const wasi = new WASI({ version: 'preview1', args: d.args, env: d.env, preopens: d.preopens, returnOnExit: true, stdout: d.stdout, stderr: d.stderr });
  const children = [];
  const spawn = (arg) => {
    const tid = Atomics.add(d.nextTid, 0, 1);
    children.push(new Worker(new URL(import.meta.url), { workerData: { ...d, role: 'thread', tid, arg } }));
    return tid;
  };
  let wordIndex = -1; // known once instantiated; only the Python main thread gets EINTR
  const imports = { wasi_snapshot_preview1: { ...wasi.wasiImport, ...interruptibleCalls(d, wasi.wasiImport, () => wordIndex) },
                    wasi: { 'thread-spawn': spawn }, env: { memory: d.memory }, ...harnessImports(d.module, d.memory) };
  const instance = await WebAssembly.instantiate(d.module, imports);
  if (d.role !== 'thread') wordIndex = instance.exports.weft_interrupt_word.value >> 2;
  if (d.role === 'thread') {
    wasi.start({ exports: { memory: d.memory, _start: () => instance.exports.wasi_thread_start(d.tid, d.arg) } });
  } else {
    parentPort.postMessage({ addr: instance.exports.weft_interrupt_word.value });
    const code = startReactor(wasi, instance, d.memory);
    await Promise.all(children.map((w) => w.terminate())); // daemon threads still spinning
    parentPort.postMessage({ code });
  }
  process.exit(0);
}

// poll_oneoff (a single clock subscription) and fd_read(0) that block on the interrupt word and
// return EINTR when it is set, as the Weft runtime does; anything else goes to node:wasi.
function interruptibleCalls(d, base, wordIndex) {
  const EINTR = 27, w = new Int32Array(d.memory.buffer);
  const pending = () => wordIndex() >= 0 && Atomics.load(w, wordIndex()) !== 0;
  return {
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      const v = new DataView(d.memory.buffer);
      if (nsubs !== 1 || v.getUint8(inPtr + 8) !== 0) return base.poll_oneoff(inPtr, outPtr, nsubs, neventsPtr);
      const clock = v.getUint32(inPtr + 16, true), timeout = v.getBigUint64(inPtr + 24, true);
      const abs = v.getUint16(inPtr + 40, true) & 1;
      const now = () => (clock === 0 ? BigInt(Date.now()) * 1000000n : process.hrtime.bigint());
      const deadline = abs ? timeout : now() + timeout;
      for (;;) {
        if (pending()) return EINTR;
        const left = deadline - now();
        if (left <= 0n) break;
        // Waits on the word itself: the host's Atomics.notify ends the sleep at once.
        if (wordIndex() >= 0) Atomics.wait(w, wordIndex(), 0, Number(left) / 1e6);
        else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(left) / 1e6);
      }
      v.setBigUint64(outPtr, v.getBigUint64(inPtr, true), true); // event: userdata, errno 0, clock
      v.setUint16(outPtr + 8, 0, true); v.setUint8(outPtr + 10, 0);
      v.setUint32(neventsPtr, 1, true);
      return 0;
    },
    fd_read(fd, iovs, iovsLen, nreadPtr) {
      if (fd !== 0 || wordIndex() < 0) return base.fd_read(fd, iovs, iovsLen, nreadPtr);
      while (!pending()) Atomics.wait(w, wordIndex(), 0); // stdin never has data here
      return EINTR;
    },
  };
}

const [wasmPath, stdlib, ...only] = process.argv.slice(2);
if (!wasmPath || !stdlib) {
  console.error('usage: node interrupt-test.mjs PYTHON_WASM STDLIB [CASE...]');
  process.exit(2);
}
for (const n of only) if (!CASES[n]) { console.error(`unknown case ${n}; cases: ${Object.keys(CASES).join(' ')}`); process.exit(2); }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-interrupt-'));
let libDir = stdlib;
if (stdlib.endsWith('.zip')) extractZip(stdlib, libDir = path.join(tmp, 'lib'));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
const bytes = fs.readFileSync(wasmPath);
const module = await WebAssembly.compile(bytes);
if (!WebAssembly.Module.exports(module).some((e) => e.name === 'weft_interrupt_word' && e.kind === 'global')) {
  console.error(`${wasmPath} does not export the global weft_interrupt_word`);
  process.exit(1);
}
const minPages = readMemoryImportMin(bytes);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runCase(name, c) {
  const memory = new WebAssembly.Memory({ initial: minPages, maximum: 32768, shared: true });
  const outPath = path.join(tmp, `${name}.out`), errPath = path.join(tmp, `${name}.err`);
  const stdout = fs.openSync(outPath, 'w'), stderr = fs.openSync(errPath, 'w');
  const nextTid = new Int32Array(new SharedArrayBuffer(4)); nextTid[0] = 1;
  const worker = new Worker(new URL(import.meta.url), { workerData: {
    role: 'python', module, memory, nextTid, stdout, stderr,
    args: ['/usr/local/bin/python3', '-c', c.code],
    env: { PYTHONHOME: '/usr/local', PWD: '/home/user', HOME: '/home/user', LANG: 'C.UTF-8' },
    preopens: { '/usr/local/lib/python3.13': libDir, '/home/user': home },
  } });
  const msgs = [];
  let wake = () => {};
  worker.on('message', (m) => { msgs.push(m); wake(); });
  worker.on('error', (e) => { msgs.push({ error: e }); wake(); });
  const next = async (key, ms) => {
    const end = performance.now() + ms;
    for (;;) {
      const m = msgs.find((x) => key in x || 'error' in x);
      if (m) { if (m.error) throw m.error; return m[key]; }
      if (performance.now() > end) throw new Error(`timeout waiting for ${key}`);
      await Promise.race([new Promise((r) => { wake = r; }), sleep(20)]);
    }
  };
  const fail = [];
  const res = { name };
  try {
    const addr = await next('addr', 20000);
    const word = new Int32Array(memory.buffer), i = addr >> 2;
    if (addr % 4 !== 0) fail.push(`address ${addr} not aligned`);
    const readyBy = performance.now() + 20000;
    while (!fs.readFileSync(outPath, 'utf8').includes('READY')) {
      if (msgs.length > 1 || performance.now() > readyBy) throw new Error('script never printed READY');
      await sleep(5);
    }
    await sleep(300);
    Atomics.store(word, i, 1);
    Atomics.notify(word, i);
    const tStore = performance.now();
    if (c.stillSetAfterMs) {
      await sleep(c.stillSetAfterMs);
      if (Atomics.load(word, i) !== 1) fail.push(`word taken while the main thread was blocked`);
    } else {
      while (Atomics.load(word, i) !== 0 && performance.now() - tStore < 5000); // spin: sub-ms timing
      if (Atomics.load(word, i) === 0) res.consumedMs = performance.now() - tStore;
    }
    res.status = await next('code', 30000);
    res.exitMs = performance.now() - tStore;
    if (Atomics.load(word, i) !== 0) fail.push(`word is ${Atomics.load(word, i)} after exit, not 0`);
  } catch (e) {
    fail.push(String(e.message || e));
    await worker.terminate();
  }
  fs.closeSync(stdout); fs.closeSync(stderr);
  const out = fs.readFileSync(outPath, 'utf8'), err = fs.readFileSync(errPath, 'utf8');
  const want = c.ki ? KI_STATUS : c.status;
  if (res.status !== want) fail.push(`exit status ${res.status}, expected ${want}`);
  if (c.ki) {
    if (!/^Traceback \(most recent call last\):/m.test(err) || !/^KeyboardInterrupt\s*$/m.test(err)) fail.push('no KeyboardInterrupt traceback on stderr');
    if (c.tb && !err.includes(c.tb)) fail.push(`traceback does not mention ${JSON.stringify(c.tb)}`);
  } else if (err.trim()) fail.push('unexpected stderr');
  if (c.stdout && !out.includes(c.stdout)) fail.push(`stdout lacks ${JSON.stringify(c.stdout)}`);
  if (/finished/.test(out)) fail.push('the interrupted operation ran to completion');
  res.fail = fail;
  if (fail.length) res.output = { stdout: out.slice(-2000), stderr: err.slice(-2000) };
  return res;
}

let failed = 0;
for (const name of only.length ? only : Object.keys(CASES)) {
  const r = await runCase(name, CASES[name]);
  const ms = (x) => (x === undefined ? '-' : `${x.toFixed(1)} ms`);
  console.error(`[interrupt] ${r.fail.length ? 'FAIL' : 'ok  '} ${name.padEnd(9)} status ${r.status}  store->consumed ${ms(r.consumedMs)}  store->exit ${ms(r.exitMs)}`);
  if (r.fail.length) {
    failed++;
    for (const f of r.fail) console.error(`    ${f}`);
    if (r.output) console.error(`    stdout: ${r.output.stdout}\n    stderr: ${r.output.stderr}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
