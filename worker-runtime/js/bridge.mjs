// The worker's side of the Python <-> JS bridge: the `weft_v1` import module python.wasm's
// built-in `_weft` calls (guest/support/weft_bridge.c), and PyProxies, the JS functions that
// stand for Python objects.
//
// JS values cross to C as int handles into a table here: 0 undefined, 1 null, 2 true, 3 false
// are fixed; the others are owned by whoever received them and released once. An import never
// throws (an exception unwinding through C frames would leave the interpreter inconsistent): it
// keeps the exception for `error()` and returns -1. Guest memory is copied, never aliased, and
// views are rebuilt on every access because the memory can grow.
//
// A PyProxy holds one reference to its Python object until destroy() (or, as a safety net, until
// JS garbage-collects it). "Borrowed" ones, made for the arguments of one JS call from Python,
// end when that call returns, as in Pyodide; create_proxy() makes persistent ones.

export const KIND = {
  UNDEFINED: 0, NULL: 1, BOOL: 2, INT: 3, FLOAT: 4, BIGINT: 5, STRING: 6, PYPROXY: 7, OBJECT: 8,
  FUNCTION: 9, ERROR: 10,
};
// weft.py OP_*
const OP = {
  GLOBAL: 0, TYPEOF: 1, STRING: 2, EQUALS: 3, KEYS: 4, LENGTH: 5, ITER: 6, NEXT: 7, TAG: 8,
  THENABLE: 9, INSTANCEOF: 10, HOST: 11, ID: 12, TRUTHY: 13, SAME: 14, VIEW: 15,
};
const FIXED = 4;
const STATE = Symbol('weft.pyproxy');

/** A Python exception that reached JS: `type` (e.g. "ValueError"), `message` (the whole
 *  formatted traceback, as Pyodide's PythonError), `pyMessage` (str(exception)), `traceback`. */
