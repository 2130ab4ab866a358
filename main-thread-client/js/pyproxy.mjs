// The client's view of Python objects: async PyProxies over requests to the worker's session
// (worker-runtime/js/py-session.mjs), and the errors Python sends back.
//
// A PyProxy stands for one Python object the worker keeps alive for us. Every operation is a
// request, so every operation returns a Promise: `await p.getAttr('x')`, `await p.call(1, 2)`,
// and, for attributes that are not PyProxy methods, the shorthands `await p.x` and
// `await p.method(1, 2)`. Its lifetime is explicit: `destroy()`, or a scope
// (`Weft.withScope`); a FinalizationRegistry releases the ones garbage-collected before that.
// Values cross by copy (structured clone; buffers marked with transfer() are moved):
// None/bool/int/float/str/bytes by value, other Python objects as PyProxies; `toJs()` converts
// in depth. A PyProxy passed back to Python arrives as the very object it stands for.

import { DESCEND, REF, mapData } from './plain-data.mjs';

export { REF };

/** A Python exception: `type` ("ValueError", "module.Class"), `message` (the whole formatted
 *  traceback, as in Pyodide), `pyMessage` (str() of the exception) and `traceback`. */
export class PythonError extends Error {
  constructor({ type, pyMessage, traceback, message }) {
    super(traceback || message || `${type}: ${pyMessage}`);
    this.name = 'PythonError';
    this.type = type;
    this.pyMessage = pyMessage ?? message;
    this.traceback = traceback ?? '';
  }
}

/** Python ended its process (exit(), sys.exit(), os._exit()); `code` is the exit status. */
export class WeftExit extends Error {
  constructor(code, message) {
    super(message ?? `Python exited with code ${code}`);
    this.name = 'WeftExit';
    this.code = code;
  }
}

const STATE = Symbol('weft.pyproxy.state');

/** What `transfer(value)` returns: `value`, to be moved to the worker instead of copied. */
class Transferred {
  constructor(value, buffer) {
    this.value = value;
    this.buffer = buffer;
  }
}

