// Weft.unpackArchive in headless Chromium: on a cross-origin isolated page the entries are
// decompressed on the runtime's parallel workers (module workers that wasm-bindgen-rayon starts
// from the interpreter's worker); on a page that is not isolated there are none, and the same
// call works on one thread. Either way the files match what the stdlib bundle serves.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO, T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

const SAME_AS_BUNDLE = await readFile(join(REPO, 'tests', 'python', 'archive_matches_bundle.py'), 'utf8');

// Extracts the stdlib bundle itself and compares every file with the bundle's copy (in the page).
async function unpackStdlib(sameAsBundle) {
  const s = await startSession({ runtimeThreads: 2 });
  try {
    const zip = new Uint8Array(await (await fetch('./python-stdlib.zip')).arrayBuffer());
    const before = s.py.stats().runtimeWorkers;
    const done = await s.py.unpackArchive(zip, 'zip', { extractDir: '/tmp/lib' });
    const workers = s.py.stats().runtimeWorkers;
    const r = await s.run(['-c', sameAsBundle, '/tmp/lib']);
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
    check(ctx, await ctx.page.evaluate(unpackStdlib, SAME_AS_BUNDLE), 2);
  });
});

describe('chromium unpackArchive (not isolated)', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-archive-plain', expectIsolated: false });

  test('works on one thread where workers cannot share memory', T, async () => {
    check(ctx, await ctx.page.evaluate(unpackStdlib, SAME_AS_BUNDLE), 0);
  });
});
