// The sync-io channel in headless Chromium: Python's stdin answered by a page handler, interrupts,
// terminate(), page-owned mounts and interruptible sleeps, on a cross-origin isolated page; and
// the clear errors of the same features on a page that is not isolated. Each test's body runs in
// the page (handlers are page functions) with a fresh interpreter from `startSession()` (see the
// page in helpers.mjs); measured latencies are logged with `t.diagnostic`, never asserted tightly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

/** What interrupt() and friends must say without SharedArrayBuffer. */
const NO_SAB = /SharedArrayBuffer is unavailable/;
const HOW_TO = /Cross-Origin-Opener-Policy: same-origin[\s\S]*Cross-Origin-Embedder-Policy: require-corp/;

/** Python lines joined into one -c argument. */
const py = (...lines) => lines.join('\n');

describe('chromium sync-io (cross-origin isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-sync-io', expectIsolated: true });
  const inPage = (fn, arg) => ctx.page.evaluate(fn, arg);
  const explain = (r) => ctx.explain(r);
  /** The run ended by itself with exit code `code`. */
  const ranOk = (r, code = 0) => {
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, code, explain(r));
  };

  // ---- stdin -------------------------------------------------------------------------------

  test('input(prompt): the handler sees everything printed before, and the prompt', T, async () => {
    // 21 prompts, each after a print: the handler must see all of it when called (the order of
    // output and stdin requests is what a page's terminal relies on to show the prompt).
    const r = await inPage(async (code) => {
      const s = await startSession();
      const seen = [];
      s.py.setStdin(() => {
        seen.push(s.text.stdout);
        return seen.length === 1 ? 'Ada' : 'ok';
      });
      const r = await s.run(['-c', code]);
      await s.close();
      return { ...r, seen, syncIo: s.py.syncIo };
    }, py(
      'print("hello")',
      'print("partial", end="")',
      'name = input("name? ")',
      'for i in range(20):',
      '    print(f"line {i}")',
      '    input(f"{name}\'s q{i}? ")',
      'print(f"[{name}]")',
    ));
    ranOk(r);
    assert.equal(r.syncIo, true);
    const expected = ['hello\npartialname? '];
    for (let i = 0; i < 20; i++) expected.push(`${expected.at(-1)}line ${i}\nAda's q${i}? `);
    assert.equal(r.stdout, `${expected.at(-1)}[Ada]\n`, explain(r));
    const wrong = r.seen.findIndex((text, i) => text !== expected[i]);
    assert.equal(r.seen.length, expected.length, explain(r));
    assert.equal(wrong, -1, `stdin request ${wrong} came before the output printed before it:\n` +
      `handler saw  ${JSON.stringify(r.seen[wrong]?.slice(-40))}\nexpected     ${JSON.stringify(expected[wrong]?.slice(-40))}\n` +
      `(${r.seen.filter((text, i) => text !== expected[i]).length} of ${expected.length} calls saw stale output)`);
  });

  test('input(), readline(), read() and iteration, with strings, bytes, EOF and Promises', T, async () => {
    const r = await inPage(async (code) => {
      const enc = (t) => new TextEncoder().encode(t);
      const later = (v, ms = 20) => new Promise((res) => setTimeout(() => res(v), ms));
      const replies = [
        () => 'alpha', // a string is a line: "\n" added
        () => enc('beta\n'), // bytes
        () => later('gamma\n'), // a Promise of a string that already ends the line
        () => 'one',
        () => enc('two\nthree\n'), // two lines in one answer
        () => later(enc('four')), // bytes are passed unchanged: no "\n" added...
        () => later('five'), // ...so this continues the line
        () => null, // end of input
        () => 'r1',
        () => later(new Uint8Array(0)), // empty bytes: end of input too
        () => undefined, // and undefined
        () => Promise.resolve(null),
      ];
      let calls = 0;
      // Pyodide's object form, through start().
      const s = await startSession({ stdin: { stdin: () => replies[calls++]() } });
      const r = await s.run(['-c', code]);
      await s.close();
      return { ...r, calls };
    }, py(
      'import sys',
      'a = input()',
      'b = sys.stdin.readline()',
      'c = input()',
      'rest = [line for line in sys.stdin]',
      'print(repr(a), repr(b), repr(c))',
      'print(repr(rest))',
      'print(repr(sys.stdin.read()))',
      'print(repr(sys.stdin.read()))',
      'try:',
      '    input()',
      'except EOFError:',
      '    print("EOFError")',
    ));
    ranOk(r);
    assert.equal(r.stdout, [
      "'alpha' 'beta\\n' 'gamma'",
      "['one\\n', 'two\\n', 'three\\n', 'fourfive\\n']",
      "'r1\\n'",
      "''",
      'EOFError',
      '',
    ].join('\n'), explain(r));
    assert.equal(r.calls, 12, explain(r));
  });

  test('non-ASCII text round-trips, also split inside a character; invalid UTF-8 gives surrogate escapes', T, async () => {
    const r = await inPage(async (code) => {
      const replies = [
        'héllo ✓ 𝄞 日本語',
        new Uint8Array([0xc3]), new Uint8Array([0xa9, 0x0a]), // é split after its first byte
        new Uint8Array([0xf0, 0x9d]), new Uint8Array([0x84, 0x9e, 0x0a]), // 𝄞 split in the middle
        new Uint8Array([0x61, 0xff, 0x62, 0x0a]), // a, an invalid byte, b
      ];
      const s = await startSession();
      s.py.setStdin(() => replies.shift() ?? null);
      const r = await s.run(['-c', code]);
      await s.close();
      return r;
    }, py(
      'import sys',
      'print(sys.stdin.encoding, sys.stdin.errors)',
      's = input()',
      'print(len(s), s, ascii(s))',
      'print(ascii(sys.stdin.readline()), ascii(input()))',
      'bad = input()',
      'print(ascii(bad), bad.encode("utf-8", "surrogateescape"))',
    ));
    ranOk(r);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'utf-8 surrogateescape', explain(r));
    assert.equal(lines[1], "13 héllo ✓ 𝄞 日本語 'h\\xe9llo \\u2713 \\U0001d11e \\u65e5\\u672c\\u8a9e'", explain(r));
    assert.equal(lines[2], "'\\xe9\\n' '\\U0001d11e'", explain(r));
    assert.equal(lines[3], "'a\\udcffb' b'a\\xffb'", explain(r));
  });

  test('1,000 input() round trips in one run, answered in order', T, async (t) => {
    const r = await inPage(async (code) => {
      let calls = 0;
      const s = await startSession();
      s.py.setStdin(() => String(calls++));
      const r = await s.run(['-c', code]);
      await s.close();
      return { ...r, calls };
    }, py(
      'import time',
      't = time.monotonic()',
      'got = [input() for _ in range(1000)]',
      'dt = time.monotonic() - t',
      'print(got == [str(i) for i in range(1000)], len(got), got[:3], got[-1])',
      'print(f"{dt:.4f}")',
    ));
    ranOk(r);
    const [check, seconds] = r.stdout.trim().split('\n');
    assert.equal(check, "True 1000 ['0', '1', '2'] 999", explain(r));
    assert.equal(r.calls, 1000, explain(r));
    t.diagnostic(`1,000 input() round trips: ${(seconds * 1000).toFixed(0)} ms in Python ` +
      `(${(seconds * 1000).toFixed(0)} µs each); whole run ${r.ms.toFixed(0)} ms`);
  });

  test('a 10 MB line arrives whole (length and SHA-256)', T, async (t) => {
    const r = await inPage(async (code) => {
      // 10,000,000 ASCII characters that are not one repeated block, so misordered chunks show.
      const parts = [];
      let n = 0;
      for (let i = 0; n < 10_000_000; i++) {
        const p = ((i * 7919) % 1_000_003).toString(36) + (i % 7 ? ',' : ';');
        parts.push(p);
        n += p.length;
      }
      const line = parts.join('').slice(0, 10_000_000);
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(line));
      const sha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      let calls = 0;
      const s = await startSession();
      s.py.setStdin(() => (calls++ === 0 ? line : null));
      const r = await s.run(['-c', code], { timeoutMs: 120_000 });
      await s.close();
      return { ...r, sha, length: line.length };
    }, py(
      'import hashlib, time',
      't = time.monotonic()',
      's = input()',
      'dt = time.monotonic() - t',
      'print(len(s), hashlib.sha256(s.encode()).hexdigest(), f"{dt:.3f}")',
    ));
    ranOk(r);
    const [length, sha, seconds] = r.stdout.trim().split(' ');
    assert.equal(r.length, 10_000_000);
    assert.equal(Number(length), 10_000_000, explain(r));
    assert.equal(sha, r.sha, explain(r));
    t.diagnostic(`10 MB line: input() took ${(seconds * 1000).toFixed(0)} ms in Python; whole run ${r.ms.toFixed(0)} ms`);
  });

  test('an answer that comes 500 ms after the request', T, async (t) => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      s.py.setStdin(() => new Promise((res) => setTimeout(() => res('worth the wait'), 500)));
      const r = await s.run(['-c', code]);
      await s.close();
      return r;
    }, py(
      'import time',
      't = time.monotonic()',
      's = input("? ")',
      'print(repr(s), f"{time.monotonic() - t:.3f}")',
    ));
    ranOk(r);
    const m = r.stdout.match(/^\? 'worth the wait' (\d+\.\d+)\n$/);
    assert.ok(m, explain(r));
    assert.ok(Number(m[1]) >= 0.45 && Number(m[1]) < 5, explain(r));
    t.diagnostic(`input() answered after 500 ms returned after ${(m[1] * 1000).toFixed(0)} ms`);
  });

  test('EOF: input() raises EOFError, with a handler returning null and with no handler', T, async () => {
    const r = await inPage(async (code) => {
      const s = await startSession({ stdin: () => null });
      const withHandler = await s.run(['-c', code]);
      await s.close();
      const s2 = await startSession();
      const without = await s2.run(['-c', code]);
      await s2.close();
      return { withHandler, without };
    }, py(
      'import sys',
      'try:',
      '    input("prompt> ")',
      'except EOFError:',
      '    print("EOFError")',
      'print(repr(sys.stdin.read()), repr(sys.stdin.readline()))',
    ));
    for (const x of [r.withHandler, r.without]) {
      ranOk(x);
      assert.equal(x.stdout, "prompt> EOFError\n'' ''\n", explain(x));
    }
  });

  test('a handler that throws, rejects or returns nonsense gives OSError in Python, not a hang', T, async () => {
    const r = await inPage(async (code) => {
      const replies = [
        () => { throw new Error('sync boom'); },
        () => Promise.reject(new Error('async boom')),
        () => 42,
        () => 'recovered',
      ];
      const s = await startSession();
      s.py.setStdin(() => replies.shift()());
      const r = await s.run(['-c', code], { timeoutMs: 30_000 });
      await s.close();
      return r;
    }, py(
      'for i in range(3):',
      '    try:',
      '        input()',
      '        print("no error")',
      '    except OSError as e:',
      '        print(type(e).__name__)',
      'print(input())',
    ));
    ranOk(r);
    assert.equal(r.stdout, 'OSError\nOSError\nOSError\nrecovered\n', explain(r));
    assert.match(r.stderr, /weft: the page's stdin handler failed: sync boom/, explain(r));
    assert.match(r.stderr, /weft: the page's stdin handler failed: async boom/, explain(r));
    assert.match(r.stderr, /weft: the page's stdin handler failed: .*expected a string, bytes, or null/, explain(r));
  });

  // ---- interrupt() ------------------------------------------------------------------------

  /**
   * Runs `code` (which prints "ready" before the part to interrupt, and "caught" when it catches
   * KeyboardInterrupt); once ready (or once the stdin handler was called, with `stdin:
   * 'never'`), interrupts, and resolves with the run and the milliseconds from interrupt()
   * to the run's end. Then runs `after` in the same interpreter, when given.
   */
  const interruptDuring = (code, { stdin, after } = {}) => inPage(async ({ code, stdin, after }) => {
    let asked = 0;
    const s = await startSession();
    if (stdin === 'never') s.py.setStdin(() => { asked++; return new Promise(() => {}); });
    const running = s.run(['-c', code], { timeoutMs: 30_000 });
    await waitFor(() => (stdin === 'never' ? asked > 0 : s.text.stdout.includes('ready')), 30_000, 'the run to be ready');
    await sleep(150); // well inside the loop, sleep or wait
    const t0 = performance.now();
    s.py.interrupt();
    const r = await running;
    r.latencyMs = performance.now() - t0;
    r.asked = asked;
    if (after) {
      s.py.setStdin(() => 'answered');
      r.after = await s.run(['-c', after], { timeoutMs: 30_000 });
    }
    await s.close();
    return r;
  }, { code, stdin, after });

  const caughtQuickly = (t, what, r) => {
    ranOk(r);
    assert.match(r.stdout, /caught KeyboardInterrupt\n$/, explain(r));
    assert.ok(r.latencyMs < 5000, `interrupt took ${r.latencyMs} ms\n${explain(r)}`);
    t.diagnostic(`interrupt latency during ${what}: ${r.latencyMs.toFixed(1)} ms`);
  };

  test('interrupt() during `while True: pass` raises KeyboardInterrupt', T, async (t) => {
    const r = await interruptDuring(py(
      'try:',
      '    print("ready", flush=True)',
      '    while True: pass',
      'except KeyboardInterrupt:',
      '    print("caught KeyboardInterrupt")',
    ));
    caughtQuickly(t, 'a pure-Python loop', r);
  });

  test('interrupt() during time.sleep(30) raises KeyboardInterrupt', T, async (t) => {
    const r = await interruptDuring(py(
      'import time',
      'try:',
      '    print("ready", flush=True)',
      '    time.sleep(30)',
      'except KeyboardInterrupt:',
      '    print("caught KeyboardInterrupt")',
    ));
    caughtQuickly(t, 'time.sleep(30)', r);
  });

  test('interrupt() during input() whose handler never answers raises KeyboardInterrupt; input() works afterwards', T, async (t) => {
    const r = await interruptDuring(py(
      'try:',
      '    input("waiting> ")',
      'except KeyboardInterrupt:',
      '    print("caught KeyboardInterrupt")',
    ), { stdin: 'never', after: 'print(input())' });
    caughtQuickly(t, 'input() with a handler that never answers', r);
    assert.equal(r.asked, 1, explain(r));
    assert.equal(r.stdout, 'waiting> caught KeyboardInterrupt\n', explain(r));
    ranOk(r.after);
    assert.equal(r.after.stdout, 'answered\n', explain(r));
  });

  test('an answer that comes after the interrupt is not taken by the next input()', T, async () => {
    const r = await inPage(async (code) => {
      let asked = 0;
      const s = await startSession();
      s.py.setStdin(() => {
        asked++;
        // The first answer comes 450 ms after its request (300 ms after the interrupt below), the
        // second 600 ms after its own: Python must get the second.
        return new Promise((res) => setTimeout(() => res(asked === 1 ? 'stale' : 'fresh'), asked === 1 ? 450 : 600));
      });
      const running = s.run(['-c', code], { timeoutMs: 30_000 });
      await waitFor(() => asked > 0, 30_000, 'the first stdin request');
      await sleep(150);
      s.py.interrupt();
      const r = await running;
      await s.close();
      return { ...r, asked };
    }, py(
      'try:',
      '    input()',
      'except KeyboardInterrupt:',
      '    print("caught KeyboardInterrupt")',
      'print(repr(input()))',
    ));
    ranOk(r);
    assert.equal(r.stdout, "caught KeyboardInterrupt\n'fresh'\n", explain(r));
    assert.equal(r.asked, 2, explain(r));
  });

  test('interrupt() while nothing runs does nothing to the next run', T, async () => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      s.py.interrupt(); // before any run
      s.py.interrupt();
      const first = await s.run(['-c', code]);
      s.py.interrupt(); // between runs
      await sleep(50);
      const second = await s.run(['-c', code]);
      await s.close();
      return { first, second };
    }, py(
      'import time',
      'time.sleep(0.2)',
      'for i in range(200_000): pass',
      'print("undisturbed")',
    ));
    for (const x of [r.first, r.second]) {
      ranOk(x);
      assert.equal(x.stdout, 'undisturbed\n', explain(x));
      assert.equal(x.stderr, '', explain(x));
    }
  });

  test('python -i -q fed through stdin: globals survive a KeyboardInterrupt', T, async (t) => {
    const r = await inPage(async () => {
      const lines = ['x = 42', 'while True: pass', '', 'print(x + 1)', 'print("still", x)'];
      let asked = 0;
      const s = await startSession();
      s.py.setStdin(() => (asked++ < lines.length ? lines[asked - 1] : null));
      const running = s.run(['-i', '-q'], { timeoutMs: 30_000 });
      await waitFor(() => asked >= 3, 30_000, 'the loop to be entered');
      await sleep(300);
      const t0 = performance.now();
      s.py.interrupt();
      await waitFor(() => s.text.stderr.includes('KeyboardInterrupt'), 10_000, 'the KeyboardInterrupt traceback')
        .catch(() => {});
      const latencyMs = performance.now() - t0;
      const r = await running;
      await s.close();
      return { ...r, asked, latencyMs };
    });
    ranOk(r);
    assert.equal(r.stdout, '43\nstill 42\n', explain(r));
    assert.match(r.stderr, /KeyboardInterrupt/, explain(r));
    assert.ok(r.latencyMs < 5000, explain(r));
    t.diagnostic(`interrupt latency in the REPL: ${r.latencyMs.toFixed(1)} ms`);
  });

  // ---- terminate() ------------------------------------------------------------------------

  test('terminate() ends a run stuck in a long C call; a new Weft.start() runs Python', T, async (t) => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      const running = s.run(['-c', code], { timeoutMs: 60_000 });
      await waitFor(() => s.text.stdout.includes('ready'), 30_000, 'the run to be ready');
      await sleep(300);
      const t0 = performance.now();
      s.py.terminate();
      const r = await running;
      r.terminateMs = performance.now() - t0;
      try {
        await s.py.run(['-c', 'pass']);
        r.runAfter = 'resolved';
      } catch (e) {
        r.runAfter = `${e.name}: ${e.message}`;
      }
      const s2 = await startSession();
      r.fresh = await s2.run(['-c', 'print("alive", sum(range(10**6)))']);
      await s2.close();
      return r;
    }, py('print("ready", flush=True)', 'sum(range(10**13))', 'print("finished")'));
    assert.equal(r.timedOut, undefined, explain(r));
    assert.equal(r.errorName, 'WeftError', explain(r));
    assert.match(r.error, /terminated/, explain(r));
    assert.equal(r.stdout, 'ready\n', explain(r));
    assert.match(r.runAfter, /^WeftError: /, explain(r));
    ranOk(r.fresh);
    assert.equal(r.fresh.stdout, 'alive 499999500000\n', explain(r));
    t.diagnostic(`terminate() to run() rejecting: ${r.terminateMs.toFixed(1)} ms`);
  });

  // ---- page-owned mounts ------------------------------------------------------------------

  test('a PageDirectory mount: read, write, append, listdir, stat, mkdir, rename, unlink, rmdir', T, async () => {
    const r = await inPage(async (code) => {
      const dir = new weft.PageDirectory({
        'in.txt': 'hello from the page ✓\n',
        'data/raw.bin': new Uint8Array([0, 1, 2, 255]),
      });
      const s = await startSession({ pageMounts: { '/mnt/page': dir } });
      const r = await s.run(['-c', code]);
      await s.close();
      const dec = new TextDecoder();
      return {
        ...r,
        files: dir.files().map(([p]) => p).sort(),
        out: dec.decode(dir.get('out.txt')),
        moved: dec.decode(dir.get('newdir/b.txt')),
        raw: dir.get('data/raw.bin') ?? null,
      };
    }, py(
      'import os, pathlib',
      'root = "/mnt/page"',
      'print(open(f"{root}/in.txt", encoding="utf-8").read(), end="")',
      'with open(f"{root}/in.txt", "rb") as f:',
      '    f.seek(6)',
      '    print(f.read(4))',
      'print(list(open(f"{root}/data/raw.bin", "rb").read()))',
      'print(sorted(os.listdir(root)))',
      'st = os.stat(f"{root}/in.txt")',
      'print(os.path.isdir(f"{root}/data"), os.path.isfile(f"{root}/in.txt"), st.st_size)',
      'with open(f"{root}/out.txt", "w", encoding="utf-8") as f:',
      '    f.write("written by Python ✓\\n")',
      'with open(f"{root}/out.txt", "a", encoding="utf-8") as f:',
      '    f.write("appended\\n")',
      'os.mkdir(f"{root}/newdir")',
      'pathlib.Path(f"{root}/newdir/a.txt").write_text("moved")',
      'os.rename(f"{root}/newdir/a.txt", f"{root}/newdir/b.txt")',
      'os.unlink(f"{root}/data/raw.bin")',
      'os.mkdir(f"{root}/empty")',
      'os.rmdir(f"{root}/empty")',
      'print(sorted(os.listdir(root)), os.listdir(f"{root}/newdir"), os.listdir(f"{root}/data"))',
      'print(pathlib.Path(f"{root}/out.txt").read_text(encoding="utf-8"), end="")',
      'def attempt(what, fn):',
      '    try:',
      '        fn()',
      '        print(what, "no error")',
      '    except OSError as e:',
      '        print(what, type(e).__name__)',
      'attempt("missing", lambda: open(f"{root}/nope.txt"))',
      'attempt("mkdir-existing", lambda: os.mkdir(f"{root}/newdir"))',
      'attempt("create-existing", lambda: open(f"{root}/out.txt", "x"))',
      'attempt("unlink-missing", lambda: os.unlink(f"{root}/nope.txt"))',
    ));
    ranOk(r);
    assert.equal(r.stdout, [
      'hello from the page ✓',
      "b'from'",
      '[0, 1, 2, 255]',
      "['data', 'in.txt']",
      `True True ${new TextEncoder().encode('hello from the page ✓\n').length}`,
      "['data', 'in.txt', 'newdir', 'out.txt'] ['b.txt'] []",
      'written by Python ✓',
      'appended',
      'missing FileNotFoundError',
      'mkdir-existing FileExistsError',
      'create-existing FileExistsError',
      'unlink-missing FileNotFoundError',
      '',
    ].join('\n'), explain(r));
    // What Python wrote is the page's.
    assert.deepEqual(r.files, ['in.txt', 'newdir/b.txt', 'out.txt'], explain(r));
    assert.equal(r.out, 'written by Python ✓\nappended\n', explain(r));
    assert.equal(r.moved, 'moved', explain(r));
    assert.equal(r.raw, null, explain(r));
  });

  test('a custom async mount handler; its ENOENT/EACCES/EEXIST and code-less errors become OSError subclasses', T, async () => {
    const r = await inPage(async (code) => {
      const files = new Map([['a.txt', 'alpha'], ['secret.txt', 'top secret'], ['broken.txt', 'xyz']]);
      const dirs = new Set(['']);
      const calls = [];
      const fail = (code, message) => Object.assign(new Error(message), { code });
      const tick = () => new Promise((res) => setTimeout(res, 1));
      const parent = (p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
      const bytes = (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
      const handler = {
        async readFile(p) {
          calls.push(`readFile ${p}`);
          await tick();
          if (p === 'secret.txt') throw fail('EACCES', 'the page says no');
          if (p === 'broken.txt') throw new Error('a handler bug without a code');
          if (!files.has(p)) throw fail('ENOENT', `${p}: not found`);
          return files.get(p);
        },
        async writeFile(p, data, { mode }) {
          calls.push(`writeFile ${p} ${mode}`);
          await tick();
          if (p === 'locked.txt') throw fail('EACCES', 'read-only');
          if (!dirs.has(parent(p))) throw fail('ENOENT', 'no parent');
          if (mode === 'create-new' && files.has(p)) throw fail('EEXIST', 'exists');
          const old = mode === 'append' && files.has(p) ? bytes(files.get(p)) : new Uint8Array(0);
          const joined = new Uint8Array(old.length + data.length);
          joined.set(old);
          joined.set(data, old.length);
          files.set(p, joined);
        },
        async stat(p) {
          calls.push(`stat ${p}`);
          await tick();
          if (dirs.has(p)) return { kind: 'directory', size: 0, mtimeMs: 0 };
          if (files.has(p)) return { kind: 'file', size: bytes(files.get(p)).length, mtimeMs: 1_700_000_000_000 };
          throw fail('ENOENT', `${p}: not found`);
        },
        async readdir(p) {
          calls.push(`readdir ${p}`);
          await tick();
          if (!dirs.has(p)) throw fail('ENOENT', `${p}: not found`);
          const inDir = (x) => x !== '' && parent(x) === p;
          return [...dirs].filter(inDir).concat([...files.keys()].filter(inDir)).map((x) => x.slice(p ? p.length + 1 : 0));
        },
        async unlink(p) {
          calls.push(`unlink ${p}`);
          await tick();
          if (!files.delete(p)) throw fail('ENOENT', `${p}: not found`);
        },
        async mkdir(p) {
          calls.push(`mkdir ${p}`);
          await tick();
          if (dirs.has(p) || files.has(p)) throw fail('EEXIST', `${p}: exists`);
          dirs.add(p);
        },
        async rmdir(p) {
          calls.push(`rmdir ${p}`);
          await tick();
          if (!dirs.delete(p)) throw fail('ENOENT', `${p}: not found`);
        },
        async rename(from, to) {
          calls.push(`rename ${from} ${to}`);
          await tick();
          if (!files.has(from)) throw fail('ENOENT', `${from}: not found`);
          files.set(to, files.get(from));
          files.delete(from);
        },
      };
      const s = await startSession({ pageMounts: { '/mnt/custom': handler } });
      const r = await s.run(['-c', code]);
      await s.close();
      const dec = (v) => (v === undefined ? null : typeof v === 'string' ? v : new TextDecoder().decode(v));
      return { ...r, moved: dec(files.get('sub/b.txt')), names: [...files.keys()].sort(), dirs: [...dirs].sort(), calls };
    }, py(
      'import errno, os',
      'root = "/mnt/custom"',
      'print(open(f"{root}/a.txt").read())',
      'print(sorted(os.listdir(root)))',
      'with open(f"{root}/b.txt", "w") as f:',
      '    f.write("beta ✓")',
      'os.mkdir(f"{root}/sub")',
      'os.rename(f"{root}/b.txt", f"{root}/sub/b.txt")',
      'os.unlink(f"{root}/a.txt")',
      'print(sorted(os.listdir(root)), os.listdir(f"{root}/sub"), os.stat(f"{root}/sub/b.txt").st_size)',
      'def attempt(what, fn):',
      '    try:',
      '        fn()',
      '        print(what, "no error")',
      '    except OSError as e:',
      '        print(what, type(e).__name__, errno.errorcode.get(e.errno))',
      'attempt("missing", lambda: open(f"{root}/missing.txt").read())',
      'attempt("secret", lambda: open(f"{root}/secret.txt").read())',
      'attempt("locked", lambda: open(f"{root}/locked.txt", "w").close())',
      'attempt("mkdir-existing", lambda: os.mkdir(f"{root}/sub"))',
      'attempt("broken", lambda: open(f"{root}/broken.txt").read())',
    ));
    ranOk(r);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      'alpha',
      "['a.txt', 'broken.txt', 'secret.txt']",
      `['broken.txt', 'secret.txt', 'sub'] ['b.txt'] ${new TextEncoder().encode('beta ✓').length}`,
    ], explain(r));
    assert.match(lines[3], /^missing FileNotFoundError ENOENT$/, explain(r));
    assert.match(lines[4], /^secret PermissionError EACCES$/, explain(r));
    assert.match(lines[5], /^locked PermissionError EACCES$/, explain(r));
    assert.match(lines[6], /^mkdir-existing FileExistsError EEXIST$/, explain(r));
    assert.match(lines[7], /^broken OSError \w+$/, explain(r)); // exactly OSError, not a subclass
    assert.equal(r.moved, 'beta ✓', explain(r));
    assert.deepEqual(r.names, ['broken.txt', 'secret.txt', 'sub/b.txt'], explain(r));
    assert.deepEqual(r.dirs, ['', 'sub'], explain(r));
  });

  // ---- sleeping ---------------------------------------------------------------------------

  test('time.sleep(0.2) and select.select([], [], [], 0.3) sleep about that long', T, async (t) => {
    const r = await inPage(async (code) => {
      const s = await startSession();
      const r = await s.run(['-c', code]);
      await s.close();
      return r;
    }, py(
      'import select, time',
      't = time.monotonic(); time.sleep(0.2); a = time.monotonic() - t',
      't = time.monotonic(); r = select.select([], [], [], 0.3); b = time.monotonic() - t',
      'print(f"{a:.4f} {b:.4f} {r}")',
    ));
    ranOk(r);
    const m = r.stdout.match(/^(\d+\.\d+) (\d+\.\d+) \(\[\], \[\], \[\]\)\n$/);
    assert.ok(m, explain(r));
    const [sleep, select] = [Number(m[1]), Number(m[2])];
    assert.ok(sleep >= 0.2 && sleep < 1.0, `time.sleep(0.2) took ${sleep} s\n${explain(r)}`);
    assert.ok(select >= 0.3 && select < 1.0, `select(..., 0.3) took ${select} s\n${explain(r)}`);
    t.diagnostic(`time.sleep(0.2): ${(sleep * 1000).toFixed(1)} ms; select(0.3): ${(select * 1000).toFixed(1)} ms`);
  });
});

