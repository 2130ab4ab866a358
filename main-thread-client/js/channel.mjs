// The main thread's side of the sync-io channel: answers the worker's synchronous requests
// (stdin, page-owned files) from async handlers, and delivers interrupts. The channel itself
// (layout, chunking, cancellation) is Rust, compiled without atomics: main/main_thread_client.js.
// Nothing here ever waits: the worker posts {type:'bell', seq} whenever the channel changed
// (seq 0) and once each request is complete (its seq), and weft.mjs calls onBell(seq) in order
// with the output messages. A request reaches its handler only after its own bell, so after
// everything Python printed before asking (the prompt of input()).
import initMain, { MainChannel, fsErrorReply } from './main/main_thread_client.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** Whether this thread can create the channel's SharedArrayBuffer (Node, or an isolated page). */
export function sharedMemoryAvailable() {
  return typeof SharedArrayBuffer === 'function' && (isNode || globalThis.crossOriginIsolated === true);
}

/** Why the features that need the channel are off, and how to turn them on. */
export const NO_SHARED_MEMORY =
  'SharedArrayBuffer is unavailable because this page is not cross-origin isolated, so Weft ' +
  'cannot answer Python synchronously (input(), sys.stdin, page-owned files, interrupts). ' +
  'To enable it, serve the page with the headers "Cross-Origin-Opener-Policy: same-origin" and ' +
  '"Cross-Origin-Embedder-Policy: require-corp" (`cargo xtask serve` does), or, on hosts that ' +
  'cannot set headers, load coi-register.js (shipped beside weft.mjs) first in the page.';

/**
 * `import(name)` for Node's built-in modules, on paths that only run in Node. The specifier is
 * hidden from bundlers, which would otherwise replace each module with an empty stub (and warn)
 * when they build a browser app.
 */
export const nodeImport = (name) => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

let loading;
/**
 * Loads this client's wasm half (MainChannel, PoolMain) once: from the directory `base`
 * (StartOptions.assetsUrl), else from beside this file, written as the literal that bundlers
 * recognise and copy into the app's build.
 */
export function loadMainWasm(base) {
  loading ??= (async () => {
    const url = base ? new URL('main/main_thread_client_bg.wasm', base) : new URL('./main/main_thread_client_bg.wasm', import.meta.url);
    let source = url;
    if (url.protocol === 'file:') {
      const { readFile } = await nodeImport('node:fs/promises');
      source = await readFile(url);
    }
    await initMain({ module_or_path: source });
  })();
  return loading;
}

const encoder = new TextEncoder();

/** `value` (a typed array, DataView or ArrayBuffer) as a Uint8Array view, or null. */
export function bytesOf(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return null;
}

/** A stdin handler's result as the protocol's reply (Pyodide's contract: a string is a line). */
function stdinReply(value) {
  if (value === null || value === undefined) return { Stdin: 'Eof' };
  if (typeof value === 'string') {
    return { Stdin: { Data: encoder.encode(value.endsWith('\n') ? value : value + '\n') } };
  }
  const bytes = bytesOf(value);
  if (bytes) return bytes.length ? { Stdin: { Data: bytes } } : { Stdin: 'Eof' };
  throw new TypeError(`the stdin handler returned ${Object.prototype.toString.call(value)}; expected a string, bytes, or null for end of input`);
}

/** Accepts a function, Pyodide's `{stdin}` object, or nothing (end of input). */
export function stdinHandler(handler) {
  if (handler === undefined || handler === null) return () => null;
  if (typeof handler === 'function') return handler;
  if (typeof handler.stdin === 'function') return () => handler.stdin();
  throw new TypeError('setStdin(handler): handler must be a function, an object with a stdin() method, or undefined');
}

const KIND = { file: 'File', directory: 'Directory' };

function statOf(s) {
  const kind = KIND[s?.kind];
  if (!kind) throw new TypeError(`stat() must return {kind: "file" | "directory", size, mtimeMs}; got ${JSON.stringify(s)}`);
  return { kind, size: Math.max(0, Math.floor(s.size ?? 0)), modified_ms: Math.max(0, Math.floor(s.mtimeMs ?? 0)) };
}

