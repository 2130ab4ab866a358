// `node bench/sync-io.mjs node|chromium`: runs bench/sync-io-core.mjs in Node (Weft's worker is
// a worker_threads Worker) or in headless Chromium (a module Worker on a cross-origin isolated
// page served by coi-server), and prints one line `WEFT-SYNCIO-RESULT <json>` on stdout.
// Progress goes to stderr. Used by `cargo xtask bench` (xtask/src/bench.rs).
//
// Environment: WEFT_DIST (default dist/), WEFT_COI_SERVER (the coi-server binary, required for
// chromium), WEFT_CHROMIUM (default /usr/bin/chromium; never downloaded).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));

let lastEvents = async () => [];
let cleanup = async () => {};
const log = (m) => process.stderr.write(`    [${process.argv[2]}] ${m}\n`);

async function inNode() {
  const { Weft } = await import(pathToFileURL(join(DIST, 'weft.mjs')).href);
  const { runSyncIo } = await import('./sync-io-core.mjs');
  // The whole process's CPU (main thread, the interpreter's worker thread, V8's helpers).
  // Reading /proc costs a little CPU itself: keep it outside process.cpuUsage()'s window
  // (before the start sample, after the end sample).
  const cpuSample = async (which) => {
    const before = which === 'start' ? procThreads([process.pid]) : null;
    const u = process.cpuUsage();
    const wallMs = performance.now();
    const threads = before ?? procThreads([process.pid]);
    return { cpuMs: (u.user + u.system) / 1000, wallMs, what: 'process.cpuUsage() of the Node process (all threads)', threads };
  };
  const trace = process.env.WEFT_BENCH_TRACE ? (m) => process.stderr.write(`      ${m}\n`) : null;
  const events = [];
  lastEvents = async () => events;
  const result = await runSyncIo(Weft, { cpuSample, log, trace, events });
  // The interpreter's worker_threads thread has no name of its own: it is the thread other
  // than the main one that has used the most CPU (it ran all the Python of the bench).
  cpuDetail(result.cpu, (threads) => Object.entries(threads)
    .filter(([, t]) => !t.name.endsWith('(main thread)'))
    .sort(([, x], [, y]) => y.cpu_ms - x.cpu_ms)[0]?.[0]);
  return { env: `Node ${process.version}`, ...result };
}

