// Cross-origin isolation on a static host that sends no COOP/COEP, in headless Chromium:
// coi-register.js + coi-sw.js (main-thread-client/www/, copied into dist/) make the page
// isolated after exactly one reload, with require-corp or credentialless (and the cross-origin
// image each lets through), and Weft's shared-memory features (threads, input()) work there.
// Where isolation cannot be had (coi-sw.js not deployed, an insecure origin, a frame of a page
// that is not isolated) the page loads once, or reloads once, warns why, never loops, and Weft
// still runs Python. `Document-Isolation-Policy` alone isolates a page where Chromium supports
// it (skipped, saying so, where it does not). Each describe block has its own copy of dist/,
// its own server (so its own origin) and its own Chromium profile (service worker registrations
// live in the profile). Screenshots and console logs go to the artifacts directory, as with
// usePage().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DIST, T, chromium, copyDist, startHeaderServer, testPage } from './helpers.mjs';

const REGISTER = '<script src="coi-register.js"></script>';
/** REGISTER, and each final state `weftCoi.ready` gives this tab, in sessionStorage.readyLog. */
const REGISTER_LOGGED = `${REGISTER}<script>weftCoi.ready.then((s) => {
  sessionStorage.readyLog = (sessionStorage.readyLog ?? '') + s + ' ';
});</script>`;
const PAGE = '/weft-coi.html';
/** A 1x1 PNG, served from a second origin without CORP (what COEP require-corp blocks). */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const NO_SAB = /SharedArrayBuffer is unavailable/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const py = (...lines) => lines.join('\n');

/**
 * `promise`, or an Error naming `what` once `ms` have passed: a step that hangs fails the test
 * with its own name instead of the test's 180 s timeout.
 */
function bounded(what, promise, ms, ctx) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms\n${ctx?.explain({}) ?? ''}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** input() from a thread and from the main thread, answered by the page's stdin handler. */
const THREAD_INPUT = py(
  'import threading',
  'got = []',
  't = threading.Thread(target=lambda: got.append(input("thread? ")))',
  't.start(); t.join()',
  'print(got, input("main? "), threading.active_count())',
);
const THREAD_INPUT_OUT = "thread? main? ['from page'] from page 1\n";

/**
 * Before the block's tests: a scratch root holding dist/ and `files` (name → contents), served
 * by `serve(root)`, and a Chromium with a fresh profile (and `args`). Every frame navigation is recorded in
 * `navigations` (its URL). After them: screenshot, console log, and everything closed.
 */
