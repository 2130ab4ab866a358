// The Python <-> JS bridge in headless Chromium (cross-origin isolated): runPython, PyProxies,
// PythonError, identity and transfer(), bad input, interrupt/exit/terminate beside a second
// interpreter, `import js` reaching the worker's global scope (fetch, timers), asyncio awaiting
// JS promises on the worker's event loop, and the DOM changed from Python through weft.main.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { T, startCoiServer, usePage } from './helpers.mjs';

describe('chromium bridge', { timeout: 600_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium-bridge', expectIsolated: true });

  test('runPython values, PyProxies and PythonError in the page', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const py = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
      try {
        const out = {};
        out.sum = await py.runPython('1 + 2');
        out.big = String(await py.runPython('2**64'));
        out.text = await py.runPython('"✓ " * 2');
        const d = await py.runPython('{"a": [1, 2], "b": None}');
        out.isProxy = weft.isPyProxy(d);
        out.type = d.type;
        out.json = JSON.stringify(await d.toJs({ dict_converter: Object.fromEntries }));
        await d.destroy();
        const json = await py.pyimport('json');
        out.dumps = await json.dumps(await py.toPy({ x: 1 }));
        await json.destroy();
        await py.globals.set('name', 'page');
        out.greeting = await py.runPython('f"hello {name}"');
        const e = await py.runPython('1/0').catch((err) => err);
        out.error = { isPythonError: e instanceof weft.PythonError, type: e.type, last: e.message.trim().split('\n').at(-1) };
        return out;
      } finally {
        await py.close();
      }
    });
    assert.deepEqual(r, {
      sum: 3, big: '18446744073709551616', text: '✓ ✓ ', isProxy: true, type: 'dict',
      json: '{"a":[1,2]}', dumps: '{"x": 1}', greeting: 'hello page',
      error: { isPythonError: true, type: 'ZeroDivisionError', last: 'ZeroDivisionError: division by zero' },
    });
  });

  test('identity, transfer, JS errors in Python, bad input, interrupt, exit and a second interpreter', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const out = {};
      const py = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
      const other = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
      try {
        // Shared references stay shared in toJs; a PyProxy sent back is the same object.
        const p = await py.runPython('shared = [1]\nobj = object()\n{"a": shared, "b": shared, "o": obj}');
        const m = await p.toJs();
        out.shared = m.get('a') === m.get('b');
        out.same = await py.runPython('lambda x: x is obj').then((f) => f(m.get('o')));
        // transfer(): moved, not copied.
        const bytes = new Uint8Array(1 << 20).fill(3);
        out.moved = await py.runPython('lambda b: sum(b.to_bytes())').then((f) => f(weft.transfer(bytes)));
        out.emptied = bytes.byteLength;
        // A JS error in the worker reaches Python as JsException with the JS message.
        out.jsError = await py.runPython(`
import js
from weft import JsException
try:
    js.JSON.parse("{")
except JsException as e:
    r = (e.name, "JSON" in e.message)
r`).then((t) => t.toJs());
        // Bad input gives errors that say what is wrong.
        await p.destroy();
        out.destroyed = await p.get('a').catch((e) => e.message);
        out.fnArg = await py.globals.set('f', () => 1).catch((e) => e.constructor.name);
        // interrupt() stops a running loop with KeyboardInterrupt.
        const loop = py.runPython('while True: pass').catch((e) => e.type);
        await new Promise((r) => setTimeout(r, 300));
        py.interrupt();
        out.interrupted = await loop;
        out.after = await py.runPython('6 * 7');
        // The other interpreter is independent; exit() ends this one only.
        await other.globals.set('who', 'other');
        out.exit = await py.runPython('import sys; sys.exit(3)').catch((e) => [e.name, e.code]);
        out.afterExit = await py.runPython('1').catch((e) => e.name);
        out.other = await other.runPython('who');
        const fresh = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
        out.fresh = await fresh.runPython('"again"');
        await fresh.terminate();
        out.terminated = await fresh.runPython('1').catch((e) => e.name);
        return out;
      } finally {
        await Promise.all([py.close(), other.close()]);
      }
    });
    assert.deepEqual(r, {
      shared: true, same: true, moved: 3 << 20, emptied: 0, jsError: ['SyntaxError', true],
      destroyed: 'this PyProxy (dict) was destroyed: it cannot be used any more', fnArg: 'TypeError',
      interrupted: 'KeyboardInterrupt', after: 42, exit: ['WeftExit', 3], afterExit: 'WeftExit',
      other: 'other', fresh: 'again', terminated: 'WeftError',
    });
  });

  test('import js is the worker scope: fetch and timers awaited from runPythonAsync', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const py = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
      try {
        const scope = await py.runPython('import js\njs.self.constructor.name');
        const fetched = await py.runPythonAsync(`
import js
resp = await js.fetch("weft.mjs")
text = await resp.text()
(resp.status, "export class Weft" in text)`).then((p) => p.toJs());
        const t0 = performance.now();
        const slept = await py.runPythonAsync('import asyncio\nawait asyncio.sleep(0.1)\n"slept"');
        const elapsed = performance.now() - t0;
        return { scope, fetched, slept, elapsed };
      } finally {
        await py.close();
      }
    });
    assert.equal(r.scope, 'DedicatedWorkerGlobalScope');
    assert.deepEqual(r.fetched, [200, true]);
    assert.equal(r.slept, 'slept');
    assert.ok(r.elapsed >= 95, `asyncio.sleep(0.1) took ${r.elapsed} ms`);
  });

  test('Python in the worker changes the DOM through weft.main; a click runs a Python handler', T, async () => {
    const r = await ctx.page.evaluate(async () => {
      const button = Object.assign(document.createElement('button'), { id: 'py-button', textContent: 'click' });
      const out = Object.assign(document.createElement('p'), { id: 'py-out' });
      document.body.append(button, out);
      const py = await weft.loadWeft({ stdout: () => {}, stderr: () => {} });
      try {
        const titleBefore = document.title;
        const seen = await py.runPython(`
from weft import main
doc = main.document
doc.title = "changed by Python"
doc.getElementById("py-out").textContent = "hello from the worker"
clicks = []
def on_click(event):
    clicks.append(event.type)
    doc.getElementById("py-out").textContent = f"clicked {len(clicks)}"
doc.getElementById("py-button").addEventListener("click", on_click)
(main.location.protocol, main.crossOriginIsolated, doc.querySelectorAll("button").length)`).then((p) => p.toJs());
        const afterRun = { title: document.title, text: out.textContent };
        button.click();
        await waitFor(() => out.textContent === 'clicked 1', 10000, 'the Python click handler');
        const clicks = await py.runPython('clicks').then((p) => p.toJs());
        return { titleBefore, seen, afterRun, clicks, text: out.textContent };
      } finally {
        await py.close();
        button.remove();
        out.remove();
      }
    });
    assert.notEqual(r.titleBefore, 'changed by Python');
    assert.deepEqual(r.seen, ['http:', true, 1]);
    assert.deepEqual(r.afterRun, { title: 'changed by Python', text: 'hello from the worker' });
    assert.deepEqual(r.clicks, ['click']);
    assert.equal(r.text, 'clicked 1');
  });
});
