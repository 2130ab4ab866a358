// `node bench/speed.mjs [--quick]`: start-up, fetched files and pure-Python speed of native
// CPython, Weft in Node, Weft in headless Chromium, Pyodide in Node and Pyodide in a Chromium
// worker, measured side by side: each round of start-ups and each program goes through every
// side before the next, so that machine noise hits all sides alike. Prints one line
// `WEFT-SPEED-RESULT <json>` on stdout (xtask/src/bench.rs makes the report); progress on stderr.
//
// Environment: WEFT_NATIVE_PYTHON (native CPython, required), WEFT_DIST (default dist/),
// WEFT_COI_SERVER (required), WEFT_CHROMIUM (default /usr/bin/chromium). Pyodide comes from
// bench/node_modules (npm ci in bench/).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { median } from './sync-io-core.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));
const PYODIDE_DIR = join(HERE, 'node_modules', 'pyodide');
const NATIVE = process.env.WEFT_NATIVE_PYTHON;
const QUICK = process.argv.includes('--quick') || process.env.WEFT_BENCH_QUICK === '1';
/** Start-ups per side and kind; repetitions of each program per side (the first is cold). */
const STARTUP_RUNS = QUICK ? 2 : 5;
const REPS = QUICK ? 2 : 5;
const log = (m) => process.stderr.write(`    [speed] ${m}\n`);

const HARNESS = await readFile(join(HERE, 'speed_harness.py'), 'utf8');
const PROGRAMS = readdirSync(join(HERE, 'programs'))
  .filter((f) => f.endsWith('.py'))
  .sort()
  .map((f) => ({ name: f.slice(0, -3), file: join(HERE, 'programs', f) }));
for (const p of PROGRAMS) p.source = await readFile(p.file, 'utf8');

/**
 * Spawns `cmd args`, resolves with {ms, stdout}: `ms` from spawn to the first stdout byte (the
 * first print), and all of stdout. Rejects if the command fails or prints nothing.
 */
function spawnTimed(cmd, args, { cwd = REPO } = {}) {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    let first = null;
    const out = [];
    const err = [];
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b) => {
      first ??= performance.now() - t0;
      out.push(b);
    });
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', rej);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      if (code !== 0 || first === null) {
        rej(new Error(`${cmd} ${args.slice(0, 2).join(' ')}... exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`));
      } else {
        res({ ms: first, stdout });
      }
    });
  });
}

const speedLine = (stdout, what) => {
  const line = stdout.split('\n').find((l) => l.startsWith('WEFT-SPEED '));
  if (!line) throw new Error(`${what}: no result line in ${JSON.stringify(stdout.slice(-500))}`);
  return JSON.parse(line.slice(11));
};

// ---- sides in this process: Weft and Pyodide in Node ----

const client = await import(pathToFileURL(join(DIST, 'weft.mjs')).href);
const { loadPyodide } = await import(pathToFileURL(join(PYODIDE_DIR, 'pyodide.mjs')).href);

/** A Weft interpreter in Node whose stdout is kept as text. */
async function weftNode() {
  const s = { text: '', err: '' };
  const dec = new TextDecoder();
  s.py = await client.Weft.start({
    stdout: (b) => { s.text += dec.decode(b, { stream: true }); },
    stderr: (b) => { s.err += dec.decode(b, { stream: true }); },
  });
  s.run = async (args) => {
    s.text = '';
    s.err = '';
    const code = await s.py.run(args);
    if (code !== 0) throw new Error(`Weft (Node) exited ${code}: ${s.err}`);
    return s.text;
  };
  return s;
}

/** ms from nothing to Python's first print, in this process (warm: its code is loaded). */
async function weftNodeWarmStart() {
  const t0 = performance.now();
  let ms = null;
  const dec = new TextDecoder();
  let text = '';
  const py = await client.Weft.start({
    stdout: (b) => {
      text += dec.decode(b, { stream: true });
      if (ms === null && text.includes('ready\n')) ms = performance.now() - t0;
    },
  });
  await py.run(['-c', "print('ready')"]);
  await py.close();
  return ms;
}

async function pyodideNodeWarmStart() {
  const t0 = performance.now();
  let ms = null;
  const py = await loadPyodide({ stdout: (l) => { if (ms === null && l === 'ready') ms = performance.now() - t0; } });
  py.runPython("print('ready')");
  return ms;
}

const PYODIDE_COLD = `const { loadPyodide } = await import(${JSON.stringify(pathToFileURL(join(PYODIDE_DIR, 'pyodide.mjs')).href)});
const py = await loadPyodide();
py.runPython("print('ready')");`;

// ---- Chromium: one page for speed, fresh browsers for cold start-ups ----

