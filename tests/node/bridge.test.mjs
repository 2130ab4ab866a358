// The Python <-> JS bridge in Node: runPython/runPythonAsync, globals, pyimport, PyProxies,
// errors both ways, `import js` in the worker, asyncio on the worker's event loop.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { client, startWeft } from './helpers.mjs';

const T = { timeout: 120_000 };

describe('runPython and values', () => {
  let s;
  before(async () => {
    s = await startWeft();
  });
  after(() => s.py.close());

  test('the last expression is the result; primitives convert by value', T, async () => {
    const { py } = s;
    assert.equal(await py.runPython('1 + 1'), 2);
    assert.equal(await py.runPython('x = 5'), undefined);
    assert.equal(await py.runPython('None'), undefined);
    assert.equal(await py.runPython('True'), true);
    assert.equal(await py.runPython('False'), false);
    assert.equal(await py.runPython('2.5'), 2.5);
    assert.equal(await py.runPython('"héllo ✓ 𝄞"'), 'héllo ✓ 𝄞');
    assert.equal(await py.runPython('2**53'), 2 ** 53);
    assert.equal(await py.runPython('2**64 + 1'), 2n ** 64n + 1n);
    assert.equal(await py.runPython('-(2**70)'), -(2n ** 70n));
    assert.deepEqual(await py.runPython('b"\\x00\\x01\\xff"'), new Uint8Array([0, 1, 255]));
    // State persists between calls: one long-lived interpreter.
    assert.equal(await py.runPython('x * 2'), 10);
  });

  test('stdout is flushed at the end of each runPython', T, async () => {
    const before = s.stdout().length;
    await s.py.runPython('print("from runPython", end="")');
    assert.equal(s.stdout().slice(before), 'from runPython');
  });

  test('globals.get / set / has / delete', T, async () => {
    const { py } = s;
    await py.globals.set('fromJs', 'value from JS');
    assert.equal(await py.runPython('fromJs.upper()'), 'VALUE FROM JS');
    await py.runPython('answer = 42');
    assert.equal(await py.globals.get('answer'), 42);
    assert.equal(await py.globals.get('no_such_name'), undefined);
    assert.equal(await py.globals.has('answer'), true);
    await py.globals.delete('answer');
    assert.equal(await py.globals.has('answer'), false);
  });

  test('other objects come back as PyProxies with attribute, item, call, repr, iteration', T, async () => {
    const { py } = s;
    const d = await py.runPython('d = {"a": 1, "b": [1, 2, 3]}; d');
    assert.ok(client.isPyProxy(d));
    assert.equal(d.type, 'dict');
    assert.equal(await d.get('a'), 1);
    assert.equal(await d.length(), 2);
    assert.equal(await d.repr(), "{'a': 1, 'b': [1, 2, 3]}");
    await d.set('c', 3);
    assert.equal(await py.runPython('d["c"]'), 3);
    assert.deepEqual(await d.keys().then((k) => k.toJs()), ['a', 'b', 'c']);
    const keys = [];
    for await (const k of d) keys.push(k);
    assert.deepEqual(keys, ['a', 'b', 'c']);

    const f = await py.runPython('def f(a, b=10, *, c=0):\n    return a + b + c\nf');
    assert.equal(f.callable, true);
    assert.equal(await f(1, 2), 3);
    assert.equal(await f.call(1), 11);
    assert.equal(await f.callKwargs(1, { b: 1, c: 100 }), 102);

    const obj = await py.runPython('class C:\n    x = 7\n    def double(self, v):\n        return 2 * v\nC()');
    assert.equal(await obj.x, 7);
    assert.equal(await obj.getAttr('x'), 7);
    assert.equal(await obj.double(21), 42);
    await obj.setAttr('y', 'set from JS');
    assert.equal(await obj.y, 'set from JS');
    assert.equal(await obj.hasAttr('nope'), false);
    assert.throws(() => { obj.z = 1; }, /setAttr/);
    for (const p of [d, f, obj]) await p.destroy();
  });

  test('toJs converts in depth, keeping shared references; toPy converts JS data', T, async () => {
    const { py } = s;
    const p = await py.runPython('shared = [1, 2]\n{"a": shared, "b": shared, "t": (1, "x"), "s": {3}}');
    const m = await p.toJs();
    assert.ok(m instanceof Map);
    assert.deepEqual(m.get('a'), [1, 2]);
    assert.equal(m.get('a'), m.get('b'), 'a shared list stays one array');
    assert.deepEqual(m.get('t'), [1, 'x']);
    assert.deepEqual(m.get('s'), new Set([3]));
    const o = await p.toJs({ dict_converter: Object.fromEntries });
    assert.deepEqual(o, { a: [1, 2], b: [1, 2], t: [1, 'x'], s: new Set([3]) });
    await p.destroy();

    const q = await py.toPy({ name: 'x', items: [1, 2, { deep: true }], tags: new Set(['a']) });
    assert.equal(q.type, 'dict');
    assert.equal(await py.runPython('lambda v: (v["name"], v["items"][2]["deep"], v["tags"])').then((fn) => fn(q).then(async (r) => {
      const js = await r.toJs();
      await fn.destroy();
      await r.destroy();
      return JSON.stringify([js[0], js[1], [...js[2]]]);
    })), '["x",true,["a"]]');
    await q.destroy();
  });

  test('transfer(): a buffer moves to the worker instead of being copied', T, async () => {
    const { py } = s;
    const data = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const sha = createHash('sha256').update(data).digest('hex');
    const digest = await py.runPython('import hashlib\nlambda b: hashlib.sha256(b.to_bytes()).hexdigest()');
    // By default a copy: the caller keeps its bytes.
    assert.equal(await digest(data), sha);
    assert.equal(data.byteLength, 1 << 20);
    // Transferred: the same bytes arrive, and this thread's view is emptied (detached).
    assert.equal(await digest(client.transfer(data)), sha);
    assert.equal(data.byteLength, 0);
    await assert.rejects(digest(client.transfer(data)), /transfer\(\) was already transferred \(its ArrayBuffer is detached\)/);
    await assert.rejects(digest(data), /detached/);
    assert.equal(await digest(new Uint8Array(0)), createHash('sha256').digest('hex'));
    assert.equal(await digest(client.transfer(new Uint8Array(0))), createHash('sha256').digest('hex'));
    // Inside nested data, through globals.set and toPy; one buffer marked twice moves once.
    const xs = new Float64Array([1.5, 2.5]);
    await py.globals.set('moved', { xs: client.transfer(xs), again: client.transfer(xs) });
    assert.equal(xs.length, 0);
    assert.equal(await py.runPython('import struct\nstruct.unpack("2d", moved.again.to_bytes())[1]'), 2.5);
    const raw = new ArrayBuffer(3);
    const list = await py.toPy([client.transfer(raw)]);
    assert.equal(raw.byteLength, 0);
    // toPy converts in depth: the buffer became bytes.
    assert.equal(await py.runPython('lambda l: repr(l[0])').then((f) => f(list)), "b'\\x00\\x00\\x00'");
    assert.throws(() => client.transfer('text'), /transfer\(value\): value must be an ArrayBuffer, a typed array or a DataView, not string/);
    await py.runPython('del moved');
    await Promise.all([digest.destroy(), list.destroy()]);
  });

  test('a PyProxy passed back to Python is the same object (identity)', T, async () => {
    const { py } = s;
    const a = await py.runPython('import types\nobj = types.SimpleNamespace(v=1)\nobj');
    const same = await py.runPython('lambda x: x is obj');
    assert.equal(await same(a), true);
    await py.globals.set('back', a);
    assert.equal(await py.runPython('back is obj'), true);
    await Promise.all([a.destroy(), same.destroy()]);
  });

  test('destroy: a destroyed PyProxy refuses to work; scopes destroy what they made', T, async () => {
    const { py } = s;
    const p = await py.runPython('[1]');
    await p.destroy();
    assert.equal(p.isDestroyed(), true);
    await assert.rejects(() => p.length(), /destroyed/);
    await assert.rejects(() => p.call(), /destroyed/);

    let kept;
    let inner;
    const result = await py.withScope(async (scope) => {
      inner = await py.runPython('[1, 2]');
      kept = scope.keep(await py.runPython('[3]'));
      return inner.length();
    });
    assert.equal(result, 2);
    assert.equal(inner.isDestroyed(), true);
    assert.equal(kept.isDestroyed(), false);
    assert.equal(await kept.length(), 1);
    await kept.destroy();
  });

  test('Python exceptions reject with PythonError: type, message, traceback', T, async () => {
    const { py } = s;
    const err = await py.runPython('def boom():\n    raise ValueError("bad value")\nboom()').catch((e) => e);
    assert.ok(err instanceof client.PythonError, String(err));
    assert.ok(err instanceof Error);
    assert.equal(err.type, 'ValueError');
    assert.equal(err.pyMessage, 'bad value');
    assert.match(err.message, /Traceback \(most recent call last\)/);
    assert.match(err.traceback, /line 2, in boom/);
    assert.match(err.message, /ValueError: bad value$/m);
    const syntax = await py.runPython('def (').catch((e) => e);
    assert.equal(syntax.type, 'SyntaxError');
    // The interpreter goes on.
    assert.equal(await py.runPython('1'), 1);
  });

  test('bad input: non-string code, a function argument, a bad globals', T, async () => {
    const { py } = s;
    await assert.rejects(() => py.runPython(42), TypeError);
    await assert.rejects(() => py.runPython('1', { globals: {} }), TypeError);
    const f = await py.runPython('lambda x: x');
    await assert.rejects(() => f(() => 1), /function cannot be passed/);
    await assert.rejects(() => f(Symbol('s')), /could not be cloned|Symbol/i);
    await f.destroy();
    // A Python object with no JS equivalent, when proxies are refused.
    const objs = await py.runPython('[object()]');
    await assert.rejects(() => objs.toJs({ create_pyproxies: false }), (e) => e.type === 'TypeError' && /cannot convert object/.test(e.pyMessage));
    await objs.destroy();
  });

  test('pyimport gives the module; its functions can be called', T, async () => {
    const { py } = s;
    const json = await py.pyimport('json');
    assert.equal(json.type, 'module');
    // JS data arrives as a JsProxy unless converted (as in Pyodide): toPy makes it a dict.
    assert.equal(await json.dumps(await py.toPy({ x: [1, 'a'] })), '{"x": [1, "a"]}');
    assert.equal(await json.dumps('plain'), '"plain"');
    const path = await py.pyimport('os.path');
    assert.equal(await path.join('a', 'b'), 'a/b');
    await assert.rejects(() => py.pyimport('no_such_module_xyz'), (e) => e.type === 'ModuleNotFoundError');
    await Promise.all([json.destroy(), path.destroy()]);
  });
});

