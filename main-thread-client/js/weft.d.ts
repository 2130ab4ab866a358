/** Options of {@link Weft.start}. */
export interface StartOptions {
  /** One directory that serves all of Weft's files, laid out as in the package: worker.mjs,
   *  runtime-workers.mjs, runtime/, main/, python.wasm, python-stdlib.zip, asset-sizes.json
   *  (and python-numpy.wasm, python-numpy-lib.zip for `packages: ['numpy']`). In browsers a
   *  relative URL is resolved against the page, and it must be on the page's own origin
   *  (browsers start workers only from there); in Node, a file: URL. Default: each file
   *  beside the module that loads it, found through literals such as
   *  `new URL('./python.wasm', import.meta.url)`, which bundlers (Vite, webpack 5) follow:
   *  they copy the files into the app's build. */
  assetsUrl?: string | URL;
  /** Where Python's stdout goes: a function receiving the bytes as they are written, or one of
   *  Pyodide's handler shapes ({@link OutputHandler}). Default: Node's process.stdout; in
   *  browsers, complete lines to console.log. Can be changed with {@link Weft.setStdout}. */
  stdout?: OutputFunction | OutputHandler;
  /** Where Python's stderr goes, as `stdout`. Default: process.stderr / console.error. */
  stderr?: OutputFunction | OutputHandler;
  /** Environment for every run, over the defaults HOME=/home/user, PWD=/home/user
   *  (the working directory), PATH=/usr/local/bin, LANG=C.UTF-8, PYTHON_BASIC_REPL=1 (the
   *  classic REPL: the new one needs termios, which WASI lacks), and in browsers
   *  PYTHONUNBUFFERED=1 (output streams as it is written). */
  env?: Record<string, string>;
  /** Whether [stdin, stdout, stderr] look like terminals to Python (interactive mode,
   *  line buffering, coloured tracebacks). Default: all false. */
  tty?: [boolean, boolean, boolean];
  /** Node only: host directories mounted read-write into the interpreter's file system,
   *  as `{ guestPath: hostPath }`. */
  hostMounts?: Record<string, string>;
  /** Where Python's stdin comes from (`input()`, `sys.stdin`); see {@link StdinHandler}.
   *  Default: none, stdin is at end of input. Can be changed with {@link Weft.setStdin}. */
  stdin?: StdinHandler | { stdin: StdinHandler };
  /** Directories whose files the page owns, as `{ mountPoint: handler }` (for example
   *  `{ "/mnt/page": new PageDirectory() }`): Python's file operations under the mount point are
   *  answered synchronously, from Python's view, by the handler on the main thread.
   *  Needs SharedArrayBuffer; without it {@link Weft.start} rejects. Default: none. */
  pageMounts?: Record<string, PageHandler>;
  /** Python threads: each `threading.Thread` runs on a pool worker over the same memory, in
   *  parallel where the work releases the GIL. On by default where SharedArrayBuffer is
   *  available (elsewhere starting a thread raises `RuntimeError: can't start new thread`);
   *  `false` turns them off. Defaults: {@link THREAD_DEFAULTS}. */
  threads?: boolean | Partial<ThreadOptions>;
  /** Workers for the runtime's own parallel jobs (decompressing archives in
   *  {@link Weft.unpackArchive}), started on first use over the runtime's memory. `0` keeps
   *  those jobs on the interpreter's worker. Without SharedArrayBuffer there are none.
   *  Default: the number of cores, at most 4. */
  runtimeThreads?: number;
  /** Packages with C extensions to make importable, e.g. `["numpy"]` (the only one so far).
   *  WASI has no dlopen, so such a package's extension modules are linked into an interpreter of
   *  its own: the worker then loads `python-numpy.wasm` instead of python.wasm, plus
   *  `python-numpy-lib.zip` (numpy's Python files, at
   *  /usr/local/lib/python3.13/site-packages). Without it nothing of numpy is fetched. An
   *  unknown name makes {@link Weft.start} reject. Default: `[]`. */
  packages?: string[];
  /** Whether numpy's float64 matrix products (`@`, `dot`, `linalg`) may use WebAssembly relaxed
   *  SIMD's fused multiply-add where the engine has it (Chromium 114+, Node 22+; in Node 20 Weft
   *  turns on V8's `--experimental-wasm-relaxed-simd`, a process-wide flag). It keeps them fast
   *  when another thread or process shares the core; a result can then differ from the unfused
   *  one in its last bits, as with a native BLAS. `false`: SIMD128 only, the same bits on
   *  every engine. Only python-numpy.wasm uses it. Default: `true`. */
  relaxedSimd?: boolean;
  /** Hears how loading goes, for a progress bar: `fetch` events as the assets' bytes arrive
   *  (python.wasm, the stdlib, the runtime, downloaded at once; `asset` names the one that
   *  advanced), one `compile` once all are in, one `ready` just before {@link Weft.start}
   *  resolves. Not called after a failed start. Default: none. */
  onProgress?: (event: Progress) => void;
}

