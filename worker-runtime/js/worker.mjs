// Weft's worker entry, the same file in Node (worker_threads) and browsers (module Worker).
// A worker has one of three roles, set by its first message:
//
// - The interpreter's worker ('init') owns one interpreter: the Rust runtime (file systems,
//   syscalls) and python.wasm, and runs one Python process at a time on request of the client
//   in weft.mjs. Python's main thread runs here.
// - A pool worker ('thread-init') runs Python threads of that interpreter: it instantiates the
//   same runtime over the same memory (so file systems and file descriptors are shared) and, for
//   each process, python.wasm over the process's memory; then it waits on its slot of the
//   thread-pool table (threads crate) for `wasi_thread_start(tid, start_arg)`.
// - A runtime worker ('runtime-worker-init', from the interpreter's worker) joins the runtime's
//   own rayon pool for good (runtime-workers.mjs).
//
// Messages from the client:  {type:'init', assetsUrl?, hostMounts, channel?, pageMounts, pool?,
//                             runtimeThreads, progress, packages, relaxedSimd}
//                            {type:'run', id, args, env, tty}  {type:'release', handle, count}
//                            {type:'unpack', id, bytes, extractDir}
//                            {type:'session', id, args, env, tty}  {type:'py', id, op, ...}
//                            {type:'page-callback', id, args}
//                            {type:'thread-init', slot, runtime, python, kernel, pool, channel,
//                             hostMounts, spawnTimeoutMs}
//                            {type:'process', epoch, memory, handle}
//                            {type:'fs', id, op, args} (weft.fs; see FS_OPS)
// Messages to the client:    {type:'ready', runtime, python, kernel}  {type:'output', fd, data}
//                            {type:'exit', id, code, memoryBytes}  {type:'bell', seq}  {type:'grow'}
//                            {type:'started', id, memory, interruptAddr, mainWaitAddr, handle}
//                            {type:'failed', id?, error:{name, message, stack}}
//                            {type:'thread-ready'}  {type:'ended', epoch}
//                            {type:'reply', id, value} | {type:'reply', id, error}
//                            {type:'runtime-workers', count}
//                            {type:'progress', phase:'fetch'|'compile', loaded, total, asset?}
//                            {type:'session-ended', code}
// `channel` is the sync-io SharedArrayBuffer (absent where the page has none); 'bell' says the
// channel changed (seq 0) or request `seq` is complete, after every output message posted
// before it. `pool` is {buffer, spawnTimeoutMs}: the thread-pool table; 'grow' asks the client
// for more pool workers (a spawn is waiting). 'ended' says a pool worker let go of a process.
// 'progress' is sent only when the client asked for it (init's `progress`), before 'ready'.
// 'session' starts the long-lived interpreter that 'py' requests (py-session.mjs) talk to; it
// stays until Python exits ('session-ended', then 'exit' for its id) or the worker ends.
// `assetsUrl` (StartOptions.assetsUrl) is the directory of all the assets; without it each one
// is found beside this file (BESIDE).
//
// No top-level await: the worker format bundlers use by default (Vite's 'iife') cannot hold it.
import { RUNTIME_WORKER_INIT, nodeImport, withRuntimeWorkers } from './runtime-workers.mjs';

import { Bridge, PythonError } from './bridge.mjs';
import { Session } from './py-session.mjs';

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof self === 'undefined';

let deliver; // the message handler, at the end of this file
let post;
// Each message waits until the runtime's glue has loaded (`loaded`, below).
const received = (msg) => loaded.then(() => deliver(msg), (e) => post({ type: 'failed', error: describe(e) }));
// Browsers drop messages that arrive before a listener exists, so attach synchronously.
if (!isNode) {
  post = (msg, transfer) => self.postMessage(msg, transfer);
  self.addEventListener('message', (e) => received(e.data));
}

// The runtime's JS glue imports wasm-bindgen-rayon's helper, which starts listening on `self`
// as it loads (for the message that makes a worker one of rayon's). Node's workers have no
// `self`, and this worker never gets that message: lend an inert one while the glue loads.
async function importRuntime() {
  if (!isNode) return import('./runtime/worker_runtime.js');
  globalThis.self = { addEventListener() {}, removeEventListener() {} };
  try {
    return await import('./runtime/worker_runtime.js');
  } finally {
    delete globalThis.self;
  }
}
let init, Runtime, Process, PoolSlot, memoryImport, last_panic, attachPool, runtimeShare,
  setOutput, registerHostDir, attachThreadChannel, initThreadPool, poolServe, pageCall, wbg_rayon_start_worker;