describe('import js in the worker', () => {
  let s;
  before(async () => {
    s = await startWeft();
  });
  after(() => s.py.close());

  test('attribute access, calls, methods with this, new, kwargs object', T, async () => {
    const { py } = s;
    assert.equal(await py.runPython('import js\njs.Math.max(3, 9, 4)'), 9);
    assert.equal(await py.runPython('js.JSON.stringify(js.JSON.parse("[1,2]"))'), '[1,2]');
    assert.equal(await py.runPython('d = js.Date.new(0)\nd.getTime()'), 0);
    await py.runPython('arr = js.Array.new()\narr.push(1)\narr.push("two")');
    assert.deepEqual(await py.runPython('[len(arr), arr[0], arr[-1], list(arr)]').then((p) => p.toJs()), [2, 1, 'two', [1, 'two']]);
    assert.equal(await py.runPython('o = js.Object.new()\no.x = 5\no.x + 1'), 6);
    assert.equal(await py.runPython('del o.x\nhasattr(o, "x")'), false);
    // Keyword arguments become a trailing object (Pyodide's convention).
    assert.equal(await py.runPython('js.JSON.stringify(js.Object.assign(js.Object.new(), a=1, b="x"))'), '{"a":1,"b":"x"}');
    assert.equal(await py.runPython('from js import Math\nMath.PI > 3'), true);
  });

  test('JS errors become JsException with name, message and stack', T, async () => {
    const { py } = s;
    const r = await py.runPython(`
import js
from weft import JsException
try:
    js.JSON.parse("{not json")
except JsException as e:
    result = (e.name, "JSON" in e.message, bool(e.stack))
result`);
    assert.deepEqual(await r.toJs(), ['SyntaxError', true, true]);
    const err = await py.runPython('js.JSON.parse("{")').catch((e) => e);
    assert.equal(err.type, 'weft.JsException');
    assert.match(err.message, /SyntaxError/);
    const missing = await py.runPython('js.noSuchGlobal').catch((e) => e);
    assert.equal(missing.type, 'AttributeError');
  });

  test('to_js / to_py convert in depth with shared references', T, async () => {
    const { py } = s;
    const r = await py.runPython(`
import js
from weft import to_js
shared = [1, 2]
a = to_js({"x": shared, "y": shared, "n": None})
back = a.to_py()
(js.JSON.stringify(js.Array["from"](a.keys())), a.get("x") == a.get("y"), back, back["x"] is back["y"])`);
    assert.deepEqual(await r.toJs({ dict_converter: Object.fromEntries }), ['["x","y","n"]', true, { x: [1, 2], y: [1, 2], n: undefined }, true]);
    assert.equal(await py.runPython('js.Uint8Array.new([1, 2, 255]).to_bytes().hex()'), '0102ff');
  });

  test('Python callables as JS callbacks: borrowed for one call, create_proxy to keep', T, async () => {
    const { py } = s;
    assert.deepEqual(await py.runPython('import js\nlist(js.Array.of(1, 2, 3).map(lambda v, *_: v * 10))').then((p) => p.toJs()), [10, 20, 30]);
    // A kept borrowed proxy refuses later calls with a message naming create_proxy.
    const err = await py.runPython(`
import js
keep = js.Object.new()
keep.f = None
holder = js.Function.new("o", "f", "o.f = f")
holder(keep, lambda: 1)
keep.f()`).catch((e) => e);
    assert.match(err.message, /create_proxy/);
    await py.runPython(`
from weft import create_proxy
calls = []
cb = create_proxy(lambda v: calls.append(v))
holder(keep, cb)
keep.f("a"); keep.f("b")
cb.destroy()`);
    assert.deepEqual(await py.runPython('calls').then((p) => p.toJs()), ['a', 'b']);
    const destroyed = await py.runPython('keep.f("c")').catch((e) => e);
    assert.match(destroyed.message, /destroyed/);
  });
});