/** One report to {@link StartOptions.onProgress}. */
export interface Progress {
  phase: 'fetch' | 'compile' | 'ready';
  /** Bytes received so far, over all assets (decoded: what the body holds). */
  loaded: number;
  /** The sum of the assets' sizes, from `asset-sizes.json` beside them (written by the build) or
   *  the Content-Length of uncompressed responses; undefined while one size is unknown. From
   *  `compile` on it equals `loaded`. */
  total?: number;
  /** `fetch` only: the asset whose bytes arrived, e.g. "python.wasm". */
  asset?: string;
}

/** Receives Python's output bytes as they are written (each call a fresh array it may keep).
 *  A throw is logged with console.error; output goes on. */
export type OutputFunction = (bytes: Uint8Array) => void;

/** Pyodide's stdout/stderr handler shapes ({@link Weft.setStdout}, {@link StartOptions.stdout}):
 *  exactly one of `batched`, `raw` or `write` (none: the default sink), called as methods, so a
 *  class instance keeps `this`. Output reaches the page after Python's write returned, so a
 *  handler that throws cannot fail that write as in Pyodide: the error is logged with
 *  console.error and output goes on.
 *
 *  `isatty`: whether Python sees the stream as a terminal (line buffering, interactive mode);
 *  it overrides {@link StartOptions.tty} for this stream, and a run's own `tty` overrides both.
 *  It cannot be true with `batched`. */
export type OutputHandler =
  | {
      /** Called with each line, without its "\n", decoded as UTF-8 (a character split across
       *  writes is decoded whole; invalid bytes become U+FFFD). A partial line is held until
       *  its newline, the end of the run, or Python waiting for stdin (so that the prompt of
       *  `input("name? ")` shows), and is then passed as it is. */
      batched: (line: string) => void;
      isatty?: false;
    }
  | {
      /** Called with each byte (0-255) of the output, in order. */
      raw: (byte: number) => void;
      isatty?: boolean;
    }
  | {
      /** Called with the output bytes; returns how many it took (1 to buffer.length) and is
       *  called again with the rest, as write(2). Another return value is logged as an error
       *  and the rest of that chunk dropped. */
      write: (buffer: Uint8Array) => number;
      isatty?: boolean;
    }
  | { isatty?: boolean };

/** The interpreter's file systems as Python sees them, from the page: {@link Weft.fs}. The
 *  vocabulary of Pyodide's `FS` and Node's `fs/promises`, but every method is async, so the page
 *  never blocks. Calls are queued with {@link Weft.run} and {@link Weft.unpackArchive}, one at
 *  a time in call order: a run started after a `writeFile` sees the file, a `readFile` called
 *  after a run sees what the run wrote. They work while no Python process runs; while one runs
 *  they wait for its end (Python runs on the worker's thread), so files that the page and a
 *  long-running process (an interactive shell) share belong in {@link StartOptions.pageMounts}.
 *
 *  Paths are Python's: absolute, or relative to the home directory /home/user (Python's working
 *  directory); symlinks are followed except by `lstat`, `unlink`, `rename` and `rmdir` (the link
 *  itself). What is there: the in-memory file system (/home/user, /tmp, anything created), the
 *  read-only stdlib at /usr/local/lib/python3.13, `hostMounts` (Node) and `pageMounts` (through
 *  their page handler).
 *
 *  Data is copied both ways: a buffer given to `writeFile` stays the caller's, and bytes from
 *  `readFile` are a fresh array.
 *
 *  A failed operation rejects with an {@link FsError} worded as Node's
 *  (`ENOENT: no such file or directory, readFile 'data.csv'`); its `code` is the error Python
 *  would get for the same operation: ENOENT (missing), EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EROFS
 *  (writing into the read-only stdlib), EXDEV (rename across mounts), EBUSY (a mount point),
 *  EINVAL (a NUL in a path), ... Bad arguments reject with a TypeError; after
 *  {@link Weft.terminate}/{@link Weft.close} (or a crash) calls reject with that WeftError. */