/** Whether `buffer` was transferred away (ArrayBuffer.prototype.detached is newer than Node 20). */
function isDetached(buffer) {
  if ('detached' in ArrayBuffer.prototype) return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * Marks an ArrayBuffer, typed array or DataView, passed to Python from the main thread, to be
 * moved to the worker (postMessage's transfer list) instead of copied. Its whole ArrayBuffer
 * moves, so this thread's views of it become empty (detached) once the request is sent. A view
 * of a SharedArrayBuffer is shared, never copied, and is sent as it is.
 */
export function transfer(value) {
  const buffer = value instanceof ArrayBuffer ? value : ArrayBuffer.isView(value) ? value.buffer : null;
  if (buffer === null) {
    throw new TypeError(`transfer(value): value must be an ArrayBuffer, a typed array or a DataView, not ${value === null ? 'null' : typeof value}`);
  }
  return new Transferred(value, buffer instanceof ArrayBuffer ? buffer : null);
}

export function isPyProxy(v) {
  return (typeof v === 'function' || typeof v === 'object') && v !== null && v[STATE] !== undefined;
}

/**
 * The proxies of one interpreter. `request(op, fields, transfer)` sends a session request and
 * resolves with its decoded answer.
 */
export class ProxyTable {
  #request;
  #scopes = [];
  #registry = new FinalizationRegistry((state) => {
    if (!state.destroyed) this.#release(state);
  });

  constructor(request) {
    this.#request = request;
  }

  /** Sends a request and decodes the answer (references become PyProxies). `fields` may be a
   *  function of the encoder (`(enc) => ({arg: enc(x)})`): encoding fails as a rejection too,
   *  and the buffers it transfers go with the request. */
  async send(op, fields = {}) {
    const transfer = [];
    const f = typeof fields === 'function' ? fields((v) => this.encode(v, transfer)) : fields;
    return this.decode(await this.#request(op, f, transfer));
  }

  /** Values for the worker: PyProxies as references, the rest as they are (cloned), except the
   *  buffers marked by transfer(), which are added to `transfer` (a postMessage transfer list). */
  encode(v, transfer = []) {
    return mapData(v, (x) => {
      if (isPyProxy(x)) return { [REF]: live(x[STATE]).id };
      if (x instanceof Transferred) {
        // postMessage takes a detached buffer in the transfer list, and the message is then lost
        // on the way (a hang): refuse it here.
        if (x.buffer && isDetached(x.buffer)) {
          throw new TypeError('a buffer passed with transfer() was already transferred (its ArrayBuffer is detached)');
        }
        if (x.buffer && !transfer.includes(x.buffer)) transfer.push(x.buffer);
        return x.value;
      }
      if (typeof x === 'function') {
        throw new TypeError(`a JS function cannot be passed to Python from the main thread (it would have to run here): ${String(x).slice(0, 60)}`);
      }
      return DESCEND;
    });
  }

  /** Values from the worker: references become PyProxies (one per reference object). */
  decode(v) {
    return mapData(v, (x) => (typeof x === 'object' && x !== null && Object.hasOwn(x, REF) ? this.#proxy(x) : DESCEND));
  }

  /** Runs `fn` in a scope: PyProxies made meanwhile are destroyed when it settles, except the
   *  ones passed to `scope.keep()`. */
  async withScope(fn) {
    const scope = { proxies: new Set(), keep: (p) => { scope.proxies.delete(p); return p; } };
    this.#scopes.push(scope);
    try {
      return await fn(scope);
    } finally {
      this.#scopes.splice(this.#scopes.lastIndexOf(scope), 1);
      await Promise.all([...scope.proxies].map((p) => p.destroy().catch(() => {})));
    }
  }

  /** Takes `proxy` out of scopes and the registry: it lives as long as the interpreter. */
  pin(proxy) {
    for (const s of this.#scopes) s.proxies.delete(proxy);
    this.#registry.unregister(proxy[STATE]);
    return proxy;
  }

  /** A PyProxy for reference `ref` ({[REF]: id, type, callable, awaitable, ...}). */
  #proxy(ref) {
    const state = {
      id: ref[REF], type: ref.type, callable: !!ref.callable, awaitable: !!ref.awaitable,
      iterable: !!ref.iterable, mapping: !!ref.mapping, destroyed: false,
    };
    const proxy = this.#wrap(state);
    this.#registry.register(proxy, state, state);
    this.#scopes.at(-1)?.proxies.add(proxy);
    return proxy;
  }

  #release(state) {
    state.destroyed = true;
    return this.#request('destroy', { target: state.id }).catch(() => {});
  }

  #wrap(state) {
    const table = this;
    // Every operation on this object: the request names it as the target.
    const send = (op, fields = {}) => table.send(op, (enc) => ({
      target: live(state).id, ...(typeof fields === 'function' ? fields(enc) : fields),
    }));
    const methods = {
      type: state.type,
      callable: state.callable,
      isDestroyed: () => state.destroyed,
      toString: () => `[PyProxy ${state.type}]`,
      /** repr() of the object. */
      repr: () => send('repr'),
      /** str() of the object. */
      str: () => send('str'),
      getAttr: (name) => send('getattr', { arg: name }),
      setAttr: (name, value) => send('setattr', (enc) => ({ key: name, value: enc(value) })),
      delAttr: (name) => send('delattr', { arg: name }),
      hasAttr: (name) => send('hasattr', { arg: name }),
      /** obj[key], or undefined when the key is missing (KeyError), as Pyodide's get. */
      get: (key) => send('get', (enc) => ({ arg: enc(key) })),
      set: (key, value) => send('setitem', (enc) => ({ key: enc(key), value: enc(value) })),
      has: (key) => send('contains', (enc) => ({ arg: enc(key) })),
      delete: (key) => send('delitem', (enc) => ({ arg: enc(key) })),
      length: () => send('len'),
      dir: () => send('dir'),
      call: (...args) => send('call', (enc) => ({ args: enc(args) })),
      callKwargs: (...args) => {
        const kwargs = args.pop();
        if (typeof kwargs !== 'object' || kwargs === null) {
          return Promise.reject(new TypeError('callKwargs(...args, kwargs): the last argument must be an object of keyword arguments'));
        }
        return send('call', (enc) => ({ args: enc(args), kwargs: enc(kwargs) }));
      },
      /** Converts in depth (lists to arrays, dicts to Maps or, with `dict_converter` /
       *  `dictConverter`, what it makes of the entries, sets to Sets). */
      toJs: async (options = {}) => {
        const converter = options.dict_converter ?? options.dictConverter;
        const v = await send('to_js', {
          arg: { depth: options.depth ?? -1, createPyProxies: options.create_pyproxies ?? options.createPyProxies ?? true },
        });
        return converter ? convertDicts(v, converter, new Map()) : v;
      },
      /** The object's memory (a C-contiguous buffer: numpy array, bytearray, ...) as a typed
       *  array, with `shape`, `format` (struct/numpy format) and `readonly`, as Pyodide's
       *  getBuffer. Where memory is shared (Node, isolated pages) `data` is a view over the
       *  interpreter's memory, no copy, seeing Python's later changes; call `release()` when
       *  done (the object stays pinned until then). With `{copy: true}`, or without shared
       *  memory, `data` is a copy of its own and `release()` does nothing. */
      getBuffer: async ({ copy = false } = {}) => {
        const info = await send('getBuffer', { copy });
        const Type = globalThis[info.kind];
        const source = info.memory ?? info.bytes.buffer;
        const offset = info.memory ? info.address : 0;
        const data = new Type(source, offset, info.nbytes / Type.BYTES_PER_ELEMENT);
        let released = !info.memory;
        return {
          data, shape: info.shape, format: info.format, readonly: info.readonly, nbytes: info.nbytes,
          release: async () => {
            if (released) return;
            released = true;
            await table.send('releaseBuffer', { pin: info.pin });
          },
        };
      },
      destroy: () => {
        if (state.destroyed) return Promise.resolve();
        table.#registry.unregister(state);
        for (const s of table.#scopes) s.proxies.delete(proxy);
        return table.#release(state);
      },
    };
    const then = state.awaitable
      ? (resolve, reject) => send('await').then(resolve, reject)
      : undefined;
    // Python iterators step with 'next' on the iterator itself.
    const stepper = async function* iterate() {
      const it = await send('iter');
      try {
        for (;;) {
          const step = await table.send('next', { target: live(it[STATE]).id });
          if (step.done) return;
          yield step.value;
        }
      } finally {
        await it.destroy();
      }
    };
    const target = state.callable ? function () {} : {};
    const proxy = new Proxy(target, {
      get(_, prop) {
        if (prop === STATE) return state;
        if (prop === 'then') return then;
        if (prop === Symbol.asyncIterator) return state.iterable ? stepper : undefined;
        if (prop === Symbol.toStringTag) return 'PyProxy';
        if (typeof prop === 'symbol') return undefined;
        if (Object.hasOwn(methods, prop)) return methods[prop];
        return attribute(prop);
      },
      set(_, prop) {
        throw new TypeError(`a PyProxy's attributes are set with await proxy.setAttr(${JSON.stringify(String(prop))}, value), which reports errors`);
      },
      has(_, prop) {
        return Object.hasOwn(methods, prop);
      },
      apply(_, __, args) {
        return methods.call(...args);
      },
    });
    // `await proxy.name` reads the attribute; `proxy.name(...args)` calls it as a method in one
    // request.
    const attribute = (name) => {
      const call = (...args) => send('callMethod', (enc) => ({ name, args: enc(args) }));
      call.then = (resolve, reject) => send('getattr', { arg: name }).then(resolve, reject);
      call.callKwargs = (...args) => {
        const kwargs = args.pop();
        return send('callMethod', (enc) => ({ name, args: enc(args), kwargs: enc(kwargs) }));
      };
      return call;
    };
    return proxy;
  }
}

function live(state) {
  if (state.destroyed) throw new Error(`this PyProxy (${state.type}) was destroyed: it cannot be used any more`);
  return state;
}

function convertDicts(v, converter, seen) {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || isPyProxy(v)) return v;
  if (seen.has(v)) return seen.get(v);
  if (v instanceof Map) {
    // A dict reached again while converting its own entries (a cycle) stays the Map.
    seen.set(v, v);
    const result = converter([...v].map(([k, x]) => [convertDicts(k, converter, seen), convertDicts(x, converter, seen)]));
    seen.set(v, result);
    return result;
  }
  if (Array.isArray(v)) {
    seen.set(v, v);
    for (let i = 0; i < v.length; i++) v[i] = convertDicts(v[i], converter, seen);
    return v;
  }
  return v;
}
