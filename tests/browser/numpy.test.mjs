// numpy in headless Chromium (cross-origin isolated): the checks of tests/python/numpy_checks.py
// in an interpreter started with `packages: ['numpy']`, and numpy's GIL-free loops on two threads
// overlapping in time (tests/python/numpy_threads.py), with 4 and 8 threads finishing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO, startCoiServer, usePage } from './helpers.mjs';

const T = { timeout: 300_000 };
const REQUIRED = ['version and build', 'creation and arithmetic', 'broadcasting', 'ufuncs', 'reductions',
  'matmul and dot', 'linalg', 'fft', 'random', 'dtypes', 'string dtype', 'save and load', 'printing', 'errors'];

describe('chromium numpy', { timeout: 900_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-numpy', expectIsolated: true });
  /** Runs `code` (with `args`) in a fresh interpreter that has numpy; closes it after. */
  const runNumpy = (code, args = []) => ctx.page.evaluate(async ({ code, args }) => {
    const assets = new Set();
    let s;
    try {
      s = await startSession({ packages: ['numpy'], onProgress: (e) => e.asset && assets.add(e.asset) });
    } catch (e) {
      return { error: String((e && e.stack) || e), stdout: '', stderr: '' };
    }
    try {
      const r = await s.run(['-c', code, ...args], { timeoutMs: 240_000 });
      return { ...r, assets: [...assets].sort() };
    } finally {
      await s.close();
    }
  }, { code, args });
  const ranOk = (r) => {
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.code, 0, ctx.explain(r));
  };

  test('numpy works as users expect (tests/python/numpy_checks.py)', T, async (t) => {
    const code = await readFile(join(REPO, 'tests', 'python', 'numpy_checks.py'), 'utf8');
    const r = await runNumpy(code);
    assert.deepEqual(r.assets, ['python-numpy-lib.zip', 'python-numpy.wasm', 'python-stdlib.zip', 'runtime/worker_runtime_bg.wasm'], ctx.explain(r));
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('WEFT-RESULTS '));
    assert.ok(line, `no results\n${ctx.explain(r)}`);
    const results = JSON.parse(line.slice('WEFT-RESULTS '.length));
    for (const name of REQUIRED) if (!(name in results)) results[name] = 'missing from the results';
    for (const [name, outcome] of Object.entries(results)) {
      await t.test(name, () => assert.equal(outcome, 'ok', `${name}:\n${outcome}`));
    }
    ranOk(r);
  });

  test('numpy releases the GIL: two threads doing matmuls or large ufuncs overlap; 4 and 8 threads finish', T, async () => {
    const code = await readFile(join(REPO, 'tests', 'python', 'numpy_threads.py'), 'utf8');
    const r = await runNumpy(code);
    ranOk(r);
    for (const work of ['matmul', 'ufunc']) assert.match(r.stdout, new RegExp(`^${work} 2 overlap$`, 'm'), ctx.explain(r));
    for (const n of [4, 8]) for (const work of ['matmul', 'ufunc']) assert.match(r.stdout, new RegExp(`^${work} ${n} done$`, 'm'), ctx.explain(r));
  });
});