export interface WeftFS {
  /** The whole content of a file, as bytes, or with `encoding: 'utf8'` (or the string 'utf8')
   *  as a string (invalid UTF-8 becomes U+FFFD; a byte order mark is kept). EISDIR for a
   *  directory. */
  readFile(path: string, options: { encoding: 'utf8' | 'utf-8' } | 'utf8' | 'utf-8'): Promise<string>;
  readFile(path: string, options?: { encoding?: 'binary' | null } | 'binary'): Promise<Uint8Array>;
  /** Makes `data` the whole content of a file, creating it if missing (its directory must
   *  exist: ENOENT otherwise). A string is written as UTF-8; the only `encoding` accepted is
   *  'utf8'. */
  writeFile(path: string, data: string | Uint8Array | ArrayBufferView | ArrayBuffer, options?: { encoding?: 'utf8' | 'utf-8' } | 'utf8' | 'utf-8'): Promise<void>;
  /** Creates a directory (EEXIST if the path exists, ENOENT if its parent is missing). With
   *  `recursive`, also its missing parents, and an existing directory is no error (EEXIST if it
   *  is a file). A number in place of the options (a mode) is accepted and ignored: Weft has
   *  no permission bits. */
  mkdir(path: string, options?: { recursive?: boolean } | number): Promise<void>;
  /** The names of a directory's entries, without "." and "..", sorted by code point (the byte
   *  order of their UTF-8, as Python's `sorted(os.listdir(path))`). */
  readdir(path: string): Promise<string[]>;
  /** What `path` is (a symlink's target). */
  stat(path: string): Promise<Stats>;
  /** What `path` is, not following a symlink at its end. */
  lstat(path: string): Promise<Stats>;
  /** Whether `path` exists, a symlink's target (false for a broken link, or any error), as
   *  `os.path.exists`. */
  exists(path: string): Promise<boolean>;
  /** Removes a file or a symlink (EISDIR for a directory: use rmdir). */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory (ENOTEMPTY if it is not, EBUSY for a mount point). */
  rmdir(path: string): Promise<void>;
  /** Renames a file or directory, replacing a file (or an empty directory, by a directory) at
   *  `to`, as `os.rename`. Both must be on the same file system: EXDEV across mounts. */
  rename(from: string, to: string): Promise<void>;
}

