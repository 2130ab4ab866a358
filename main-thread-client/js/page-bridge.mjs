// The page's side of Python's `weft.main` proxy: synchronous calls from Python in the worker
// on the main thread's JS objects (the DOM, page functions), carried by the sync-io channel as
// JSON text (Request::Page). The worker blocks until the answer; the page never does.
//
// Page objects cross as references into a table here ({"$r": id}); an object keeps its id while
// referenced, so the same object is the same reference (Python compares them with ==). Values:
// null/bool/string/finite numbers as JSON; {"$u":1} undefined; {"$n":"NaN"|"Infinity"|...};
// {"$b":"123"} bigint; Python lists and dicts by value as {"$a":[...]} and {"$o":{...}};
// {"$py": id} a Python callable, which becomes a page function that calls it back in the worker
// (asynchronously, through `onCallback`: the page cannot wait for Python).
//
// Deadlock: while Python waits here (for a page function and its promise), the interpreter
// cannot take requests, so a request the page makes meanwhile (runPython in that same function)
// could never be served. `busy` tells the client, which refuses such requests with an error
// instead of hanging.

export class PageBridge {
  #objects = new Map([[0, globalThis]]);
  #ids = new WeakMap([[globalThis, 0]]);
  #nextId = 1;
  #callbacks = new Map(); // $py id -> page function
  #onCallback;
  /** Page calls in progress (see the top). */
  busy = 0;

  /** `onCallback(id, argsJson)`: a page function standing for Python callable `id` was called. */
  constructor({ onCallback }) {
    this.#onCallback = onCallback;
  }

  /** Answers one call (JSON text); resolves with the result as JSON text, or rejects. */
  async handle(text) {
    // Python is blocked for the whole call, a page function's own run included.
    this.busy++;
    try {
      return await this.#handle(JSON.parse(text));
    } finally {
      this.busy--;
    }
  }

  async #handle(call) {
    for (const id of call.release ?? []) this.#release(id);
    const target = call.t === undefined ? undefined : this.#object(call.t);
    let result;
    switch (call.op) {
      case 'release':
        return 'null';
      case 'forget':
        this.#callbacks.delete(call.id);
        return 'null';
      case 'get':
        result = target[call.name];
        break;
      case 'set':
        target[call.name] = this.#decode(call.v);
        return 'null';
      case 'del':
        delete target[call.name];
        return 'null';
      case 'has':
        return JSON.stringify(call.name in Object(target));
      case 'call':
        result = Reflect.apply(target, call.self === undefined ? undefined : this.#object(call.self), this.#decode(call.args));
        break;
      case 'new':
        result = Reflect.construct(target, this.#decode(call.args));
        break;
      case 'str':
        return JSON.stringify(String(target));
      case 'typeof':
        return JSON.stringify(typeof target);
      case 'json':
        // MainProxy.to_py(): the object as JSON data (what JSON.stringify keeps of it).
        return JSON.stringify(JSON.stringify(target) ?? null);
      default:
        throw new Error(`unknown page call ${JSON.stringify(call.op)}`);
    }
    if (result !== null && typeof result?.then === 'function' && call.op !== 'get') result = await result;
    return JSON.stringify(this.#encode(result));
  }

  #object(id) {
    if (!this.#objects.has(id)) throw new Error(`page object ${id} was released`);
    return this.#objects.get(id);
  }

  #release(id) {
    if (id === 0) return;
    const v = this.#objects.get(id);
    this.#objects.delete(id);
    if (v !== undefined && this.#ids.get(v) === id) this.#ids.delete(v);
  }

  #encode(v) {
    switch (typeof v) {
      case 'undefined': return { $u: 1 };
      case 'boolean': case 'string': return v;
      case 'number': return Number.isFinite(v) ? v : { $n: String(v) };
      case 'bigint': return { $b: v.toString() };
      case 'symbol': return { $u: 1 };
      default: {
        if (v === null) return null;
        let id = this.#ids.get(v);
        if (id === undefined || !this.#objects.has(id)) {
          id = this.#nextId++;
          this.#ids.set(v, id);
          this.#objects.set(id, v);
        }
        return { $r: id, f: typeof v === 'function' ? 1 : 0 };
      }
    }
  }

  #decode(v) {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.#decode(x));
    if ('$r' in v) return this.#object(v.$r);
    if ('$u' in v) return undefined;
    if ('$n' in v) return Number(v.$n);
    if ('$b' in v) return BigInt(v.$b);
    if ('$a' in v) return v.$a.map((x) => this.#decode(x));
    if ('$o' in v) return Object.fromEntries(Object.entries(v.$o).map(([k, x]) => [k, this.#decode(x)]));
    if ('$py' in v) return this.#callback(v.$py);
    throw new Error(`unknown value in a page call: ${JSON.stringify(v).slice(0, 80)}`);
  }

  /** The page function for Python callable `id` (one per id, so removeEventListener works). */
  #callback(id) {
    let f = this.#callbacks.get(id);
    if (!f) {
      f = (...args) => {
        this.#onCallback(id, JSON.stringify(args.map((a) => this.#encode(a))));
      };
      this.#callbacks.set(id, f);
    }
    return f;
  }
}
