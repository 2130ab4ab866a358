// Weft.unpackArchive in headless Chromium: on a cross-origin isolated page the entries are
// decompressed on the runtime's parallel workers (module workers that wasm-bindgen-rayon starts
// from the interpreter's worker); on a page that is not isolated there are none, and the same
// call works on one thread. Either way the files match what the stdlib bundle serves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

// Extracts the stdlib bundle itself and compares every file with the bundle's copy.
async function unpackStdlib() {
  const s = await startSession({ runtimeThreads: 2 });
  try {
    const zip = new Uint8Array(await (await fetch('./python-stdlib.zip')).arrayBuffer());
    const before = s.py.stats().runtimeWorkers;
    const done = await s.py.unpackArchive(zip, 'zip', { extractDir: '/tmp/lib' });
    const workers = s.py.stats().runtimeWorkers;
    const r = await s.run(['-c', [
      'import os',
      'root, lib, n = "/tmp/lib", "/usr/local/lib/python3.13", 0',
      'for d, _, files in os.walk(root):',
      '    for f in files:',
      '        p = os.path.join(d, f)',
      '        with open(p, "rb") as a, open(lib + p[len(root):], "rb") as b:',
      '            assert a.read() == b.read(), p',
      '        n += 1',
      'print(n, "files identical")',
    ].join('\n')]);
    let error;
    try {
      await s.py.unpackArchive(new Uint8Array([1, 2, 3]), 'zip');
    } catch (e) {
      error = `${e.name}: ${e.message}`;
    }
    const after = await s.run(['-c', 'print("still running")']);
    return { done, before, workers, r, error, after };
  } finally {
    await s.close();
  }
}

function check(ctx, { done, before, workers, r, error, after }, expectedWorkers) {
  assert.equal(r.code, 0, ctx.explain(r));
  assert.ok(done.files > 500, JSON.stringify(done));
  assert.equal(r.stdout, `${done.files} files identical\n`);
  assert.equal(before, 0);
  assert.equal(workers, expectedWorkers);
  assert.match(error, /^Error: not a zip archive: /);
  assert.equal(after.stdout, 'still running\n', ctx.explain(after));
}

describe('chromium unpackArchive (cross-origin isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-archive', expectIsolated: true });

  test('decompresses on the runtime workers; files identical to the bundle', T, async () => {
    check(ctx, await ctx.page.evaluate(unpackStdlib), 2);
  });
});

describe('chromium unpackArchive (not isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-archive-plain', expectIsolated: false });

  test('works on one thread where workers cannot share memory', T, async () => {
    check(ctx, await ctx.page.evaluate(unpackStdlib), 0);
  });
});