const loaded = (async () => {
  if (isNode) {
    // Node's parentPort keeps messages until a listener is attached.
    const { parentPort } = await nodeImport('node:worker_threads');
    post = (msg, transfer) => parentPort.postMessage(msg, transfer);
    parentPort.on('message', received);
  }
  ({
    default: init, Runtime, Process, PoolSlot, memoryImport, last_panic, attachPool, runtimeShare,
    setOutput, registerHostDir, attachThreadChannel, initThreadPool, poolServe, pageCall, wbg_rayon_start_worker,
  } = await importRuntime());
})();

function describe(err) {
  if (err && typeof err === 'object') {
    return { name: err.name || 'Error', message: err.message || String(err), stack: err.stack || '' };
  }
  return { name: 'Error', message: String(err), stack: '' };
}

// What the interpreter's worker loads (the build lists their sizes in asset-sizes.json:
// xtask/src/build.rs, WORKER_ASSETS).
const RUNTIME_WASM = 'runtime/worker_runtime_bg.wasm';
const STDLIB = 'python-stdlib.zip';
// Packages with C extensions, by the name StartOptions.packages uses. WASI has no dlopen, so
// their extension modules are linked into an interpreter of their own, which replaces
// python.wasm; their Python files come as a bundle indexed into the stdlib's tree (its
// site-packages/). A start that asks for none fetches none of this.
const PACKAGES = {
  numpy: { interpreter: 'python-numpy.wasm', bundle: 'python-numpy-lib.zip' },
};
// Where each asset is without init's `assetsUrl`: beside this file. Written as
// `new URL('./name', import.meta.url)` literals, the form bundlers (Vite, webpack 5) recognise:
// they copy the file into the app's build and rewrite the URL to the copy's (hashed) name.
const BESIDE = {
  'runtime/worker_runtime_bg.wasm': new URL('./runtime/worker_runtime_bg.wasm', import.meta.url),
  'python.wasm': new URL('./python.wasm', import.meta.url),
  'python-stdlib.zip': new URL('./python-stdlib.zip', import.meta.url),
  'python-numpy.wasm': new URL('./python-numpy.wasm', import.meta.url),
  'python-numpy-lib.zip': new URL('./python-numpy-lib.zip', import.meta.url),
  'asset-sizes.json': new URL('./asset-sizes.json', import.meta.url),
};

/** The interpreter and package bundles for `packages` (names from PACKAGES). */
function packageAssets(packages) {
  const names = [...new Set(packages)].sort();
  for (const name of names) {
    if (!Object.hasOwn(PACKAGES, name)) {
      throw new Error(`unknown package ${JSON.stringify(name)}: Weft ships ${Object.keys(PACKAGES).join(', ')}`);
    }
  }
  const interpreters = [...new Set(names.map((n) => PACKAGES[n].interpreter))];
  // One interpreter links one set of packages; until several share one, asking for two
  // packages with different interpreters cannot be served.
  if (interpreters.length > 1) throw new Error(`packages ${names.join(' and ')} need different interpreters`);
  return { interpreter: interpreters[0] ?? 'python.wasm', bundles: names.map((n) => PACKAGES[n].bundle) };
}
// Bytes between two 'fetch' progress reports (the last chunk of each asset is always reported).
const PROGRESS_STEP = 256 * 1024;

/**
 * Starts loading every asset in `names` (found at `urlOf(name)`) at once and resolves, once
 * their sizes are known, to a Map from name to a Promise of its bytes (Uint8Array).
 * `report(event)`, if given, hears
 * {phase:'fetch', asset, loaded, total} as bytes arrive, counted over all assets, then
 * {phase:'compile', loaded, total} once all are in. A server that compresses sends the
 * compressed size as Content-Length while the body arrives decoded, so sizes come from
 * asset-sizes.json (the build writes it beside the assets) where it lists them, else from the
 * Content-Length of uncompressed responses; `total` is undefined while one is unknown.
 */