function useSite({ artifacts, files = {}, serve, args = [] }) {
  const ctx = {
    page: undefined,
    server: undefined,
    root: undefined,
    consoleLines: [],
    navigations: [],
    explain: (r) => `${JSON.stringify(r, null, 1)}\nnavigations: ${ctx.navigations.join(' ')}\n` +
      `server saw: ${ctx.server?.requests.join(' ')}\n${ctx.consoleLines.slice(-20).join('\n')}`,
    /** How many times the server was asked for `path` (without a query). */
    served: (path) => ctx.server.requests.filter((p) => p === path).length,
  };
  let scratch;
  let context;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
    for (const name of ['weft.mjs', 'coi-register.js', 'coi-sw.js']) {
      assert.ok(existsSync(join(DIST, name)), `${DIST}/${name} is missing: run cargo xtask build`);
    }
    scratch = await mkdtemp(join(tmpdir(), `weft-${artifacts}-`));
    const root = (ctx.root = join(scratch, 'root'));
    await copyDist(root);
    for (const [name, body] of Object.entries(files)) await writeFile(join(root, name), body);
    ctx.server = await serve(root);
    context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...args],
      viewport: { width: 1000, height: 700 },
    });
    watch(context.pages()[0] ?? await context.newPage());
  });

  const watch = (page) => {
    page.on('console', (m) => ctx.consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => ctx.consoleLines.push(`[pageerror] ${e.stack ?? e}`));
    page.on('framenavigated', (f) => ctx.navigations.push(f.url()));
    ctx.page = page;
  };
  /** Closes the tab, waits until the browser has activated a waiting update (no page of the
   *  scope is left open, but letting go of the closed page's client takes a moment), and opens
   *  a new tab in the same profile. */
  ctx.reopen = async () => {
    await ctx.page.close();
    const t0 = Date.now();
    const pending = async () => {
      for (const w of context.serviceWorkers()) {
        if (await w.evaluate(() => self.registration.waiting !== null || self.registration.installing !== null).catch(() => false)) return true;
      }
      return false;
    };
    while (await pending()) {
      if (Date.now() - t0 > 10_000) assert.fail('a waiting coi-sw.js was not activated within 10 s of closing the tab');
      await sleep(100);
    }
    watch(await context.newPage());
  };

  after(async () => {
    if (ctx.page) {
      await mkdir(ARTIFACTS, { recursive: true });
      await ctx.page.screenshot({ path: join(ARTIFACTS, `${artifacts}.png`), fullPage: true }).catch(() => {});
      await writeFile(join(ARTIFACTS, `${artifacts}-console.log`), ctx.consoleLines.join('\n') + '\n').catch(() => {});
    }
    await context?.close().catch(() => {});
    await ctx.server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  return ctx;
}

/**
 * Waits until the test page in `frame()` is ready, coi-register.js has reached a final state
 * (not 'pending' or 'reloading') and no frame has navigated for `quietMs`: a reload loop never
 * gets there. Polled from Node, since a reload destroys the page's context. Resolves to the state.
 */
async function settled(ctx, frame = () => ctx.page.mainFrame(), { quietMs = 1500, timeoutMs = 30_000 } = {}) {
  const t0 = Date.now();
  let seen = -1;
  let quietSince = 0;
  while (Date.now() - t0 < timeoutMs) {
    if (ctx.navigations.length !== seen) {
      seen = ctx.navigations.length;
      quietSince = Date.now();
    }
    let state = null;
    try {
      state = await frame()?.evaluate(() => (window.weftReady === true ? window.weftCoi?.state ?? 'none' : null));
    } catch {
      // the context went away with a navigation: poll again
    }
    if (state && state !== 'pending' && state !== 'reloading' && Date.now() - quietSince >= quietMs &&
      ctx.navigations.length === seen) return state;
    await sleep(100);
  }
  throw new Error(`the page did not settle within ${timeoutMs} ms\n${ctx.explain({})}`);
}

/**
 * What a page (or frame) knows about its isolation, and the headers its own URL gets now (asked
 * with a query, so as not to count as a page load).
 */
function isolationOf(frame, ctx) {
  return bounded('reading the isolation state (a fetch through the service worker)', frame.evaluate(async () => {
    const r = await fetch(`${location.pathname}?headers`, { cache: 'no-store' });
    const pending = new Promise((resolve) => setTimeout(() => resolve('still pending after 10 s'), 10_000));
    return {
      isolated: self.crossOriginIsolated,
      coi: window.weftCoi ? { state: weftCoi.state, coep: weftCoi.coep, reason: weftCoi.reason } : null,
      ready: await Promise.race([window.weftCoi?.ready, pending]),
      controller: navigator.serviceWorker?.controller?.scriptURL ?? null,
      registrations: (await navigator.serviceWorker?.getRegistrations() ?? []).map((g) => g.active?.scriptURL),
      headers: {
        coop: r.headers.get('cross-origin-opener-policy'),
        coep: r.headers.get('cross-origin-embedder-policy'),
        corp: r.headers.get('cross-origin-resource-policy'),
      },
    };
  }), 30_000, ctx);
}

/** Whether `frame` can display an image from `src` (a cross-origin one without CORP, here). */
function imageLoads(frame, src) {
  return frame.evaluate((src) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth > 0);
    img.onerror = () => resolve(false);
    img.src = `${src}?${Math.random()}`;
  }), src);
}

/** Runs THREAD_INPUT in a fresh interpreter of `frame`, stdin answered by the page. */
function threadsAndInput(frame, ctx) {
  return bounded('a run with a thread and input()', frame.evaluate(async (code) => {
    const s = await startSession();
    s.py.setStdin(() => 'from page');
    const r = await s.run(['-c', code]);
    await s.close();
    return { ...r, syncIo: s.py.syncIo, threads: s.py.threads };
  }, THREAD_INPUT), 90_000, ctx);
}

/** runPython(args) in `frame`'s page, bounded. */
function runIn(frame, args, ctx) {
  return bounded(`runPython(${JSON.stringify(args)})`, frame.evaluate((a) => runPython(a), args), 90_000, ctx);
}

