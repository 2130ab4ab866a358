// The npm package as users get it: `npm pack` of dist/npm/ (laid out by `cargo xtask build`),
// installed from the tarball into a copy of a tiny app (fixture/), then imported by name from
// Node, type-checked by TypeScript, and built by Vite into a page that runs in Chromium: the
// production build, the dev server, and the build with `assetsUrl` pointing at a copy of the
// package's files. Vite and TypeScript are pinned in tests/package.json.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { build, createLogger, createServer } from 'vite';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DIST, REPO, chromium, startCoiServer } from '../browser/helpers.mjs';

const PACKAGE = join(DIST, 'npm');
const FIXTURE = join(REPO, 'tests', 'package', 'fixture');
const TSC = join(REPO, 'tests', 'node_modules', '.bin', 'tsc');
const T = { timeout: 300_000 };

/** Runs a command; resolves to its stdout, or rejects with its output. */
function sh(command, args, { cwd, timeout = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let scratch; // temporary directory: the tarball, the app, Chromium's profile
let app; // the fixture app with the package installed from the tarball
let packed; // `npm pack --json`'s report: filename, files

before(async () => {
  assert.ok(existsSync(join(PACKAGE, 'package.json')), `${PACKAGE}/package.json is missing: run cargo xtask build`);
  scratch = await mkdtemp(join(tmpdir(), 'weft-package-'));
  [packed] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', scratch, PACKAGE]));
  app = join(scratch, 'app');
  await cp(FIXTURE, app, { recursive: true });
  // --offline: the package has no dependencies, so nothing may come from a registry.
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, packed.filename)], { cwd: app });
});

after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  test('holds the client, the worker, the runtime and Python, and nothing of the REPL page', T, async () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'weft.mjs', 'weft.d.ts', 'channel.mjs', 'threads.mjs', 'cli.mjs',
      'worker.mjs', 'runtime-workers.mjs', 'runtime/worker_runtime.js', 'runtime/worker_runtime_bg.wasm',
      'main/main_thread_client.js', 'main/main_thread_client_bg.wasm', 'python.wasm', 'python-stdlib.zip',
      'python-numpy.wasm', 'python-numpy-lib.zip', 'asset-sizes.json', 'coi-register.js', 'coi-sw.js',
      'LICENSE-MIT', 'LICENSE-APACHE', 'THIRD-PARTY-LICENSES.txt']) {
      assert.ok(files.includes(f), `${f} is not in the package: ${files.join(' ')}`);
    }
    // The licenses of what it ships: CPython's, numpy's, and the runtime's crates'.
    const notices = await readFile(join(app, 'node_modules', 'weft-python', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const needle of ['PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2', 'numpy 2.3.5', '- wasm-bindgen ']) {
      assert.ok(notices.includes(needle), `THIRD-PARTY-LICENSES.txt lacks ${needle}`);
    }
    const strays = files.filter((f) => /\.(br|gz|html|css)$/.test(f) || /^(demos|vendor)\//.test(f) || f.endsWith('.wasm.d.ts'));
    assert.deepEqual(strays, []);

    const pkg = JSON.parse(await readFile(join(app, 'node_modules', 'weft-python', 'package.json'), 'utf8'));
    const cargo = await readFile(join(REPO, 'Cargo.toml'), 'utf8');
    const workspaceVersion = cargo.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)[1];
    assert.equal(pkg.name, 'weft-python');
    assert.equal(pkg.version, workspaceVersion);
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.engines.node, '>=20');
    assert.equal(pkg.sideEffects, false);
    // TypeScript takes the first condition that applies: "types" must come before "default".
    assert.deepEqual(Object.entries(pkg.exports['.']), [['types', './weft.d.ts'], ['default', './weft.mjs']]);
    assert.equal(pkg.exports['./package.json'], './package.json');
  });

  test('a Node program imports it by name and runs Python, numpy included', T, async () => {
    const r = JSON.parse(await sh(process.execPath, ['node.mjs'], { cwd: app }));
    assert.deepEqual(r.plain, { code: 0, stdout: '42\n', phases: ['fetch', 'compile', 'ready'] });
    assert.deepEqual(r.numpy, { code: 0, stdout: '45\n', phases: ['fetch', 'compile', 'ready'] });
    assert.equal(r.startIsAClass, true);
  });

  test('its CLI runs like python3', T, async () => {
    const cli = join(app, 'node_modules', '.bin', 'weft-python');
    const r = await new Promise((resolve) => {
      execFile(cli, ['-c', 'import sys; print(6 * 7); sys.exit(3)'], { cwd: app, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? error.code : 0, stdout, stderr });
      });
    });
    assert.deepEqual(r, { code: 3, stdout: '42\n', stderr: '' });
  });

  test('its types check in a TypeScript app, with bundler and with NodeNext resolution', T, async () => {
    await sh(TSC, ['-p', 'tsconfig.json'], { cwd: app });
    await sh(TSC, ['-p', 'tsconfig.node.json'], { cwd: app });
  });
});