/** A file's metadata (Node's fs.Stats, as far as Weft has it). */
export interface Stats {
  /** The file type bits, as Python's `st_mode`: S_IFREG 0o100000, S_IFDIR 0o040000 or S_IFLNK
   *  0o120000 (Weft has no permission bits). */
  mode: number;
  /** Bytes of a file; of a symlink (lstat), the length of its target path; of a directory, what
   *  its file system reports (as `st_size`). */
  size: number;
  /** The file system it is on (each mount has its own), as `st_dev`. */
  dev: number;
  ino: number;
  nlink: number;
  /** Times in ms since the Unix epoch, and as Dates. */
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** How a {@link WeftFS} operation failed, as Node's fs errors. */
export interface FsError extends Error {
  /** The POSIX error name: "ENOENT", "EEXIST", "EROFS", ... */
  code: string;
  /** The operation: "readFile", "mkdir", ... */
  syscall: string;
  /** The path as given. */
  path: string;
  /** `rename`'s destination. */
  dest?: string;
}

/** What {@link Weft.unpackArchive} wrote. */
export interface Unpacked {
  files: number;
  /** Directories the archive names, explicitly or as parents of its entries. */
  directories: number;
  symlinks: number;
  /** Uncompressed bytes of the files and symlinks. */
  bytes: number;
}

/** Settings of the thread pool (`StartOptions.threads`). */
export interface ThreadOptions {
  /** Pool workers kept ready beyond those running threads (started in the background). */
  idleWorkers: number;
  /** Most pool workers, hence most Python threads alive at once besides the main thread. */
  maxWorkers: number;
  /** How long starting a thread waits for a worker before Python gets
   *  `RuntimeError: can't start new thread`. */
  spawnTimeoutMs: number;
  /** How long a thread inside a system call may take to stop once its process ended; past
   *  it the interpreter is stopped with a WeftError. */
  stopTimeoutMs: number;
}

/** `{ idleWorkers: 2, maxWorkers: 64, spawnTimeoutMs: 10000, stopTimeoutMs: 2000 }` */
export const THREAD_DEFAULTS: Readonly<ThreadOptions>;

/** Called on the main thread whenever Python needs stdin. Return a string (one line; "\n" is
 *  added if missing), bytes (passed unchanged, so invalid UTF-8 reaches Python as natively),
 *  `null`/`undefined` for end of input (`input()` raises EOFError), or a Promise of those.
 *  A throw or rejection makes the read fail with an OSError in Python. */
export type StdinHandler = () =>
  | string | Uint8Array | ArrayBufferView | ArrayBuffer | null | undefined
  | Promise<string | Uint8Array | ArrayBufferView | ArrayBuffer | null | undefined>;

/** What a page-owned file or directory is. */
export interface PageStat {
  kind: 'file' | 'directory';
  /** Bytes (0 for directories). Default 0. */
  size?: number;
  /** Last modification, ms since the Unix epoch. Default 0 (unknown). */
  mtimeMs?: number;
}

/** Answers Python's file operations under a page-owned mount. Paths are relative to the mount
 *  point, "/"-separated and normalised ("" is the mount's root). Every method may be async.
 *  To fail, throw an Error whose `code` is a POSIX name such as "ENOENT", "EACCES", "EEXIST",
 *  "ENOTDIR", "EISDIR", "ENOTEMPTY", "ENOSPC": Python raises the matching OSError
 *  (FileNotFoundError, PermissionError, ...); an error without a known code becomes EIO.
 *  A missing method makes its operation fail with ENOTSUP. Files move whole: Python reads a
 *  file once when it opens it and writes it back when it closes (or flushes with os.fsync). */
export interface PageHandler {
  readFile?(path: string): string | Uint8Array | Promise<string | Uint8Array>;
  /** `mode`: "truncate" (create or replace), "append", or "create-new" (fail with EEXIST if
   *  the file exists). */
  writeFile?(path: string, data: Uint8Array, options: { mode: 'truncate' | 'append' | 'create-new' }): void | Promise<void>;
  stat?(path: string): PageStat | Promise<PageStat>;
  /** Entries without "." and "..": names (each then stat()ed) or `{name, kind}`. */
  readdir?(path: string): Array<string | { name: string; kind: 'file' | 'directory' }> | Promise<Array<string | { name: string; kind: 'file' | 'directory' }>>;
  unlink?(path: string): void | Promise<void>;
  mkdir?(path: string): void | Promise<void>;
  rmdir?(path: string): void | Promise<void>;
  rename?(from: string, to: string): void | Promise<void>;
}

/** A ready-made {@link PageHandler} keeping files in memory (editor tabs, uploads, results). */
export class PageDirectory implements PageHandler {
  /** `files`: initial content by relative path; parent directories are created. */
  constructor(files?: Record<string, string | Uint8Array>);
  /** A file's current content, or undefined. */
  get(path: string): Uint8Array | undefined;
  /** Every file as `[path, bytes]` (for offering downloads). */
  files(): Array<[string, Uint8Array]>;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array | string, options?: { mode?: 'truncate' | 'append' | 'create-new' }): void;
  stat(path: string): PageStat;
  readdir(path: string): Array<{ name: string; kind: 'file' | 'directory' }>;
  unlink(path: string): void;
  mkdir(path: string): void;
  rmdir(path: string): void;
  rename(from: string, to: string): void;
}

/** Why stdin, page mounts and interrupts are off on a page without cross-origin isolation,
 *  and how to turn them on. */
export const NO_SHARED_MEMORY: string;

