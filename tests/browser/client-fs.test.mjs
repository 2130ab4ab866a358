// weft.fs and Pyodide's output handler shapes in headless Chromium, on a cross-origin isolated
// page and on one that is not (weft.fs needs no SharedArrayBuffer): files written from the page
// are Python's and the other way round, errors carry their code, and a `batched` handler gets
// whole lines, characters split across writes decoded whole; setStdout() with no argument sends
// lines to the console again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

// Runs in the page.
async function roundTrip() {
  const lines = [];
  const errors = [];
  const py = await weft.Weft.start({ stdout: { batched: (l) => lines.push(l) }, stderr: { batched: (l) => errors.push(l) } });
  try {
    await py.fs.mkdir('data/in', { recursive: true });
    await py.fs.writeFile('data/in/every.bin', Uint8Array.from({ length: 256 }, (_, i) => i));
    await py.fs.writeFile('/home/user/data/in/text.txt', 'héllo ✓\n');
    const code = await py.run(['-c', [
      'import sys',
      'print(open("data/in/every.bin", "rb").read() == bytes(range(256)))',
      'print(repr(open("data/in/text.txt", encoding="utf-8").read()))',
      'open("data/out.bin", "wb").write(bytes(range(255, -1, -1)))',
      'open("data/out.txt", "w", encoding="utf-8").write("from Python 🎉")',
      // é and 🎉 split across writes; a last line without its newline.
      'for chunk in [b"caf\\xc3", b"\\xa9\\n\\xf0\\x9f", b"\\x8e\\x89\\n", b"tail"]:',
      '    sys.stdout.buffer.write(chunk); sys.stdout.flush()',
      'sys.stderr.write("to stderr\\n")',
    ].join('\n')]);
    const back = await py.fs.readFile('data/out.bin');
    const stat = await py.fs.stat('data/out.bin');
    let missing;
    try {
      await py.fs.readFile('data/none.txt');
    } catch (e) {
      missing = { name: e.name, code: e.code, message: e.message };
    }
    let readOnly;
    try {
      await py.fs.writeFile('/usr/local/lib/python3.13/x.py', 'x');
    } catch (e) {
      readOnly = e.code;
    }
    const batched = [...lines];
    // The default again: lines to console.log (the test reads the browser console).
    py.setStdout();
    await py.run(['-c', 'print("to the console ✓")']);
    return {
      code,
      lines: batched,
      errors,
      back: back.length === 256 && back.every((b, i) => b === 255 - i),
      text: await py.fs.readFile('data/out.txt', 'utf8'),
      names: await py.fs.readdir('data'),
      stat: { size: stat.size, isFile: stat.isFile(), isDirectory: stat.isDirectory() },
      missing,
      readOnly,
    };
  } finally {
    await py.close();
  }
}

function check(ctx, r) {
  assert.equal(r.code, 0, ctx.explain(r));
  assert.deepEqual(r.lines, ['True', "'héllo ✓\\n'", 'café', '🎉', 'tail'], ctx.explain(r));
  assert.deepEqual(r.errors, ['to stderr'], ctx.explain(r));
  assert.equal(r.back, true);
  assert.equal(r.text, 'from Python 🎉');
  assert.deepEqual(r.names, ['in', 'out.bin', 'out.txt']);
  assert.deepEqual(r.stat, { size: 256, isFile: true, isDirectory: false });
  assert.deepEqual(r.missing, { name: 'Error', code: 'ENOENT', message: "ENOENT: no such file or directory, readFile 'data/none.txt'" });
  assert.equal(r.readOnly, 'EROFS');
  assert.ok(ctx.consoleLines.includes('[console.log] to the console ✓'), ctx.consoleLines.slice(-10).join('\n'));
}

describe('chromium weft.fs and output handlers (cross-origin isolated)', { timeout: 300_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-client-fs', expectIsolated: true });

  test('files both ways, errors with codes, batched lines, the default restored', T, async () => {
    check(ctx, await ctx.page.evaluate(roundTrip));
  });
});

describe('chromium weft.fs and output handlers (not isolated)', { timeout: 300_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-client-fs-plain', expectIsolated: false });

  test('the same without SharedArrayBuffer', T, async () => {
    check(ctx, await ctx.page.evaluate(roundTrip));
  });
});
