// The workers of the runtime's own rayon pool (wasm-bindgen-rayon's `initThreadPool`), started
// from the interpreter's worker.
//
// wasm-bindgen-rayon starts each one by fetching its helper module's source, running it as a
// module Worker from a blob: URL, and having it import the runtime's glue by the glue's URL. That
// needs both to be plain files at their original URLs: after a bundler (Vite, webpack) has merged
// them into the worker's bundle they are not, and Node has neither `Worker` nor fetch of file:
// URLs. So while the pool starts, `withRuntimeWorkers` lends a `Worker` that starts this
// worker's own script instead, which joins the pool when it gets RUNTIME_WORKER_INIT
// (worker.mjs). The helper's init message is renamed to that on the way, so that the helper,
// loaded in the new worker with the glue, does not answer it as well.
const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof self === 'undefined';

/**
 * `import(name)` for Node's built-in modules, on paths that only run in Node. The specifier is
 * hidden from bundlers, which would otherwise replace each module with an empty stub (and warn)
 * when they build a browser app.
 */
export const nodeImport = (name) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

/** The type of wasm-bindgen-rayon's 'wasm_bindgen_worker_init' message to one of our workers. */
export const RUNTIME_WORKER_INIT = 'runtime-worker-init';

function renamed(msg) {
  return msg?.type === 'wasm_bindgen_worker_init' ? { ...msg, type: RUNTIME_WORKER_INIT } : msg;
}

/** Node: a module Worker of the browser API over worker_threads (messages only). */
async function nodeWorkerClass(script) {
  const { Worker: NodeWorker } = await nodeImport('node:worker_threads');
  return class {
    #worker;
    #handlers = new Map();

    constructor() {
      this.#worker = new NodeWorker(new URL(script));
      // They serve the interpreter's worker; they must not keep Node alive on their own.
      this.#worker.unref();
      this.#worker.on('error', (e) => console.error(`weft: a runtime worker failed: ${e.message}`));
    }

    postMessage(msg, transfer) {
      this.#worker.postMessage(renamed(msg), transfer);
    }

    addEventListener(type, listener) {
      if (type !== 'message' || this.#handlers.has(listener)) return;
      const handler = (data) => listener({ data });
      this.#handlers.set(listener, handler);
      this.#worker.on('message', handler);
    }

    removeEventListener(type, listener) {
      const handler = this.#handlers.get(listener);
      if (type !== 'message' || !handler) return;
      this.#worker.off('message', handler);
      this.#handlers.delete(listener);
    }

    terminate() {
      this.#worker.terminate();
    }
  };
}

/** Browsers: module Workers of `script`. */
function browserWorkerClass(Worker, script) {
  return class extends Worker {
    constructor() {
      super(script, { type: 'module' });
    }

    postMessage(msg, transfer) {
      super.postMessage(renamed(msg), transfer);
    }
  };
}

/** Node: `fetch` that also reads file: URLs (the helper fetches its own module's URL). */
async function fileFetch(fetch) {
  const { readFile } = await nodeImport('node:fs/promises');
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return url.protocol === 'file:' ? readFile(url).then((bytes) => new Response(bytes)) : fetch(input, init);
  };
}

/**
 * Calls `start()` (initThreadPool, which returns a promise) with a global `Worker` whose
 * instances run `script` (the URL of this worker's own script) as module workers, and in Node a
 * `fetch` of file: URLs; they are taken away again once `start()` has returned (fetch: the
 * helper calls it before its first await) or settled (Worker). Resolves with start()'s result.
 */
export async function withRuntimeWorkers(script, start) {
  const { fetch, Worker } = globalThis;
  const lent = isNode
    ? { fetch: await fileFetch(fetch), Worker: await nodeWorkerClass(script) }
    : { fetch, Worker: browserWorkerClass(Worker, script) };
  globalThis.fetch = lent.fetch;
  globalThis.Worker = lent.Worker;
  let started;
  try {
    started = start();
  } finally {
    globalThis.fetch = fetch;
  }
  try {
    return await started;
  } finally {
    if (Worker === undefined) delete globalThis.Worker;
    else globalThis.Worker = Worker;
  }
}
