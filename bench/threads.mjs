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
  watchdogS: 240,
});