const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Weft sync-io bench</title><link rel="icon" href="data:,">
<script type="module">
import { Weft } from './weft.mjs';
import { runSyncIo } from './sync-io-core.mjs';
window.benchEvents = [];
window.runBench = () => runSyncIo(Weft, {
  cpuSample: (which) => window.weftCpuSample(which),
  log: (m) => console.log('bench: ' + m),
  events: window.benchEvents,
});
window.benchReady = true;
</script>
</html>
`;

/**
 * `{"pid/tid": {name, cpu_ms}}` for every thread of `pids`, from /proc/<pid>/task/<tid>/schedstat
 * (first field: ns spent running). null where /proc is unreadable (not Linux).
 */
function procThreads(pids) {
  try {
    const out = {};
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const [ns] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
          const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
          const name = tid === String(pid) ? `${comm} (main thread)` : comm;
          out[`${pid}/${tid}`] = { name, cpu_ms: Number(ns) / 1e6 };
        } catch {
          // the thread ended meanwhile
        }
      }
    }
    return out;
  } catch {
    return null;
  }
}

/** CPU ms per thread and in total between two procThreads() samples (threads in both). */
function threadDelta(a, b) {
  if (!a || !b) return null;
  const threads = [];
  for (const [key, t] of Object.entries(b)) {
    if (a[key]) threads.push({ thread: key, name: t.name, cpu_ms: t.cpu_ms - a[key].cpu_ms });
  }
  threads.sort((x, y) => y.cpu_ms - x.cpu_ms);
  return { total_cpu_ms: threads.reduce((s, t) => s + t.cpu_ms, 0), busiest: threads.slice(0, 5) };
}

/**
 * Replaces the CPU samples by per-process and per-thread differences; `pickWorker(threads)`
 * names the interpreter's thread in the end sample (or undefined).
 */
function cpuDetail(cpu, pickWorker) {
  const [a, b] = cpu?.samples ?? [];
  if (!a || !b) return;
  if (b.detail) {
    cpu.processes = b.detail.map((p) => ({ ...p, cpu_ms: p.cpu_ms - (a.detail.find((q) => q.id === p.id)?.cpu_ms ?? 0) }));
  }
  cpu.threads = threadDelta(a.threads, b.threads);
  if (cpu.threads) {
    cpu.threads.cpu_ms_per_wall_s = cpu.threads.total_cpu_ms / (cpu.wall_ms / 1000);
    const key = pickWorker(b.threads);
    if (key && a.threads[key]) {
      const ms = b.threads[key].cpu_ms - a.threads[key].cpu_ms;
      cpu.worker_thread = { thread: key, name: b.threads[key].name, cpu_ms: ms, cpu_ms_per_wall_s: ms / (cpu.wall_ms / 1000) };
    }
  }
  delete cpu.samples;
}

async function inChromium() {
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
  cleanup = async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    await cp(DIST, root, { recursive: true });
    await cp(join(HERE, 'sync-io-core.mjs'), join(root, 'sync-io-core.mjs'));
    await writeFile(join(root, 'weft-bench.html'), PAGE);
    server = await startCoiServer(root);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const version = browser.version();
    const cdp = await browser.newBrowserCDPSession();
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('bench: ')) log(t.slice(7));
      else consoleLines.push(`[console.${m.type()}] ${t}`);
    });
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e}`));
    // CPU time of Chromium's processes from CDP SystemInfo.getProcessInfo (browser-level): the
    // page's renderer process runs both the page and its dedicated workers.
    await page.exposeFunction('weftCpuSample', async () => {
      const before = performance.now();
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      const wall = (before + performance.now()) / 2;
      const renderers = processInfo.filter((p) => p.type === 'renderer');
      if (!renderers.length) throw new Error(`SystemInfo.getProcessInfo lists no renderer: ${JSON.stringify(processInfo)}`);
      return {
        cpuMs: renderers.reduce((s, p) => s + p.cpuTime * 1000, 0),
        wallMs: wall,
        what: `CDP SystemInfo.getProcessInfo cpuTime, summed over ${renderers.length} renderer process(es)`,
        detail: processInfo.map((p) => ({ type: p.type, id: p.id, cpu_ms: p.cpuTime * 1000 })),
        // The same processes' threads from /proc (Linux): nanosecond run time per thread.
        threads: procThreads(renderers.map((p) => p.id)),
      };
    });
    await page.goto(`${server.url}weft-bench.html`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    lastEvents = () => page.evaluate(() => window.benchEvents);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    if (!isolated) throw new Error('the bench page is not cross-origin isolated');
    const result = await page.evaluate(() => window.runBench());
    cpuDetail(result.cpu, (threads) => {
      const workers = Object.entries(threads).filter(([, t]) => t.name === 'DedicatedWorker');
      return workers.length === 1 ? workers[0][0] : undefined;
    });
    return { env: `Chromium ${version} (headless)`, ...result };
  } catch (e) {
    if (consoleLines.length) e.message += `\n${consoleLines.slice(-20).join('\n')}`;
    throw e;
  } finally {
    await cleanup();
  }
}

const which = process.argv[2];
// A stall: say where (the last events of the harness), then give up.
const WATCHDOG_S = Number(process.env.WEFT_BENCH_WATCHDOG_S ?? 150);
const watchdog = setTimeout(async () => {
  const events = await Promise.race([lastEvents().catch((e) => [`(no events: ${e.message})`]), new Promise((r) => setTimeout(() => r(['(no answer)']), 5000))]);
  process.stderr.write(`sync-io bench (${which}) stalled for ${WATCHDOG_S} s; its last events:\n${events.map((e) => `  ${e}`).join('\n')}\n`);
  await Promise.race([cleanup(), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(2);
}, WATCHDOG_S * 1000);
watchdog.unref();
try {
  if (which !== 'node' && which !== 'chromium') throw new Error('usage: node bench/sync-io.mjs node|chromium');
  const result = which === 'node' ? await inNode() : await inChromium();
  process.stdout.write(`WEFT-SYNCIO-RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`sync-io bench (${which}) failed: ${e.stack ?? e}\n`);
  process.exit(1);
}
