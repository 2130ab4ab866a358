// The REPL page (dist/index.html) and its demos, served by coi-server as `cargo xtask serve` does
// and driven like a person would: real key presses into the xterm.js terminal, clicks, and the
// clipboard for pasting; what the terminal shows is read from xterm's buffer
// (`window.repl.terminal.text()`). Screenshots go to the artifacts directory (repl-*.png).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DIST, T, chromium, startCoiServer, startPlainServer } from './helpers.mjs';

/**
 * Call in a describe block: serves dist/ with `serve`, opens `path` in a fresh Chromium profile
 * and waits until `ready` (a page function) is true. Returns {page, consoleLines, shot(name),
 * url}; after the block, saves `<artifacts>-console.log` and closes everything.
 */
function useSite({ serve, path, ready, artifacts, contextOptions = {} }) {
  const ctx = { page: undefined, consoleLines: [], url: undefined };
  let server;
  let context;
  let scratch;
  ctx.shot = async (name) => {
    await mkdir(ARTIFACTS, { recursive: true });
    await ctx.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  };
  ctx.open = async (p, until) => {
    await ctx.page.goto(ctx.url + p);
    await ctx.page.waitForFunction(until, null, { timeout: 60_000 });
  };
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
    assert.ok(existsSync(join(DIST, 'index.html')), `${DIST}/index.html is missing: run cargo xtask build`);
    server = await serve(DIST);
    ctx.url = server.url;
    scratch = await mkdtemp(join(tmpdir(), `weft-${artifacts}-`));
    context = await chromium.launchPersistentContext(scratch, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      ...contextOptions,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    ctx.page = context.pages()[0] ?? await context.newPage();
    ctx.page.on('console', (m) => ctx.consoleLines.push(`[console.${m.type()}] ${m.text()}`));
    ctx.page.on('pageerror', (e) => ctx.consoleLines.push(`[pageerror] ${e.stack ?? e}`));
    await ctx.open(path, ready);
  });
  after(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, `${artifacts}-console.log`), ctx.consoleLines.join('\n') + '\n').catch(() => {});
    await context?.close().catch(() => {});
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return ctx;
}

/** The terminal of the page (REPL or demo), as text. */
const screen = (page) => page.evaluate(() => (window.repl ?? window.demo).terminal.text());