/** Calls the page handler's method for one file operation; resolves with the Ok reply body. */
async function fsCall(handler, op) {
  const [name, args] = Object.entries(op)[0];
  const call = async (method, ...a) => {
    if (typeof handler[method] !== 'function') {
      throw Object.assign(new Error(`this mount's handler has no ${method}()`), { code: 'ENOTSUP' });
    }
    return handler[method](...a);
  };
  switch (name) {
    case 'ReadFile': {
      const data = await call('readFile', args.path);
      const bytes = typeof data === 'string' ? encoder.encode(data) : bytesOf(data);
      if (!bytes) throw new TypeError('readFile() must return a string or bytes');
      return { Data: bytes };
    }
    case 'WriteFile': {
      const mode = { Truncate: 'truncate', Append: 'append', CreateNew: 'create-new' }[args.mode];
      await call('writeFile', args.path, args.data, { mode });
      return 'Done';
    }
    case 'Stat':
      return { Stat: statOf(await call('stat', args.path)) };
    case 'ListDir': {
      const entries = [];
      for (const e of await call('readdir', args.path)) {
        if (typeof e === 'string') {
          const s = statOf(await call('stat', args.path ? `${args.path}/${e}` : e));
          entries.push({ name: e, kind: s.kind });
        } else {
          entries.push({ name: e.name, kind: statOf({ kind: e.kind }).kind });
        }
      }
      return { Entries: entries };
    }
    case 'Unlink':
      await call('unlink', args.path);
      return 'Done';
    case 'Mkdir':
      await call('mkdir', args.path);
      return 'Done';
    case 'Rmdir':
      await call('rmdir', args.path);
      return 'Done';
    case 'Rename':
      await call('rename', args.from, args.to);
      return 'Done';
    default:
      throw Object.assign(new Error(`unknown file operation ${name}`), { code: 'ENOTSUP' });
  }
}

/** One interpreter's channel, main side. */
export class ChannelHost {
  #channel;
  #stdin = () => null;
  #mounts;
  #onError;
  #beforeStdin;
  #bound = false; // the interrupt word is the running process's
  #running = false; // a process is running (started or about to)
  #interruptPending = false; // interrupt() came before the process's memory was known
  #memory = null; // Int32Array over the running process's memory
  #mainWaitAddr = 0; // address of its weft_main_wait
  #announced = new Set(); // requests whose bell has arrived but that poll() has not given yet
  #held = new Map(); // seq -> request given by poll() before its bell
  /** `page(callJson)` answers Request::Page (Python's weft.main): the client's PageBridge. */
  page = null;

  /** `beforeStdin()` is called when Python asks for stdin, before the stdin handler. */
  constructor(channel, { stdin, pageMounts = {}, onError = (e) => console.error(e), beforeStdin = () => {} }) {
    this.#channel = channel;
    this.#stdin = stdinHandler(stdin);
    this.#mounts = pageMounts;
    this.#onError = onError;
    this.#beforeStdin = beforeStdin;
  }

  static async create(base, options) {
    await loadMainWasm(base);
    return new ChannelHost(new MainChannel(), options);
  }

  get buffer() {
    return this.#channel.buffer;
  }

  setStdin(handler) {
    this.#stdin = stdinHandler(handler);
  }

