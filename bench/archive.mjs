// `node bench/archive.mjs node|chromium`: runs bench/archive-core.mjs in Node or in headless
// Chromium through bench/driver.mjs and prints one line `WEFT-ARCHIVE-RESULT <json>` on stdout.
// Progress goes to stderr. Used by `cargo xtask bench` (xtask/src/bench.rs). Environment: see
// driver.mjs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { runDriver } from './driver.mjs';

const DIST = resolve(process.env.WEFT_DIST ?? join(import.meta.dirname, '..', 'dist'));

await runDriver({
  name: 'archive',
  tag: 'WEFT-ARCHIVE-RESULT',
  core: 'archive-core.mjs',
  entry: 'runArchive',
  quick: { warm: 2, reps: 5 },
  watchdogS: 240,
  nodeHooks: () => ({ archive: () => readFile(join(DIST, 'python-stdlib.zip')) }),
  pageHooks: "archive: () => fetch('./python-stdlib.zip').then((r) => r.arrayBuffer()),",
});
