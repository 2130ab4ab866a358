// How much one numpy matmul slows when the other CPU runs the same work, with no GIL, pool or
// thread hand-off in the way: two separate interpreters (Weft: two Weft.start in this process,
// each on its own worker; native: two processes) each time `np.matmul(A, B, out=C)` in a loop
// for a second. Each round runs one alone, then two at once, in Weft and then natively, so
// both see the same minutes of the host. Prints per-matmul medians and the slowdowns.
// Use it beside bench/numpy.mjs, whose 2-worker ratio can be no better than what this shows.
//
//   node bench/numpy_pair.mjs [n=200] [rounds=6]
//
// OPENBLAS_CORETYPE=Nehalem makes the native side use OpenBLAS's 128-bit SSE kernel, the same
// kind of code as Weft's wasm SIMD128 tile (its default here is an AVX-512 kernel).
//
// Needs `cargo xtask build` (dist/) and, for the native side, WEFT_NATIVE_PYTHON and
// WEFT_NATIVE_NUMPY as for bench/numpy.mjs native.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Weft } from '../dist/weft.mjs';

const [n = '200', rounds = '6'] = process.argv.slice(2);
const LOOP = `import statistics, sys, time
import numpy as np
n = int(sys.argv[1])
A = np.random.default_rng(0).standard_normal((n, n)); B = A.copy(); C = np.empty((n, n))
ts = []; end = time.perf_counter() + 1.0
while time.perf_counter() < end:
    t0 = time.perf_counter(); np.matmul(A, B, out=C); ts.append(time.perf_counter() - t0)
print(statistics.median(ts) * 1e3)
`;

async function weft() {
  const out = [];
  const py = await Weft.start({ packages: ['numpy'], stdout: (b) => out.push(Buffer.from(b)) });
  return {
    async run() {
      out.length = 0;
      const code = await py.run(['-c', LOOP, n]);
      if (code !== 0) throw new Error(`the loop exited with ${code}`);
      return Number(Buffer.concat(out).toString());
    },
    close: () => py.close(),
  };
}

const native = () => {
  const { WEFT_NATIVE_PYTHON: python, WEFT_NATIVE_NUMPY: site } = process.env;
  if (!python || !site) throw new Error('WEFT_NATIVE_PYTHON and WEFT_NATIVE_NUMPY must be set (see bench/numpy.mjs)');
  const env = { ...process.env, PYTHONPATH: site, OPENBLAS_NUM_THREADS: '1' };
  return { run: async () => Number((await promisify(execFile)(python, ['-c', LOOP, n], { env })).stdout) };
};

const ms = (x) => x.toFixed(3);
const [a, b] = [await weft(), await weft()];
const nat = native();
try {
  await Promise.all([a.run(), b.run()]); // warm-up: V8's tier-up
  console.log(`matmul ${n}x${n}, per-call median ms: one alone -> two at once (slowdown of the slower)`);
  for (let r = 0; r < Number(rounds); r++) {
    const line = [];
    for (const [name, x, y] of [['weft', a, b], ['native', nat, nat]]) {
      const one = await x.run();
      const two = await Promise.all([x.run(), y.run()]);
      line.push(`${name} ${ms(one)} -> ${two.map(ms).join(' ')} (x${(Math.max(...two) / one).toFixed(2)})`);
    }
    console.log(line.join('   '));
  }
} finally {
  await a.close();
  await b.close();
}