async function chromiumSetup() {
  let helpers;
  try {
    helpers = await import('../tests/browser/helpers.mjs');
  } catch (e) {
    throw new Error(`playwright-core is not installed in tests/node_modules (cd tests && npm ci): ${e.message}`);
  }
  const { chromium, CHROMIUM, CHROMIUM_ARGS, startCoiServer } = helpers;
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set WEFT_CHROMIUM)`);
  const scratch = await mkdtemp(join(tmpdir(), 'weft-speed-'));
  const root = join(scratch, 'root');
  // Neither side gets precompressed variants: both are fetched as they are. Nor the npm
  // package's copies of the same files (dist/npm/).
  await cp(DIST, root, { recursive: true, filter: (f) => !/\.(br|gz)$/.test(f) && f !== join(DIST, 'npm') });
  await cp(PYODIDE_DIR, join(root, 'pyodide'), { recursive: true });
  await cp(join(HERE, 'web'), root, { recursive: true });
  const server = await startCoiServer(root);
  const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const browser = await launch();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}speed.html`);
  await page.waitForFunction(() => window.speedReady === true, null, { timeout: 30_000 });
  if (!(await page.evaluate(() => self.crossOriginIsolated))) throw new Error('the speed page is not cross-origin isolated');
  return {
    version: browser.version(),
    speed: (fn, p) => page.evaluate(([fn, harness, name, reps, source]) => window[fn](harness, name, reps, source), [fn, HARNESS, p.name, REPS, p.source]),
    /**
     * One cold start-up in a fresh browser (new profile: empty HTTP and code caches) and one
     * warm (a reload in it): ms from navigation to the first print, and the paths fetched cold.
     */
    async startup(pageName) {
      const b = await launch();
      try {
        const tab = await (await b.newContext()).newPage();
        const fetched = new Set();
        tab.on('requestfinished', (r) => {
          const path = new URL(r.url()).pathname.slice(1);
          if (path && path !== pageName) fetched.add(path);
        });
        const timed = async () => {
          await tab.waitForFunction(() => window.startupMs !== undefined || window.startupError, null, { timeout: 120_000 });
          const { ms, error } = await tab.evaluate(() => ({ ms: window.startupMs, error: window.startupError }));
          if (error) throw new Error(`${pageName}: ${error}`);
          return ms;
        };
        await tab.goto(`${server.url}${pageName}`);
        const cold = await timed();
        const coldFetched = [...fetched].sort();
        await tab.reload();
        const warm = await timed();
        return { cold, warm, fetched: coldFetched };
      } finally {
        await b.close();
      }
    },
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

// ---- the run ----

const SIDES = ['native', 'weft_node', 'weft_chromium', 'pyodide_node', 'pyodide_chromium'];

async function main() {
  if (!NATIVE || !existsSync(NATIVE)) throw new Error(`WEFT_NATIVE_PYTHON must name the native CPython (got ${NATIVE})`);
  if (!existsSync(PYODIDE_DIR)) throw new Error('Pyodide is not installed: cd bench && npm ci');
  log(`${PROGRAMS.length} programs, ${REPS} repetitions each, ${STARTUP_RUNS} start-ups per side${QUICK ? ' (quick)' : ''}`);
  const chromium = await chromiumSetup();
  const weft = await weftNode();
  const pyodide = await loadPyodide();
  const startup = Object.fromEntries(SIDES.map((s) => [s, { cold: [], warm: [] }]));
  const fetched = {};
  const speed = Object.fromEntries(SIDES.map((s) => [s, {}]));
  try {
    for (let i = 0; i < STARTUP_RUNS; i++) {
      log(`start-up round ${i + 1} of ${STARTUP_RUNS}`);
      const hello = ['-c', "print('ready')"];
      // Native has no cache of its own to warm: every start is a new process on a warm disk cache.
      startup.native.warm.push((await spawnTimed(NATIVE, hello)).ms);
      startup.weft_node.cold.push((await spawnTimed(process.execPath, [join(DIST, 'cli.mjs'), ...hello])).ms);
      startup.weft_node.warm.push(await weftNodeWarmStart());
      startup.pyodide_node.cold.push((await spawnTimed(process.execPath, ['--input-type=module', '-e', PYODIDE_COLD])).ms);
      startup.pyodide_node.warm.push(await pyodideNodeWarmStart());
      for (const [side, pageName] of [['weft_chromium', 'startup-weft.html'], ['pyodide_chromium', 'startup-pyodide.html']]) {
        const r = await chromium.startup(pageName);
        startup[side].cold.push(r.cold);
        startup[side].warm.push(r.warm);
        fetched[side] ??= r.fetched;
      }
    }
    for (const p of PROGRAMS) {
      log(`${p.name}`);
      speed.native[p.name] = speedLine((await spawnTimed(NATIVE, ['-c', HARNESS, p.name, String(REPS), p.source])).stdout, `${p.name} native`);
      speed.weft_node[p.name] = speedLine(await weft.run(['-c', HARNESS, p.name, String(REPS), p.source]), `${p.name} on Weft`);
      speed.weft_chromium[p.name] = await chromium.speed('speedWeft', p);
      pyodide.globals.set('bench_name', p.name);
      pyodide.globals.set('bench_source', p.source);
      pyodide.globals.set('bench_reps', REPS);
      speed.pyodide_node[p.name] = JSON.parse(pyodide.runPython(`${HARNESS}\njson.dumps(measure(bench_name, bench_source, bench_reps))`));
      speed.pyodide_chromium[p.name] = await chromium.speed('speedPyodide', p);
    }
  } finally {
    await weft.py.close();
    await chromium.close();
  }
  const nativeVersion = (await spawnTimed(NATIVE, ['-c', 'import sys; print(sys.version.split()[0])'])).stdout.trim();
  return {
    quick: QUICK,
    reps: REPS,
    startup_runs: STARTUP_RUNS,
    programs: PROGRAMS.map((p) => p.name),
    versions: {
      native: nativeVersion,
      node: process.version,
      chromium: chromium.version,
      pyodide: pyodide.version,
      pyodide_python: pyodide.runPython('import sys; sys.version.split()[0]'),
    },
    startup,
    fetched,
    speed,
  };
}

try {
  const result = await main();
  process.stdout.write(`WEFT-SPEED-RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`speed bench failed: ${e.stack ?? e}\n`);
  process.exit(1);
}