/** Starts an interpreter: the same as {@link Weft.start}, under the name users of Pyodide's
 *  `loadPyodide` look for.
 *
 *  ```js
 *  import { loadWeft } from 'weft-python';
 *  const py = await loadWeft({ onProgress: (e) => console.log(e.phase, e.loaded, e.total) });
 *  await py.run(['-c', 'print(6 * 7)']);
 *  ```
 */
export function loadWeft(options?: StartOptions): Promise<Weft>;

/** The interpreter cannot go on (failed start, trap, crash, closed). */
export class WeftError extends Error {
  /** The stack of the failure inside the worker, when there is one. */
  remoteStack?: string;
}

/** A Python exception that reached JS (Pyodide's PythonError). */
export class PythonError extends Error {
  /** The exception's type: "ValueError", or "module.Name" outside builtins/__main__. */
  type: string;
  /** The whole formatted traceback, ending with "Type: message" (as in Pyodide). */
  message: string;
  /** str() of the exception. */
  pyMessage: string;
  /** The formatted traceback (the same text as `message`). */
  traceback: string;
}

/** Python ended its process (`exit()`, `sys.exit()`, `os._exit()`) during runPython & co:
 *  atexit handlers ran, and the session's Python objects are gone. */
export class WeftExit extends Error {
  /** The exit status. */
  code: number;
}

/** Value that crosses between Python and JS by copy: None (undefined), bool, int (a number
 *  up to 2^53, a bigint beyond), float, str, bytes (Uint8Array), and plain data made by
 *  {@link PyProxy.toJs} (arrays, Maps, Sets, objects). Any other Python object is a
 *  {@link PyProxy}. */
export type PyValue = any;

/**
 * A Python object living in the interpreter (Pyodide's PyProxy, made asynchronous: the object
 * is in a worker, so every operation is a request and returns a Promise). Any property that is
 * not one of the members below reads a Python attribute (`await proxy.name`) or calls a method
 * in one request (`await proxy.method(...args)`); callable objects can be called directly
 * (`await proxy(...args)`). Awaitable objects (coroutines, futures) can be awaited; iterable
 * ones iterated with `for await`. Assigning a property throws: use {@link setAttr}.
 *
 * The Python object lives until {@link destroy} (or the end of a {@link Weft.withScope} that
 * received it); a FinalizationRegistry releases it if the proxy is garbage-collected first.
 * Using a destroyed proxy rejects with an Error saying so.
 */
export interface PyProxy {
  /** The Python type's name ("dict", "module", "mypkg.Thing"). */
  readonly type: string;
  /** Whether the Python object is callable. */
  readonly callable: boolean;
  isDestroyed(): boolean;
  /** "[PyProxy <type>]" (use {@link repr} or {@link str} for the Python text). */
  toString(): string;
  repr(): Promise<string>;
  str(): Promise<string>;
  getAttr(name: string): Promise<PyValue>;
  setAttr(name: string, value: unknown): Promise<void>;
  delAttr(name: string): Promise<void>;
  hasAttr(name: string): Promise<boolean>;
  /** `obj[key]`; undefined when the key is missing (KeyError), as Pyodide's `get`. */
  get(key: unknown): Promise<PyValue>;
  set(key: unknown, value: unknown): Promise<void>;
  has(key: unknown): Promise<boolean>;
  delete(key: unknown): Promise<void>;
  /** `len(obj)`. */
  length(): Promise<number>;
  /** `dir(obj)` as a PyProxy of the list. */
  dir(): Promise<PyProxy>;
  call(...args: unknown[]): Promise<PyValue>;
  /** Calls with keyword arguments: the last argument is an object of them. */
  callKwargs(...argsThenKwargs: unknown[]): Promise<PyValue>;
  /** Converts in depth: list/tuple to Array, dict to Map (or `dict_converter(entries)`, e.g.
   *  `Object.fromEntries`), set to Set, bytes to Uint8Array; shared references stay shared.
   *  Objects with no JS equivalent become PyProxies unless `create_pyproxies` is false. */
  toJs(options?: { depth?: number; dict_converter?: (entries: [unknown, unknown][]) => unknown; create_pyproxies?: boolean }): Promise<any>;
  /** The object's memory (a C-contiguous buffer: a numpy array, bytearray, array.array) as a
   *  typed array of its element type (Float64Array for float64, BigInt64Array for int64,
   *  Uint16Array holding float16 bits, complex as interleaved pairs with a trailing dimension
   *  of 2), as Pyodide's `getBuffer`. Where memory is shared (Node, cross-origin isolated
   *  pages) `data` is a view over the interpreter's memory: no copy, and it sees Python's later
   *  changes (and Python sees changes made through it); the object stays pinned until
   *  `release()`. With `{copy: true}`, or without shared memory, `data` is a copy of its own.
   *  Rejects with a PythonError (BufferError) for non-contiguous arrays. */
  getBuffer(options?: { copy?: boolean }): Promise<PyBuffer>;
  /** Releases the Python object. */
  destroy(): Promise<void>;
  (...args: unknown[]): Promise<PyValue>;
  [attribute: string]: any;
}

