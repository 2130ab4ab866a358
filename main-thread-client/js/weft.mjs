// Weft's main-thread client: starts an interpreter in a dedicated worker and talks to it by
// messages, so the calling thread (a page's main thread, or Node's) never blocks.
// The same module runs in browsers and in Node (>= 20), with Pyodide's vocabulary (runPython,
// globals, pyimport, fs, setStdin...) over async PyProxies (pyproxy.mjs). Synchronous answers
// to Python (stdin, page-owned files) and interrupts go through the sync-io channel in
// channel.mjs when the platform has SharedArrayBuffer.
import { ChannelHost, NO_SHARED_MEMORY, PageDirectory, bytesOf, nodeImport, sharedMemoryAvailable } from './channel.mjs';
import { THREAD_DEFAULTS, ThreadPool, threadOptions } from './threads.mjs';
import { ProxyTable, PythonError, REF, WeftExit, isPyProxy, transfer } from './pyproxy.mjs';
import { PageBridge } from './page-bridge.mjs';
import { WeftFS } from './fs.mjs';
import { outputSink } from './stdio.mjs';

export { PageDirectory, NO_SHARED_MEMORY, THREAD_DEFAULTS, PythonError, WeftExit, isPyProxy, transfer };

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** An interpreter that cannot go on (trap, crash, failed start). */
export class WeftError extends Error {
  constructor(message, { cause, remoteStack } = {}) {
    super(message, { cause });
    this.name = 'WeftError';
    if (remoteStack) this.remoteStack = remoteStack;
  }
}

/** An Error from a worker's reply; fs errors carry Node's fields (code, syscall, path, dest). */
function replyError({ message, stack, code, syscall, path, dest }) {
  const e = new Error(message);
  if (stack) e.remoteStack = stack;
  for (const [key, value] of Object.entries({ code, syscall, path, dest })) if (value !== undefined) e[key] = value;
  return e;
}

/**
 * Starts a worker running worker.mjs: from `url` (StartOptions.assetsUrl), else the one beside
 * this file.
 */
async function spawnWorker(url) {
  if (isNode) {
    const { Worker } = await nodeImport('node:worker_threads');
    // Not the bundlers' literal (below): a bundle for browsers has no use for a copy of it.
    const w = new Worker(url ?? new URL(/* @vite-ignore */ /* webpackIgnore: true */ './worker.mjs', import.meta.url));
    return {
      post: (m, transfer) => w.postMessage(m, transfer),
      onMessage: (f) => w.on('message', f),
      onError: (f) => {
        w.on('error', f);
        w.on('exit', (code) => f(new Error(`worker exited with code ${code}`)));
      },
      terminate: () => w.terminate(),
    };
  }
  // The literal `new Worker(new URL('./worker.mjs', import.meta.url), ...)` is the form bundlers
  // (Vite, webpack 5) recognise: they bundle the worker (with the assets it names) and rewrite
  // the URL.
  const w = url ? new Worker(url, { type: 'module' }) : new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(new Error(e.message || 'worker failed to load'))),
    terminate: () => w.terminate(),
  };
}

const ARCHIVE_FORMATS = ['zip', 'whl', 'wheel'];

/** The default of `runtimeThreads`: the machine's cores, at most 4. */
async function defaultRuntimeThreads() {
  const cores = isNode ? (await nodeImport('node:os')).availableParallelism() : globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.min(4, cores);
}

/** `buffer` as a Uint8Array copy for posting (the caller keeps its buffer), or a TypeError. */
function archiveBytes(buffer) {
  const view = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer ? new Uint8Array(buffer) : bytesOf(buffer);
  if (!view) throw new TypeError(`unpackArchive(buffer): buffer must be an ArrayBuffer or a typed array, not ${buffer === null ? 'null' : typeof buffer}`);
  // A copy (Node's Buffer.slice would be a view, and the copy's buffer is transferred).
  return new Uint8Array(view);
}

