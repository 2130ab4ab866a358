// Shared setup of the Chromium suites: a scratch root holding a copy of dist/ and the test page,
// served by coi-server (cross-origin isolated) or by a plain static server (not isolated), and
// opened in the system Chromium (/usr/bin/chromium or WEFT_CHROMIUM) driven by playwright-core;
// Chromium is never downloaded. `usePage()` wires all of it into a describe block: one browser
// and one page for the block's tests.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));
export const ARTIFACTS = resolve(process.env.WEFT_ARTIFACTS ?? join(REPO, 'target', 'test-artifacts'));
export const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export { chromium };
/** Options of one browser test. */
export const T = { timeout: 180_000 };

// The test page. Besides `runPython(args)` (a fresh interpreter for one run), it exposes the
// client's exports on `window.weft` and `startSession(options)`, for tests whose whole body runs
// in the page (handlers are page functions: they cannot cross page.evaluate).
const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Weft browser test</title><link rel="icon" href="data:,">
<style>body{font:14px monospace;margin:1em} pre{white-space:pre-wrap;border:1px solid #ccc;padding:.5em}</style>
<h1>Weft browser test</h1>
<p id="iso"></p>
<pre id="log"></pre>
<script type="module">
import { Weft, WeftError, PageDirectory, loadWeft, PythonError, WeftExit, isPyProxy, transfer } from './weft.mjs';
const log = document.getElementById('log');
document.getElementById('iso').textContent = 'crossOriginIsolated: ' + self.crossOriginIsolated;
window.weft = { Weft, WeftError, PageDirectory, loadWeft, PythonError, WeftExit, isPyProxy, transfer };

const short = (s, n) => (s.length > n ? s.slice(0, n) + '…[' + s.length + ' chars]' : s);
function logRun(args, result) {
  const shown = args.map((a) => JSON.stringify(short(a, 100))).join(' ');
  log.textContent += '$ python ' + shown + '\\n' + short(result.stdout, 600) + short(result.stderr, 600) +
    (result.error ? 'error: ' + result.error + '\\n' : '') + '[exit ' + result.code + ']\\n\\n';
}

// Resolves once pred() is true (polled), or rejects after timeoutMs.
window.waitFor = async (pred, timeoutMs = 30000, what = 'a condition') => {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('timed out after ' + timeoutMs + ' ms waiting for ' + what);
    await new Promise((r) => setTimeout(r, 2));
  }
};
window.sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A fresh interpreter whose output is collected as text. session.text holds the current run's
// output (live, for handlers to look at); run(args) resolves to {code, stdout, stderr, ms} or
// {error, errorName, ...}; a run still going after timeoutMs is terminated and reported as
// {timedOut: true, error}, so that a hang fails its test instead of stalling the suite.
window.startSession = async (options = {}) => {
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const text = { stdout: '', stderr: '' };
  const sink = (name) => (bytes) => { text[name] += decoders[name].decode(bytes, { stream: true }); };
  const py = await Weft.start({ ...options, stdout: sink('stdout'), stderr: sink('stderr') });
  return {
    py,
    text,
    async run(args, { timeoutMs = 60000 } = {}) {
      text.stdout = '';
      text.stderr = '';
      const result = {};
      const t0 = performance.now();
      let timer;
      const watchdog = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
      try {
        const code = await Promise.race([py.run(args), watchdog]);
        if (code === 'timeout') {
          result.timedOut = true;
          result.error = 'the run did not end within ' + timeoutMs + ' ms (terminated)';
          py.terminate();
        } else {
          result.code = code;
        }
      } catch (e) {
        result.error = String((e && e.stack) || e);
        result.errorName = e && e.name;
      } finally {
        clearTimeout(timer);
      }
      result.ms = performance.now() - t0;
      result.stdout = text.stdout;
      result.stderr = text.stderr;
      logRun(args, result);
      return result;
    },
    close: () => py.close().catch(() => {}),
  };
};

