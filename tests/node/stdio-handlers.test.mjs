// Pyodide's stdout/stderr handler shapes, in Weft.start's options and through setStdout /
// setStderr: {batched} (lines, UTF-8 decoded across writes, a partial line at the end of a run
// or before a stdin wait), {raw} (bytes), {write} (bytes, possibly taken in parts), isatty, the
// default restored, and handlers that misbehave without stopping the output.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';

import { DIST, client, runCli, show, startWeft } from './helpers.mjs';

const { Weft } = client;
const T = { timeout: 120_000 };

// Output in separate writes that split multi-byte characters: é (2 bytes) across two writes,
// 🎉 (4 bytes) across three; then a line without its newline, and a lone lead byte at the end.
const SPLIT_UTF8 = [
  'import sys',
  'w = sys.stdout.buffer',
  'for chunk in [b"caf\\xc3", b"\\xa9 ok\\n", b"\\xf0\\x9f", b"\\x8e", b"\\x89!\\n\\nlast", b" line \\xc3"]:',
  '    w.write(chunk); w.flush()',
].join('\n');
const SPLIT_UTF8_BYTES = Buffer.from('caf\xc3\xa9 ok\n\xf0\x9f\x8e\x89!\n\nlast line \xc3', 'latin1');

/** Replaces console.error while `f` runs; resolves to what was logged. */
async function capturingConsoleError(f) {
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' '));
  try {
    await f();
  } finally {
    console.error = original;
  }
  return logged;
}