describe('asyncio on the worker event loop', () => {
  let s;
  before(async () => {
    s = await startWeft();
  });
  after(() => s.py.close());

  test('runPythonAsync: top-level await of asyncio.sleep and JS promises', T, async () => {
    const { py } = s;
    assert.equal(await py.runPythonAsync('import asyncio\nawait asyncio.sleep(0.01)\n"slept"'), 'slept');
    assert.equal(await py.runPythonAsync('import js\nawait js.Promise.resolve(41) + 1'), 42);
    const t0 = Date.now();
    assert.equal(await py.runPythonAsync(`
import js
from weft import create_proxy
def executor(resolve, reject):
    js.setTimeout(resolve, 50, "later")
p = create_proxy(executor)
try:
    v = await js.Promise.new(p)
finally:
    p.destroy()
v`), 'later');
    assert.ok(Date.now() - t0 >= 45);
  });

  test('create_task, gather and a rejected promise as JsException', T, async () => {
    const { py } = s;
    const r = await py.runPythonAsync(`
import asyncio, js
async def work(n):
    await asyncio.sleep(0.01 * n)
    return n * n
results = await asyncio.gather(*(asyncio.get_event_loop().create_task(work(n)) for n in range(5)))
try:
    await js.Promise.reject(js.Error.new("nope"))
except Exception as e:
    err = (type(e).__name__, e.message)
[results, err]`);
    assert.deepEqual(await r.toJs(), [[0, 1, 4, 9, 16], ['JsException', 'nope']]);
  });

  test('asyncio.run works for Python-only coroutines; awaiting a JS promise there is refused', T, async () => {
    const { py } = s;
    assert.equal(await py.runPython('import asyncio\nasync def main():\n    await asyncio.sleep(0.01)\n    return "ran"\nasyncio.run(main())'), 'ran');
    const err = await py.runPython('import asyncio, js\nasync def main():\n    await js.Promise.resolve(1)\nasyncio.run(main())').catch((e) => e);
    assert.equal(err.type, 'RuntimeError');
    assert.match(err.pyMessage, /runPythonAsync/);
  });

  test('a task left running after runPythonAsync completes on the event loop', T, async () => {
    const { py } = s;
    await py.runPythonAsync('import asyncio\ndone = []\nasync def later():\n    await asyncio.sleep(0.05)\n    done.append(1)\ntask = asyncio.get_event_loop().create_task(later())');
    assert.equal(await py.runPython('len(done)'), 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await py.runPython('len(done)'), 1);
  });

  test('a Python awaitable returned to JS can be awaited', T, async () => {
    const { py } = s;
    const coro = await py.runPython('import asyncio\nasync def c():\n    await asyncio.sleep(0.01)\n    return "done"\nc()');
    assert.equal(await coro, 'done');
  });
});

