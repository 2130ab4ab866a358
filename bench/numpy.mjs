// `node bench/numpy.mjs node|chromium|native`: runs bench/numpy-core.mjs in Node or in headless
// Chromium through bench/driver.mjs, or its Python program on the native CPython with PyPI's
// numpy (the reference), and prints one line `WEFT-NUMPY-RESULT <json>` on stdout: start-up
// with numpy, `import numpy`, single-thread timings of issue 8's operations, and the scaling of
// independent matmuls and large ufuncs over a ThreadPoolExecutor of 1/2/4/8 workers
// (`same_total_work`: n workers' time for one batch over one worker's; 1/2 is perfect on 2
// cores). Progress goes to stderr.
// Environment: see driver.mjs; native: WEFT_NATIVE_PYTHON and WEFT_NATIVE_NUMPY.
import { runDriver } from './driver.mjs';
import { SPEC, runNumpyNative } from './numpy-core.mjs';

/** An environment variable the native run needs (`cargo xtask bench` sets them). */
function need(name) {
  if (!process.env[name]) throw new Error(`${name} is not set: the native CPython (guest/build.sh --print native-python) and numpy (--print native-numpy)`);
  return process.env[name];
}

await runDriver({
  name: 'numpy',
  tag: 'WEFT-NUMPY-RESULT',
  core: 'numpy-core.mjs',
  entry: 'runNumpy',
  quick: { rounds: 1, spec: { ...SPEC, reps: 2, single_reps: 2 } },
  native: (hooks) => runNumpyNative({ python: need('WEFT_NATIVE_PYTHON'), site: need('WEFT_NATIVE_NUMPY'), ...hooks }),
  watchdogS: 300,
});