describe('stdout/stderr handlers', () => {
  test('batched: lines without "\\n", characters split across writes decoded whole, the partial line at the end of the run', T, async () => {
    const lines = [];
    const s = await startWeft({ stdout: { batched: (l) => lines.push(l) } });
    try {
      assert.equal(await s.py.run(['-c', SPLIT_UTF8]), 0, s.stderr());
      // The lone lead byte cannot be completed once the run has ended: U+FFFD, as TextDecoder.
      assert.deepEqual(lines, ['café ok', '🎉!', '', 'last line \ufffd']);
      lines.length = 0;
      // Each run ends its own partial line: two runs' fragments are not joined.
      await s.py.run(['-c', 'print("a", end="")']);
      await s.py.run(['-c', 'print("b", end="")']);
      await s.py.run(['-c', 'print("x\\ny\\n", end="")']);
      assert.deepEqual(lines, ['a', 'b', 'x', 'y']);
    } finally {
      await s.py.close();
    }
  });

  test('batched: the prompt of input() reaches the handler before the stdin handler is asked', T, async () => {
    const lines = [];
    let seenWhenAsked;
    const s = await startWeft({
      stdout: { batched: (l) => lines.push(l) },
      stdin: () => {
        seenWhenAsked = [...lines];
        return 'Ada';
      },
    });
    try {
      assert.equal(await s.py.run(['-c', 'print("welcome"); name = input("name? "); print("hi", name)']), 0, s.stderr());
      assert.deepEqual(seenWhenAsked, ['welcome', 'name? ']);
      assert.deepEqual(lines, ['welcome', 'name? ', 'hi Ada']);
    } finally {
      await s.py.close();
    }
  });

  test('raw: every byte, in order; write: bytes, also when the handler takes them in parts', T, async () => {
    const raw = [];
    const chunks = [];
    const s = await startWeft({
      stdout: { raw: (byte) => raw.push(byte) },
      stderr: { write: (buf) => { chunks.push(Buffer.from(buf.subarray(0, 1))); return 1; } },
    });
    try {
      assert.equal(await s.py.run(['-c', `${SPLIT_UTF8}\nsys.stderr.write("err ✓\\n")`]), 0);
      assert.ok(raw.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
      assert.ok(Buffer.from(raw).equals(SPLIT_UTF8_BYTES), JSON.stringify(raw));
      assert.equal(Buffer.concat(chunks).toString('utf8'), 'err ✓\n');
      assert.ok(chunks.length >= 7, 'one call per byte');
    } finally {
      await s.py.close();
    }
  });

  test('write: a class instance keeps `this` (Pyodide\'s NodeWriter pattern); the buffer is the caller\'s to keep', T, async () => {
    class Collector {
      constructor() {
        this.kept = [];
      }
      write(buffer) {
        this.kept.push(buffer);
        return buffer.length;
      }
    }
    const out = new Collector();
    const s = await startWeft({ stdout: out });
    try {
      await s.py.run(['-c', 'import sys\nfor i in range(3): print(i, flush=True)']);
      assert.equal(Buffer.concat(out.kept).toString(), '0\n1\n2\n');
      assert.ok(out.kept.length >= 3);
    } finally {
      await s.py.close();
    }
  });

  test('isatty: what Python sees; a run\'s own tty wins', T, async () => {
    const out = [];
    const err = [];
    const s = await startWeft({
      stdout: { raw: (b) => out.push(b), isatty: true },
      stderr: { write: (b) => { err.push(Buffer.from(b)); return b.length; }, isatty: false },
      tty: [false, false, true],
    });
    try {
      const code = 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())';
      await s.py.run(['-c', code]);
      await s.py.run(['-c', code], { tty: [false, false, false] });
      s.py.setStdout({ batched: (l) => out.push(...Buffer.from(`[${l}]\n`)) }); // no isatty: the start option's (false)
      s.py.setStderr(); // the default, without isatty: the start option's (true)
      await s.py.run(['-c', code]);
      assert.equal(Buffer.from(out).toString(), 'False True False\nFalse False False\n[False False True]\n');
    } finally {
      await s.py.close();
    }
  });

  test('start options take the Pyodide shapes; a traceback reaches a batched stderr line by line', T, async () => {
    const lines = [];
    const s = await startWeft({ stderr: { batched: (l) => lines.push(l) } });
    try {
      assert.equal(await s.py.run(['-c', 'def f():\n    raise ValueError("boom ✗")\nf()']), 1);
      assert.equal(lines[0], 'Traceback (most recent call last):');
      assert.equal(lines.at(-1), 'ValueError: boom ✗');
      assert.ok(lines.every((l) => !l.includes('\n')));
    } finally {
      await s.py.close();
    }
  });

  test('setStdout switches handlers, the old one getting its partial line first', T, async () => {
    const first = [];
    const second = [];
    let py;
    const s = await startWeft({
      stdout: { batched: (l) => first.push(l) },
      // "ready" on stderr comes after "abc" on stdout: switch there, mid-run.
      stderr: (bytes) => { if (Buffer.from(bytes).toString() === 'ready\n') py.setStdout({ batched: (l) => second.push(l) }); },
    });
    py = s.py;
    try {
      const code = 'import sys\nprint("line"); print("abc", end="", flush=True)\nsys.stderr.write("ready\\n"); sys.stderr.flush()\nprint("def")';
      assert.equal(await s.py.run(['-c', code]), 0);
      assert.deepEqual(first, ['line', 'abc']);
      assert.deepEqual(second, ['def']);
      // A function (Weft's own shape) gets the bytes.
      const bytes = [];
      s.py.setStdout((b) => bytes.push(Buffer.from(b)));
      await s.py.run(['-c', 'print("as bytes")']);
      assert.equal(Buffer.concat(bytes).toString(), 'as bytes\n');
    } finally {
      await s.py.close();
    }
  });

  test('setStdout() with no argument restores the default (process.stdout in Node)', T, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-stdio-'));
    try {
      const script = join(dir, 'restore.mjs');
      await writeFile(script, [
        `import { Weft } from ${JSON.stringify(pathToFileURL(join(DIST, 'weft.mjs')).href)};`,
        "const py = await Weft.start({ stdout: { batched: (l) => process.stderr.write(`batched: ${l}\\n`) } });",
        "await py.run(['-c', 'print(\"one\")']);",
        'py.setStdout();',
        "await py.run(['-c', 'print(\"two\")']);",
        'await py.close();',
      ].join('\n'));
      const r = await runCli([], { cli: script });
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, 'two\n', show(r));
      assert.equal(r.stderr, 'batched: one\n', show(r));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('handlers that throw or return nonsense are reported on the console; output goes on, runs end', T, async () => {
    let n = 0;
    const lines = [];
    const s = await startWeft({
      stdout: { batched: (l) => { if (n++ === 0) throw new Error('first line refused'); lines.push(l); } },
      stderr: { write: () => undefined },
    });
    try {
      const logged = await capturingConsoleError(async () => {
        assert.equal(await s.py.run(['-c', 'import sys; print("one"); print("two"); sys.stderr.write("e\\n")']), 0);
      });
      assert.deepEqual(lines, ['two']);
      // stdout is block-buffered (not a terminal), so its lines come last: sort.
      logged.sort();
      assert.equal(logged.length, 2, logged.join('\n'));
      assert.equal(logged[0], 'weft: the stderr handler threw: TypeError: write() returned undefined; it must return how many bytes it took (1 to 2); the other 2 bytes of this write are dropped');
      assert.equal(logged[1], 'weft: the stdout handler threw: Error: first line refused');
      assert.equal(await s.py.run(['-c', 'print("three")']), 0);
      assert.deepEqual(lines, ['two', 'three']);
    } finally {
      await s.py.close();
    }
  });

  test('handlers of no known shape are TypeErrors; the old handler stays', T, async () => {
    await assert.rejects(Weft.start({ stdout: { batched: 'console.log' } }),
      (e) => e instanceof TypeError && e.message === 'stdout: batched must be a function, not string');
    await assert.rejects(Weft.start({ stderr: 42 }),
      (e) => e instanceof TypeError && /^stderr: expected a function, an object with one of batched, raw or write, or nothing; got number$/.test(e.message));
    const lines = [];
    const s = await startWeft({ stdout: { batched: (l) => lines.push(l) } });
    try {
      const bad = [
        [{ raw: () => {}, write: () => 1 }, 'setStdout: at most one of batched, raw and write can be given (got raw, write)'],
        [{ batched: () => {}, isatty: true }, 'setStdout: isatty cannot be true with a batched handler (a terminal shows partial lines)'],
        [{ isatty: 'yes' }, 'setStdout: isatty must be a boolean'],
        ['stdout.txt', 'setStdout: expected a function, an object with one of batched, raw or write, or nothing; got string'],
      ];
      for (const [handler, message] of bad) {
        assert.throws(() => s.py.setStdout(handler), (e) => e instanceof TypeError && e.message === message);
      }
      assert.throws(() => s.py.setStderr({ write: 1 }), (e) => e instanceof TypeError && e.message === 'setStderr: write must be a function, not number');
      await s.py.run(['-c', 'print("kept")']);
      assert.deepEqual(lines, ['kept']);
    } finally {
      await s.py.close();
    }
  });
});