describe('session lifecycle', () => {
  test('exit() ends the session: WeftExit, later calls reject; a new interpreter works', T, async () => {
    const s = await startWeft();
    try {
      assert.equal(await s.py.runPython('1'), 1);
      const err = await s.py.runPython('import atexit\natexit.register(lambda: print("atexit ran"))\nexit(3)').catch((e) => e);
      assert.ok(err instanceof client.WeftExit, String(err));
      assert.equal(err.code, 3);
      assert.match(s.stdout(), /atexit ran/);
      await assert.rejects(() => s.py.runPython('1'), client.WeftExit);
    } finally {
      await s.py.close();
    }
    const t = await startWeft();
    try {
      assert.equal(await t.py.runPython('2'), 2);
    } finally {
      await t.py.close();
    }
  });

  test('run() is refused while a session lives; after terminate() everything rejects', T, async () => {
    const s = await startWeft();
    await s.py.runPython('1');
    await assert.rejects(() => s.py.run(['-c', 'pass']), /session/);
    s.py.terminate();
    await assert.rejects(() => s.py.runPython('1'), /terminated/);
    await assert.rejects(() => s.py.pyimport('os'), /terminated/);
  });

  test('several interpreters in one process are independent', T, async () => {
    const [a, b] = await Promise.all([startWeft(), startWeft()]);
    try {
      await a.py.runPython('x = "a"');
      await b.py.runPython('x = "b"');
      assert.deepEqual([await a.py.runPython('x'), await b.py.runPython('x')], ['a', 'b']);
    } finally {
      await Promise.all([a.py.close(), b.py.close()]);
    }
  });

  test('input() in runPython reads from setStdin; interrupt() stops a loop with KeyboardInterrupt', T, async () => {
    const s = await startWeft();
    try {
      s.py.setStdin(() => 'typed line');
      assert.equal(await s.py.runPython('input("prompt? ")'), 'typed line');
      const running = s.py.runPython('while True:\n    pass');
      await new Promise((r) => setTimeout(r, 300));
      s.py.interrupt();
      const err = await running.catch((e) => e);
      assert.equal(err.type, 'KeyboardInterrupt');
      assert.equal(await s.py.runPython('"still alive"'), 'still alive');
    } finally {
      await s.py.close();
    }
  });
});