async function loadAssets(urlOf, names, report) {
  const urls = names.map(urlOf);
  const count = progressCounter(report);
  if (urls.every((url) => url.protocol === 'file:')) {
    const { readFile, stat } = await nodeImport('node:fs/promises');
    const failed = (url, e) => new Error(`cannot read ${url.pathname}: ${e.code || e.message}`);
    const sizes = await Promise.all(urls.map((url) => stat(url).then((s) => s.size, () => undefined)));
    count.setTotals(sizes);
    const reads = urls.map(async (url, i) => {
      const bytes = new Uint8Array(await readFile(url).catch((e) => { throw failed(url, e); }));
      count.add(i, names[i], bytes.length, true);
      return bytes;
    });
    return count.finishing(names, reads);
  }
  // The sizes only serve progress reports: a start that asks for none does not fetch them.
  const listed = !report ? Promise.resolve({}) : fetch(urlOf('asset-sizes.json'))
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}));
  const responses = await Promise.all(urls.map(async (url) => {
    let res;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`cannot fetch ${url}: ${e.message}`);
    }
    if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
    return res;
  }));
  const sizes = await listed;
  count.setTotals(responses.map((res, i) => {
    if (Number.isSafeInteger(sizes[names[i]])) return sizes[names[i]];
    const encoded = (res.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
    const length = Number(res.headers.get('Content-Length'));
    return !encoded && length > 0 ? length : undefined;
  }));
  const reads = responses.map(async (res, i) => {
    const chunks = [];
    let size = 0;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
        count.add(i, names[i], value.length, false);
      }
    } catch (e) {
      throw new Error(`cannot fetch ${urls[i]}: ${e.message}`);
    }
    count.add(i, names[i], 0, true);
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  });
  return count.finishing(names, reads);
}

/** The byte counts behind loadAssets' progress reports. */
function progressCounter(report) {
  let totals = [];
  const loaded = [];
  let lastReported = -Infinity;
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  const total = () => (totals.every((t) => t !== undefined) ? sum(totals) : undefined);
  return {
    setTotals(sizes) {
      totals = sizes;
      sizes.forEach((_, i) => { loaded[i] = 0; });
    },
    add(i, asset, n, last) {
      loaded[i] += n;
      // Once an asset is in, its size is exact (a listed size can be stale, a length missing).
      if (last || (totals[i] !== undefined && loaded[i] > totals[i])) totals[i] = loaded[i];
      const now = sum(loaded);
      if (report && (last || now - lastReported >= PROGRESS_STEP)) {
        lastReported = now;
        report({ phase: 'fetch', asset, loaded: now, total: total() });
      }
    },
    /** `reads` by name; 'compile' is reported once all of them are in. */
    finishing(names, reads) {
      Promise.all(reads).then(() => report?.({ phase: 'compile', loaded: sum(loaded), total: sum(loaded) }), () => {});
      return new Map(names.map((name, i) => [name, reads[i]]));
    },
  };
}

// A host directory as the synchronous JS file system that the runtime's HostFs calls
// (contract in worker-runtime/src/web/host_fs.rs). Node only.
async function hostDirFs(root) {
  const fs = await nodeImport('node:fs');
  const path = await nodeImport('node:path');
  const full = (p) => (p ? path.join(root, p) : root);
  const kind = (s) => (s.isDirectory() ? 1 : s.isSymbolicLink() ? 2 : 0);
  const stat = (s) => [kind(s), s.size, s.ino, s.nlink, s.atimeMs, s.mtimeMs, s.ctimeMs];
  const ms = (v, current) => (v === null ? current : v === 'now' ? Date.now() : v) / 1000;
  const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC } = fs.constants;
  return {
    lstat: (p) => stat(fs.lstatSync(full(p))),
    readdir: (p) =>
      fs.readdirSync(full(p)).map((name) => {
        const s = fs.lstatSync(path.join(full(p), name));
        return [name, kind(s), s.ino];
      }),
    mkdir: (p) => fs.mkdirSync(full(p)),
    rmdir: (p) => fs.rmdirSync(full(p)),
    unlink: (p) => fs.unlinkSync(full(p)),
    rename: (a, b) => fs.renameSync(full(a), full(b)),
    symlink: (target, p) => fs.symlinkSync(target, full(p)),
    readlink: (p) => fs.readlinkSync(full(p)),
    link: (a, b) => fs.linkSync(full(a), full(b)),
    utimes: (p, a, m) => {
      const s = fs.statSync(full(p));
      fs.utimesSync(full(p), ms(a, s.atimeMs), ms(m, s.mtimeMs));
    },
    open: (p, read, write, create, exclusive, truncate) => {
      let flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
      if (create) flags |= O_CREAT;
      if (exclusive) flags |= O_EXCL;
      if (truncate) flags |= O_TRUNC;
      return fs.openSync(full(p), flags, 0o666);
    },
    read: (h, len, pos) => {
      const buf = new Uint8Array(len);
      return buf.subarray(0, fs.readSync(h, buf, 0, len, pos));
    },
    write: (h, data, pos) => fs.writeSync(h, data, 0, data.length, pos),
    append: (h, data) => {
      const end = fs.fstatSync(h).size;
      fs.writeSync(h, data, 0, data.length, end);
      return end + data.length;
    },
    fstat: (h) => stat(fs.fstatSync(h)),
    ftruncate: (h, len) => fs.ftruncateSync(h, len),
    futimes: (h, a, m) => {
      const s = fs.fstatSync(h);
      fs.futimesSync(h, ms(a, s.atimeMs), ms(m, s.mtimeMs));
    },
    fsync: (h) => fs.fsyncSync(h),
    close: (h) => fs.closeSync(h),
  };
}