  /** The worker rang (`seq` 0) or announced request `seq`: take every complete event. */
  onBell(seq = 0) {
    if (seq) {
      const request = this.#held.get(seq);
      this.#held.delete(seq);
      if (request) this.#answer(seq, request);
      else this.#announced.add(seq);
    }
    for (;;) {
      let ev;
      try {
        ev = this.#channel.poll();
      } catch (e) {
        this.#onError(e);
        return;
      }
      if (ev === undefined) return;
      if (ev.kind === 'request') {
        if (this.#announced.delete(ev.seq)) this.#answer(ev.seq, ev.request);
        else this.#held.set(ev.seq, ev.request);
      } else if (ev.kind === 'malformed') {
        this.#onError(new Error(`weft: a request from the worker was rejected: ${ev.message}`));
      } else if (ev.kind === 'cancelled') {
        // The worker gave up (interrupt); a late reply is dropped by the channel.
        this.#held.delete(ev.seq);
        this.#announced.delete(ev.seq);
      }
    }
  }

  async #answer(seq, request) {
    let reply;
    if (request.ReadStdin) {
      try {
        this.#beforeStdin();
        reply = stdinReply(await this.#stdin());
      } catch (e) {
        reply = { Stdin: { Error: { message: String(e?.message ?? e) } } };
      }
    } else if (request.Fs) {
      const { mount, op } = request.Fs;
      const handler = this.#mounts[mount];
      try {
        if (!handler) throw Object.assign(new Error(`no handler for mount ${mount}`), { code: 'ENOENT' });
        reply = { Fs: { Ok: await fsCall(handler, op) } };
      } catch (e) {
        reply = fsErrorReply(typeof e?.code === 'string' ? e.code : 'EIO', String(e?.message ?? e));
      }
    } else if (request.Page) {
      try {
        if (!this.page) throw new Error('this page has no handler for weft.main calls');
        reply = { Page: { Ok: await this.page(request.Page.call) } };
      } catch (e) {
        reply = { Page: { Err: `${e?.name ?? 'Error'}: ${e?.message ?? e}` } };
      }
    } else {
      reply = { Rejected: { message: `unknown request ${Object.keys(request)[0]}` } };
    }
    try {
      this.#channel.reply(seq, reply);
    } catch (e) {
      // Too large or malformed: answer with an error so that Python does not wait forever.
      const message = String(e?.message ?? e);
      this.#channel.reply(seq, request.Fs ? fsErrorReply('EFBIG', message)
        : request.Page ? { Page: { Err: message } } : { Stdin: { Error: { message } } });
    }
  }

  /** A process is about to start: interrupts from now on are for it. */
  processStarting() {
    this.#running = true;
    this.#interruptPending = false;
  }