describe('chromium sync-io without cross-origin isolation', { timeout: 300_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-sync-io-plain', expectIsolated: false });
  const explain = (r) => ctx.explain(r);

  test('Python runs and its output streams while the run goes on', T, async () => {
    const r = await ctx.page.evaluate(async (code) => {
      const s = await startSession();
      const running = s.run(['-c', code]);
      let ended = false;
      running.then(() => { ended = true; });
      await waitFor(() => s.text.stdout.includes('first') || ended, 30_000, 'the first line');
      const firstSeenWhileRunning = !ended && !s.text.stdout.includes('second');
      const r = await running;
      await s.close();
      return { ...r, firstSeenWhileRunning, syncIo: s.py.syncIo };
    }, py('import time', 'print("first")', 'time.sleep(0.5)', 'print("second")'));
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, 'first\nsecond\n', explain(r));
    assert.equal(r.firstSeenWhileRunning, true, explain(r));
    assert.equal(r.syncIo, false, explain(r));
  });

  test('interrupt() and setStdin() throw a WeftError that says how to enable them', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const s = await startSession();
      const attempt = (fn) => {
        try {
          fn();
          return { threw: false };
        } catch (e) {
          return { threw: true, name: e.name, isWeftError: e instanceof weft.WeftError, message: e.message };
        }
      };
      const r = { interrupt: attempt(() => s.py.interrupt()), setStdin: attempt(() => s.py.setStdin(() => 'x')) };
      r.after = await s.run(['-c', 'print("still usable")']);
      await s.close();
      return r;
    });
    for (const what of ['interrupt', 'setStdin']) {
      const e = r[what];
      assert.equal(e.threw, true, `${what}: ${explain(r)}`);
      assert.equal(e.name, 'WeftError', explain(r));
      assert.equal(e.isWeftError, true, explain(r));
      assert.match(e.message, NO_SAB, explain(r));
      assert.match(e.message, HOW_TO, explain(r));
    }
    assert.equal(r.after.stdout, 'still usable\n', explain(r));
  });

  test('Weft.start({pageMounts}) rejects with a WeftError that says why', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      try {
        const py = await weft.Weft.start({ pageMounts: { '/mnt/page': new weft.PageDirectory({ 'a.txt': 'a' }) } });
        await py.close();
        return { rejected: false };
      } catch (e) {
        return { rejected: true, name: e.name, isWeftError: e instanceof weft.WeftError, message: e.message };
      }
    });
    assert.equal(r.rejected, true, explain(r));
    assert.equal(r.isWeftError, true, explain(r));
    assert.match(r.message, /page-owned mounts/, explain(r));
    assert.match(r.message, NO_SAB, explain(r));
    assert.match(r.message, HOW_TO, explain(r));
  });

  test('input() raises OSError that says SharedArrayBuffer is unavailable', T, async () => {
    const r = await ctx.page.evaluate(async (code) => {
      const s = await startSession();
      const r = await s.run(['-c', code], { timeoutMs: 30_000 });
      await s.close();
      return r;
    }, py(
      'try:',
      '    input("? ")',
      '    print("no error")',
      'except OSError as e:',
      '    print(type(e).__name__, e)',
    ));
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /OSError.*SharedArrayBuffer is unavailable/, explain(r));
  });
});