/** Resolves once `pattern` matches what the terminal shows after offset `from`. */
async function waitForScreen(page, pattern, { from = 0, timeout = 30_000 } = {}) {
  try {
    await page.waitForFunction(([source, flags, from]) => {
      const t = (window.repl ?? window.demo).terminal;
      return new RegExp(source, flags).test(t.text().slice(from));
    }, [pattern.source, pattern.flags, from], { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`${e.message}\nwaiting for ${pattern} after offset ${from}; the terminal shows:\n${await screen(page)}`);
  }
}

/** Resolves once Python waits for a line after printing `prompt` (a regexp source's tail). */
async function waitForPrompt(page, prompt = '>>>', timeout = 30_000) {
  try {
    await page.waitForFunction((prompt) => {
      const t = (window.repl ?? window.demo).terminal;
      return t.reading && new RegExp(`${prompt}\\s*$`).test(t.text());
    }, prompt, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`${e.message}\nwaiting for the prompt ${prompt}; the terminal shows:\n${await screen(page)}`);
  }
}

/** Where the terminal's text ends now: later output is looked for after it. */
const mark = async (page) => (await screen(page)).length;

describe('the REPL page (cross-origin isolated)', { timeout: 900_000 }, () => {
  const ctx = useSite({
    serve: startCoiServer,
    path: 'index.html',
    ready: () => window.repl?.terminal.reading === true,
    artifacts: 'repl',
  });

  /** Types `text` into the terminal with real key presses; "\n" presses Enter. */
  const type = (text) => ctx.page.keyboard.type(text, { delay: 5 });
  const enter = async (line) => {
    await type(line);
    await ctx.page.keyboard.press('Enter');
  };
  /** Types one line at the prompt and waits for the next prompt; returns what came between. */
  const command = async (line, prompt = '>>>') => {
    const from = await mark(ctx.page);
    await enter(line);
    await waitForPrompt(ctx.page, prompt);
    return (await screen(ctx.page)).slice(from);
  };

  test('loads cross-origin isolated, with a progress bar, into the interactive shell', T, async () => {
    const page = ctx.page;
    const state = await page.evaluate(() => ({
      isolated: self.crossOriginIsolated,
      progress: window.repl.progress,
      status: document.getElementById('status').textContent,
    }));
    assert.equal(state.isolated, true);
    assert.equal(await page.isVisible('#coi-banner'), false, 'no isolation banner on an isolated page');
    assert.equal(await page.isVisible('#loading'), false, 'the progress bar is hidden once Python is ready');
    const phases = state.progress.map((e) => e.phase).join(' ');
    assert.match(phases, /^(fetch )+compile ready$/, JSON.stringify(state.progress));
    // Served compressed by coi-server: the totals come from asset-sizes.json, and add up.
    const sizes = JSON.parse(await readFile(join(DIST, 'asset-sizes.json'), 'utf8'));
    // A default start loads these three (numpy's files are listed too, for `packages`).
    const total = ['runtime/worker_runtime_bg.wasm', 'python.wasm', 'python-stdlib.zip'].reduce((a, f) => a + sizes[f], 0);
    const fetches = state.progress.filter((e) => e.phase === 'fetch');
    assert.ok(fetches.every((e) => e.total === total), JSON.stringify(fetches));
    assert.equal(fetches.at(-1).loaded, total);
    assert.ok(fetches.length > 3, `the bar moves in steps (${fetches.length} reports)`);
    const text = await screen(page);
    assert.match(text, /^Python 3\.13\.\d+ .* on wasi\nType "help", "copyright", "credits" or "license" for more information\.\n>>>$/, text);
    assert.equal(state.status, 'Waiting for input');
  });

  test('typing code shows its output; a multi-line block; a traceback', T, async () => {
    await ctx.page.click('#terminal');
    assert.match(await command('print(6 * 7)'), /print\(6 \* 7\)\n42\n>>>\s*$/);
    const block = await (async () => {
      const from = await mark(ctx.page);
      await enter('for i in range(3):');
      await waitForPrompt(ctx.page, '\\.\\.\\.');
      await enter("    print('line', i * i)");
      await waitForPrompt(ctx.page, '\\.\\.\\.');
      await enter('');
      await waitForPrompt(ctx.page);
      return (await screen(ctx.page)).slice(from);
    })();
    assert.match(block, /for i in range\(3\):\n\.\.\.     print\('line', i \* i\)\n\.\.\. \nline 0\nline 1\nline 4\n>>>\s*$/, block);
    await command('def f(x):', '\\.\\.\\.');
    await command('    return 1 / x', '\\.\\.\\.');
    await command('');
    const traceback = await command('f(0)');
    assert.match(traceback, /Traceback \(most recent call last\):\n {2}File "<stdin>", line 1, in <module>[\s\S]*line 2, in f\n[\s\S]*ZeroDivisionError: division by zero\n>>>\s*$/, traceback);
    await ctx.shot('repl-session');
  });

  test('input() is answered by typing in the terminal', T, async () => {
    const from = await mark(ctx.page);
    await enter('name = input("Your name? ")');
    await waitForPrompt(ctx.page, 'Your name\\?');
    await enter('Ada');
    await waitForPrompt(ctx.page);
    assert.match(await command('print("Hello,", name.upper())'), /\nHello, ADA\n>>>\s*$/);
    assert.match((await screen(ctx.page)).slice(from), /Your name\? Ada\n>>>/);
  });

  test('line editing and history: arrows, Home/End, backspace, Up recalls earlier lines', T, async () => {
    const keys = ctx.page.keyboard;
    await command('x = 5');
    await command('print(x * 3)');
    // Up, Up: "x = 5"; End, Backspace, "7": "x = 7".
    await keys.press('ArrowUp');
    await keys.press('ArrowUp');
    await keys.press('End');
    await keys.press('Backspace');
    await type('7');
    await waitForScreen(ctx.page, />>> x = 7$/);
    await keys.press('Enter');
    await waitForPrompt(ctx.page);
    // Up, Up: "print(x * 3)"... Up once is "x = 7"; twice is "print(x * 3)". Insert "1" before "3".
    await keys.press('ArrowUp');
    await keys.press('ArrowUp');
    await keys.press('End');
    await keys.press('ArrowLeft');
    await keys.press('ArrowLeft');
    await type('1');
    await keys.press('Home');
    await keys.press('Delete');
    await type('p');
    await waitForScreen(ctx.page, />>> print\(x \* 13\)$/);
    const from = await mark(ctx.page);
    await keys.press('Enter');
    await waitForPrompt(ctx.page);
    assert.match((await screen(ctx.page)).slice(from), /\n91\n>>>\s*$/);
    // Down past the newest entry gives back the line being typed.
    await type('draft');
    await keys.press('ArrowUp');
    await waitForScreen(ctx.page, />>> print\(x \* 13\)$/);
    await keys.press('ArrowDown');
    await waitForScreen(ctx.page, />>> draft$/);
    await keys.press('Control+U');
    await waitForScreen(ctx.page, />>>$/);
  });

  test('pasting several lines runs them one after another, blocks included', T, async () => {
    const code = 'def double(n):\n    return n * 2\n\nprint(double(21))\nprint("pasted", "ok")\n';
    await ctx.page.evaluate((text) => navigator.clipboard.writeText(text), code);
    const from = await mark(ctx.page);
    await ctx.page.keyboard.press('Control+V');
    await waitForScreen(ctx.page, /pasted ok\n>>>\s*$/, { from });
    const shown = (await screen(ctx.page)).slice(from);
    assert.match(shown, /def double\(n\):\n\.\.\.     return n \* 2\n\.\.\. \n>>> print\(double\(21\)\)\n42\n>>> print\("pasted", "ok"\)\npasted ok\n>>>\s*$/, shown);
  });

  test('Ctrl-C stops `while True: pass`, and the shell keeps its globals', T, async () => {
    await command('kept = "still here"');
    const from = await mark(ctx.page);
    await enter('while True: pass');
    await waitForPrompt(ctx.page, '\\.\\.\\.');
    await enter('');
    await ctx.page.waitForTimeout(700);
    assert.equal(await ctx.page.evaluate(() => window.repl.terminal.reading), false, 'the loop runs');
    const t0 = Date.now();
    await ctx.page.keyboard.press('Control+C');
    await waitForPrompt(ctx.page, '>>>', 10_000);
    const ms = Date.now() - t0;
    assert.match((await screen(ctx.page)).slice(from), /\^C\n?Traceback[\s\S]*KeyboardInterrupt\n>>>\s*$/);
    assert.ok(ms < 5000, `the interrupt took ${ms} ms`);
    assert.match(await command('print(kept)'), /\nstill here\n>>>\s*$/);
  });

  test('Ctrl-C stops time.sleep(100); at the prompt it discards the line', T, async () => {
    let from = await mark(ctx.page);
    await enter('import time; time.sleep(100)');
    await ctx.page.waitForTimeout(500);
    const t0 = Date.now();
    await ctx.page.keyboard.press('Control+C');
    await waitForPrompt(ctx.page, '>>>', 10_000);
    assert.ok(Date.now() - t0 < 5000);
    assert.match((await screen(ctx.page)).slice(from), /time\.sleep\(100\)[\s\S]*KeyboardInterrupt\n>>>\s*$/);
    from = await mark(ctx.page);
    await type('print("never")');
    await ctx.page.keyboard.press('Control+C');
    await waitForPrompt(ctx.page);
    const shown = (await screen(ctx.page)).slice(from);
    assert.match(shown, /print\("never"\)\^C\nKeyboardInterrupt\n>>>\s*$/, shown);
  });

  test('the page records no long task while Python runs a 5 s loop, and typing still echoes', T, async () => {
    const page = ctx.page;
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask' });
    });
    await command('import time');
    await enter('t0 = time.time()');
    await waitForPrompt(page);
    await enter('while time.time() - t0 < 5: pass');
    await waitForPrompt(page, '\\.\\.\\.');
    const started = Date.now();
    await enter('');
    await page.waitForTimeout(1000);
    // Typed while Python is busy: echoed at once, kept for the next prompt.
    await page.keyboard.type('abc', { delay: 100 });
    await waitForScreen(page, /\n\.\.\. \nabc$/, { timeout: 2000 });
    const echoedAfter = Date.now() - started;
    assert.equal(await page.evaluate(() => window.repl.terminal.reading), false, 'the loop still runs');
    assert.ok(echoedAfter < 4500, `echoed ${echoedAfter} ms into the 5 s loop`);
    await waitForPrompt(page, '>>> abc', 15_000);
    const longTasks = await page.evaluate(() => window.longTasks);
    assert.deepEqual(longTasks.filter((t) => t.duration > 50), [], `long tasks: ${JSON.stringify(longTasks)}`);
    await ctx.shot('repl-typeahead');
    await page.keyboard.press('Control+U');
  });

  test('Ctrl-D ends the shell; Enter starts a fresh one', T, async () => {
    const from = await mark(ctx.page);
    await ctx.page.keyboard.press('Control+D');
    await waitForScreen(ctx.page, /Python exited with code \d+\. Press Enter to start a new session\.$/, { from });
    assert.equal(await ctx.page.evaluate(() => window.repl.session.running), false);
    await ctx.page.keyboard.press('Enter');
    await waitForPrompt(ctx.page);
    assert.match(await command('print("kept" in dir())'), /\nFalse\n>>>\s*$/);
    // The history outlives the shell: Up twice is the last line typed in the one before.
    await ctx.page.keyboard.press('ArrowUp');
    await waitForScreen(ctx.page, />>> print\("kept" in dir\(\)\)$/);
    await ctx.page.keyboard.press('ArrowUp');
    await waitForScreen(ctx.page, />>> while time\.time\(\) - t0 < 5: pass$/);
    await ctx.page.keyboard.press('Control+U');
  });

  test('the editor runs a script: input() in it, its traceback with source, then a shell with its globals', T, async () => {
    const page = ctx.page;
    const setCode = (code) => page.evaluate((c) => { window.repl.editor.value = c; }, code);
    await setCode('total = sum(range(10))\nanswer = input("Number? ")\nprint("total", total, "doubled", int(answer) * 2)\n');
    let from = await mark(page);
    await page.click('#run');
    await waitForPrompt(page, 'Number\\?');
    await enter('21');
    await waitForPrompt(page);
    let shown = (await screen(page)).slice(from);
    assert.match(shown, /=+ RESTART: main\.py =+\nNumber\? 21\ntotal 45 doubled 42\n>>>\s*$/, shown);
    assert.match(await command('total + 1'), /\n46\n>>>\s*$/);
    await ctx.shot('repl-editor');

    await setCode('def f():\n    return 1 / 0\n\nf()\n');
    from = await mark(page);
    await page.focus('#editor');
    await page.keyboard.press('Control+Enter');
    await waitForPrompt(page);
    shown = (await screen(page)).slice(from);
    assert.match(shown, /File "\/home\/user\/editor\/main\.py", line 4, in <module>\n\s+f\(\)[\s\S]*line 2, in f\n\s+return 1 \/ 0[\s\S]*ZeroDivisionError/, shown);
  });

  test('Stop interrupts a script; Run replaces a script that is still running', T, async () => {
    const page = ctx.page;
    const setCode = (code) => page.evaluate((c) => { window.repl.editor.value = c; }, code);
    await setCode('print("spinning", flush=True)\nwhile True:\n    pass\n');
    let from = await mark(page);
    await page.click('#run');
    await waitForScreen(page, /spinning$/, { from });
    assert.equal(await page.isEnabled('#stop'), true);
    await page.click('#stop');
    await waitForPrompt(page);
    assert.match((await screen(page)).slice(from), /KeyboardInterrupt\n>>>\s*$/);

    from = await mark(page);
    await page.click('#run');
    await waitForScreen(page, /RESTART: main\.py =+\nspinning$/, { from });
    await setCode('print("second script")\n');
    from = await mark(page);
    await page.click('#run');
    await waitForPrompt(page);
    const shown = (await screen(page)).slice(from);
    assert.match(shown, /^\s*=+ RESTART: main\.py =+\nsecond script\n>>>\s*$/, shown);
  });

  test('a crash of the interpreter starts a new one, said in the terminal', T, async () => {
    const from = await mark(ctx.page);
    await enter('import os; os.abort()');
    await waitForScreen(ctx.page, /The interpreter stopped: .+\. Starting a new one…/, { from });
    await waitForPrompt(ctx.page, '>>>', 60_000);
    assert.match(await command('print(2 ** 10)'), /\n1024\n>>>\s*$/);
  });
});

