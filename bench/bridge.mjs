// `node bench/bridge.mjs node|chromium`: runs bench/bridge-core.mjs in Node or in headless
// Chromium through bench/driver.mjs and prints one line `WEFT-BRIDGE-RESULT <json>` on stdout.
// Progress goes to stderr. Used by `cargo xtask bench` (xtask/src/bench.rs). Environment: see
// driver.mjs.
import { runDriver } from './driver.mjs';

await runDriver({
  name: 'bridge',
  tag: 'WEFT-BRIDGE-RESULT',
  core: 'bridge-core.mjs',
  entry: 'runBridge',
  quick: { reps: 5, calls: 2000 },
  watchdogS: 180,
});
