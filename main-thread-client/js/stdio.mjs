// Where Python's stdout and stderr go, in the handler shapes of Pyodide's setStdout/setStderr
// ({batched}, {raw}, {write}, each with an optional isatty), besides Weft's own function that
// receives the bytes as they come. Output reaches the page as messages, after Python's write
// has returned, so a handler's failure cannot become Python's OSError as in Pyodide: it is
// reported on the console and the output goes on.

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

const NAMES = { 1: 'stdout', 2: 'stderr' };
const SHAPES = ['batched', 'raw', 'write'];

/** Calls `f`; a throw is reported, not passed on (it would otherwise end Node's process). */
function guarded(name, f) {
  return (...args) => {
    try {
      f(...args);
    } catch (e) {
      console.error(`weft: the ${name} handler threw:`, e);
    }
  };
}

/** Whole lines, without their "\n", to `line(text)`; a partial line waits for flush(). */
function batchedSink(line) {
  // One decoder for the stream: a character split across two writes is decoded whole.
  const decoder = new TextDecoder();
  let pending = '';
  return {
    write(bytes) {
      pending += decoder.decode(bytes, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) line(l);
    },
    flush() {
      pending += decoder.decode();
      if (pending) line(pending);
      pending = '';
    },
  };
}

function defaultSink(fd) {
  if (isNode) {
    const stream = fd === 1 ? process.stdout : process.stderr;
    return { write: (bytes) => stream.write(bytes), flush() {} };
  }
  // Browsers: whole lines to the console, as Pyodide's default.
  return batchedSink(fd === 1 ? console.log : console.error);
}

/**
 * The sink for stream `fd` (1 or 2) from what the caller gave (`method` names the call, for
 * errors): `{write(bytes), flush(), isatty}`. `write` is called per output message, `flush`
 * at the end of each run and before Python waits for stdin (so a prompt shows); `isatty` is
 * the handler's wish (undefined: none). Throws a TypeError for a handler of no known shape.
 */
export function outputSink(fd, handler, method) {
  const name = NAMES[fd];
  if (handler === undefined || handler === null) return { ...defaultSink(fd), isatty: undefined };
  if (typeof handler === 'function') return { write: guarded(name, handler), flush() {}, isatty: undefined };
  if (typeof handler !== 'object') {
    throw new TypeError(`${method}: expected a function, an object with one of batched, raw or write, or nothing; got ${typeof handler}`);
  }
  const given = SHAPES.filter((k) => handler[k] !== undefined);
  if (given.length > 1) throw new TypeError(`${method}: at most one of batched, raw and write can be given (got ${given.join(', ')})`);
  for (const k of given) {
    if (typeof handler[k] !== 'function') throw new TypeError(`${method}: ${k} must be a function, not ${typeof handler[k]}`);
  }
  const isatty = handler.isatty;
  if (isatty !== undefined && typeof isatty !== 'boolean') throw new TypeError(`${method}: isatty must be a boolean`);
  if (given[0] === 'batched' && isatty) {
    throw new TypeError(`${method}: isatty cannot be true with a batched handler (a terminal shows partial lines)`);
  }
  // Methods are called on the handler, so a class instance (Pyodide's NodeWriter) keeps `this`.
  switch (given[0]) {
    case 'batched':
      return { ...batchedSink(guarded(name, (line) => handler.batched(line))), isatty };
    case 'raw':
      return {
        write: guarded(name, (bytes) => {
          for (const byte of bytes) handler.raw(byte);
        }),
        flush() {},
        isatty,
      };
    case 'write':
      return {
        write: guarded(name, (bytes) => {
          // As a write(2) loop: the handler may take part of the buffer.
          for (let at = 0; at < bytes.length;) {
            const left = bytes.length - at;
            const n = handler.write(at ? bytes.subarray(at) : bytes);
            if (!Number.isInteger(n) || n < 1 || n > left) {
              throw new TypeError(`write() returned ${String(n)}; it must return how many bytes it took (1 to ${left}); the other ${left} bytes of this write are dropped`);
            }
            at += n;
          }
        }),
        flush() {},
        isatty,
      };
    default:
      return { ...defaultSink(fd), isatty };
  }
}