describe('weft.main: Python reaches the main thread synchronously', () => {
  test('read and write main-thread globals, call functions (awaiting promises), handlers', T, async () => {
    const s = await startWeft();
    globalThis.weftPage = {
      title: 'start',
      add: (a, b) => a + b,
      later: (v) => new Promise((r) => setTimeout(() => r(`later ${v}`), 20)),
      fail: () => { throw new TypeError('page says no'); },
      handlers: [],
      on(f) { this.handlers.push(f); },
      data: { list: [1, 'two', { three: 3 }], flag: true },
    };
    try {
      const r = await s.py.runPython(`
from weft import main, MainProxy
page = main.weftPage
before = page.title
page.title = "set from Python ✓"
out = [before, page.add(2, 3), page.later("x"), isinstance(page, MainProxy), page == main.weftPage]
try:
    page.fail()
except Exception as e:
    out.append(type(e).__name__ + ": " + e.message)
events = []
page.on(lambda v: events.append(v))
out.append(page.data.to_py())
out`);
      assert.deepEqual(await r.toJs({ dict_converter: Object.fromEntries }), ['start', 5, 'later x', true, true, 'JsException: TypeError: page says no',
        { list: [1, 'two', { three: 3 }], flag: true }]);
      assert.equal(globalThis.weftPage.title, 'set from Python ✓');
      // A page event calls the Python handler in the worker once it is idle.
      globalThis.weftPage.handlers[0]('clicked');
      for (let i = 0; i < 50 && (await s.py.runPython('len(events)')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(await s.py.runPython('events').then((p) => p.toJs()), ['clicked']);
    } finally {
      delete globalThis.weftPage;
      await s.py.close();
    }
  });

  test('a page function that waits for the same interpreter is reported as a deadlock, not hung', T, async () => {
    const s = await startWeft();
    globalThis.weftReenter = async () => s.py.runPython('1');
    try {
      const err = await s.py.runPython('from weft import main\nmain.weftReenter()').catch((e) => e);
      assert.equal(err.type, 'weft.JsException');
      assert.match(err.pyMessage, /deadlock/);
      assert.equal(await s.py.runPython('"still usable"'), 'still usable');
    } finally {
      delete globalThis.weftReenter;
      await s.py.close();
    }
  });
});

describe('buffers without copies (numpy)', () => {
  let s;
  before(async () => {
    s = await startWeft({ packages: ['numpy'] });
  });
  after(() => s.py.close());

  test('getBuffer: a typed-array view over the interpreter memory, with shape and format', T, async () => {
    const { py } = s;
    const a = await py.runPython('import numpy as np\na = np.arange(12, dtype=np.float64).reshape(3, 4)\na');
    const buf = await a.getBuffer();
    assert.ok(buf.data instanceof Float64Array);
    assert.deepEqual(buf.shape, [3, 4]);
    assert.match(buf.format, /^[<=@]?d$/);
    assert.equal(buf.data[5], 5);
    assert.ok(buf.data.buffer instanceof SharedArrayBuffer, 'no copy: a view over the shared memory');
    // The same memory: a change made in Python shows in the view, and one made in JS in numpy.
    await py.runPython('a[1, 1] = 42.5');
    assert.equal(buf.data[5], 42.5);
    buf.data[0] = -1;
    assert.equal(await py.runPython('float(a[0, 0])'), -1);
    await buf.release();

    const copy = await a.getBuffer({ copy: true });
    assert.ok(!(copy.data.buffer instanceof SharedArrayBuffer));
    assert.deepEqual([...copy.data.slice(0, 3)], [-1, 1, 2]);
    await copy.release();

    const z = await py.runPython('np.array([1 + 2j, 3 - 4j])');
    const zb = await z.getBuffer({ copy: true });
    assert.deepEqual([...zb.data], [1, 2, 3, -4]);
    assert.deepEqual(zb.shape, [2, 2]);
    const big = await py.runPython('np.array([2**40, -5], dtype=np.int64)');
    assert.deepEqual([...(await big.getBuffer({ copy: true })).data], [2n ** 40n, -5n]);
    const strided = await py.runPython('a[:, ::2]');
    await assert.rejects(() => strided.getBuffer(), (e) => e.type === 'BufferError' || /contiguous/.test(e.message));
    for (const p of [a, z, big, strided]) await p.destroy();
  });

  test('buffer_view in the worker: JS typed arrays over numpy memory', T, async () => {
    const r = await s.py.runPython(`
import js, numpy as np
from weft import buffer_view
x = np.zeros(4, dtype=np.int32)
view, keep = buffer_view(x)
js.Function.new("v", "v[2] = 99")(view)
r = [view.constructor.name, view.length, int(x[2])]
keep.release()
r`);
    assert.deepEqual(await r.toJs(), ['Int32Array', 4, 99]);
  });
});
