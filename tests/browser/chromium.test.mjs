// Weft in headless Chromium: coi-server (port 0) serves a scratch root holding a copy of dist/
// and a test page; the page must be cross-origin isolated and run Python in the module Worker
// through weft.mjs. Chromium is the system one (/usr/bin/chromium or WEFT_CHROMIUM), driven by
// playwright-core; it is never downloaded.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));
const ARTIFACTS = resolve(process.env.WEFT_ARTIFACTS ?? join(REPO, 'target', 'test-artifacts'));
const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
const T = { timeout: 180_000 };

const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Weft browser test</title><link rel="icon" href="data:,">
<style>body{font:14px monospace;margin:1em} pre{white-space:pre-wrap;border:1px solid #ccc;padding:.5em}</style>
<h1>Weft browser test</h1>
<p id="iso"></p>
<pre id="log"></pre>
<script type="module">
import { Weft } from './weft.mjs';
const log = document.getElementById('log');
document.getElementById('iso').textContent = 'crossOriginIsolated: ' + self.crossOriginIsolated;
// Runs Python in a fresh interpreter; resolves to {code, stdout, stderr} or {error, ...}.
window.runPython = async (args) => {
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const text = { stdout: '', stderr: '' };
  const sink = (name) => (bytes) => { text[name] += decoders[name].decode(bytes, { stream: true }); };
  const result = {};
  let py;
  try {
    py = await Weft.start({ stdout: sink('stdout'), stderr: sink('stderr') });
    result.code = await py.run(args);
  } catch (e) {
    result.error = String((e && e.stack) || e);
  } finally {
    if (py) await py.close().catch(() => {});
  }
  Object.assign(result, text);
  const shown = args.map((a) => JSON.stringify(a.length > 100 ? a.slice(0, 100) + '…' : a)).join(' ');
  log.textContent += '$ python ' + shown + '\\n' +
    text.stdout + text.stderr + (result.error ? 'error: ' + result.error + '\\n' : '') +
    '[exit ' + result.code + ']\\n\\n';
  return result;
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

/** Starts coi-server on port 0 and resolves to {url, stop}. */
function startServer(root) {
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
 * A scratch root holding a copy of dist/ and the test page, served by `serve(root)`, opened in
 * a fresh Chromium profile. `close()` undoes all of it.
 */
async function servePageFrom(prefix, serve, consoleLines) {
  const scratch = await mkdtemp(join(tmpdir(), prefix));
  const root = join(scratch, 'root');
  await cp(DIST, root, { recursive: true });
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

/** Launches Debian's Chromium with a fresh profile and opens the test page at `url`. */
async function openTestPage(profile, url, consoleLines) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 700 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack ?? e}`));
  await page.goto(url);
  await page.waitForFunction(() => window.weftReady === true, null, { timeout: 30_000 });
  return { context, page };
}

/**
 * A static server that sends no isolation headers, like a plain static host (GitHub Pages).
 * Only what the test page needs: files under `root` with a JS MIME type for modules.
 */
function startPlainServer(root) {
  const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({
    url: `http://127.0.0.1:${server.address().port}/`,
    stop: () => new Promise((done) => server.close(done)),
  })));
}

describe('chromium', { timeout: 300_000 }, () => {
  let served;
  let page;
  const consoleLines = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
    assert.ok(existsSync(join(DIST, 'weft.mjs')), `${DIST}/weft.mjs is missing: run cargo xtask build`);
    served = await servePageFrom('weft-browser-', startServer, consoleLines);
    page = served.page;
  });

  after(async () => {
    if (page) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'chromium.png'), fullPage: true }).catch(() => {});
      await writeFile(join(ARTIFACTS, 'chromium-console.log'), consoleLines.join('\n') + '\n').catch(() => {});
    }
    await served?.close();
  });

  const run = (args) => page.evaluate((a) => window.runPython(a), args);
  const explain = (r) => `${JSON.stringify(r, null, 1)}\n${consoleLines.slice(-20).join('\n')}`;

  test('the page is cross-origin isolated (SharedArrayBuffer usable)', T, async () => {
    const iso = await page.evaluate(() => ({
      isolated: self.crossOriginIsolated,
      sab: typeof SharedArrayBuffer === 'function',
    }));
    assert.deepEqual(iso, { isolated: true, sab: true });
  });

  test('print with unicode', T, async () => {
    const r = await run(['-c', 'import sys; print("héllo ✓ 𝄞", sys.platform)']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, 'héllo ✓ 𝄞 wasi\n', explain(r));
  });

  test('a computation with the stdlib', T, async () => {
    const r = await run(['-c', [
      'import hashlib, json, decimal, zlib',
      'decimal.getcontext().prec = 30',
      'data = json.dumps({"n": sum(i * i for i in range(1000))}).encode()',
      'print(json.loads(zlib.decompress(zlib.compress(data)))["n"], hashlib.sha256(b"abc").hexdigest()[:16],',
      '      decimal.Decimal(2).sqrt())',
    ].join('\n')]);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, '332833500 ba7816bf8f01cfea 1.41421356237309504880168872421\n', explain(r));
  });

  test('a traceback goes to stderr with exit code 1; sys.exit(3) gives 3', T, async () => {
    const r = await run(['-c', 'def f():\n    raise KeyError("nope")\nf()']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.stdout, '', explain(r));
    // A page's stderr is not a terminal: plain text, no ANSI colour codes.
    assert.doesNotMatch(r.stderr, /\x1b\[/, explain(r));
    assert.match(r.stderr, /^Traceback \(most recent call last\):[\s\S]*KeyError: 'nope'\n$/, explain(r));
    const r3 = await run(['-c', 'import sys; sys.exit(3)']);
    assert.equal(r3.code, 3, explain(r3));
  });

  test('files in /tmp', T, async () => {
    const code = (await readFile(join(REPO, 'tests', 'python', 'fs_checks.py'), 'utf8'));
    const r = await run(['-c', code, '/tmp']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^WEFT-RESULTS /, explain(r));
  });
});

describe('chromium without cross-origin isolation', { timeout: 300_000 }, () => {
  let served;
  const consoleLines = [];

  before(async () => {
    served = await servePageFrom('weft-plain-', startPlainServer, consoleLines);
  });

  after(async () => {
    await served?.close();
  });

  test('a page from a host without COOP/COEP still runs Python and streams its output', T, async () => {
    const { page } = served;
    const iso = await page.evaluate(() => self.crossOriginIsolated);
    assert.equal(iso, false);
    const r = await page.evaluate((a) => window.runPython(a), ['-c', 'import sys\nfor i in range(3): print("line", i)\nsys.exit(4)']);
    const why = `${JSON.stringify(r, null, 1)}\n${consoleLines.slice(-20).join('\n')}`;
    assert.equal(r.error, undefined, why);
    assert.equal(r.stdout, 'line 0\nline 1\nline 2\n', why);
    assert.equal(r.code, 4, why);
  });
});