describe('a Vite app using the package', () => {
  let context;
  const consoleLines = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
    context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, 'package-vite-console.log'), consoleLines.join('\n') + '\n').catch(() => {});
    await context?.close();
  });

  /** Vite's logger, keeping every warning and error (the builds should have none). */
  function quietLogger() {
    const logger = createLogger('warn');
    const complaints = [];
    logger.warn = (msg) => complaints.push(msg);
    logger.warnOnce = (msg) => complaints.push(msg);
    logger.error = (msg) => complaints.push(msg);
    return { logger, complaints };
  }

  /** Opens `url` in a new tab and resolves to the page's `window.weftResult`. */
  async function runPage(url, { screenshot } = {}) {
    const page = await context.newPage();
    page.on('console', (m) => consoleLines.push(`[${url}] [console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[${url}] [pageerror] ${e.stack ?? e}`));
    try {
      await page.goto(url);
      const result = await page.evaluate(() => window.weftResult);
      if (screenshot) await page.screenshot({ path: join(ARTIFACTS, screenshot) }).catch(() => {});
      return result;
    } finally {
      await page.close();
    }
  }

  /** What the fixture's page must have seen (main.ts). */
  function assertRan(r) {
    const explain = `${JSON.stringify({ ...r, progress: r.progress?.length }, null, 1)}\n${consoleLines.slice(-15).join('\n')}`;
    assert.equal(r.error, undefined, explain);
    assert.equal(r.crossOriginIsolated, true, explain);
    assert.equal(r.code, 0, explain);
    assert.equal(r.stdout, '42\n', explain);
    // The progress bar's events: fetch (with the total known from the first), compile, ready.
    const phases = r.progress.map((e) => e.phase);
    assert.deepEqual([...new Set(phases)], ['fetch', 'compile', 'ready'], explain);
    assert.ok(r.progress.every((e) => e.total !== undefined), `a total was unknown: ${JSON.stringify(r.progress)}`);
    const ready = r.progress.at(-1);
    assert.equal(ready.loaded, ready.total);
    assert.ok(ready.total > 10_000_000, `only ${ready.total} bytes loaded`);
    // Threads and the runtime's own workers, which start further copies of the bundled worker.
    assert.equal(r.threads, true, explain);
    // m0..m9 hold 2000 lines 'X = i' of 6 bytes, m10..m39 of 7.
    assert.deepEqual(r.unpacked, { files: 40, bytes: 10 * 2000 * 6 + 30 * 2000 * 7 }, explain);
    assert.equal(r.runtimeWorkers, 2, explain);
    assert.match(r.threadsOutput, /^4 [0-9a-f]{8} X = 7\n$/, explain);
  }

  // Rolldown warns when plugins take long, which tells about this machine's load, not about the
  // package.
  const checks = { bundlerTimings: false };

  // `vite build` of the app into app/dist/, once for the tests that serve it.
  let building;
  function built() {
    building ??= (async () => {
      const { logger, complaints } = quietLogger();
      await build({
        root: app,
        logLevel: 'warn',
        customLogger: logger,
        build: { rolldownOptions: { checks } },
        worker: { rolldownOptions: { checks } },
      });
      return { complaints };
    })();
    return building;
  }

  test('vite build copies the worker and the assets; the built page runs Python in Chromium', T, async () => {
    const { complaints } = await built();
    assert.deepEqual(complaints, [], 'vite build warned');
    const assets = await readdir(join(app, 'dist', 'assets'));
    for (const name of ['python', 'python-stdlib', 'worker_runtime_bg', 'main_thread_client_bg', 'worker']) {
      assert.ok(assets.some((a) => a.startsWith(`${name}-`)), `no copy of ${name} among ${assets.join(' ')}`);
    }
    const server = await startCoiServer(join(app, 'dist'));
    try {
      await mkdir(ARTIFACTS, { recursive: true });
      assertRan(await runPage(`${server.url}index.html`, { screenshot: 'package-vite.png' }));
    } finally {
      await server.stop();
    }
  });

  test('the dev server serves the package with no configuration but the headers', T, async () => {
    const { logger, complaints } = quietLogger();
    const server = await createServer({
      root: app,
      customLogger: logger,
      server: { port: 0 },
      optimizeDeps: { rolldownOptions: { checks } },
    });
    try {
      await server.listen();
      assertRan(await runPage(server.resolvedUrls.local[0]));
      assert.deepEqual(complaints, [], 'the dev server warned');
    } finally {
      await server.close();
    }
  });

  test('with assetsUrl, every file comes from that directory instead', T, async () => {
    // The package's files beside the build, and Vite's copies of them gone: the page must find
    // all of them (the worker too) in weft/.
    await built();
    const out = join(app, 'dist');
    await cp(join(app, 'node_modules', 'weft-python'), join(out, 'weft'), { recursive: true });
    for (const a of await readdir(join(out, 'assets'))) {
      if (!a.startsWith('index-')) await rm(join(out, 'assets', a));
    }
    const server = await startCoiServer(out);
    try {
      assertRan(await runPage(`${server.url}index.html?assetsUrl=weft/`));
    } finally {
      await server.stop();
    }
  });
});
