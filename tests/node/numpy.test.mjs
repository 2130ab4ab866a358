// numpy in Node: the checks of tests/python/numpy_checks.py through the CLI's `--packages numpy`,
// the client's `packages` option (and that the default start loads nothing of numpy), which
// float64 tile its products use (relaxedSimd), and numpy's GIL-free loops running in parallel on two threads (matmuls, large ufuncs), with 4
// and 8 threads finishing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { PYTHON_DIR, runChecks, runCli, show, startWeft } from './helpers.mjs';

const T = { timeout: 300_000 };

// Named here too, so that a check that silently disappears fails.
const REQUIRED = ['version and build', 'creation and arithmetic', 'broadcasting', 'ufuncs', 'reductions', 'sorting and selection',
  'matmul and dot', 'linalg', 'fft', 'random', 'dtypes', 'string dtype', 'save and load', 'printing', 'errors'];

/** Records which assets a start fetched, through its progress reports. */
async function fetchedAssets(options) {
  const assets = new Set();
  const s = await startWeft({ ...options, onProgress: (e) => e.asset && assets.add(e.asset) });
  return { s, assets };
}

describe('numpy', () => {
  test('numpy works as users expect (tests/python/numpy_checks.py, CLI --packages numpy)', T, async (t) => {
    await runChecks(t, 'numpy_checks.py', [], { expect: REQUIRED, weftArgs: ['--packages', 'numpy'], timeout: 240_000 });
  });

  test('the default start loads python.wasm and nothing of numpy; packages: ["numpy"] loads its interpreter', T, async () => {
    const plain = await fetchedAssets({});
    try {
      assert.deepEqual([...plain.assets].sort(), ['python-stdlib.zip', 'python.wasm', 'runtime/worker_runtime_bg.wasm']);
      assert.equal(await plain.s.py.run(['-c', 'import numpy']), 1);
      assert.match(plain.s.stderr(), /ModuleNotFoundError: No module named 'numpy'/);
    } finally {
      await plain.s.py.close();
    }
    const withNumpy = await fetchedAssets({ packages: ['numpy'] });
    try {
      assert.deepEqual([...withNumpy.assets].sort(),
        ['python-numpy-lib.zip', 'python-numpy.wasm', 'python-stdlib.zip', 'runtime/worker_runtime_bg.wasm']);
      const code = 'import sys, numpy as np; print(np.__file__); print("numpy._core._multiarray_umath" in sys.builtin_module_names, np.arange(4).sum())';
      assert.equal(await withNumpy.s.py.run(['-c', code]), 0, withNumpy.s.stderr());
      assert.equal(withNumpy.s.stdout(), '/usr/local/lib/python3.13/site-packages/numpy/__init__.pyc\nTrue 6\n');
      // Weft's own modules (start-up hook, js, weft) still sit beside numpy in site-packages.
      assert.equal(await withNumpy.s.py.run(['-c', 'import _weft_site, os; print(sorted(os.listdir(os.path.dirname(_weft_site.__file__))))']), 0);
      assert.match(withNumpy.s.stdout(), /\['_weft_site.pyc', 'js.pyc', 'numpy', 'numpy-2.3.5.dist-info', 'weft.pth', 'weft.pyc'\]/);
    } finally {
      await withNumpy.s.py.close();
    }
  });

  test('an unknown package and a bad packages option are refused', T, async () => {
    await assert.rejects(startWeft({ packages: ['scipy'] }), /unknown package "scipy": Weft ships numpy/);
    await assert.rejects(startWeft({ packages: 'numpy' }), /packages must be an array/);
    const r = await runCli(['--packages']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--packages needs a value/);
  });

  test('float64 products fuse multiply-adds by default (relaxed SIMD) and not with relaxedSimd: false', T, async () => {
    const code = await readFile(join(PYTHON_DIR, 'numpy_fma.py'), 'utf8');
    for (const [relaxedSimd, value] of [[undefined, '-5.551115123125783e-17'], [false, '0.0']]) {
      const s = await startWeft({ packages: ['numpy'], ...(relaxedSimd === undefined ? {} : { relaxedSimd }) });
      try {
        assert.equal(await s.py.run(['-c', code]), 0, s.stderr());
        assert.equal(s.stdout(), `main ${value} thread ${value}\nproducts ok\n`, `relaxedSimd: ${relaxedSimd}`);
      } finally {
        await s.py.close();
      }
    }
    await assert.rejects(startWeft({ packages: ['numpy'], relaxedSimd: 'no' }), /relaxedSimd must be true or false, not no/);
  });

  test('numpy releases the GIL: two threads doing matmuls or large ufuncs overlap; 4 and 8 threads finish', T, async () => {
    const s = await startWeft({ packages: ['numpy'] });
    try {
      const code = await readFile(join(PYTHON_DIR, 'numpy_threads.py'), 'utf8');
      assert.equal(await s.py.run(['-c', code]), 0, s.stderr());
      const out = s.stdout();
      for (const work of ['matmul', 'ufunc']) assert.match(out, new RegExp(`^${work} 2 overlap$`, 'm'), out);
      for (const n of [4, 8]) for (const work of ['matmul', 'ufunc']) assert.match(out, new RegExp(`^${work} ${n} done$`, 'm'), out);
    } finally {
      await s.py.close();
    }
  });
});