  /**
   * The process's memory is known: its `weft_interrupt_word` becomes the interrupt word, and
   * `weft_main_wait` (0 if python.wasm has none) says which futex its main thread is blocked
   * on in a lock wait (Thread.join(), Lock.acquire(), queue.get(), ...).
   */
  processStarted(memoryBuffer, interruptAddr, mainWaitAddr = 0) {
    this.#channel.bindInterrupt(memoryBuffer, interruptAddr);
    this.#memory = new Int32Array(memoryBuffer);
    this.#mainWaitAddr = mainWaitAddr;
    this.#bound = true;
    if (this.#interruptPending) this.interrupt();
    this.#interruptPending = false;
  }

  processEnded() {
    this.#running = false;
    this.#interruptPending = false;
    if (this.#bound) this.#channel.unbindInterrupt();
    this.#bound = false;
    this.#memory = null;
  }

  /** KeyboardInterrupt in the running process's main thread; nothing when none runs. */
  interrupt() {
    if (!this.#bound) {
      if (this.#running) this.#interruptPending = true;
      return;
    }
    this.#channel.interrupt();
    // After the store: the guest publishes the address, then checks the word, so either it
    // sees the word or this sees the address (guest/support/weft_interrupt.c).
    if (this.#mainWaitAddr) {
      const futex = Atomics.load(this.#memory, this.#mainWaitAddr >> 2);
      if (futex) Atomics.notify(this.#memory, futex >> 2);
    }
  }
}

/**
 * A page-owned directory kept in memory: a ready-made handler for `pageMounts` (editor tabs,
 * uploads, results to download). Paths are relative to the mount point, "" is its root.
 */
export class PageDirectory {
  #files = new Map(); // path -> {data: Uint8Array, mtimeMs}
  #dirs = new Set(['']);

  /** `files`: initial content, `{ "main.py": "print(1)", "data/raw.bin": Uint8Array }`. */
  constructor(files = {}) {
    for (const [path, data] of Object.entries(files)) {
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) this.#dirs.add(parts.slice(0, i).join('/'));
      this.#files.set(path, { data: typeof data === 'string' ? encoder.encode(data) : bytesOf(data), mtimeMs: Date.now() });
    }
  }

  static #error(code, message) {
    return Object.assign(new Error(message), { code });
  }

  #parentMustExist(path) {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!this.#dirs.has(parent)) throw PageDirectory.#error(this.#files.has(parent) ? 'ENOTDIR' : 'ENOENT', `${parent}: no such directory`);
  }

  /** The content of a file, or undefined. */
  get(path) {
    return this.#files.get(path)?.data;
  }

  /** Every file as [path, bytes], for offering downloads. */
  files() {
    return [...this.#files].map(([path, f]) => [path, f.data]);
  }

  readFile(path) {
    if (this.#dirs.has(path)) throw PageDirectory.#error('EISDIR', `${path}: is a directory`);
    const f = this.#files.get(path);
    if (!f) throw PageDirectory.#error('ENOENT', `${path}: no such file`);
    return f.data;
  }

  writeFile(path, data, { mode = 'truncate' } = {}) {
    if (this.#dirs.has(path)) throw PageDirectory.#error('EISDIR', `${path}: is a directory`);
    this.#parentMustExist(path);
    const old = this.#files.get(path);
    if (mode === 'create-new' && old) throw PageDirectory.#error('EEXIST', `${path}: exists`);
    let bytes = typeof data === 'string' ? encoder.encode(data) : bytesOf(data);
    if (mode === 'append' && old) {
      const joined = new Uint8Array(old.data.length + bytes.length);
      joined.set(old.data);
      joined.set(bytes, old.data.length);
      bytes = joined;
    }
    this.#files.set(path, { data: bytes.slice(), mtimeMs: Date.now() });
  }

  stat(path) {
    if (this.#dirs.has(path)) return { kind: 'directory', size: 0, mtimeMs: 0 };
    const f = this.#files.get(path);
    if (!f) throw PageDirectory.#error('ENOENT', `${path}: no such file or directory`);
    return { kind: 'file', size: f.data.length, mtimeMs: f.mtimeMs };
  }

  readdir(path) {
    if (!this.#dirs.has(path)) throw PageDirectory.#error(this.#files.has(path) ? 'ENOTDIR' : 'ENOENT', `${path}: no such directory`);
    const prefix = path ? path + '/' : '';
    const direct = (p) => p.startsWith(prefix) && p !== '' && !p.slice(prefix.length).includes('/');
    return [
      ...[...this.#dirs].filter(direct).map((p) => ({ name: p.slice(prefix.length), kind: 'directory' })),
      ...[...this.#files.keys()].filter(direct).map((p) => ({ name: p.slice(prefix.length), kind: 'file' })),
    ];
  }

  unlink(path) {
    if (this.#dirs.has(path)) throw PageDirectory.#error('EISDIR', `${path}: is a directory`);
    if (!this.#files.delete(path)) throw PageDirectory.#error('ENOENT', `${path}: no such file`);
  }

  mkdir(path) {
    if (this.#dirs.has(path) || this.#files.has(path)) throw PageDirectory.#error('EEXIST', `${path}: exists`);
    this.#parentMustExist(path);
    this.#dirs.add(path);
  }

  rmdir(path) {
    if (!this.#dirs.has(path)) throw PageDirectory.#error(this.#files.has(path) ? 'ENOTDIR' : 'ENOENT', `${path}: no such directory`);
    if (this.readdir(path).length) throw PageDirectory.#error('ENOTEMPTY', `${path}: directory not empty`);
    this.#dirs.delete(path);
  }

  rename(from, to) {
    const f = this.#files.get(from);
    if (!f) throw PageDirectory.#error(this.#dirs.has(from) ? 'ENOTSUP' : 'ENOENT', `${from}: cannot rename`);
    if (this.#dirs.has(to)) throw PageDirectory.#error('EISDIR', `${to}: is a directory`);
    this.#parentMustExist(to);
    this.#files.delete(from);
    this.#files.set(to, f);
  }
}