export class Weft {
  #worker;
  #options;
  #pending = new Map(); // run id -> {resolve, reject}
  #nextId = 1;
  #queue = Promise.resolve();
  #failure = null; // WeftError once the interpreter cannot go on
  #closed = false;
  #channel = null; // ChannelHost, when SharedArrayBuffer is available
  #pool = null; // ThreadPool, when SharedArrayBuffer is available and threads are on
  #memoryBytes = 0; // the last process's memory size when it ended
  #runtimeWorkers = 0; // workers of the runtime's parallel pool, once started
  #session = null; // Promise: the session (runPython's interpreter), once asked for
  #sessionExit = null; // its exit code once Python ended it
  #proxies = new ProxyTable((op, fields, transfer) => this.#sessionRequest(op, fields, transfer));
  #globals = null; // Promise<PyProxy> of __main__'s namespace
  #page = new PageBridge({ onCallback: (id, args) => this.#worker?.post({ type: 'page-callback', id, args }) });

  constructor(options) {
    this.#options = options;
  }

  /**
   * Starts an interpreter in a new worker and resolves once python.wasm and the stdlib are
   * loaded. See weft.d.ts for the options.
   */
  static async start(options = {}) {
    const weft = new Weft(options);
    await weft.#start();
    return weft;
  }