// ---- 1. no headers: the service worker isolates the page ----------------------------------------

describe('static host without headers: coi-sw.js isolates the page', { timeout: 600_000 }, () => {
  let pixelHost;
  const ctx = useSite({
    artifacts: 'coi-sw',
    files: {
      [PAGE.slice(1)]: testPage({ head: REGISTER_LOGGED }),
      'weft-coi-off.html': testPage({ head: '<script src="coi-register.js" data-disable></script>' }),
      'pixel.png': PIXEL,
    },
    serve: async (root) => {
      pixelHost = await startHeaderServer(root);
      return startHeaderServer(root);
    },
  });
  after(() => pixelHost?.stop());
  const pixel = () => `http://localhost:${pixelHost.port}/pixel.png`;

  test('the first visit reloads exactly once and ends cross-origin isolated', T, async () => {
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx), 'isolated', ctx.explain({}));
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, true, ctx.explain(iso));
    assert.equal(ctx.navigations.length, 2, ctx.explain(iso));
    assert.equal(ctx.served(PAGE), 2, ctx.explain(iso));
    assert.match(iso.controller, /\/coi-sw\.js\?coep=require-corp$/, ctx.explain(iso));
    assert.deepEqual(iso.headers, { coop: 'same-origin', coep: 'require-corp', corp: 'cross-origin' }, ctx.explain(iso));
    assert.ok(ctx.consoleLines.some((l) => /coi-register\.js: reloading once/.test(l)), ctx.explain(iso));
    // `ready` settled in the isolated load only: a page awaiting it starts Weft once.
    assert.equal(iso.ready, 'isolated', ctx.explain(iso));
    assert.equal(await ctx.page.evaluate(() => sessionStorage.readyLog), 'isolated ', ctx.explain(iso));
    // require-corp: a cross-origin image without CORP is refused (credentialless allows it, below).
    assert.equal(await imageLoads(ctx.page, pixel()), false);
  });

  test('Weft there: a thread runs and input() is answered by setStdin, from both threads', T, async () => {
    const r = await threadsAndInput(ctx.page, ctx);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.code, 0, ctx.explain(r));
    assert.equal(r.syncIo, true, ctx.explain(r));
    assert.equal(r.threads, true, ctx.explain(r));
    assert.equal(r.stdout, THREAD_INPUT_OUT, ctx.explain(r));
  });

  test('a later visit is isolated from the start, without a reload; a new coi-sw.js waits for the tab to close', T, async () => {
    // A new deployment of coi-sw.js, found on this navigation. It adds the same headers, so it
    // does not take over mid-page (a switch then stalls worker scripts in Chromium): Weft starts
    // and runs under the old one, and the new one is active from the next tab.
    await appendFile(join(ctx.root, 'coi-sw.js'), '\n// a new deployment\n');
    const before = ctx.navigations.length;
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx), 'isolated');
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, true, ctx.explain(iso));
    assert.equal(ctx.navigations.length, before + 1, ctx.explain(iso));
    const updateState = () => ctx.page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { installing: !!reg.installing, waiting: reg.waiting?.state ?? null, active: reg.active?.state ?? null };
    });
    await ctx.page.waitForFunction(async () => !!(await navigator.serviceWorker.getRegistration()).waiting,
      null, { timeout: 10_000, polling: 100 }).catch(async () => assert.fail(ctx.explain(await updateState())));
    const r = await runIn(ctx.page, ['-c', 'import threading; t = threading.Thread(target=print, args=("thread",)); t.start(); t.join()'], ctx);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.stdout, 'thread\n', ctx.explain(r));
    assert.deepEqual(await updateState(), { installing: false, waiting: 'installed', active: 'activated' });
    assert.equal(ctx.navigations.length, before + 1, ctx.explain(iso));

    // With no page of the scope left, the browser activates the update: a new tab is isolated
    // under it, without a reload.
    await ctx.reopen();
    const served = ctx.served(PAGE);
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx), 'isolated');
    assert.deepEqual(await updateState(), { installing: false, waiting: null, active: 'activated' });
    assert.equal(ctx.served(PAGE), served + 1, ctx.explain({}));
    assert.equal((await isolationOf(ctx.page, ctx)).isolated, true);
  });

  test('data-disable unregisters coi-sw.js: the next load is not isolated and does not reload', T, async () => {
    // This load still comes through the worker (it was registered); the attribute removes it.
    await ctx.page.goto(`${ctx.server.url}weft-coi-off.html`);
    assert.equal(await settled(ctx), 'disabled');
    await ctx.page.waitForFunction(async () => (await navigator.serviceWorker.getRegistrations()).length === 0,
      null, { timeout: 10_000 });
    const before = ctx.navigations.length;
    await ctx.page.goto(`${ctx.server.url}weft-coi-off.html`);
    assert.equal(await settled(ctx), 'disabled');
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, false, ctx.explain(iso));
    assert.equal(iso.controller, null, ctx.explain(iso));
    assert.deepEqual(iso.registrations, [], ctx.explain(iso));
    assert.equal(ctx.navigations.length, before + 1, ctx.explain(iso));
  });
});

