// Browser-style workers over Node's worker_threads, for wasm-bindgen-rayon (its `no-bundler`
// workerHelpers), which is written for browsers: it fetches its own module's source, starts a
// module Worker from a blob: URL, and talks to it by postMessage and 'message' events.
//
// This file has two roles, like worker.mjs:
// - imported by the interpreter's worker, `withWebWorkers(start)` gives `start` what that code
//   uses: `fetch` of file: URLs and a global `Worker`. Both are taken away again once `start()`
//   has returned (fetch) or settled (Worker), so Python's `js.fetch` and the worker's globals
//   stay as Node has them.
// - started as a worker (`workerData.webWorkerSource`), it gives the blob's code `self`,
//   `postMessage` and `addEventListener`, then runs it as a module.
import { Worker as NodeWorker, parentPort, workerData } from 'node:worker_threads';
import { resolveObjectURL } from 'node:buffer';
import { readFile } from 'node:fs/promises';

if (workerData?.webWorkerSource !== undefined) {
  const handlers = new Map(); // listener -> its parentPort handler
  globalThis.self = globalThis;
  globalThis.postMessage = (msg, transfer) => parentPort.postMessage(msg, transfer);
  globalThis.addEventListener = (type, listener) => {
    if (type !== 'message' || handlers.has(listener)) return;
    const handler = (data) => listener({ data });
    handlers.set(listener, handler);
    parentPort.on('message', handler);
  };
  globalThis.removeEventListener = (type, listener) => {
    const handler = handlers.get(listener);
    if (type !== 'message' || !handler) return;
    parentPort.off('message', handler);
    handlers.delete(listener);
  };
  // wasm-bindgen-rayon's helper still calls the glue's init the old way, and the glue warns
  // about it in every worker it starts: not news to anyone reading Weft's output.
  const { warn } = console;
  console.warn = (...args) => {
    if (!String(args[0]).startsWith('using deprecated parameters for the initialization function')) warn(...args);
  };
  // Messages posted before the code listens wait in parentPort's queue.
  const source = await workerData.webWorkerSource.text();
  await import(`data:text/javascript,${encodeURIComponent(source)}`);
}

/** A module Worker of the browser API, over worker_threads (messages only). */
class WebWorker {
  #worker;
  #handlers = new Map();

  constructor(url, options = {}) {
    if (options.type !== 'module') throw new TypeError('only module workers are supported');
    const source = resolveObjectURL(String(url));
    if (!source) throw new TypeError(`only blob: URLs made in this thread are supported, not ${url}`);
    this.#worker = new NodeWorker(new URL(import.meta.url), { workerData: { webWorkerSource: source } });
    // These workers serve the interpreter's worker; they must not keep Node alive on their own.
    this.#worker.unref();
    this.#worker.on('error', (e) => console.error(`weft: a runtime worker failed: ${e.message}`));
  }

  postMessage(msg, transfer) {
    this.#worker.postMessage(msg, transfer);
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
}

async function fetchFile(url) {
  return new Response(await readFile(url));
}

/**
 * Calls `start()` (which returns a promise) with browser-style `fetch` of file: URLs and a
 * global `Worker`, and resolves with its result.
 */
export async function withWebWorkers(start) {
  const { fetch, Worker } = globalThis;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return url.protocol === 'file:' ? fetchFile(url) : fetch(input, init);
  };
  globalThis.Worker = WebWorker;
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