let runtime; // Runtime: file systems that persist across runs
let pythonModule; // compiled python.wasm
let kernelModule; // its BLAS kernel (blasKernel), when it imports one
let memoryLimits; // [initial, maximum] pages
let dead = false; // after a trap the runtime's state is suspect: refuse further runs
let hasChannel = false;
let hasPool = false;
let lastMemoryBytes = 0; // size of the last process's memory when it ended
let runtimeThreads = 0; // workers of the runtime's own rayon pool (0: none)
let parallel = null; // Promise<boolean>: whether that pool is up, once asked for

async function setup({ assetsUrl, hostMounts = {}, channel, pageMounts = [], pool, runtimeThreads: threads = 0, progress = false, packages = [], relaxedSimd = true }) {
  runtimeThreads = threads;
  const urlOf = (name) => (assetsUrl ? new URL(name, assetsUrl) : BESIDE[name]);
  const { interpreter, bundles } = packageAssets(packages);
  const assets = await loadAssets(urlOf, [RUNTIME_WASM, interpreter, STDLIB, ...bundles],
    progress ? (event) => post({ type: 'progress', ...event }) : null);
  // The runtime is instantiated while the others are still arriving.
  const [pythonBytes, stdlib, packageBundles] = await Promise.all([
    init({ module_or_path: await assets.get(RUNTIME_WASM) }).then(() => assets.get(interpreter)),
    assets.get(STDLIB),
    Promise.all(bundles.map((b) => assets.get(b))),
  ]);
  memoryLimits = memoryImport(pythonBytes);
  try {
    pythonModule = await WebAssembly.compile(pythonBytes);
  } catch (e) {
    throw new Error(`${interpreter} failed to compile: ${e.message}`);
  }
  const provided = new Set(Process.syscallNames());
  const imports = WebAssembly.Module.imports(pythonModule);
  if (imports.some((imp) => imp.module === BLAS_IMPORTS)) kernelModule = await blasKernel(pythonModule, interpreter, relaxedSimd);
  const kernelExports = kernelModule ? new Set(WebAssembly.Module.exports(kernelModule).map((e) => e.name)) : new Set();
  for (const imp of imports) {
    const known =
      (imp.module === 'wasi_snapshot_preview1' && provided.has(imp.name)) ||
      (imp.module === 'env' && imp.name === 'memory') ||
      (imp.module === 'wasi' && imp.name === 'thread-spawn') ||
      (imp.module === 'weft_v1' && Object.hasOwn(BRIDGE_IMPORTS, imp.name)) ||
      (imp.module === BLAS_IMPORTS && kernelExports.has(imp.name));
    if (!known) throw new Error(`${interpreter} imports ${imp.module}.${imp.name}, which this runtime does not provide`);
  }
  runtime = new Runtime(stdlib, (fd, data) => post({ type: 'output', fd, data }, [data.buffer]), packageBundles);
  for (const [guestPath, hostPath] of Object.entries(hostMounts)) {
    runtime.mountHostDir(guestPath, await hostDirFs(hostPath));
  }
  if (channel) {
    runtime.attachChannel(channel, (seq) => post({ type: 'bell', seq }));
    hasChannel = true;
    if (!WebAssembly.Module.exports(pythonModule).some((e) => e.name === 'weft_interrupt_word')) {
      throw new Error('python.wasm does not export weft_interrupt_word, so interrupts cannot reach it: rebuild it with `cargo xtask build guest`');
    }
  }
  for (const at of pageMounts) runtime.mountPage(at);
  if (pool) {
    if (!channel) throw new Error('threads need the sync-io channel (SharedArrayBuffer)');
    checkThreadExports(pythonModule);
    attachPool(pool.buffer, () => post({ type: 'grow' }), pool.spawnTimeoutMs);
    hasPool = true;
  }
}