export class PythonError extends Error {
  constructor(type, pyMessage, traceback) {
    super(traceback || `${type}: ${pyMessage}`);
    this.name = 'PythonError';
    this.type = type;
    this.pyMessage = pyMessage;
    this.traceback = traceback;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof self === 'undefined';

/** Runs `f` after the current task without timer clamping (browsers clamp nested timeouts). */
const soon = isNode ? (f) => setImmediate(f) : (() => {
  const channel = new MessageChannel();
  const queue = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (f) => {
    queue.push(f);
    channel.port2.postMessage(0);
  };
})();

export function isPyProxy(v) {
  return typeof v === 'function' && Object.hasOwn(v, STATE);
}

export class Bridge {
  #values = [undefined, null, true, false];
  #free = [];
  #cached = null; // bytes for text_read
  #error; // the exception of the last failed import
  #pyError = null; // the Python exception of the last failed export
  #ids = new WeakMap();
  #nextId = 1;
  #exports = null;
  #memory = null;
  #registry = new FinalizationRegistry((state) => this.#decref(state));
  #host;

  /** `onUncaught(error)`: a Python callback called by JS (a timer, an event) raised.
   *  `pageCall(json)`: a synchronous call on the page (weft.main), answered as JSON text. */
  constructor({ onUncaught, pageCall } = {}) {
    this.onUncaught = onUncaught ?? ((e) => console.error(e));
    this.#host = {
      page: (call) => {
        if (!pageCall) throw new Error('the page cannot be reached from here');
        return pageCall(call);
      },
      soon: (f) => soon(() => this.#guard(f)),
      later: (f, ms, token) => setTimeout(() => this.#guard(() => f(token)), ms),
      cancel: (id) => clearTimeout(id),
      onWake: (f) => this.#watchWake(f),
    };
  }

  /** The python.wasm instance whose exports PyProxies call, over `memory`. */
  attach(instance, memory) {
    this.#exports = instance.exports;
    this.#memory = memory;
  }

  /** The process ended: PyProxies still in JS no longer reach Python (their objects are gone). */
  detach() {
    this.#exports = null;
  }

  /** Calls `f`; a Python exception it raises (nobody to catch it) goes to onUncaught. */
  #guard(f) {
    try {
      f();
    } catch (e) {
      this.onUncaught(e);
    }
  }

  // ---- the table ----

  add(v) {
    if (v === undefined) return 0;
    if (v === null) return 1;
    if (v === true) return 2;
    if (v === false) return 3;
    const h = this.#free.length ? this.#free.pop() : this.#values.length;
    this.#values[h] = v;
    return h;
  }

  value(h) {
    return this.#values[h];
  }

  /** The value of handle `h`, which is released. */
  take(h) {
    const v = this.#values[h];
    this.release(h);
    return v;
  }

  release(h) {
    if (h >= FIXED && h < this.#values.length) {
      this.#values[h] = undefined;
      this.#free.push(h);
    }
  }

  /** The guest's memory as it is now (it grows). */
  get memoryBuffer() {
    return this.#memory.buffer;
  }

  #bytes(ptr, len) {
    return new Uint8Array(this.#memory.buffer, ptr, len).slice();
  }

  #string(ptr, len) {
    return decoder.decode(this.#bytes(ptr, len));
  }

  // ---- PyProxies ----

  /** A JS function standing for the Python object at `ptr` (one reference, now ours). */
  pyproxy(ptr, borrowed = false) {
    const bridge = this;
    const state = { ptr, borrowed, ended: null };
    const proxy = function (...args) {
      return bridge.callPy(proxy, args);
    };
    Object.defineProperty(proxy, STATE, { value: state });
    // Methods Pyodide's PyProxy has that make sense inside the worker.
    proxy.destroy = () => this.#end(state, 'destroyed');
    proxy.callKwargs = (...args) => {
      const kwargs = args.pop();
      return bridge.callPy(proxy, args, kwargs);
    };
    proxy.toString = () => this.pyOp(proxy, 'str');
    // JS APIs taking iterables (Array.from, new Uint8Array, for...of) iterate Python objects.
    proxy[Symbol.iterator] = function* iterate() {
      const it = bridge.pyOp(proxy, 'iter');
      try {
        for (;;) {
          const step = bridge.pyOp(it, 'next');
          if (step.done) return;
          yield step.value;
        }
      } finally {
        it.destroy();
      }
    };
    this.#registry.register(proxy, state, state);
    return proxy;
  }

  #state(proxy) {
    const state = proxy[STATE];
    if (state.ended) throw new Error(state.ended);
    if (!this.#exports) throw new Error('this Python object belonged to an interpreter that has ended');
    return state;
  }

  #end(state, how) {
    if (state.ended) return;
    state.ended = how === 'borrowed'
      ? 'This borrowed proxy was automatically destroyed at the end of a function call. Use weft.create_proxy() in Python to keep a Python object alive in JS'
      : 'This Python object was destroyed (proxy.destroy()): it cannot be used any more';
    this.#registry.unregister(state);
    this.#decref(state);
  }

  #decref(state) {
    const ptr = state.ptr;
    state.ptr = 0;
    if (ptr && this.#exports) this.#exports.weft_py_decref(ptr);
  }

  /** Calls the Python object behind `proxy` with JS `args` (and a JS object of kwargs). */
  callPy(proxy, args, kwargs) {
    const state = this.#state(proxy);
    const a = args.length ? this.add(args) : 0;
    const k = this.add(kwargs);
    const r = this.#exports.weft_py_call(state.ptr, a, k);
    this.release(a);
    this.release(k);
    if (r < 0) throw this.takePyError();
    return this.take(r);
  }

  /** weft.py's _OPS[name](obj, arg) on the Python object behind `proxy` (or None). */
  pyOp(proxy, name, arg) {
    const ptr = proxy ? this.#state(proxy).ptr : 0;
    const n = this.add(name);
    const a = this.add(arg);
    const r = this.#exports.weft_py_op(ptr, n, a);
    this.release(n);
    this.release(a);
    if (r < 0) throw this.takePyError();
    return this.take(r);
  }

  takePyError() {
    const e = this.#pyError ?? { type: 'SystemError', message: 'a Python call failed without an exception', traceback: '' };
    this.#pyError = null;
    return new PythonError(e.type, e.message, e.traceback);
  }

  // Other threads' WebLoop.call_soon_threadsafe(): they set the word and notify it.
  #watchWake(f) {
    const addr = this.#exports.weft_wake_addr();
    const word = new Int32Array(this.#memory.buffer);
    const wait = () => {
      const w = Atomics.waitAsync(word, addr >> 2, 0);
      const woken = () => {
        Atomics.store(word, addr >> 2, 0);
        this.#guard(f);
        wait();
      };
      if (w.async) w.value.then(woken);
      else soon(woken);
    };
    wait();
  }

  // ---- weft_v1: what python.wasm imports ----

  imports() {
    const b = this;
    const values = this.#values;
    // Each import: the result, or -1 with the exception kept for error().
    const safe = (f) => (...args) => {
      try {
        return f(...args);
      } catch (e) {
        b.#error = e;
        return -1;
      }
    };
    return {
      release: (h) => b.release(h),
      dup: (h) => b.add(values[h]),
      kind: (h) => kindOf(values[h]),
      number: (h) => Number(values[h]),
      text: safe((h) => {
        b.#cached = encoder.encode(String(values[h]));
        return b.#cached.length;
      }),
      text_read: (dst) => {
        new Uint8Array(b.#memory.buffer).set(b.#cached, dst);
        b.#cached = null;
      },
      bytes: safe((h) => {
        const v = values[h];
        let view;
        if (ArrayBuffer.isView(v)) view = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        else if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer)) view = new Uint8Array(v);
        else return -2;
        b.#cached = view;
        return view.length;
      }),
      new_number: (v) => b.add(v),
      new_bigint: safe((ptr, len) => b.add(BigInt(b.#string(ptr, len)))),
      new_string: safe((ptr, len) => b.add(b.#string(ptr, len))),
      new_bytes: safe((ptr, len) => b.add(b.#bytes(ptr, len))),
      new_pyproxy: safe((ptr, borrowed) => b.add(b.pyproxy(ptr, !!borrowed))),
      // 0 (NULL) on failure: C reads a pointer.
      pyproxy_ptr: (h) => {
        try {
          return b.#state(values[h]).ptr;
        } catch (e) {
          b.#error = e;
          return 0;
        }
      },
      end_borrowed: (h) => {
        const v = values[h];
        if (isPyProxy(v) && v[STATE].borrowed) b.#end(v[STATE], 'borrowed');
      },
      get: safe((h, ptr, len) => b.add(values[h][b.#string(ptr, len)])),
      set: safe((h, ptr, len, v) => {
        values[h][b.#string(ptr, len)] = values[v];
        return 0;
      }),
      remove: safe((h, ptr, len) => {
        delete values[h][b.#string(ptr, len)];
        return 0;
      }),
      has: safe((h, ptr, len) => (b.#string(ptr, len) in Object(values[h]) ? 1 : 0)),
      call: safe((fn, self, argv, n) => b.add(Reflect.apply(values[fn], values[self], b.#handles(argv, n)))),
      construct: safe((fn, argv, n) => b.add(Reflect.construct(values[fn], b.#handles(argv, n)))),
      error: () => {
        const e = b.#error;
        b.#error = undefined;
        return b.add(e);
      },
      py_error: (tp, tl, mp, ml, tbp, tbl, exc) => {
        b.#pyError = { type: b.#string(tp, tl), message: b.#string(mp, ml), traceback: b.#string(tbp, tbl) };
        // The exception's reference: not kept (yet); dropped once the export has returned.
        if (exc) soon(() => b.#exports.weft_py_decref(exc));
      },
      op: safe((code, a, x) => b.add(b.#op(code, values[a], values[x]))),
    };
  }

  #handles(ptr, n) {
    const hs = new Int32Array(this.#memory.buffer, ptr, n).slice();
    return Array.from(hs, (h) => this.#values[h]);
  }

  #op(code, v, x) {
    switch (code) {
      case OP.GLOBAL: return globalThis;
      case OP.TYPEOF: return typeof v;
      case OP.STRING: return String(v);
      case OP.EQUALS: return v === x;
      case OP.KEYS: {
        const keys = new Set();
        for (let o = Object(v); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
          for (const k of Object.getOwnPropertyNames(o)) keys.add(k);
        }
        return [...keys];
      }
      case OP.LENGTH:
        if (typeof v?.length === 'number') return v.length;
        if (typeof v?.size === 'number') return v.size;
        return undefined;
      case OP.ITER: return typeof v?.[Symbol.iterator] === 'function' ? v[Symbol.iterator]() : undefined;
      case OP.NEXT: return v.next();
      case OP.TAG: return Object.prototype.toString.call(v).slice(8, -1);
      case OP.THENABLE: return typeof v?.then === 'function';
      case OP.INSTANCEOF: return v instanceof x;
      case OP.HOST: return this.#host;
      case OP.ID: {
        if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return 0;
        let id = this.#ids.get(v);
        if (id === undefined) this.#ids.set(v, (id = this.#nextId++));
        return id;
      }
      case OP.TRUTHY:
        if (Array.isArray(v) || ArrayBuffer.isView(v)) return v.length > 0;
        if (v instanceof Map || v instanceof Set) return v.size > 0;
        return !!v;
      case OP.SAME: return x;
      case OP.VIEW: {
        // x: [typed array name, address, byte length] (weft.py buffer_view).
        const [kind, address, nbytes] = x;
        const Type = globalThis[kind];
        return new Type(this.#memory.buffer, address, nbytes / Type.BYTES_PER_ELEMENT);
      }
      default: throw new Error(`weft_v1.op: unknown operation ${code}`);
    }
  }
}

function kindOf(v) {
  switch (typeof v) {
    case 'undefined': return KIND.UNDEFINED;
    case 'boolean': return KIND.BOOL;
    case 'number': return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 ? KIND.INT : KIND.FLOAT;
    case 'bigint': return KIND.BIGINT;
    case 'string': return KIND.STRING;
    case 'function': return isPyProxy(v) ? KIND.PYPROXY : KIND.FUNCTION;
    default:
      if (v === null) return KIND.NULL;
      return v instanceof Error ? KIND.ERROR : KIND.OBJECT;
  }
}