// Runs Python in a fresh interpreter; resolves to {code, stdout, stderr} or {error, ...}.
window.runPython = async (args) => {
  let session;
  try {
    session = await startSession();
  } catch (e) {
    const result = { error: String((e && e.stack) || e), stdout: '', stderr: '' };
    logRun(args, result);
    return result;
  }
  try {
    const { code, error, stdout, stderr } = await session.run(args);
    return error === undefined ? { code, stdout, stderr } : { code, error, stdout, stderr };
  } finally {
    await session.close();
  }
};
window.weftReady = true;
</script>
</html>
`;

/** The coi-server binary: WEFT_COI_SERVER, else target/debug/coi-server (built if missing). */
function coiServerBinary() {
  if (process.env.WEFT_COI_SERVER) return process.env.WEFT_COI_SERVER;
  const bin = join(REPO, 'target', 'debug', 'coi-server');
  if (!existsSync(bin)) {
    const b = spawnSync('cargo', ['build', '-p', 'coi-server'], { cwd: REPO, stdio: 'inherit' });
    assert.equal(b.status, 0, 'cargo build -p coi-server failed');
  }
  return bin;
}

/** Starts coi-server (COOP/COEP headers) on port 0 and resolves to {url, stop}. */
export function startCoiServer(root) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(coiServerBinary(), ['--port', '0', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`coi-server did not start: ${stderr}`)); }, 30_000);
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`coi-server exited (${code}): ${stderr}`)));
    child.stdout.on('data', (b) => {
      buffered += b;
      const m = buffered.match(/^listening on (http:\/\/\S+\/)\n/);
      if (m) {
        clearTimeout(timer);
        resolvePromise({
          url: m[1],
          serverLog: () => stderr,
          stop: () => new Promise((r) => { child.removeAllListeners('exit'); child.on('exit', r); child.kill('SIGINT'); }),
        });
      }
    });
  });
}

/**
 * A static server that sends no isolation headers, like a plain static host (GitHub Pages):
 * files under `root`, with the MIME types a page needs (a stylesheet served as octet-stream is
 * ignored). See startHeaderServer for extra headers.
 */
export function startPlainServer(root) {
  return startHeaderServer(root);
}

/** Launches Debian's Chromium with a fresh profile and opens the test page at `url`. */
async function openTestPage(profile, url, consoleLines) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 700 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e}`));
  await page.goto(url);
  await page.waitForFunction(() => window.weftReady === true, null, { timeout: 30_000 });
  return { context, page };
}

/** Copies dist/ to `root`, without the npm package's copies of the same files (dist/npm/). */
export function copyDist(root) {
  return cp(DIST, root, { recursive: true, filter: (src) => src !== join(DIST, 'npm') });
}

/**
 * A scratch root holding a copy of dist/ and the test page, served by `serve(root)`, opened in
 * a fresh Chromium profile. `close()` undoes all of it.
 */
async function servePageFrom(prefix, serve, consoleLines) {
  const scratch = await mkdtemp(join(tmpdir(), prefix));
  const root = join(scratch, 'root');
  await copyDist(root);
  await writeFile(join(root, 'weft-test.html'), PAGE);
  const server = await serve(root);
  const { context, page } = await openTestPage(join(scratch, 'profile'), `${server.url}weft-test.html`, consoleLines);
  return {
    page,
    close: async () => {
      await context.close().catch(() => {});
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * Call inside a describe block: before its tests, serves the test page with `serve`
 * (startCoiServer or startPlainServer) and opens it in Chromium; after them, saves a screenshot
 * and the browser console as `<artifacts>.png` / `<artifacts>-console.log` under ARTIFACTS and
 * closes everything. Returns `{page, consoleLines, explain}` (`page` is set once `before` ran);
 * `explain(r)` is a failure message: `r` and the last console lines.
 */
export function usePage({ serve, artifacts, expectIsolated }) {
  const ctx = {
    page: undefined,
    consoleLines: [],
    explain: (r) => `${JSON.stringify(r, null, 1)}\n${ctx.consoleLines.slice(-20).join('\n')}`,
  };
  let served;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
    assert.ok(existsSync(join(DIST, 'weft.mjs')), `${DIST}/weft.mjs is missing: run cargo xtask build`);
    served = await servePageFrom(`weft-${artifacts}-`, serve, ctx.consoleLines);
    ctx.page = served.page;
    if (expectIsolated !== undefined) {
      const iso = await ctx.page.evaluate(() => self.crossOriginIsolated);
      assert.equal(iso, expectIsolated, `crossOriginIsolated should be ${expectIsolated}`);
    }
  });

  after(async () => {
    if (ctx.page) {
      await mkdir(ARTIFACTS, { recursive: true });
      await ctx.page.screenshot({ path: join(ARTIFACTS, `${artifacts}.png`), fullPage: true }).catch(() => {});
      await writeFile(join(ARTIFACTS, `${artifacts}-console.log`), ctx.consoleLines.join('\n') + '\n').catch(() => {});
    }
    await served?.close();
  });

  return ctx;
}

/** The test page with `head` placed first in its <head> (for scripts that must run before the rest). */
export function testPage({ head = '' } = {}) {
  return PAGE.replace('<meta charset="utf-8">', `<meta charset="utf-8">${head}`);
}

/**
 * A static server without isolation headers of its own, whose responses can carry extra headers:
 * `headers(path)` returns them for one request's path (e.g. a static host's own policy), and
 * paths in `missing` answer 404 as if the file were not deployed. `requests` lists every
 * request's URL path and query in order, to count page loads as the server sees them.
 */
export function startHeaderServer(root, { headers = () => ({}), missing = [] } = {}) {
  const types = {
    '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
    '.css': 'text/css', '.json': 'application/json', '.py': 'text/x-python', '.zip': 'application/zip',
    '.png': 'image/png',
  };
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    requests.push(req.url);
    try {
      if (missing.includes(path)) throw new Error('not deployed');
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream', ...headers(path) });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({
    url: `http://127.0.0.1:${server.address().port}/`,
    port: server.address().port,
    requests,
    stop: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
  })));
}