describe('static host without headers: data-coep="credentialless"', { timeout: 600_000 }, () => {
  let pixelHost;
  const ctx = useSite({
    artifacts: 'coi-sw-credentialless',
    files: {
      [PAGE.slice(1)]: testPage({ head: '<script src="coi-register.js" data-coep="credentialless"></script>' }),
      'weft-coi-corp.html': testPage({ head: REGISTER }),
      'pixel.png': PIXEL,
    },
    serve: async (root) => {
      pixelHost = await startHeaderServer(root);
      return startHeaderServer(root);
    },
  });
  after(() => pixelHost?.stop());
  const pixel = () => `http://localhost:${pixelHost.port}/pixel.png`;

  /**
   * Opens `path` (already isolated by the worker: no reload), then waits until the worker for
   * `coep` controls the page, then opens `path` again and returns the isolation of that load.
   */
  async function switchTo(path, coep) {
    const before = ctx.navigations.length;
    await ctx.page.goto(ctx.server.url + path);
    assert.equal(await settled(ctx), 'isolated');
    assert.equal(ctx.navigations.length, before + 1, ctx.explain({}));
    await ctx.page.waitForFunction((coep) => navigator.serviceWorker.controller?.scriptURL.endsWith(`?coep=${coep}`),
      coep, { timeout: 10_000 });
    await ctx.page.goto(ctx.server.url + path);
    assert.equal(await settled(ctx), 'isolated');
    return isolationOf(ctx.page, ctx);
  }

  test('isolated after one reload, and a cross-origin image without CORP still loads', T, async () => {
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx), 'isolated');
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, true, ctx.explain(iso));
    assert.equal(ctx.served(PAGE), 2, ctx.explain(iso));
    assert.match(iso.controller, /\/coi-sw\.js\?coep=credentialless$/, ctx.explain(iso));
    assert.equal(iso.headers.coep, 'credentialless', ctx.explain(iso));
    assert.equal(await imageLoads(ctx.page, pixel()), true, ctx.explain(iso));
  });

  test('changing data-coep applies from the next navigation, without a reload', T, async () => {
    const corp = await switchTo('weft-coi-corp.html', 'require-corp');
    assert.equal(corp.isolated, true, ctx.explain(corp));
    assert.equal(corp.headers.coep, 'require-corp', ctx.explain(corp));
    assert.equal(await imageLoads(ctx.page, pixel()), false, ctx.explain(corp));
    const back = await switchTo(PAGE.slice(1), 'credentialless');
    assert.equal(back.isolated, true, ctx.explain(back));
    assert.equal(back.headers.coep, 'credentialless', ctx.explain(back));
    assert.equal(await imageLoads(ctx.page, pixel()), true, ctx.explain(back));
    assert.equal(ctx.served(PAGE), 4, ctx.explain(back)); // 2 at first, 2 here: no reload
  });

  test('Weft under credentialless: a thread runs and input() is answered by setStdin', T, async () => {
    const r = await threadsAndInput(ctx.page, ctx);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.code, 0, ctx.explain(r));
    assert.equal(r.threads, true, ctx.explain(r));
    assert.equal(r.stdout, THREAD_INPUT_OUT, ctx.explain(r));
  });
});

// ---- 2. isolation cannot be had: one load (or one reload), a warning, Weft still runs -----------