/** What {@link PyProxy.getBuffer} gives. */
export interface PyBuffer {
  data: Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;
  /** The array's shape (numpy's), with a trailing 2 for complex numbers. */
  shape: number[];
  /** The buffer's struct format, as numpy reports it ("<d", "<i", "Zd", ...). */
  format: string;
  readonly: boolean;
  nbytes: number;
  /** Unpins the Python object (for a view over the interpreter's memory). */
  release(): Promise<void>;
}

/** `__main__`'s namespace, as Pyodide's `pyodide.globals` (every method returns a Promise). */
export interface Globals {
  get(name: string): Promise<PyValue>;
  set(name: string, value: unknown): Promise<void>;
  has(name: string): Promise<boolean>;
  delete(name: string): Promise<void>;
  toJs(options?: Parameters<PyProxy['toJs']>[0]): Promise<Map<string, any>>;
}

/** Whether `value` is a {@link PyProxy}. */
export function isPyProxy(value: unknown): value is PyProxy;

/** What {@link transfer} returns: a value to be moved to the worker, not copied. */
export interface Transferred<T> { readonly value: T }

/**
 * Marks an ArrayBuffer, typed array or DataView passed to Python (a call's arguments,
 * `set`, `toPy`...) to be moved to the interpreter's worker instead of copied: its whole
 * ArrayBuffer is transferred, so every view of it on this thread is empty (detached) once the
 * request is sent. Python receives it as a JsProxy (`to_bytes()`, `to_py()`). Views of a
 * SharedArrayBuffer are shared, never copied, and go as they are. Throws a TypeError for
 * anything else.
 * @example await pyFunc(transfer(new Uint8Array(bigBuffer)));
 */
export function transfer<T extends ArrayBuffer | ArrayBufferView>(value: T): Transferred<T>;

/** Starts an interpreter: {@link Weft.start} in Pyodide's words (`loadPyodide`). */
export function loadWeft(options?: StartOptions): Promise<Weft>;

