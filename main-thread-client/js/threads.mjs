// The coordinator of an interpreter's thread pool, on the client's (never blocking) thread.
// Python threads run in pool workers (worker.mjs, 'thread-init' role) over the interpreter's
// shared memories. A spawn hands its thread to an idle worker through the pool table in shared
// memory (the threads crate, PoolMain here): this side only starts workers, keeps a few idle
// ones ready, and ends a process's threads when the process ends. It never waits.
import { loadMainWasm } from './channel.mjs';
import { PoolMain } from './main/main_thread_client.js';

/** Defaults of the `threads` option of Weft.start(). */
export const THREAD_DEFAULTS = Object.freeze({
  /** Pool workers kept ready beyond those running threads. */
  idleWorkers: 2,
  /** Most pool workers, so most Python threads alive at once (besides the main thread). */
  maxWorkers: 64,
  /** How long a spawn waits for a worker before Python gets "can't start new thread". */
  spawnTimeoutMs: 10000,
  /** How long a thread inside a syscall may take to stop once its process has ended. */
  stopTimeoutMs: 2000,
});

export function threadOptions(option) {
  if (option === false) return null;
  const o = { ...THREAD_DEFAULTS, ...(option === true || option == null ? {} : option) };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < 0) throw new TypeError(`threads.${k} must be a non-negative integer, got ${v}`);
  }
  if (o.maxWorkers < 1) throw new TypeError('threads.maxWorkers must be at least 1');
  return o;
}

export class ThreadPool {
  #table;
  #options;
  #spawnWorker; // (url) => worker handle (weft.mjs)
  #url;
  #join = null; // what 'thread-init' needs, once the interpreter is ready
  #workers = new Map(); // slot -> {handle, ready, serving, ended}
  #process = null; // {epoch, memory, handle} of the running process
  #onMessage;
  #onFailure;
  #closed = false;

  constructor(options, { spawnWorker, workerUrl, onMessage, onFailure }) {
    this.#options = options;
    this.#table = new PoolMain(options.maxWorkers);
    this.#spawnWorker = spawnWorker;
    this.#url = workerUrl;
    this.#onMessage = onMessage;
    this.#onFailure = onFailure;
  }

  static async create(base, options, hooks) {
    await loadMainWasm(base);
    return new ThreadPool(options, hooks);
  }

  /** For the interpreter's 'init' message. */
  get init() {
    return { buffer: this.#table.buffer, spawnTimeoutMs: this.#options.spawnTimeoutMs };
  }

  /** The interpreter is ready: `share` is its runtime module+memory, python.wasm module and
   *  BLAS kernel module (python-numpy.wasm's; undefined for the others). */
  start({ runtime, python, kernel, channel, hostMounts }) {
    this.#join = { runtime, python, kernel, pool: this.#table.buffer, channel, hostMounts, spawnTimeoutMs: this.#options.spawnTimeoutMs };
    this.topUp();
  }

  /** Pool workers alive (starting, idle or running a thread). */
  get size() {
    return this.#workers.size;
  }

  /** Pool workers ready to run a thread. */
  get idle() {
    return this.#table.idle;
  }

  /** Starts workers until enough are idle or starting for the waiting spawns. */
  topUp() {
    if (!this.#join || this.#closed) return;
    let missing = this.#options.idleWorkers + this.#table.wanted - this.#table.idle - this.#table.starting;
    while (missing-- > 0 && this.#startWorker());
  }

  #startWorker() {
    const slot = this.#table.claimFreeSlot();
    if (slot === undefined) return false;
    const w = { handle: null, ready: false, serving: 0, ended: null };
    this.#workers.set(slot, w);
    this.#spawnWorker(this.#url).then(
      (handle) => {
        if (this.#closed || this.#workers.get(slot) !== w) return handle.terminate();
        w.handle = handle;
        handle.onMessage((msg) => this.#message(slot, w, msg));
        handle.onError((err) => this.#lost(slot, w, err));
        handle.post({ type: 'thread-init', slot, ...this.#join });
      },
      (err) => this.#lost(slot, w, err),
    );
    return true;
  }

  #message(slot, w, msg) {
    if (msg.type === 'thread-ready') {
      w.ready = true;
      this.#serve(w);
    } else if (msg.type === 'ended') {
      if (w.serving === msg.epoch) w.serving = 0;
      w.ended?.();
      // Ready for the next process as soon as there is one.
      this.#serve(w);
    } else if (msg.type === 'grow') {
      this.topUp();
    } else if (msg.type === 'failed') {
      this.#onFailure(msg.error);
    } else {
      this.#onMessage(msg);
    }
  }

  #lost(slot, w, err) {
    if (this.#closed || this.#workers.get(slot) !== w) return;
    this.#onFailure({ name: 'Error', message: `a thread-pool worker stopped: ${err.message}`, stack: err.stack || '' });
  }

  #serve(w) {
    const p = this.#process;
    if (p && w.ready && !w.serving && w.handle) {
      w.serving = p.epoch;
      w.handle.post({ type: 'process', epoch: p.epoch, memory: p.memory, handle: p.handle });
    }
  }

  /**
   * A process started: its pool workers instantiate python.wasm over `memory`. The interpreter's
   * worker has already set the table's epoch (poolServe), before the process could spawn.
   */
  processStarted(epoch, memory, handle) {
    this.#process = { epoch, memory, handle };
    for (const w of this.#workers.values()) this.#serve(w);
    this.topUp();
  }

  /**
   * The process's main thread exited: ends its remaining (daemon) threads and waits until every
   * worker has let go of it, so all their output has arrived. Resolves with the process's handle
   * and the number of references to release on it (see Process.share in the runtime), or null
   * when no process was running.
   */
  async processEnded() {
    const p = this.#process;
    if (!p) return null;
    this.#process = null;
    this.#table.setEpoch(0);
    let references = 1;
    const waits = [];
    for (const [slot, w] of this.#workers) {
      if (w.serving !== p.epoch) continue;
      const what = this.#table.reclaim(slot);
      if (what === 'terminate') {
        // Running guest code, never inside the runtime: safe to end (threads crate).
        w.handle.terminate();
        this.#workers.delete(slot);
        this.#table.release(slot);
        references += 1;
        continue;
      }
      waits.push(new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), this.#options.stopTimeoutMs);
        w.ended = () => {
          clearTimeout(timer);
          w.ended = null;
          resolve(true);
        };
        if (w.serving !== p.epoch) w.ended();
      }));
    }
    const stopped = await Promise.all(waits);
    if (stopped.includes(false)) {
      // A thread stayed inside the runtime: it may hold a runtime lock, so this interpreter
      // cannot be trusted any more.
      this.#onFailure({
        name: 'Error',
        message: `a thread did not stop within ${this.#options.stopTimeoutMs} ms after its process ended; the interpreter was stopped`,
        stack: '',
      });
    }
    this.topUp();
    return { handle: p.handle, references };
  }

  /** Ends every pool worker (the interpreter failed or was closed). */
  terminate() {
    this.#closed = true;
    for (const w of this.#workers.values()) w.handle?.terminate();
    this.#workers.clear();
  }
}