// python-numpy.wasm's BLAS imports its float64 tile from a module of its own (guest/blas/kernel),
// carried in two custom sections: built with relaxed SIMD (fused multiply-add, which keeps the
// tile fast while the other vCPU of a core is busy) and with SIMD128 only, for engines without
// relaxed SIMD, which would reject a module holding it. Node 20 has relaxed SIMD behind a V8
// flag; V8 reads it at validation, so setting it here is enough (process-wide, as V8's flags are).
const BLAS_IMPORTS = 'weft_blas_v1';
async function blasKernel(module, interpreter, relaxedSimd) {
  const section = (variant) => WebAssembly.Module.customSections(module, `${BLAS_IMPORTS}.${variant}`)[0];
  const relaxed = section('relaxed');
  if (relaxedSimd && relaxed) {
    if (isNode && !WebAssembly.validate(relaxed)) {
      (await nodeImport('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
    }
    if (WebAssembly.validate(relaxed)) return WebAssembly.compile(relaxed);
  }
  const plain = section('simd128');
  if (!plain) throw new Error(`${interpreter} imports ${BLAS_IMPORTS} but carries no ${BLAS_IMPORTS}.simd128 section: rebuild it with \`cargo xtask build\``);
  return WebAssembly.compile(plain);
}

function checkThreadExports(module) {
  if (!WebAssembly.Module.exports(module).some((e) => e.name === 'wasi_thread_start')) {
    throw new Error('python.wasm does not export wasi_thread_start: it was not built for wasm32-wasip1-threads');
  }
}

// The names of the bridge's imports (the same for every Bridge).
const BRIDGE_IMPORTS = new Bridge().imports();
// Pool threads have no JS objects (the bridge refuses them before any host call): inert imports.
const NO_BRIDGE = Object.fromEntries(Object.keys(BRIDGE_IMPORTS).map((name) => [name, () => -1]));

// The instance of python.wasm for one thread of `proc` (the main thread or a pool thread);
// `bridge` (main thread only) answers its weft_v1 imports.
function instantiate(proc, memory, bridge) {
  const wasi = {};
  for (const name of Process.syscallNames()) wasi[name] = proc[name].bind(proc);
  const instance = new WebAssembly.Instance(pythonModule, {
    wasi_snapshot_preview1: wasi,
    env: { memory },
    wasi: { 'thread-spawn': (startArg) => proc.threadSpawn(startArg) },
    weft_v1: bridge ? bridge.imports() : NO_BRIDGE,
    // Stateless (guest/numpy.sh checks): one instance per thread, over the thread's memory.
    ...(kernelModule && { [BLAS_IMPORTS]: new WebAssembly.Instance(kernelModule, { env: { memory } }).exports }),
  });
  bridge?.attach(instance, memory);
  return instance;
}

// Why an instance stopped, for the client: exits are not errors here (the caller decides).
function failure(e) {
  const panic = last_panic();
  const err = describe(e);
  if (panic) err.message = `Weft runtime panicked: ${panic}`;
  else if (e instanceof WebAssembly.RuntimeError) err.message = `python.wasm trapped: ${e.message}`;
  return err;
}

// A process of python.wasm in this worker: its memory and main-thread instance, announced to the
// client (and the pool) as `id`. `bridge` answers the guest's JS calls.
function startProcess({ id, args, env, tty }, bridge) {
  const proc = runtime.process(args, env, Uint8Array.from(tty || [0, 0, 0]));
  const [initial, maximum] = memoryLimits;
  const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
  proc.bindMemory(memory);
  let instance;
  try {
    instance = instantiate(proc, memory, bridge);
  } catch (e) {
    proc.free();
    throw e;
  }
  if (hasChannel) {
    // CPython polls this word; the client sets it (interrupt()) in the same memory, and
    // wakes the main thread's lock wait whose address it reads at mainWaitAddr.
    const interruptAddr = instance.exports.weft_interrupt_word.value;
    const mainWaitAddr = instance.exports.weft_main_wait?.value ?? 0;
    proc.bindInterrupt(interruptAddr);
    if (hasPool) poolServe(id);
    // One reference for the pool workers; the client releases it when they are done.
    post({ type: 'started', id, memory: memory.buffer, wasmMemory: memory, interruptAddr, mainWaitAddr, handle: hasPool ? proc.share() : 0 });
  }
  return { id, proc, memory, instance, bridge };
}

/** Frees process `p`'s runtime state (its JS objects no longer reach Python). */
function dropProcess(p) {
  p.bridge?.detach();
  lastMemoryBytes = p.memory.buffer.byteLength;
  p.proc.free();
}

/** Ends process `p`: freed, and the client hears 'exit'. */
function endProcess(p, code) {
  dropProcess(p);
  post({ type: 'exit', id: p.id, code, memoryBytes: lastMemoryBytes });
}

/** The exit code if `e` is Python ending its process, else undefined. */
const exitCode = (e) => (e && e.name === 'WasiExit' ? e.code : undefined);

// Why a process must stop, as an Error for the client (a trap, a runtime panic).
function fatal(e) {
  const err = failure(e);
  return Object.assign(new Error(err.message), { name: err.name, stack: err.stack });
}

/** The bridge of a new process: weft.main reaches the page only through the channel. */
function newBridge() {
  return new Bridge({ onUncaught: (e) => reportUncaught(e), pageCall: hasChannel ? pageCall : null });
}

function runProcess(msg) {
  const bridge = newBridge();
  const p = startProcess(msg, bridge);
  let code = 0;
  try {
    p.instance.exports._initialize();
    p.instance.exports.weft_main();
  } catch (e) {
    code = exitCode(e);
    if (code === undefined) {
      dropProcess(p);
      throw fatal(e);
    }
  }
  endProcess(p, code);
}

// ---- the session ----

let session = null; // {process, session: Session, bridge}

/** A Python exception no caller catches (raised in a callback a JS timer or event ran). */
function reportUncaught(e) {
  if (exitCode(e) !== undefined && session) {
    sessionEnded(exitCode(e));
  } else if (e instanceof PythonError) {
    const text = new TextEncoder().encode(`${e.traceback || `${e.type}: ${e.pyMessage}`}`);
    post({ type: 'output', fd: 2, data: text }, [text.buffer]);
  } else if (e instanceof WebAssembly.RuntimeError || exitCode(e) !== undefined) {
    dead = true;
    post({ type: 'failed', error: failure(e) });
  } else {
    const text = new TextEncoder().encode(`weft: an uncaught error in the worker: ${e?.stack || e}\n`);
    post({ type: 'output', fd: 2, data: text }, [text.buffer]);
  }
}

let lastSessionExit = null; // the exit code of the session that ended last

const sessionExitError = (code) => ({ name: 'WeftExit', message: `Python exited with code ${code}`, stack: '', code });

function sessionEnded(code) {
  const s = session;
  session = null;
  lastSessionExit = code;
  post({ type: 'session-ended', code });
  endProcess(s.process, code);
}

function startSession(msg) {
  if (session) throw new Error('a session is already running in this interpreter');
  const bridge = newBridge();
  const p = startProcess(msg, bridge);
  const s = new Session(bridge, p.instance);
  session = { process: p, session: s, bridge };
  try {
    s.start();
  } catch (e) {
    session = null;
    const code = exitCode(e);
    if (code === undefined && !(e instanceof PythonError)) {
      dropProcess(p);
      throw fatal(e);
    }
    endProcess(p, code ?? 1);
    throw e instanceof PythonError ? e : new Error(`Python exited with code ${code} while starting`);
  }
}

/** One 'py' request: the reply, or the session's end if Python exited meanwhile. */
async function sessionRequest(msg) {
  if (!session) {
    const error = lastSessionExit === null ? describe(new Error('no Python session is running')) : sessionExitError(lastSessionExit);
    post({ type: 'reply', id: msg.id, error });
    return;
  }
  const current = session;
  try {
    const [value, transfer] = await current.session.handle(msg);
    post({ type: 'reply', id: msg.id, value }, transfer);
  } catch (e) {
    const code = exitCode(e);
    if (code !== undefined) {
      // The end first: the client must know it before the caller's continuation runs.
      if (session === current) sessionEnded(code);
      post({ type: 'reply', id: msg.id, error: sessionExitError(code) });
    } else if (e instanceof WebAssembly.RuntimeError || last_panic()) {
      dead = true;
      post({ type: 'failed', error: failure(e) });
    } else {
      post({ type: 'reply', id: msg.id, error: describeError(e) });
    }
  }
}

/** An error for the client, with what a PythonError carries. */
function describeError(e) {
  const d = describe(e);
  if (e instanceof PythonError) Object.assign(d, { type: e.type, pyMessage: e.pyMessage, traceback: e.traceback });
  return d;
}

// The runtime's rayon pool, started on first use: its workers cost memory and start-up time that
// only the parallel jobs (unpackArchive) repay. A pool that cannot start leaves the jobs on this
// worker, with a warning; it never leaves them waiting.
const PARALLEL_START_TIMEOUT_MS = 30_000;

function startParallel() {
  parallel ??= (async () => {
    // The pool's workers share this worker's memory: that takes a shared memory that can be
    // posted, which a page that is not cross-origin isolated does not have.
    const shareable = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated !== false &&
      runtimeShare()[1].buffer instanceof SharedArrayBuffer;
    if (runtimeThreads < 1 || !shareable) return false;
    // This worker's own script: a browser worker's location is its script (webpack rewrites
    // import.meta.url to the source file's path).
    const script = isNode ? import.meta.url : self.location.href;
    const start = withRuntimeWorkers(script, () => initThreadPool(runtimeThreads));
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${PARALLEL_START_TIMEOUT_MS / 1000} s`)), PARALLEL_START_TIMEOUT_MS);
    });
    try {
      await Promise.race([start, timeout]);
      post({ type: 'runtime-workers', count: runtimeThreads });
      return true;
    } catch (e) {
      console.warn(`weft: the runtime's ${runtimeThreads} parallel workers did not start (${e.message}); archives are unpacked on one thread`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  })();
  return parallel;
}

async function unpack({ bytes, extractDir }) {
  return runtime.unpackArchive(bytes, extractDir, await startParallel());
}

// weft.fs: one Runtime method per operation (worker-runtime/src/web/fs.rs), answered with a
// 'reply'; a failure is an Error with Node's fields (code, syscall, path, dest).
const FS_OPS = {
  readFile: ({ path }) => runtime.fsReadFile(path),
  writeFile: ({ path, data }) => runtime.fsWriteFile(path, data),
  mkdir: ({ path, recursive }) => runtime.fsMkdir(path, recursive),
  readdir: ({ path }) => runtime.fsReaddir(path),
  stat: ({ path }) => runtime.fsStat(path, true),
  lstat: ({ path }) => runtime.fsStat(path, false),
  exists: ({ path }) => runtime.fsExists(path),
  unlink: ({ path }) => runtime.fsUnlink(path),
  rmdir: ({ path }) => runtime.fsRmdir(path),
  rename: ({ path, dest }) => runtime.fsRename(path, dest),
};

function fsRequest({ id, op, args }) {
  if (!ready || dead) {
    post({ type: 'reply', id, error: describe(new Error('the interpreter is not running; start a new one')) });
    return;
  }
  try {
    if (!Object.hasOwn(FS_OPS, op)) throw new Error(`unknown fs operation ${JSON.stringify(op)}`);
    const value = FS_OPS[op](args);
    // readFile's bytes are a fresh copy out of the runtime's memory: hand them over.
    post({ type: 'reply', id, value }, value instanceof Uint8Array ? [value.buffer] : []);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // The runtime trapped (a panic, out of memory): its state is suspect, as after a run's trap.
      dead = true;
      post({ type: 'failed', error: failure(e) });
      return;
    }
    const { message, code, syscall, path, dest } = e;
    post({ type: 'reply', id, error: code ? { message, code, syscall, path, dest } : describe(e) });
  }
}

// ---- pool worker ----

let slotIndex;
let slot; // PoolSlot
let slotState; // Int32Array over the pool table, for Atomics.waitAsync on this slot's state

async function setupThread({ slot: index, runtime: [runtimeModule, runtimeMemory], python, kernel, pool, channel, hostMounts = {}, spawnTimeoutMs }) {
  await init({ module_or_path: runtimeModule, memory: runtimeMemory });
  pythonModule = python;
  kernelModule = kernel;
  checkThreadExports(pythonModule);
  setOutput((fd, data) => post({ type: 'output', fd, data }, [data.buffer]));
  // Same order as the interpreter's worker: the runtime names them by registration order.
  for (const hostPath of Object.values(hostMounts)) registerHostDir(await hostDirFs(hostPath));
  attachPool(pool, () => post({ type: 'grow' }), spawnTimeoutMs);
  slotIndex = index;
  slot = new PoolSlot(index);
  slotState = new Int32Array(pool);
  attachThreadChannel(channel, (seq) => post({ type: 'bell', seq }), pool, slot.stopOffset);
}

// Serves threads of process `epoch` until its slot is reclaimed, then reports 'ended' (after
// all the output of its threads, so the client can finish the process in order).
async function serveProcess({ epoch, memory, handle }) {
  const proc = Process.forThread(handle, slotIndex);
  try {
    proc.bindMemory(memory);
    const instance = instantiate(proc, memory, null);
    if (!slot.ready(epoch)) return;
    for (;;) {
      const [kind, a, b] = slot.nextWork();
      if (kind === 2) return; // reclaimed
      if (kind === 1) {
        // Idle: waitAsync keeps this worker's event loop free for messages.
        const w = Atomics.waitAsync(slotState, slot.stateIndex, a);
        if (w.async) await w.value;
        continue;
      }
      try {
        // V8 brings other workers' view of a grown shared memory up to date lazily, and wasm
        // atomics are bounds-checked against that view. The spawner may have just grown the
        // memory for this thread's stack and TLS, and the thread's first instruction is an
        // atomic store into them (wasi-libc's tid): without this it can trap as "out of bounds"
        // (seen in test_bz2's testThreading). grow(0) makes this worker see the current size.
        memory.grow(0);
        instance.exports.wasi_thread_start(a, b);
      } catch (e) {
        if (e && e.name === 'WeftThreadStopped') {
          slot.abandon();
          return;
        }
        // A trap, or exit()/os._exit() in this thread: the whole interpreter ends.
        const err = e && e.name === 'WasiExit'
          ? { name: 'WasiExit', message: `Python called exit(${e.code}) (os._exit?) in thread ${a}: a thread cannot end the process alone, so the interpreter stopped`, stack: '' }
          : failure(e);
        if (err.name !== 'WasiExit') err.message = `in thread ${a}: ${err.message}`;
        post({ type: 'failed', error: err });
        return;
      }
      if (!slot.finish()) return;
    }
  } finally {
    proc.free();
    post({ type: 'ended', epoch });
  }
}
// A JS promise rejected with nobody to hear it (say, one Python created and never awaited) must
// not end the worker, as Node does by default: it is reported on stderr, as a browser console
// would show it.
function unhandledRejection(reason) {
  const text = new TextEncoder().encode(`weft: a JS promise in the worker was rejected and nothing handled it: ${reason?.stack || reason}\n`);
  post({ type: 'output', fd: 2, data: text }, [text.buffer]);
}
if (isNode) process.on('unhandledRejection', unhandledRejection);
else {
  self.addEventListener('unhandledrejection', (e) => {
    e.preventDefault();
    unhandledRejection(e.reason);
  });
}

let ready = false;
deliver = async (msg) => {
  if (msg.type === 'init') {
    try {
      await setup(msg);
      ready = true;
      // What pool workers need to join this interpreter (see setupThread).
      const share = msg.pool ? { runtime: runtimeShare(), python: pythonModule, kernel: kernelModule } : {};
      post({ type: 'ready', ...share });
    } catch (e) {
      post({ type: 'failed', error: describe(e) });
    }
  } else if (msg.type === 'thread-init') {
    try {
      await setupThread(msg);
      post({ type: 'thread-ready' });
    } catch (e) {
      post({ type: 'failed', error: describe(e) });
    }
  } else if (msg.type === 'process') {
    serveProcess(msg).catch((e) => post({ type: 'failed', error: failure(e) }));
  } else if (msg.type === 'unpack') {
    if (!ready || dead) {
      post({ type: 'reply', id: msg.id, error: describe(new Error('the interpreter is not running; start a new one')) });
      return;
    }
    try {
      post({ type: 'reply', id: msg.id, value: await unpack(msg) });
    } catch (e) {
      post({ type: 'reply', id: msg.id, error: describe(e) });
    }
  } else if (msg.type === 'page-callback') {
    // A page event for a Python handler (weft.main): run it now, if its session still lives.
    if (!session || dead) return;
    try {
      session.bridge.pyOp(null, 'page_callback', [msg.id, msg.args]);
    } catch (e) {
      reportUncaught(e);
    }
  } else if (msg.type === 'fs') {
    fsRequest(msg);
  } else if (msg.type === RUNTIME_WORKER_INIT) {
    // This worker becomes one of the runtime's rayon workers (runtime-workers.mjs) and stays in
    // rayon's loop; the interpreter's worker waits for the ready message.
    await init({ module_or_path: msg.module, memory: msg.memory });
    post({ type: 'wasm_bindgen_worker_ready' });
    wbg_rayon_start_worker(msg.receiver);
  } else if (msg.type === 'release') {
    Process.releaseShared(msg.handle, msg.count);
  } else if (msg.type === 'run') {
    if (!ready || dead) {
      post({ type: 'failed', id: msg.id, error: describe(new Error('the interpreter is not running; start a new one')) });
      return;
    }
    try {
      runProcess(msg);
    } catch (e) {
      dead = true;
      post({ type: 'failed', id: msg.id, error: describe(e) });
    }
  } else if (msg.type === 'session') {
    if (!ready || dead) {
      post({ type: 'reply', id: msg.id, error: describe(new Error('the interpreter is not running; start a new one')) });
      return;
    }
    try {
      startSession(msg);
      post({ type: 'reply', id: msg.id, value: true });
    } catch (e) {
      if (!(e instanceof PythonError) && exitCode(e) === undefined && !/exited with code/.test(e.message)) dead = true;
      post({ type: 'reply', id: msg.id, error: describeError(e) });
      if (dead) post({ type: 'failed', error: describe(e) });
    }
  } else if (msg.type === 'py') {
    if (dead) {
      post({ type: 'reply', id: msg.id, error: describe(new Error('the interpreter is not running; start a new one')) });
      return;
    }
    sessionRequest(msg);
  }
};
