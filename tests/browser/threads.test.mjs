// Python threads in headless Chromium: threading's semantics, real parallelism, input() and
// interrupts with threads running, daemon threads at exit, a crashing thread, and the clear
// failure of threads on a page that is not cross-origin isolated. Bodies run in the page with a
// fresh interpreter from `startSession()` (helpers.mjs).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO, T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

const py = (...lines) => lines.join('\n');

describe('chromium threads (cross-origin isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-threads', expectIsolated: true });
  const inPage = (fn, arg) => ctx.page.evaluate(fn, arg);
  const ranOk = (r) => {
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.code, 0, ctx.explain(r));
  };

  test('threading semantics as on Linux (tests/python/threads_semantics.py)', T, async () => {
    const code = await readFile(join(REPO, 'tests', 'python', 'threads_semantics.py'), 'utf8');
    const r = await inPage((code) => runPython(['-c', code]), code);
    ranOk(r);
    for (const name of ['thread join timeout daemon', 'locks conditions semaphores events barriers', 'queue',
      'local', 'executor', 'excepthook', 'print and files across threads', 'short threads',
      'monotonic clock shared']) {
      assert.match(r.stdout, new RegExp(`^ok ${name}$`, 'm'));
    }
    assert.match(r.stderr, /Exception in thread loud:[\s\S]*ValueError: invalid literal/);
  });

  test('GIL-releasing work in two threads runs at the same time', T, async () => {
    const code = await readFile(join(REPO, 'tests', 'python', 'threads_overlap.py'), 'utf8');
    const r = await inPage((code) => runPython(['-c', code]), code);
    ranOk(r);
    assert.equal(r.stdout, 'overlap sha256\noverlap zlib\n');
  });

  test('input() in a thread; an interrupt ends join() while the thread runs', T, async () => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      s.py.setStdin(() => 'typed');
      const run = s.run(['-c', code]);
      await waitFor(() => s.text.stdout.includes('joining'), 30000, 'joining');
      await sleep(100);
      const t0 = performance.now();
      s.py.interrupt();
      const r = await run;
      await s.close();
      return { ...r, interruptMs: performance.now() - t0 };
    }, py(
      'import threading, time',
      'got = []',
      't = threading.Thread(target=lambda: got.append(input("? "))); t.start(); t.join()',
      'print(got)',
      't = threading.Thread(target=time.sleep, args=(60,), daemon=True); t.start()',
      'print("joining", flush=True)',
      'try:',
      '    t.join()',
      'except KeyboardInterrupt:',
      '    print("KeyboardInterrupt; the thread is alive:", t.is_alive())',
    ));
    ranOk(r);
    assert.equal(r.stdout, "? ['typed']\njoining\nKeyboardInterrupt; the thread is alive: True\n");
  });

  test('daemon threads running or sleeping at exit end with their process', T, async () => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await s.run(['-c', code]));
      runs.push(await s.run(['-c', 'import threading; print(threading.active_count())']));
      await s.close();
      return runs;
    }, py(
      'import threading, time',
      'threading.Thread(target=time.sleep, args=(60,), daemon=True).start()',
      'def spin():',
      '    while True: pass',
      'threading.Thread(target=spin, daemon=True).start()',
      'print("main done")',
    ));
    for (const run of r.slice(0, 3)) {
      ranOk(run);
      assert.equal(run.stdout, 'main done\n');
    }
    ranOk(r[3]);
    assert.equal(r[3].stdout, '1\n');
  });

  test('a trap in a thread ends the interpreter with one error; a new one starts', T, async () => {
    const r = await inPage(async () => {
      const s = await startSession();
      const crashed = await s.run(['-c', 'import os, threading, time\nthreading.Thread(target=os.abort).start()\ntime.sleep(30)']);
      const after = await s.run(['-c', 'pass']);
      await s.close();
      const fresh = await runPython(['-c', 'import threading\nt = threading.Thread(target=print, args=("fresh",)); t.start(); t.join()']);
      return { crashed, after, fresh };
    });
    assert.equal(r.crashed.errorName, 'WeftError', ctx.explain(r.crashed));
    assert.match(r.crashed.error, /in thread \d+: python\.wasm trapped/);
    assert.equal(r.after.errorName, 'WeftError');
    ranOk(r.fresh);
    assert.equal(r.fresh.stdout, 'fresh\n');
  });
});

describe('chromium threads (not isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-threads-plain', expectIsolated: false });

  test('a thread cannot start, with the usual RuntimeError', T, async () => {
    const r = await ctx.page.evaluate(() => runPython(['-c',
      'import threading\ntry:\n    threading.Thread(target=print).start()\nexcept RuntimeError as e:\n    print(e)']));
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.stdout, "can't start new thread\n");
  });
});
