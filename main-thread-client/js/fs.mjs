// `weft.fs`: the interpreter's file systems as Python sees them (/home/user, /tmp, host and
// page mounts, the read-only stdlib), from the page, in the vocabulary of Pyodide's FS and
// Node's fs/promises. Every call is a request to the worker, queued with runs (see
// Weft.#enqueue), so it sees what earlier runs wrote and later runs see what it wrote. The
// operations themselves are Rust (worker-runtime/src/fs_ops.rs); this checks arguments and
// shapes results.
import { bytesOf } from './channel.mjs';

const encoder = new TextEncoder();
// Keeps a byte order mark, as Python's open(encoding='utf-8') and Node's readFile do.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function checkPath(method, path, what = 'path') {
  if (typeof path !== 'string') throw new TypeError(`fs.${method}: ${what} must be a string, not ${describe(path)}`);
}

/** `options` as an object: Node also takes the encoding alone, as a string. */
function optionsOf(method, options) {
  if (options === undefined || options === null) return {};
  if (typeof options === 'string') return { encoding: options };
  if (typeof options !== 'object') throw new TypeError(`fs.${method}: options must be an object, not ${describe(options)}`);
  return options;
}

/** The encoding asked for: 'utf8' or null (bytes). */
function encodingOf(method, encoding, allowBinary) {
  if (encoding === undefined || encoding === null || (allowBinary && encoding === 'binary')) return null;
  if (encoding === 'utf8' || encoding === 'utf-8') return 'utf8';
  throw new TypeError(`fs.${method}: unsupported encoding ${JSON.stringify(encoding)} (supported: "utf8"${allowBinary ? ', "binary" for bytes' : ''})`);
}

/** What fs.stat() and fs.lstat() resolve with: Node's fs.Stats, as far as Weft knows them. */
class Stats {
  constructor({ mode, size, dev, ino, nlink, atimeMs, mtimeMs, ctimeMs }) {
    Object.assign(this, { dev, ino, mode, nlink, size, atimeMs, mtimeMs, ctimeMs });
    this.atime = new Date(atimeMs);
    this.mtime = new Date(mtimeMs);
    this.ctime = new Date(ctimeMs);
  }

  isFile() {
    return (this.mode & S_IFMT) === S_IFREG;
  }

  isDirectory() {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  isSymbolicLink() {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
}

export class WeftFS {
  #request;

  /** `request(op, args, transfer)` sends one operation to the worker, queued with runs. */
  constructor(request) {
    this.#request = request;
  }

  async readFile(path, options) {
    checkPath('readFile', path);
    const encoding = encodingOf('readFile', optionsOf('readFile', options).encoding, true);
    const bytes = await this.#request('readFile', { path });
    return encoding ? decoder.decode(bytes) : bytes;
  }

  async writeFile(path, data, options) {
    checkPath('writeFile', path);
    encodingOf('writeFile', optionsOf('writeFile', options).encoding, false);
    let bytes;
    if (typeof data === 'string') {
      bytes = encoder.encode(data);
    } else {
      const view = typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer ? new Uint8Array(data) : bytesOf(data);
      if (!view) throw new TypeError(`fs.writeFile: data must be a string, an ArrayBuffer or a typed array, not ${describe(data)}`);
      // A copy: its buffer is transferred, and the caller keeps (and may change) its own.
      bytes = new Uint8Array(view);
    }
    await this.#request('writeFile', { path, data: bytes }, [bytes.buffer]);
  }

  async mkdir(path, options) {
    checkPath('mkdir', path);
    // A number is a mode (Pyodide's FS.mkdir, Node's fs.mkdir): Weft has no permission bits.
    const { recursive = false } = typeof options === 'number' ? {} : optionsOf('mkdir', options);
    await this.#request('mkdir', { path, recursive: !!recursive });
  }

  async readdir(path) {
    checkPath('readdir', path);
    return this.#request('readdir', { path });
  }

  async stat(path) {
    checkPath('stat', path);
    return new Stats(await this.#request('stat', { path }));
  }

  async lstat(path) {
    checkPath('lstat', path);
    return new Stats(await this.#request('lstat', { path }));
  }

  async exists(path) {
    checkPath('exists', path);
    return this.#request('exists', { path });
  }

  async unlink(path) {
    checkPath('unlink', path);
    await this.#request('unlink', { path });
  }

  async rmdir(path) {
    checkPath('rmdir', path);
    await this.#request('rmdir', { path });
  }

  async rename(from, to) {
    checkPath('rename', from, 'from');
    checkPath('rename', to, 'to');
    await this.#request('rename', { path: from, dest: to });
  }
}
