// The environments a bench core (bench/*-core.mjs) runs in: Node (dist/weft.mjs on the main
// thread, the interpreter in a worker_threads Worker) or headless Chromium (a module Worker on a
// cross-origin isolated page served by coi-server). A bench script (sync-io.mjs, threads.mjs)
// describes its core and calls runDriver(); `node bench/<script> node|chromium` then prints one
// line `<tag> <json>` on stdout and its progress on stderr. Used by `cargo xtask bench`.
//
// Environment: WEFT_DIST (default dist/), WEFT_COI_SERVER (the coi-server binary, required for
// chromium), WEFT_CHROMIUM (default /usr/bin/chromium; never downloaded).
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** `cargo xtask bench --quick`: each core runs with its spec's `quick` parameters. */
const QUICK = process.env.WEFT_BENCH_QUICK === '1';
const REPO = resolve(HERE, '..');
const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));

/**
 * A bench core and what it needs from its environment:
 * - `name`: for messages; `tag`: the result line's prefix; `core`: the core's file in bench/;
 *   `entry`: its export, called as `entry(Weft, hooks)` and resolving to a JSON-able result.
 *   Every hook set has `log(text)`, `events` (an array the core keeps its last events in, shown
 *   when the run stalls) and `client` (dist/weft.mjs's exports).
 * - `quick`: parameters for the core (JSON-able) that make it short, under WEFT_BENCH_QUICK=1.
 * - `watchdogS`: a run stalled this long is ended (WEFT_BENCH_WATCHDOG_S overrides it).
 * - `native(hooks)`: the same measurement without Weft, as a reference
 *   (`node bench/<script> native`); resolves to the result, with its `env`.
 * - `nodeHooks({log, events})`: more hooks in Node; `nodeFinish(result)`: post-processing there.
 * - `pageHooks`: source text of more hook properties in the page (`name: expr,` pairs), e.g.
 *   calling functions `chromiumSetup({browser, page})` exposed with page.exposeFunction;
 *   `chromiumFinish(result)`: post-processing on the Node side.
 * @typedef {object} CoreSpec
 */

/** Runs the core `spec` in the environment named by argv[2] and prints its result line. */
export async function runDriver(spec) {
  const which = process.argv[2];
  const state = { lastEvents: async () => [], cleanup: async () => {} };
  const log = (m) => process.stderr.write(`    [${spec.name}, ${which}] ${m}\n`);
  // A stall: say where (the last events of the core), then give up.
  const watchdogS = Number(process.env.WEFT_BENCH_WATCHDOG_S ?? spec.watchdogS ?? 150);
  const watchdog = setTimeout(async () => {
    const events = await Promise.race([
      state.lastEvents().catch((e) => [`(no events: ${e.message})`]),
      new Promise((r) => setTimeout(() => r(['(no answer)']), 5000)),
    ]);
    process.stderr.write(`${spec.name} bench (${which}) stalled for ${watchdogS} s; its last events:\n${events.map((e) => `  ${e}`).join('\n')}\n`);
    await Promise.race([state.cleanup(), new Promise((r) => setTimeout(r, 5000))]);
    process.exit(2);
  }, watchdogS * 1000);
  watchdog.unref();
  try {
    const envs = spec.native ? ['node', 'chromium', 'native'] : ['node', 'chromium'];
    if (!envs.includes(which)) throw new Error(`usage: node bench/${spec.name}.mjs ${envs.join('|')}`);
    // Other work on the machine skews timings (scaling on a 2-core machine above all): say how busy it was.
    const before = loadavg()[0];
    const result = which === 'node' ? await inNode(spec, state, log)
      : which === 'chromium' ? await inChromium(spec, state, log)
        : await spec.native({ log, ...(QUICK ? spec.quick : {}) });
    result.loadavg_1m = { before, after: loadavg()[0] };
    process.stdout.write(`${spec.tag} ${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${spec.name} bench (${which}) failed: ${e.stack ?? e}\n`);
    process.exit(1);
  }
}

async function inNode(spec, state, log) {
  const client = await import(pathToFileURL(join(DIST, 'weft.mjs')).href);
  const core = (await import(pathToFileURL(join(HERE, spec.core)).href))[spec.entry];
  const events = [];
  state.lastEvents = async () => events;
  const more = (await spec.nodeHooks?.({ log, events })) ?? {};
  const result = await core(client.Weft, { log, events, client, ...more, ...(QUICK ? spec.quick : {}) });
  spec.nodeFinish?.(result);
  return { env: `Node ${process.version}`, ...result };
}

const page = (spec) => `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Weft ${spec.name} bench</title><link rel="icon" href="data:,">
<script type="module">
import * as client from './weft.mjs';
import { ${spec.entry} } from './${spec.core}';
window.benchEvents = [];
window.runBench = () => ${spec.entry}(client.Weft, {
  ${spec.pageHooks ?? ''}
  ${QUICK ? `...${JSON.stringify(spec.quick ?? {})},` : ''}
  log: (m) => console.log('bench: ' + m),
  events: window.benchEvents,
  client,
});
window.benchReady = true;
</script>
</html>
`;

async function inChromium(spec, state, log) {
  // The browser suite's setup (server, Chromium flags), loaded only here: it needs playwright-core.
  let browserHelpers;
  try {
    browserHelpers = await import('../tests/browser/helpers.mjs');
  } catch (e) {
    throw new Error(`playwright-core is not installed in tests/node_modules (cd tests && npm ci): ${e.message}`);
  }
  const { chromium, CHROMIUM, CHROMIUM_ARGS, startCoiServer } = browserHelpers;
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set WEFT_CHROMIUM)`);
  const scratch = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const root = join(scratch, 'root');
  let server;
  let browser;
  const consoleLines = [];
  state.cleanup = async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    await cp(DIST, root, { recursive: true, filter: (f) => f !== join(DIST, 'npm') }); // not the npm package's copies
    // Every core, since one may import another's helpers.
    for (const f of readdirSync(HERE).filter((f) => f.endsWith('-core.mjs'))) await cp(join(HERE, f), join(root, f));
    await writeFile(join(root, 'weft-bench.html'), page(spec));
    server = await startCoiServer(root);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const version = browser.version();
    const context = await browser.newContext();
    const tab = await context.newPage();
    tab.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('bench: ')) log(t.slice(7));
      else consoleLines.push(`[console.${m.type()}] ${t}`);
    });
    tab.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e}`));
    await spec.chromiumSetup?.({ browser, page: tab });
    await tab.goto(`${server.url}weft-bench.html`);
    await tab.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    state.lastEvents = () => tab.evaluate(() => window.benchEvents);
    const isolated = await tab.evaluate(() => self.crossOriginIsolated);
    if (!isolated) throw new Error('the bench page is not cross-origin isolated');
    const result = await tab.evaluate(() => window.runBench());
    spec.chromiumFinish?.(result);
    return { env: `Chromium ${version} (headless)`, ...result };
  } catch (e) {
    if (consoleLines.length) e.message += `\n${consoleLines.slice(-20).join('\n')}`;
    throw e;
  } finally {
    await state.cleanup();
  }
}