describe('coi-sw.js missing from the host: no reload, a warning, Weft runs without shared memory', { timeout: 600_000 }, () => {
  const ctx = useSite({
    artifacts: 'coi-sw-missing',
    files: { [PAGE.slice(1)]: testPage({ head: REGISTER }) },
    serve: (root) => startHeaderServer(root, { missing: ['/coi-sw.js'] }),
  });

  test('the page loads once, not isolated, and says why', T, async () => {
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx, undefined, { quietMs: 3000 }), 'failed');
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, false, ctx.explain(iso));
    assert.equal(ctx.navigations.length, 1, ctx.explain(iso));
    assert.equal(ctx.served(PAGE), 1, ctx.explain(iso));
    assert.ok(ctx.server.requests.some((u) => u.startsWith('/coi-sw.js?')), ctx.explain(iso)); // it did try
    assert.match(iso.coi.reason, /could not register coi-sw\.js/, ctx.explain(iso));
    assert.equal(iso.ready, 'failed', ctx.explain(iso));
    assert.ok(ctx.consoleLines.some((l) => l.startsWith('[console.warning] coi-register.js: could not register')),
      ctx.explain(iso));
  });

  test('Weft runs Python; setStdin says why it is off; threads cannot start', T, async () => {
    const r = await ctx.page.evaluate(async (code) => {
      const s = await startSession();
      let stdinError = null;
      try {
        s.py.setStdin(() => 'x');
      } catch (e) {
        stdinError = `${e.name}: ${e.message}`;
      }
      const run = await s.run(['-c', code]);
      await s.close();
      return { ...run, stdinError, syncIo: s.py.syncIo, threads: s.py.threads };
    }, py(
      'import threading',
      'print("runs")',
      'try:',
      '    threading.Thread(target=print).start()',
      'except RuntimeError as e:',
      '    print(e)',
    ));
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.stdout, "runs\ncan't start new thread\n", ctx.explain(r));
    assert.equal(r.syncIo, false, ctx.explain(r));
    assert.equal(r.threads, false, ctx.explain(r));
    assert.match(r.stdinError, /^WeftError: /, ctx.explain(r));
    assert.match(r.stdinError, NO_SAB, ctx.explain(r));
    assert.match(r.stdinError, /coi-register\.js/, ctx.explain(r));
  });
});

describe('an insecure origin (http, not localhost): no service worker, a warning, Weft runs', { timeout: 600_000 }, () => {
  // weft.test resolves to the server's 127.0.0.1 in this browser only; unlike 127.0.0.1 and
  // localhost, plain http to it is not a secure context, like a site on a LAN address.
  const ctx = useSite({
    artifacts: 'coi-sw-insecure',
    files: { [PAGE.slice(1)]: testPage({ head: REGISTER }) },
    serve: (root) => startHeaderServer(root),
    args: ['--host-resolver-rules=MAP weft.test 127.0.0.1'],
  });

  test('the page loads once, not isolated, says why, and runs Python', T, async () => {
    await ctx.page.goto(`http://weft.test:${ctx.server.port}${PAGE}`);
    assert.equal(await settled(ctx), 'unavailable');
    const r = await ctx.page.evaluate(async () => ({
      secure: self.isSecureContext,
      isolated: self.crossOriginIsolated,
      coi: { state: weftCoi.state, reason: weftCoi.reason },
      ready: await weftCoi.ready,
      run: await runPython(['-c', 'print("runs")']),
    }));
    assert.equal(r.secure, false, ctx.explain(r));
    assert.equal(r.isolated, false, ctx.explain(r));
    assert.match(r.coi.reason, /not a secure context[\s\S]*HTTPS/, ctx.explain(r));
    assert.equal(r.ready, 'unavailable', ctx.explain(r));
    assert.ok(ctx.consoleLines.some((l) => l.startsWith('[console.warning] coi-register.js: this page is not a secure context')),
      ctx.explain(r));
    assert.equal(ctx.navigations.length, 1, ctx.explain(r));
    assert.equal(ctx.server.requests.some((u) => u.startsWith('/coi-sw.js')), false, ctx.explain(r));
    assert.equal(r.run.error, undefined, ctx.explain(r));
    assert.equal(r.run.stdout, 'runs\n', ctx.explain(r));
  });
});

