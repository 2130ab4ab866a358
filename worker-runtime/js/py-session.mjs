// A session: one long-lived interpreter in the interpreter's worker, driven by requests from the
// client (runPython, proxies of Python objects), unlike a run, which is a process from start to
// exit. Between requests Python is idle with the GIL released, and the worker's event loop is
// free: JS promises settle, timers fire, asyncio (weft.WebLoop) runs.
//
// Values going to the client: primitives, bytes (Uint8Array, transferred) and plain JS data as
// structured clones; Python objects as references {[REF]: id, type, callable, ...} into `#exported`,
// which the client turns into PyProxies and releases with 'destroy'. Values coming from the client
// are decoded the other way: references to the Python objects they stand for (so identity is kept).
import { PythonError, isPyProxy } from './bridge.mjs';
import { DESCEND, REF, mapData } from './plain-data.mjs';


/** Thrown when Python ends the process (exit(), os._exit()) during a request. */
export class SessionExit extends Error {
  constructor(code) {
    super(`Python exited with code ${code}: this interpreter is finished; start a new one`);
    this.name = 'WeftExit';
    this.code = code;
  }
}

export class Session {
  #bridge;
  #instance;
  #exported = new Map(); // id -> PyProxy
  #nextId = 1;
  #namespaces = new Map(); // module name -> PyProxy of its __dict__

  constructor(bridge, instance) {
    this.#bridge = bridge;
    this.#instance = instance;
  }

  /** Starts Python (site, then the weft module). Throws a PythonError if it fails. */
  start() {
    this.#instance.exports._initialize();
    if (this.#instance.exports.weft_session_start() < 0) throw this.#bridge.takePyError();
  }

  #target(id) {
    const proxy = this.#exported.get(id);
    if (!proxy) throw new Error('this PyProxy was destroyed (or belongs to an interpreter that has ended)');
    return proxy;
  }

  #namespace(name = '__main__') {
    let ns = this.#namespaces.get(name);
    if (!ns) {
      ns = this.#bridge.pyOp(null, 'namespace', name);
      this.#namespaces.set(name, ns);
    }
    return ns;
  }

  /** Answers one client request; resolves with [value, transfer]. */
  async handle(req) {
    const b = this.#bridge;
    const transfer = [];
    const out = (v) => [this.#encode(v, transfer), transfer];
    const arg = (v) => this.#decode(v);
    switch (req.op) {
      case 'run':
        return out(b.pyOp(req.globals ? this.#target(req.globals) : this.#namespace(), 'run', [req.code, req.filename]));
      case 'runAsync': {
        const ns = req.globals ? this.#target(req.globals) : this.#namespace();
        const value = await new Promise((resolve, reject) => {
          const fail = (type, message, traceback) => reject(new PythonError(type, message, traceback));
          b.pyOp(ns, 'run_async', [req.code, req.filename, resolve, fail]);
        });
        return out(value);
      }
      case 'globals':
        return out(this.#namespace(req.name));
      case 'import':
        return out(b.pyOp(null, 'import', req.name));
      case 'toPy':
        return out(b.pyOp(null, 'to_py', arg(req.value)));
      case 'call': {
        const target = this.#target(req.target);
        const args = arg(req.args);
        return out(req.kwargs ? b.callPy(target, args, arg(req.kwargs)) : b.callPy(target, args));
      }
      case 'await': {
        const target = this.#target(req.target);
        const value = await new Promise((resolve, reject) => {
          const fail = (type, message, traceback) => reject(new PythonError(type, message, traceback));
          b.pyOp(target, 'await', [resolve, fail]);
        });
        return out(value);
      }
      case 'destroy': {
        const target = this.#exported.get(req.target);
        this.#exported.delete(req.target);
        target?.destroy();
        return out(undefined);
      }
      case 'getBuffer': {
        // The object's memory as a typed array for the client: a view over the shared wasm
        // memory (no copy; the object stays pinned until 'releaseBuffer'), or a copy.
        const pinned = b.pyOp(this.#target(req.target), 'buffer');
        const info = b.pyOp(pinned, 'getattr', 'info');
        const shared = !req.copy && typeof SharedArrayBuffer === 'function' && b.memoryBuffer instanceof SharedArrayBuffer;
        if (!shared) {
          const bytes = new Uint8Array(b.memoryBuffer, info.address, info.nbytes).slice();
          b.pyOp(pinned, 'callmethod', ['release', [], undefined]);
          pinned.destroy();
          return [{ ...info, bytes }, [bytes.buffer]];
        }
        const id = this.#nextId++;
        this.#exported.set(id, pinned);
        return [{ ...info, memory: b.memoryBuffer, pin: id }, []];
      }
      case 'releaseBuffer': {
        const pinned = this.#exported.get(req.pin);
        this.#exported.delete(req.pin);
        if (pinned) {
          b.pyOp(pinned, 'callmethod', ['release', [], undefined]);
          pinned.destroy();
        }
        return out(undefined);
      }
      case 'callMethod':
        return out(b.pyOp(this.#target(req.target), 'callmethod', [req.name, arg(req.args), req.kwargs ? arg(req.kwargs) : undefined]));
      case 'getattr': case 'delattr': case 'hasattr': case 'getitem': case 'get': case 'delitem':
      case 'contains': case 'len': case 'repr': case 'str': case 'dir': case 'iter': case 'next':
      case 'to_js':
        return out(b.pyOp(this.#target(req.target), req.op, arg(req.arg)));
      case 'setattr': case 'setitem':
        return out(b.pyOp(this.#target(req.target), req.op, [arg(req.key), arg(req.value)]));
      default:
        throw new Error(`unknown request ${JSON.stringify(req.op)}`);
    }
  }

  /** A value for the client: Python objects become references (see the top); whole typed
   *  arrays are transferred. */
  #encode(v, transfer) {
    return mapData(v, (x) => {
      if (isPyProxy(x)) {
        const id = this.#nextId++;
        this.#exported.set(id, x);
        return { [REF]: id, ...this.#bridge.pyOp(x, 'type') };
      }
      if (typeof x === 'function' || typeof x === 'symbol') {
        throw new TypeError(`a JS ${typeof x} (${String(x).slice(0, 60)}) cannot be sent to the main thread: only cloneable values and Python objects can`);
      }
      if (ArrayBuffer.isView(x)) {
        if (x.buffer instanceof ArrayBuffer && !transfer.includes(x.buffer) && x.byteLength === x.buffer.byteLength) transfer.push(x.buffer);
        return x;
      }
      // Errors, Dates, ArrayBuffers...: as they are; structured clone copies them (or refuses).
      return DESCEND;
    });
  }

  /** A value from the client: references back to the Python objects they stand for. */
  #decode(v) {
    return mapData(v, (x) => (typeof x === 'object' && x !== null && Object.hasOwn(x, REF) ? this.#target(x[REF]) : DESCEND));
  }
}