describe('the demos', { timeout: 600_000 }, () => {
  const ctx = useSite({
    serve: startCoiServer,
    path: 'index.html',
    ready: () => window.repl?.terminal.reading === true,
    artifacts: 'repl-demos',
  });

  test('the REPL page links both demos', T, async () => {
    const links = await ctx.page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(links, ['demos/guess.html', 'demos/threads.html']);
  });

  test('guess the number: input() in a loop, played through the terminal', T, async () => {
    const page = ctx.page;
    await page.click('a[href="demos/guess.html"]');
    await page.waitForFunction(() => window.demo?.terminal.reading === true, null, { timeout: 60_000 });
    await waitForPrompt(page, 'Your guess:');
    // A bad answer, then a binary search, as a player would.
    let from = await mark(page);
    await page.keyboard.type('lots\n');
    await waitForPrompt(page, 'Your guess:');
    assert.match((await screen(page)).slice(from), /^ lots\nPlease type a whole number, like 42\.\nYour guess:\s*$/);
    let [low, high] = [1, 100];
    let won = false;
    for (let tries = 0; tries < 8 && !won; tries++) {
      const guess = Math.floor((low + high) / 2);
      from = await mark(page);
      await page.keyboard.type(`${guess}\n`);
      await waitForScreen(page, /(Too low\.|Too high\.|Yes! It was \d+)/, { from });
      const reply = (await screen(page)).slice(from);
      if (reply.includes('Too low.')) low = guess + 1;
      else if (reply.includes('Too high.')) high = guess - 1;
      else {
        assert.match(reply, new RegExp(`Yes! It was ${guess}\\. You needed \\d+ tr`));
        won = true;
      }
      if (!won) await waitForPrompt(page, 'Your guess:');
    }
    assert.ok(won, 'a binary search finds the number within 7 guesses');
    await waitForPrompt(page, 'Play again\\? \\(y/n\\)');
    await ctx.shot('repl-demo-guess');
    from = await mark(page);
    await page.keyboard.type('n\n');
    await waitForScreen(page, /Thanks for playing!\nThe game is over\. Press Enter to play again\.$/, { from });
    await page.keyboard.press('Enter');
    await waitForPrompt(page, 'Your guess:');
    // Restart in the middle of a game: a fresh run, without the old one's last words.
    from = await mark(page);
    await page.click('#restart');
    await waitForPrompt(page, 'Your guess:');
    const shown = (await screen(page)).slice(from);
    assert.match(shown, /^\s*=+ RESTART: guess\.py =+\nI'm thinking of a whole number from 1 to 100\. Can you guess it\?\nYour guess:\s*$/, shown);
  });

  test('threads: the animation keeps running while Python threads work, and the result arrives', T, async () => {
    const page = ctx.page;
    await page.goto(`${ctx.url}demos/threads.html`);
    await page.waitForFunction(() => window.demo?.weft && !document.getElementById('start').disabled, null, { timeout: 60_000 });
    await page.fill('#threads', '2');
    await page.fill('#chunks', '16');
    await page.fill('#size', '16');
    await page.click('#start');
    // Sample the frame count while Python works: it must keep rising.
    const samples = [];
    for (let i = 0; i < 10; i++) {
      const s = await page.evaluate(() => ({ frames: window.demo.anim.frames, running: window.demo.running, chunks: window.demo.chunks }));
      if (!s.running) break;
      samples.push(s);
      await page.waitForTimeout(150);
    }
    assert.ok(samples.length >= 3, `Python finished too fast to watch: ${JSON.stringify(samples)}`);
    for (let i = 1; i < samples.length; i++) {
      assert.ok(samples[i].frames >= samples[i - 1].frames + 2, `the animation stalled: ${JSON.stringify(samples)}`);
    }
    await page.waitForFunction(() => window.demo.result !== null, null, { timeout: 120_000 });
    const r = await page.evaluate(() => ({ result: window.demo.result, chunks: window.demo.chunks, log: document.getElementById('log').textContent, gap: window.demo.anim.longestGap }));
    assert.equal(r.chunks, 16);
    assert.ok(r.result.speedup > 0 && r.result.seconds > 0, JSON.stringify(r.result));
    const threads = new Set([...r.log.matchAll(/ (ThreadPoolExecutor-\d+_\d+) /g)].map((m) => m[1]));
    assert.ok(threads.size === 2, `work spread over both threads: ${[...threads]}\n${r.log}`);
    assert.match(await page.textContent('#result'), /with threads · one thread: .* MiB\/s/);
    await ctx.shot('repl-demo-threads');
  });
});

describe('the REPL page on a static host without isolation headers', { timeout: 300_000 }, () => {
  // coi-register.js (first in the page) registers coi-sw.js, which adds the headers: one reload.
  const ctx = useSite({
    serve: startPlainServer,
    path: 'index.html',
    ready: () => window.repl && self.crossOriginIsolated && document.getElementById('status').textContent === 'Waiting for input',
    artifacts: 'repl-static-host',
  });

  test('is cross-origin isolated through the service worker, and the shell works', T, async () => {
    const page = ctx.page;
    assert.equal(await page.evaluate(() => window.weftCoi.state), 'isolated');
    assert.equal(await page.isVisible('#coi-banner'), false);
    await page.click('#terminal');
    await page.keyboard.type('import threading; t = threading.Thread(target=print, args=(6 * 7,)); t.start(); t.join()');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /\n42\n>>>$/);
  });
});

