// `node bench/numpy.mjs node|chromium`: runs bench/numpy-core.mjs in Node or in headless Chromium
// through bench/driver.mjs and prints one line `WEFT-NUMPY-RESULT <json>` on stdout: start-up
// with numpy, `import numpy`, single-thread timings of issue 8's operations, and 1/2/4-thread
// scaling of independent matmuls and large ufuncs (`same_total_work`: n threads' time for n
// shares over one thread's time for n shares; 1/n is perfect). Progress goes to stderr.
// Environment: see driver.mjs.
import { runDriver } from './driver.mjs';

await runDriver({
  name: 'numpy',
  tag: 'WEFT-NUMPY-RESULT',
  core: 'numpy-core.mjs',
  entry: 'runNumpy',
  quick: { rounds: 1, spec: { threads: [1, 2, 4], reps: 2, ops: { matmul: 8, ufunc: 2 }, matmul_n: 300, ufunc_len: 2_000_000, single_reps: 2 } },
  watchdogS: 300,
});
