// numpy in headless Chromium (cross-origin isolated): the checks of tests/python/numpy_checks.py
// in an interpreter started with `packages: ['numpy']`, which float64 tile its products use
// (relaxedSimd), and numpy's GIL-free loops on two threads overlapping in time
// (tests/python/numpy_threads.py), with 4 and 8 threads finishing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO, startCoiServer, usePage } from './helpers.mjs';

const T = { timeout: 300_000 };
const REQUIRED = ['version and build', 'creation and arithmetic', 'broadcasting', 'ufuncs', 'reductions', 'sorting and selection',
  'matmul and dot', 'linalg', 'fft', 'random', 'dtypes', 'string dtype', 'save and load', 'printing', 'errors'];

describe('chromium numpy', { timeout: 900_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-numpy', expectIsolated: true });
  /** Runs `code` (with `args`) in a fresh interpreter that has numpy; closes it after. */
  const runNumpy = (code, args = [], options = {}) => ctx.page.evaluate(async ({ code, args, options }) => {
    const assets = new Set();
    let s;
    try {
      s = await startSession({ packages: ['numpy'], onProgress: (e) => e.asset && assets.add(e.asset), ...options });
    } catch (e) {
      return { error: String((e && e.stack) || e), stdout: '', stderr: '' };
    }
    try {
      const r = await s.run(['-c', code, ...args], { timeoutMs: 240_000 });
      return { ...r, assets: [...assets].sort() };
    } finally {
      await s.close();
    }
  }, { code, args, options });
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

  test('float64 products fuse multiply-adds by default (relaxed SIMD) and not with relaxedSimd: false', T, async () => {
    const code = await readFile(join(REPO, 'tests', 'python', 'numpy_fma.py'), 'utf8');
    for (const [options, value] of [[{}, '-5.551115123125783e-17'], [{ relaxedSimd: false }, '0.0']]) {
      const r = await runNumpy(code, [], options);
      ranOk(r);
      assert.equal(r.stdout, `main ${value} thread ${value}\nproducts ok\n`, ctx.explain(r));
    }
  });

  test('numpy releases the GIL: two threads doing matmuls or large ufuncs overlap; 4 and 8 threads finish', T, async () => {
    const code = await readFile(join(REPO, 'tests', 'python', 'numpy_threads.py'), 'utf8');
    const r = await runNumpy(code);
    ranOk(r);
    for (const work of ['matmul', 'ufunc']) assert.match(r.stdout, new RegExp(`^${work} 2 overlap$`, 'm'), ctx.explain(r));
    for (const n of [4, 8]) for (const work of ['matmul', 'ufunc']) assert.match(r.stdout, new RegExp(`^${work} ${n} done$`, 'm'), ctx.explain(r));
  });

  test('a numpy array reaches the page without a copy: getBuffer with shape and format', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const py = await weft.loadWeft({ packages: ['numpy'], stdout: () => {}, stderr: () => {} });
      try {
        const a = await py.runPython('import numpy as np\na = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)\na');
        const buf = await a.getBuffer();
        const first = { type: buf.data.constructor.name, shape: buf.shape, shared: buf.data.buffer instanceof SharedArrayBuffer, values: [...buf.data] };
        await py.runPython('a *= 2');
        const doubled = [...buf.data];
        await buf.release();
        const copy = await a.getBuffer({ copy: true });
        const copied = { shared: copy.data.buffer instanceof SharedArrayBuffer, last: copy.data.at(-1) };
        await a.destroy();
        return { first, doubled, copied };
      } finally {
        await py.close();
      }
    });
    assert.equal(r.first.type, 'Float32Array');
    assert.deepEqual(r.first.shape, [2, 3]);
    assert.equal(r.first.shared, true);
    assert.deepEqual(r.first.values.map((v) => Math.round(v * 10) / 10), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(r.doubled.map((v) => Math.round(v * 10) / 10), [0, 0.4, 0.8, 1.2, 1.6, 2]);
    assert.deepEqual(r.copied, { shared: false, last: 2 });
  });
});
