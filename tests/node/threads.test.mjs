// Python threads in Node: the pool (spawn, reuse, growth, bounded failure), threading's
// semantics, real parallelism, interrupts with other threads running, and how a thread's
// crash or exit ends the interpreter.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { PYTHON_DIR, client, startWeft } from './helpers.mjs';

const T = { timeout: 120_000 };
const { WeftError } = client;

/** Resolves once `s` printed `marker` after offset `from` of its output. */
async function printed(s, marker, from) {
  while (!s.stdout().slice(from).includes(marker)) await new Promise((r) => setTimeout(r, 10));
}

/** Runs `code` in `s`, interrupting it 100 ms after it printed `marker`. */
async function interrupted(s, code, marker) {
  const from = s.stdout().length;
  const run = s.py.run(['-c', code]);
  await printed(s, marker, from);
  await new Promise((r) => setTimeout(r, 100));
  s.py.interrupt();
  return run;
}

describe('the thread pool', () => {
  test('threading semantics as on Linux (tests/python/threads_semantics.py)', T, async () => {
    const s = await startWeft();
    try {
      const code = await readFile(join(PYTHON_DIR, 'threads_semantics.py'), 'utf8');
      const exit = await s.py.run(['-c', code]);
      assert.equal(exit, 0, s.stderr());
      for (const name of ['thread join timeout daemon', 'locks conditions semaphores events barriers', 'queue',
        'local', 'executor', 'excepthook', 'print and files across threads', 'short threads',
      'monotonic clock shared']) {
        assert.match(s.stdout(), new RegExp(`^ok ${name}$`, 'm'));
      }
      for (let i = 0; i < 3; i++) assert.match(s.stdout(), new RegExp(`^line from thread ${i}$`, 'm'));
      // The default excepthook prints the thread's traceback.
      assert.match(s.stderr(), /Exception in thread loud:[\s\S]*ValueError: invalid literal/);
    } finally {
      await s.py.close();
    }
  });

  test('2000 short threads in sequence reuse the workers and do not grow memory', T, async () => {
    const s = await startWeft();
    try {
      const code = (n) => `import threading\nfor i in range(${n}):\n  t = threading.Thread(target=lambda: None); t.start(); t.join()\nprint("done", threading.active_count())`;
      assert.equal(await s.py.run(['-c', code(100)]), 0, s.stderr());
      const after100 = s.py.stats();
      assert.equal(await s.py.run(['-c', code(2000)]), 0, s.stderr());
      const after2000 = s.py.stats();
      assert.match(s.stdout(), /done 1\ndone 1\n/);
      assert.ok(after2000.threadWorkers <= client.THREAD_DEFAULTS.idleWorkers + 1, JSON.stringify(after2000));
      assert.ok(after2000.memoryBytes <= after100.memoryBytes, `${after100.memoryBytes} -> ${after2000.memoryBytes}`);
    } finally {
      await s.py.close();
    }
  });

  test('the pool grows for many live threads, and a spawn it cannot serve fails cleanly', T, async () => {
    const s = await startWeft({ threads: { idleWorkers: 1, maxWorkers: 4, spawnTimeoutMs: 500 } });
    try {
      const code = `import threading
ev = threading.Event()
ts = []
for i in range(4):
    t = threading.Thread(target=ev.wait); t.start(); ts.append(t)
print("four running", threading.active_count())
try:
    threading.Thread(target=ev.wait).start()
except RuntimeError as e:
    print("fifth:", e)
ev.set()
for t in ts: t.join()
t = threading.Thread(target=print, args=("a worker is free again",)); t.start(); t.join()`;
      assert.equal(await s.py.run(['-c', code]), 0, s.stderr());
      assert.match(s.stdout(), /four running 5\nfifth: can't start new thread\na worker is free again\n/);
    } finally {
      await s.py.close();
    }
  });

  test('a thread spawned before the client has seen the process start waits for a worker', T, async () => {
    const s = await startWeft();
    try {
      // The first statement spawns; the client's thread is kept busy meanwhile, so the
      // process's 'started' message (which hands the pool workers the process) waits.
      const run = s.py.run(['-c', 'import threading\nt = threading.Thread(target=print, args=("in a thread",))\nt.start(); t.join()']);
      await new Promise((r) => setTimeout(r, 0)); // run() posts from a microtask
      const until = Date.now() + 1500;
      while (Date.now() < until) { /* busy, on purpose */ }
      assert.equal(await run, 0, s.stderr());
      assert.equal(s.stdout(), 'in a thread\n');
    } finally {
      await s.py.close();
    }
  });

  test('threads: false, or no SharedArrayBuffer, gives "can\'t start new thread"', T, async () => {
    const s = await startWeft({ threads: false });
    try {
      assert.equal(s.py.threads, false);
      const exit = await s.py.run(['-c', 'import threading\ntry:\n  threading.Thread(target=print).start()\nexcept RuntimeError as e: print(e)']);
      assert.equal(exit, 0, s.stderr());
      assert.equal(s.stdout(), "can't start new thread\n");
    } finally {
      await s.py.close();
    }
    await assert.rejects(startWeft({ threads: { maxWorkers: 0 } }), /maxWorkers must be at least 1/);
  });

  test('GIL-releasing work in two threads runs at the same time', T, async () => {
    const s = await startWeft();
    try {
      const code = await readFile(join(PYTHON_DIR, 'threads_overlap.py'), 'utf8');
      assert.equal(await s.py.run(['-c', code]), 0, s.stderr());
      assert.equal(s.stdout(), 'overlap sha256\noverlap zlib\n');
    } finally {
      await s.py.close();
    }
  });
});

describe('interrupts and I/O with threads', () => {
  test('input() in a thread is answered by the page', T, async () => {
    const s = await startWeft({ stdin: () => 'from the page' });
    try {
      const exit = await s.py.run(['-c', 'import threading\nr = []\nt = threading.Thread(target=lambda: r.append(input("? ")))\nt.start(); t.join(); print(r)']);
      assert.equal(exit, 0, s.stderr());
      assert.equal(s.stdout(), "? ['from the page']\n");
    } finally {
      await s.py.close();
    }
  });

  test('an interrupt ends join(), Lock.acquire() and queue.get() while another thread runs', T, async () => {
    const s = await startWeft();
    try {
      const cases = [
        ['join', 't.join()'],
        ['acquire', 'lk = threading.Lock(); lk.acquire(); lk.acquire()'],
        ['queue', 'import queue; queue.Queue().get()'],
        ['event', 'threading.Event().wait()'],
      ];
      for (const [name, wait] of cases) {
        const code = `import threading, time
t = threading.Thread(target=time.sleep, args=(60,), daemon=True); t.start()
print("waiting", flush=True)
try:
    ${wait}
except KeyboardInterrupt:
    print("KeyboardInterrupt in ${name}; the thread is alive:", t.is_alive())`;
        const before = s.stdout().length;
        assert.equal(await interrupted(s, code, `waiting`), 0, s.stderr());
        assert.equal(s.stdout().slice(before), `waiting\nKeyboardInterrupt in ${name}; the thread is alive: True\n`);
      }
    } finally {
      await s.py.close();
    }
  });

  test('an interrupt reaches the main thread while other threads hold the GIL', T, async () => {
    const s = await startWeft();
    try {
      const code = `import threading, time
def spin():
    while True: pass
for _ in range(2): threading.Thread(target=spin, daemon=True).start()
print("spinning", flush=True)
try:
    while True: time.sleep(0.01)
except KeyboardInterrupt:
    print("KeyboardInterrupt")`;
      assert.equal(await interrupted(s, code, 'spinning'), 0, s.stderr());
      assert.match(s.stdout(), /spinning\nKeyboardInterrupt\n/);
      // The spinning daemon threads were ended with their process; the interpreter goes on.
      assert.equal(await s.py.run(['-c', 'import threading; print(threading.active_count())']), 0);
      assert.match(s.stdout(), /KeyboardInterrupt\n1\n$/);
    } finally {
      await s.py.close();
    }
  });

  test('daemon threads still running, sleeping or in input() at exit end with their process', T, async () => {
    // A page that never answers: the thread stays blocked in input().
    const s = await startWeft({ stdin: () => new Promise(() => {}) });
    try {
      const code = `import threading, time
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
threading.Thread(target=input, daemon=True).start()
def spin():
    while True: pass
threading.Thread(target=spin, daemon=True).start()
print("main done")`;
      for (let i = 0; i < 3; i++) assert.equal(await s.py.run(['-c', code]), 0, s.stderr());
      assert.equal(s.stdout(), 'main done\n'.repeat(3));
      assert.equal(s.stderr(), '');
      assert.equal(await s.py.run(['-c', 'print(open("/tmp/x", "w").write("still fine"))']), 0);
    } finally {
      await s.py.close();
    }
  });
});

describe('a thread that crashes or exits', () => {
  for (const [what, body, message] of [
    ['os._exit()', 'os._exit(3)', /exit\(3\).*thread/],
    ['os.abort() (a trap)', 'os.abort()', /in thread \d+: python\.wasm trapped/],
  ]) {
    test(`${what} in a thread ends the interpreter with one error; a new one starts`, T, async () => {
      const s = await startWeft();
      const errors = [];
      const run = s.py.run(['-c', `import os, threading, time\nthreading.Thread(target=lambda: ${body}).start()\ntime.sleep(30)`]);
      await assert.rejects(run, (e) => {
        errors.push(e);
        return e instanceof WeftError && message.test(e.message);
      });
      await assert.rejects(s.py.run(['-c', 'pass']), WeftError);
      assert.equal(s.py.stats().threadWorkers, 0);
      await s.py.close();
      const fresh = await startWeft();
      try {
        assert.equal(await fresh.py.run(['-c', 'import threading; t = threading.Thread(target=print, args=("fresh",)); t.start(); t.join()']), 0);
        assert.equal(fresh.stdout(), 'fresh\n');
      } finally {
        await fresh.py.close();
      }
    });
  }
});
