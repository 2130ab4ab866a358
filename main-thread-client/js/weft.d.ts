/** Options of {@link Weft.start}. */
export interface StartOptions {
  /** Where python.wasm, python-stdlib.zip, worker.mjs and runtime/ are served from.
   *  Default: the directory of weft.mjs (`new URL('.', import.meta.url)`). */
  assetsUrl?: string | URL;
  /** Receives Python's stdout bytes as they are written. Default: Node's process.stdout;
   *  in browsers, complete lines to console.log. */
  stdout?: (bytes: Uint8Array) => void;
  /** Receives Python's stderr bytes as they are written. Default: process.stderr /
   *  console.error. */
  stderr?: (bytes: Uint8Array) => void;
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

/** The interpreter cannot go on (failed start, trap, crash, closed). */
export class WeftError extends Error {
  /** The stack of the failure inside the worker, when there is one. */
  remoteStack?: string;
}

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
}