describe('the REPL page without cross-origin isolation', { timeout: 300_000 }, () => {
  // A browser without service workers: coi-register.js cannot help, and the page says so.
  const ctx = useSite({
    serve: startPlainServer,
    path: 'index.html',
    ready: () => window.repl && document.getElementById('status').textContent === 'Ready',
    artifacts: 'repl-plain',
    contextOptions: { serviceWorkers: 'block' },
  });

  test('a banner says which features are off and why; the editor still runs scripts', T, async () => {
    const page = ctx.page;
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(await page.isVisible('#coi-banner'), true);
    const banner = await page.textContent('#coi-banner');
    for (const words of ['input()', 'interrupting', 'threads', 'files the page owns', 'Cross-Origin-Opener-Policy: same-origin',
      'Cross-Origin-Embedder-Policy: require-corp', 'cargo xtask serve', 'coi-register.js']) {
      assert.ok(banner.includes(words), `the banner mentions ${words}: ${banner}`);
    }
    await page.evaluate(() => { window.repl.editor.value = 'print("ran without isolation", 6 * 7)\n'; });
    const from = await mark(page);
    await page.click('#run');
    await waitForScreen(page, /ran without isolation 42\n\s*The program exited with code 0\.$/, { from });
    await ctx.shot('repl-not-isolated');
  });
});
