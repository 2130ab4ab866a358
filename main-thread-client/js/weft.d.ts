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
   *  (the working directory), PATH=/usr/local/bin, LANG=C.UTF-8, and in browsers
   *  PYTHONUNBUFFERED=1 (output streams as it is written). */
  env?: Record<string, string>;
  /** Whether [stdin, stdout, stderr] look like terminals to Python (interactive mode,
   *  line buffering, coloured tracebacks). Default: all false. */
  tty?: [boolean, boolean, boolean];
  /** Node only: host directories mounted read-write into the interpreter's file system,
   *  as `{ guestPath: hostPath }`. */
  hostMounts?: Record<string, string>;
}

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
  /** Ends the worker; pending runs reject. */
  close(): Promise<void>;
}