/** A CPython interpreter running in a dedicated worker. */
export class Weft {
  /** Starts a worker and loads python.wasm and the stdlib. Rejects with a WeftError
   *  naming the cause (missing or corrupt asset, unsupported platform). */
  static start(options?: StartOptions): Promise<Weft>;
  /** Runs `python <args>` as a fresh process; files in the in-memory file system
   *  (/home/user, /tmp) persist between runs. Resolves with Python's exit code. */
  run(args: string[], options?: { env?: Record<string, string>; tty?: [boolean, boolean, boolean] }): Promise<number>;
  /** Extracts a zip archive or wheel into the in-memory file system (Pyodide's
   *  `unpackArchive`). `format`: 'zip', 'whl' or 'wheel' (any case, optional leading dot).
   *  `extractDir` (absolute; default /home/user) is created if missing; existing files are
   *  replaced. Entries are decompressed in parallel on the runtime's workers
   *  ({@link StartOptions.runtimeThreads}). Queued with runs: a later run sees the files.
   *  The buffer is copied; the caller keeps it. Rejects with an Error naming the entry at fault,
   *  with nothing written, when an entry would land outside `extractDir` or below a file or
   *  symlink of the archive, or a path exists with the other kind (file/directory); a damaged
   *  entry is found only while extracting, so the files before it stay. Bad arguments reject
   *  with a TypeError. */
  unpackArchive(buffer: ArrayBuffer | ArrayBufferView, format: string, options?: { extractDir?: string }): Promise<Unpacked>;
  /** True when stdin, page-owned mounts and interrupt() work: SharedArrayBuffer is available
   *  (always in Node; in browsers when the page is cross-origin isolated). */
  readonly syncIo: boolean;
  /** True when Python threads can start (SharedArrayBuffer available, `threads` not false). */
  readonly threads: boolean;
  /** Figures for monitoring: pool workers alive and idle, the memory of the last finished
   *  process in bytes, and the runtime's parallel workers (0 until the first
   *  {@link unpackArchive} starts them, or without them). */
  stats(): { threadWorkers: number; idleThreadWorkers: number; memoryBytes: number; runtimeWorkers: number };
  /** Replaces the stdin handler (Pyodide's `setStdin`; `undefined`: end of input). Throws a
   *  WeftError without SharedArrayBuffer. */
  setStdin(handler?: StdinHandler | { stdin: StdinHandler }): void;
  /** Replaces where stdout goes (Pyodide's `setStdout`): a function receiving bytes, or an
   *  {@link OutputHandler}; no argument restores the default (Node's process.stdout; in
   *  browsers, lines to console.log), not the start option.
   *  A partial line held for the old `batched` handler is passed to it first. Takes effect for
   *  output arriving from now on, also in a running process. Throws a TypeError for a handler
   *  of no known shape (more than one of batched/raw/write, `isatty: true` with batched). */
  setStdout(handler?: OutputFunction | OutputHandler): void;
  /** As {@link setStdout}, for stderr (Pyodide's `setStderr`). */
  setStderr(handler?: OutputFunction | OutputHandler): void;
  /** The interpreter's file systems, as Python sees them: see {@link WeftFS}. */
  readonly fs: WeftFS;
  /** Raises KeyboardInterrupt in the running process's main thread: in a pure-Python loop, in
   *  `time.sleep`/`select`, while `input()` waits, or in a lock wait (`Thread.join()`,
   *  `Lock.acquire()`, `queue.get()`), also while other threads run. Other threads never see
   *  it, as natively; when the process ends, its remaining (daemon) threads end with it. Does nothing when no process runs. Code
   *  inside one long C call does not see it: use {@link terminate}. Throws a WeftError without
   *  SharedArrayBuffer. */
  interrupt(): void;
  /** Ends the worker (and its thread workers) at once, whatever it runs; pending runs reject
   *  with a WeftError. A trap or `os._exit()` in any thread does the same. Start a
   *  fresh interpreter with {@link Weft.start} (no page reload needed). */
  terminate(): void;
  /** Ends the worker; pending runs reject. */
  close(): Promise<void>;

  /** Runs Python source in the interpreter's session (one long-lived interpreter, started on
   *  first use; unlike {@link run}, state persists) and resolves with the value of the last
   *  expression statement. Stdout/stderr are flushed before it resolves. Rejects with a
   *  {@link PythonError} if the code raises, a {@link WeftExit} if it exits.
   *  `globals`: a PyProxy of a dict to run in (default: `__main__`'s namespace); `filename`
   *  names the code in tracebacks (default "<exec>"). While a session lives, {@link run}
   *  rejects (start another interpreter for runs). */
  runPython(code: string, options?: { globals?: PyProxy; filename?: string }): Promise<PyValue>;
  /** As {@link runPython}, with top-level `await`: the code runs as an asyncio task on the
   *  worker's event loop, where it can await coroutines and JS promises; resolves when it
   *  completes. */
  runPythonAsync(code: string, options?: { globals?: PyProxy; filename?: string }): Promise<PyValue>;
  /** `__main__`'s namespace (Pyodide's `pyodide.globals`). */
  readonly globals: Globals;
  /** Imports a module in the session and resolves with it (Pyodide's `pyimport`). */
  pyimport(name: string): Promise<PyProxy>;
  /** Converts JS data in depth (arrays to lists, plain objects and Maps to dicts, Sets to sets,
   *  typed arrays to bytes) into a Python object (Pyodide's `toPy`). */
  toPy(value: unknown): Promise<PyProxy>;
  /** Runs `fn(scope)`; PyProxies received meanwhile are destroyed when it settles, except the
   *  ones passed to `scope.keep(proxy)`. Resolves with what `fn` resolves with. */
  withScope<T>(fn: (scope: { keep<P extends PyProxy>(proxy: P): P }) => T | Promise<T>): Promise<T>;
}