  async #start() {
    const o = this.#options;
    const onProgress = o.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TypeError('onProgress must be a function');
    }
    // Without assetsUrl (null) each asset is found beside the module that loads it.
    let base = null;
    if (o.assetsUrl != null) {
      const assets = new URL(o.assetsUrl, isNode ? undefined : globalThis.location?.href);
      base = assets.href.endsWith('/') ? assets : new URL(assets.href + '/');
    }
    this.#stdout = outputSink(1, o.stdout, 'stdout');
    this.#stderr = outputSink(2, o.stderr, 'stderr');
    const pageMounts = o.pageMounts ?? {};
    if (sharedMemoryAvailable()) {
      this.#channel = await ChannelHost.create(base, {
        stdin: o.stdin,
        pageMounts,
        onError: (e) => this.#stderr.write(new TextEncoder().encode(`${e.message}\n`)),
        // A prompt (input("name? ")) is a partial line: show it before Python waits.
        beforeStdin: () => this.#flushOutput(),
      });
      this.#channel.page = (call) => this.#page.handle(call);
    } else if (Object.keys(pageMounts).length) {
      throw new WeftError(`page-owned mounts are unavailable: ${NO_SHARED_MEMORY}`);
    }
    const threads = threadOptions(o.threads);
    const runtimeThreads = o.runtimeThreads ?? (await defaultRuntimeThreads());
    if (!Number.isInteger(runtimeThreads) || runtimeThreads < 0) {
      throw new TypeError(`runtimeThreads must be a whole number >= 0, not ${o.runtimeThreads}`);
    }
    const packages = o.packages ?? [];
    if (!Array.isArray(packages) || !packages.every((p) => typeof p === 'string')) {
      throw new TypeError('packages must be an array of package names, e.g. ["numpy"]');
    }
    const relaxedSimd = o.relaxedSimd ?? true;
    if (typeof relaxedSimd !== 'boolean') throw new TypeError(`relaxedSimd must be true or false, not ${o.relaxedSimd}`);
    let lastProgress = { loaded: 0, total: undefined };
    const report = (event) => {
      lastProgress = event;
      try {
        onProgress(event);
      } catch (e) {
        console.error('weft: the onProgress callback threw:', e);
      }
    };
    const workerUrl = base && new URL('worker.mjs', base);
    if (this.#channel && threads) {
      this.#pool = await ThreadPool.create(base, threads, {
        spawnWorker,
        workerUrl,
        onMessage: (msg) => this.#onMessage(msg),
        onFailure: (error) => this.#fail(new WeftError(error.message, { remoteStack: error.stack })),
      });
    }
    this.#worker = await spawnWorker(workerUrl);
    const ready = new Promise((resolve, reject) => {
      this.#worker.onMessage((msg) => {
        if (msg.type === 'ready') {
          this.#pool?.start({ runtime: msg.runtime, python: msg.python, kernel: msg.kernel, channel: this.#channel.buffer, hostMounts: o.hostMounts ?? {} });
          resolve();
        }
        else if (msg.type === 'progress') report({ phase: msg.phase, loaded: msg.loaded, total: msg.total, ...(msg.asset ? { asset: msg.asset } : {}) });
        else if (msg.type === 'failed' && msg.id === undefined) reject(new WeftError(msg.error.message, { remoteStack: msg.error.stack }));
        else this.#onMessage(msg);
      });
      this.#worker.onError((err) => {
        const e = new WeftError(`the Weft worker stopped: ${err.message}`, { cause: err });
        reject(e);
        this.#fail(e);
      });
    });
    this.#worker.post({
      type: 'init',
      assetsUrl: base?.href,
      hostMounts: o.hostMounts ?? {},
      channel: this.#channel?.buffer,
      pageMounts: Object.keys(pageMounts),
      pool: this.#pool?.init,
      runtimeThreads,
      progress: !!onProgress,
      packages,
      relaxedSimd,
    });
    try {
      await ready;
    } catch (e) {
      this.#closed = true;
      this.#pool?.terminate();
      this.#worker.terminate();
      throw e;
    }
    if (onProgress) report({ phase: 'ready', loaded: lastProgress.loaded, total: lastProgress.total });
  }

  #onMessage(msg) {
    if (msg.type === 'output') {
      (msg.fd === 2 ? this.#stderr : this.#stdout).write(msg.data);
    } else if (msg.type === 'bell') {
      this.#channel?.onBell(msg.seq);
    } else if (msg.type === 'started') {
      this.#channel?.processStarted(msg.memory, msg.interruptAddr, msg.mainWaitAddr);
      this.#pool?.processStarted(msg.id, msg.wasmMemory, msg.handle);
    } else if (msg.type === 'exit') {
      this.#channel?.processEnded();
      this.#memoryBytes = msg.memoryBytes;
      this.#processExited(msg.id, msg.code);
    } else if (msg.type === 'grow') {
      this.#pool?.topUp();
    } else if (msg.type === 'runtime-workers') {
      this.#runtimeWorkers = msg.count;
    } else if (msg.type === 'reply') {
      const pending = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) pending?.reject(remoteError(msg.error));
      else pending?.resolve(msg.value);
    } else if (msg.type === 'session-ended') {
      this.#sessionExit = msg.code;
      this.#session = null;
      this.#globals = null;
    } else if (msg.type === 'failed') {
      this.#fail(new WeftError(msg.error.message, { remoteStack: msg.error.stack }));
    }
  }

  /** Resolves run `id` once the process's threads have let go of it (all output is in). */
  async #processExited(id, code) {
    if (this.#pool) {
      const ended = await this.#pool.processEnded();
      if (this.#closed) return;
      if (ended) this.#worker.post({ type: 'release', handle: ended.handle, count: ended.references });
    }
    this.#flushOutput();
    this.#pending.get(id)?.resolve(code);
    this.#pending.delete(id);
  }

  #fail(err) {
    if (this.#closed) return;
    this.#failure ??= err;
    this.#flushOutput();
    for (const { reject } of this.#pending.values()) reject(this.#failure);
    this.#pending.clear();
    // The worker's state is suspect after a trap: end it; a new Weft.start() gives a fresh one.
    this.#closed = true;
    this.#pool?.terminate();
    this.#worker.terminate();
  }

  /**
   * Runs `python <args>` as a fresh process (files written to the in-memory file system stay
   * for later runs). Resolves with the exit code; rejects with a WeftError if the interpreter
   * crashed. Runs are queued, one at a time.
   */
  run(args, { env = {}, tty } = {}) {
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
      return Promise.reject(new TypeError('run(args): args must be an array of strings'));
    }
    if (this.#session) {
      return Promise.reject(new WeftError('run() starts a fresh Python process, but this interpreter hosts a runPython session: use another interpreter (loadWeft) for runs'));
    }
    return this.#enqueue((id) => this.#startProcess('run', id, args, { env, tty }));
  }

  /** Posts the start of a process (a run, or the session) with the options' env and tty. */
  #startProcess(type, id, args, { env = {}, tty } = {}) {
    const merged = { ...defaultEnv(), ...(this.#options.env ?? {}), ...env };
    // Read by the guest's start-up hook, which turns a failing stdin read into this message.
    if (!this.#channel) merged.WEFT_NO_SYNC_IO = NO_SHARED_MEMORY;
    const envList = Object.entries(merged).map(([k, v]) => `${k}=${v}`);
    const ttyFlags = (tty ?? this.#ttyDefault()).map((t) => (t ? 1 : 0));
    this.#channel?.processStarting();
    this.#worker.post({ type, id, args: ['/usr/local/bin/python3', ...args], env: envList, tty: ttyFlags });
  }

  // ---- the session: runPython and Python objects ----

  /** The session, started on first use (queued behind runs and unpacks). */
  #ensureSession() {
    if (this.#sessionExit !== null) {
      return Promise.reject(new WeftExit(this.#sessionExit, `Python exited with code ${this.#sessionExit}: its objects are gone; start a new interpreter with loadWeft()`));
    }
    this.#session ??= this.#enqueue((id) => this.#startProcess('session', id, []));
    return this.#session;
  }

  /** A session request (py-session.mjs), answered out of queue order once the session runs. */
  async #sessionRequest(op, fields, transfer = []) {
    this.#refuseDeadlock();
    await this.#ensureSession();
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new WeftError('this interpreter is closed; start a new one with loadWeft()');
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.post({ ...fields, type: 'py', id, op }, transfer);
    });
  }

  /** While Python waits for a page function's promise (weft.main), the interpreter cannot take
   *  requests: one made meanwhile, by that function say, would wait forever. */
  #refuseDeadlock() {
    if (this.#page.busy > 0) {
      throw new WeftError('deadlock: Python is waiting synchronously (weft.main) for a page function to finish, so this interpreter cannot take requests until it does; do not wait for the interpreter inside a function that Python calls');
    }
  }

  /**
   * Runs Python source in the interpreter's session (started on first use: one long-lived
   * interpreter, unlike run()) and resolves with the value of its last expression statement,
   * as Pyodide's runPython: None/bool/int/float/str/bytes by value, other objects as PyProxies.
   * Rejects with a PythonError (type, message with the traceback) if the code raises, or a
   * WeftExit if it calls exit(). `globals`: a PyProxy of a dict to run in (default: __main__'s
   * namespace); `filename` names the code in tracebacks (default "<exec>").
   */
  runPython(code, { globals, filename = '<exec>' } = {}) {
    return this.#runCode('run', code, globals, filename);
  }

  /**
   * As runPython, with top-level `await` allowed: the code runs as a task on the worker's
   * event loop (weft.WebLoop), where it can await asyncio and JS promises; resolves when it
   * completes.
   */
  runPythonAsync(code, { globals, filename = '<exec>' } = {}) {
    return this.#runCode('runAsync', code, globals, filename);
  }

  #runCode(op, code, globals, filename) {
    if (typeof code !== 'string') return Promise.reject(new TypeError(`${op === 'run' ? 'runPython' : 'runPythonAsync'}(code): code must be a string, not ${code === null ? 'null' : typeof code}`));
    if (globals !== undefined && !isPyProxy(globals)) return Promise.reject(new TypeError('globals must be a PyProxy of a dict (e.g. from runPython("{}"))'));
    return this.#proxies.send(op, (enc) => ({ code, filename: String(filename), globals: globals && enc(globals)[REF] }));
  }

  /**
   * `__main__`'s namespace (the session's globals) as a PyProxy-like object whose methods
   * (get, set, has, delete, toJs, ...) return Promises, as Pyodide's `pyodide.globals`.
   */
  get globals() {
    const namespace = () => {
      this.#globals ??= this.#proxies.send('globals', { name: '__main__' }).then((p) => this.#proxies.pin(p));
      return this.#globals;
    };
    return new Proxy({}, {
      get: (_, prop) => (typeof prop === 'symbol' || prop === 'then' ? undefined
        : (...args) => namespace().then((ns) => ns[prop](...args))),
    });
  }

  /** Imports a Python module in the session and resolves with it as a PyProxy (Pyodide's
   *  pyimport). */
  pyimport(name) {
    if (typeof name !== 'string' || !name) return Promise.reject(new TypeError('pyimport(name): name must be a module name'));
    return this.#proxies.send('import', { name });
  }

  /** Converts a JS value in depth (arrays to lists, objects and Maps to dicts, Sets to sets)
   *  and resolves with the Python object as a PyProxy (Pyodide's toPy). */
  toPy(value) {
    return this.#proxies.send('toPy', (enc) => ({ value: enc(value) }));
  }

  /** Runs `fn(scope)`; PyProxies received meanwhile are destroyed when it settles, except those
   *  passed to `scope.keep(proxy)`. Resolves with what `fn` resolves with. */
  withScope(fn) {
    return this.#proxies.withScope(fn);
  }

  /**
   * Extracts a zip archive (or wheel) into the in-memory file system, as Pyodide's
   * `unpackArchive`: `format` is 'zip', 'whl' or 'wheel'; `extractDir` (default: the home
   * directory, /home/user) is created if missing. Entries are decompressed in parallel on the
   * runtime's workers (`runtimeThreads`). Queued with runs, so a later run sees the files.
   * Resolves with `{files, directories, symlinks, bytes}`; rejects with an Error naming the
   * entry at fault (a name leaving `extractDir`, a damaged entry) or a TypeError for bad
   * arguments.
   */
  unpackArchive(buffer, format, { extractDir = '/home/user' } = {}) {
    let bytes;
    try {
      const name = String(format).toLowerCase().replace(/^\./, '');
      if (!ARCHIVE_FORMATS.includes(name)) {
        throw new TypeError(`unpackArchive: unsupported format ${JSON.stringify(format)} (supported: ${ARCHIVE_FORMATS.join(', ')})`);
      }
      if (typeof extractDir !== 'string' || !extractDir.startsWith('/')) {
        throw new TypeError(`unpackArchive: extractDir must be an absolute path, not ${JSON.stringify(extractDir)}`);
      }
      bytes = archiveBytes(buffer);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue((id) => this.#worker.post({ type: 'unpack', id, bytes, extractDir }, [bytes.buffer]));
  }

  /**
   * The interpreter's file systems as Python sees them (Pyodide's `FS`, async): readFile,
   * writeFile, mkdir, readdir, stat, lstat, exists, unlink, rmdir, rename. Queued with runs.
   * See fs.mjs and weft.d.ts.
   */
  fs = new WeftFS((op, args, transfer = []) =>
    this.#enqueue((id) => this.#worker.post({ type: 'fs', id, op, args }, transfer)));

  #stdout; // sinks from stdio.mjs: {write(bytes), flush(), isatty}
  #stderr;

  /**
   * Sets where Python's stdout goes, in Pyodide's shapes: `{batched(line)}`, `{raw(byte)}`,
   * `{write(bytes) -> count}`, each with an optional `isatty`; or a function receiving the
   * bytes; nothing restores the default. A partial line of the old handler is flushed to it.
   */
  setStdout(handler) {
    const sink = outputSink(1, handler, 'setStdout');
    this.#stdout.flush();
    this.#stdout = sink;
  }

  /** As setStdout, for stderr. */
  setStderr(handler) {
    const sink = outputSink(2, handler, 'setStderr');
    this.#stderr.flush();
    this.#stderr = sink;
  }

  /** Hands a held partial line to `batched` handlers: at the end of a run, before a stdin wait. */
  #flushOutput() {
    this.#stdout?.flush();
    this.#stderr?.flush();
  }

  /** [stdin, stdout, stderr] are terminals: the `tty` start option, unless a handler says. */
  #ttyDefault() {
    const [stdin = false, stdout = false, stderr = false] = this.#options.tty ?? [];
    return [stdin, this.#stdout.isatty ?? stdout, this.#stderr.isatty ?? stderr];
  }

  /**
   * Queues a request to the worker, one at a time: `send(id)` posts it once the previous ones
   * are done, and the answer for `id` settles the returned promise.
   */
  #enqueue(send) {
    try {
      this.#refuseDeadlock();
    } catch (e) {
      return Promise.reject(e);
    }
    const job = this.#queue.then(() => {
      if (this.#failure) throw this.#failure;
      if (this.#closed) throw new WeftError('this interpreter is closed; start a new one with Weft.start()');
      const id = this.#nextId++;
      return new Promise((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        send(id);
      });
    });
    this.#queue = job.catch(() => {});
    return job;
  }

  /**
   * Figures for monitoring: `threadWorkers` (pool workers alive), `idleThreadWorkers` (ready for
   * a new thread), `memoryBytes` (the last finished process's memory), `runtimeWorkers` (the
   * runtime's parallel workers, started by the first unpackArchive; 0 before or without them).
   */
  stats() {
    return {
      threadWorkers: this.#pool?.size ?? 0,
      idleThreadWorkers: this.#pool?.idle ?? 0,
      memoryBytes: this.#memoryBytes,
      runtimeWorkers: this.#runtimeWorkers,
    };
  }

  /** Whether Python threads work (SharedArrayBuffer available and the `threads` option on). */
  get threads() {
    return this.#pool !== null;
  }

  /** Whether input(), page-owned mounts and interrupt() work (SharedArrayBuffer available). */
  get syncIo() {
    return this.#channel !== null;
  }

  /**
   * Sets where Python's stdin comes from: a function (or Pyodide's `{stdin}` object) called
   * for each line Python needs, returning a string (a line; "\n" is added if missing), bytes,
   * null/undefined (end of input), or a Promise of those. A throw or rejection becomes an
   * OSError in Python. Without a handler stdin is at end of input.
   */
  setStdin(handler) {
    if (!this.#channel) throw new WeftError(`setStdin() is unavailable: ${NO_SHARED_MEMORY}`);
    this.#channel.setStdin(handler);
  }

  /**
   * Raises KeyboardInterrupt in the running process's main thread: in a pure-Python loop,
   * a sleep or a wait for input. Does nothing when no process runs. Code stuck in a long C
   * call does not see it: terminate() ends that.
   */
  interrupt() {
    if (!this.#channel) throw new WeftError(`interrupt() is unavailable: ${NO_SHARED_MEMORY}`);
    if (this.#closed) return;
    this.#channel.interrupt();
  }

  /**
   * Ends the worker at once, whatever it is doing; pending runs reject with a WeftError. Start
   * a fresh interpreter with Weft.start().
   */
  terminate() {
    this.#fail(new WeftError('the interpreter was terminated'));
  }

  /** Ends the worker. Pending runs reject. */
  async close() {
    if (this.#closed) return;
    this.#fail(new WeftError('the interpreter was closed'));
    this.#closed = true;
  }
}

/** An error the worker sent back, as the JS error it stands for. */
function remoteError(e) {
  if (e.type !== undefined) return new PythonError(e);
  if (e.name === 'WeftExit') return new WeftExit(e.code, e.message);
  return replyError(e);
}

/** Starts an interpreter: the same as {@link Weft.start} (the name Pyodide's `loadPyodide` users know). */
export function loadWeft(options = {}) {
  return Weft.start(options);
}

function defaultEnv() {
  const env = { HOME: '/home/user', PWD: '/home/user', PATH: '/usr/local/bin', LANG: 'C.UTF-8' };
  // 3.13's new REPL needs termios, which WASI lacks: ask for the classic one instead of having
  // every interactive start print "warning: can't use pyrepl".
  env.PYTHON_BASIC_REPL = '1';
  // A page shows output as it comes: without a terminal, Python would hold it in 8 KiB blocks.
  if (!isNode) env.PYTHONUNBUFFERED = '1';
  return env;
}