describe('a page framed by one that is not isolated: exactly one reload, then a warning', { timeout: 600_000 }, () => {
  // The worker gets registered and serves the frame with COOP/COEP, yet the frame cannot be
  // isolated while its top-level page is not: the case that would loop without the guard.
  const ctx = useSite({
    artifacts: 'coi-sw-framed',
    files: {
      [PAGE.slice(1)]: testPage({ head: REGISTER }),
      'parent.html': '<!doctype html><meta charset="utf-8"><title>parent</title>' +
        `<iframe src="${PAGE.slice(1)}" width="900" height="600"></iframe>`,
    },
    serve: (root) => startHeaderServer(root),
  });
  const frame = () => ctx.page.frames().find((f) => f.url().endsWith(PAGE));

  test('the frame reloads once, warns, and stays loaded; Weft runs in it', T, async () => {
    await ctx.page.goto(`${ctx.server.url}parent.html`);
    assert.equal(await settled(ctx, frame, { quietMs: 3000 }), 'failed');
    const iso = await isolationOf(frame(), ctx);
    assert.equal(iso.isolated, false, ctx.explain(iso));
    assert.match(iso.controller ?? '', /\/coi-sw\.js\?coep=require-corp$/, ctx.explain(iso));
    assert.deepEqual(iso.headers, { coop: 'same-origin', coep: 'require-corp', corp: 'cross-origin' }, ctx.explain(iso));
    assert.equal(ctx.served(PAGE), 2, ctx.explain(iso));
    assert.equal(ctx.served('/parent.html'), 1, ctx.explain(iso));
    assert.match(iso.coi.reason, /does not isolate it[\s\S]*frame[\s\S]*not reloading again/, ctx.explain(iso));
    assert.equal(iso.ready, 'failed', ctx.explain(iso));
    assert.ok(ctx.consoleLines.some((l) => l.startsWith('[console.warning] coi-register.js: coi-sw.js serves this page')),
      ctx.explain(iso));
    const r = await runIn(frame(), ['-c', 'print(6 * 7)'], ctx);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.stdout, '42\n', ctx.explain(r));
  });
});

// ---- 3. Document-Isolation-Policy -------------------------------------------------------------

describe('Document-Isolation-Policy instead of COOP/COEP', { timeout: 600_000 }, () => {
  // The host sends only `Document-Isolation-Policy: isolate-and-require-corp` on documents: no
  // COOP, no COEP. Same-origin subresources need no CORP under it.
  const ctx = useSite({
    artifacts: 'coi-dip',
    files: {
      'probe.html': '<!doctype html><meta charset="utf-8"><title>probe</title>',
      [PAGE.slice(1)]: testPage({ head: REGISTER }),
    },
    serve: (root) => startHeaderServer(root, {
      headers: (path) => (path.endsWith('.html') ? { 'Document-Isolation-Policy': 'isolate-and-require-corp' } : {}),
    }),
  });

  test('isolates the page where Chromium supports it; Weft threads and input() work there', T, async (t) => {
    // The probe is a bare document with the header: if it is not isolated, this browser does not
    // support the policy, and that is all the test can say.
    await ctx.page.goto(`${ctx.server.url}probe.html`);
    const probe = await ctx.page.evaluate(() => ({ isolated: self.crossOriginIsolated, ua: navigator.userAgent }));
    if (!probe.isolated) {
      t.skip(`this Chromium does not support Document-Isolation-Policy (${probe.ua.match(/Chrome\/\S+/)?.[0]})`);
      return;
    }
    t.diagnostic(`Document-Isolation-Policy is supported (${probe.ua.match(/Chrome\/\S+/)?.[0]})`);
    const before = ctx.navigations.length;
    await ctx.page.goto(ctx.server.url + PAGE.slice(1));
    assert.equal(await settled(ctx), 'isolated');
    const iso = await isolationOf(ctx.page, ctx);
    assert.equal(iso.isolated, true, ctx.explain(iso));
    // Already isolated: coi-register.js registered nothing and did not reload.
    assert.deepEqual(iso.registrations, [], ctx.explain(iso));
    assert.equal(ctx.navigations.length, before + 1, ctx.explain(iso));
    assert.equal(iso.ready, 'isolated', ctx.explain(iso));
    const r = await threadsAndInput(ctx.page, ctx);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.code, 0, ctx.explain(r));
    assert.equal(r.threads, true, ctx.explain(r));
    assert.equal(r.stdout, THREAD_INPUT_OUT, ctx.explain(r));
  });
});
