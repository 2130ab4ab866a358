// `node bench/threads.mjs node|chromium`: runs bench/threads-core.mjs in Node or in headless
// Chromium through bench/driver.mjs and prints one line `WEFT-THREADS-RESULT <json>` on stdout.
// Progress goes to stderr. Used by `cargo xtask bench` (xtask/src/bench.rs). Environment: see
// driver.mjs.
import { runDriver } from './driver.mjs';

await runDriver({
  name: 'threads',
  tag: 'WEFT-THREADS-RESULT',
  core: 'threads-core.mjs',
  entry: 'runThreads',
  quick: { rounds: 1, spawnJoin: 100, spawnJoinWarm: 20, scaling: { threads: [1, 2, 4], reps: 2, sha256: { mib: 16, ops: 4 }, zlib: { mib: 4, ops: 2 } } },
  watchdogS: 240,
});
