// Smoke test for python.wasm under Node's built-in WASI (preview1). Not the Weft runtime; just
// enough to see the interpreter start and import the stdlib. Do not test time.sleep here
// (node:wasi hangs in poll_oneoff with this build).
//
// usage: node smoke-test.mjs [--threads] PYTHON_WASM STDLIB [-- python args...]
//   STDLIB: python-stdlib.zip (the bundle, extracted to a temp dir) or a lib/python3.13 directory
//   --threads: implement wasi.thread-spawn with worker_threads (one node:wasi instance per thread,
//              same shared memory); without it thread-spawn fails, as in the brief's setup.
//   default python args: a check that imports the main modules and verifies cwd == $PWD (and,
//   with --threads, runs a few threading tests).
// Exit status: the interpreter's.
import { WASI } from 'node:wasi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import process from 'node:process';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

process.removeAllListeners('warning'); // "WASI is an experimental feature"

// Worker side of --threads: instantiate the same module on the same memory, run the thread.
if (!isMainThread) {
  const d = workerData;
  const wasi = makeWasi(d);
  const instance = await WebAssembly.instantiate(d.module, makeImports(d, wasi));
  wasi.start({ exports: { memory: d.memory, _start: () => instance.exports.wasi_thread_start(d.tid, d.arg) } });
  process.exit(0);
}

const argv = process.argv.slice(2);
const threads = argv[0] === '--threads';
if (threads) argv.shift();
const [wasmPath, stdlib, sep, ...rest] = argv;
if (!wasmPath || !stdlib || (sep !== undefined && sep !== '--')) {
  console.error('usage: node smoke-test.mjs [--threads] PYTHON_WASM STDLIB [-- python args...]');
  process.exit(2);
}

// Minimal zip reader (stored + deflate), enough for python-stdlib.zip.
function extractZip(zipPath, dest) {
  const buf = fs.readFileSync(zipPath);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${zipPath}: not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), elen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + elen + clen;
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe name ${name}`);
    const target = path.join(dest, name);
    if (name.endsWith('/')) { fs.mkdirSync(target, { recursive: true }); continue; }
    const lnlen = buf.readUInt16LE(local + 26), lelen = buf.readUInt16LE(local + 28);
    const data = buf.subarray(local + 30 + lnlen + lelen, local + 30 + lnlen + lelen + csize);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, method === 0 ? data : method === 8 ? zlib.inflateRawSync(data) : (() => { throw new Error(`method ${method}`); })());
  }
  return count;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-smoke-'));
let libDir = stdlib;
if (stdlib.endsWith('.zip')) {
  libDir = path.join(tmp, 'lib');
  const n = extractZip(stdlib, libDir);
  console.error(`[smoke] extracted ${n} entries of ${stdlib}`);
}
const home = path.join(tmp, 'home');
fs.mkdirSync(home);

const defaultCheck = `
import sys, os, json, re, decimal, sqlite3, zlib, bz2, lzma, hashlib, datetime, asyncio
assert sys.platform == "wasi", sys.platform
assert os.getcwd() == "/home/user", os.getcwd()
assert json.loads(json.dumps({"a": [1, 2.5]})) == {"a": [1, 2.5]}
assert re.sub(r"(\\w+)", r"<\\1>", "hi there") == "<hi> <there>"
assert str(decimal.Decimal(1) / decimal.Decimal(7))[:8] == "0.142857"
con = sqlite3.connect(":memory:"); con.execute("create table t(x)"); con.execute("insert into t values (42)")
assert con.execute("select x from t").fetchone() == (42,)
con = sqlite3.connect("/home/user/test.db"); con.execute("create table t(x)"); con.commit(); con.close()
data = b"weft" * 1000
for m in (zlib, bz2, lzma): assert m.decompress(m.compress(data)) == data, m
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
assert hashlib.blake2b(b"abc").hexdigest().startswith("ba80a53f")
with open("round.txt", "w") as f: f.write("round trip")
assert open("/home/user/round.txt").read() == "round trip"
# asyncio imports, but asyncio.run() cannot work on plain WASI: the default event loop needs a
# socketpair (OSError ENOTSUP). Drive a coroutine by hand instead.
async def main(): return 7
try: main().send(None)
except StopIteration as e: assert e.value == 7
if os.environ.get("WEFT_SMOKE_THREADS"):
    import threading
    from concurrent.futures import ThreadPoolExecutor
    def work(n): return sum(i * i for i in range(n))
    with ThreadPoolExecutor(4) as ex: assert sum(ex.map(work, range(100))) == 8004150
    for i in range(40):
        t = threading.Thread(target=work, args=(10,)); t.start(); t.join()
    lock, cnt = threading.Lock(), [0]
    def inc():
        for _ in range(10000):
            with lock: cnt[0] += 1
    ts = [threading.Thread(target=inc) for _ in range(4)]
    for t in ts: t.start()
    for t in ts: t.join()
    assert cnt[0] == 40000 and threading.active_count() == 1
    print("threads OK")
print(sys.version, sys.platform)
print(datetime.date(2024, 2, 29).isoformat(), len(sys.builtin_module_names), "builtins")
print("SMOKE OK")
`;
const pyArgs = rest.length ? rest : ['-c', defaultCheck];

const bytes = fs.readFileSync(wasmPath);
const module = await WebAssembly.compile(bytes);
if (!WebAssembly.Module.imports(module).some((i) => i.kind === 'memory')) throw new Error('python.wasm does not import its memory');
// The minimum page count is not exposed by the JS API: read it from the import section.
const minPages = readMemoryImportMin(bytes);
const shared = {
  module, threads,
  memory: new WebAssembly.Memory({ initial: minPages, maximum: 32768, shared: true }),
  nextTid: new Int32Array(new SharedArrayBuffer(4)),
  args: ['/usr/local/bin/python3', ...pyArgs],
  env: { PYTHONHOME: '/usr/local', PWD: '/home/user', HOME: '/home/user', LANG: 'C.UTF-8', ...(threads ? { WEFT_SMOKE_THREADS: '1' } : {}) },
  preopens: { '/usr/local/lib/python3.13': libDir, '/home/user': home },
};
shared.nextTid[0] = 1;
const wasi = makeWasi(shared);
const instance = await WebAssembly.instantiate(module, makeImports(shared, wasi));
const t0 = performance.now();
const code = wasi.start(instance);
console.error(`[smoke] exit ${code} after ${((performance.now() - t0) / 1000).toFixed(2)} s (memory min ${minPages} pages${threads ? `, ${shared.nextTid[0] - 1} threads spawned` : ''})`);
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(code);

function makeWasi(d) {
  return new WASI({ version: 'preview1', args: d.args, env: d.env, preopens: d.preopens, returnOnExit: true });
}

function makeImports(d, wasi) {
  const spawn = (arg) => {
    if (!d.threads) return -1;
    const tid = Atomics.add(d.nextTid, 0, 1);
    new Worker(new URL(import.meta.url), { workerData: { ...d, tid, arg } });
    return tid;
  };
  return { wasi_snapshot_preview1: wasi.wasiImport, wasi: { 'thread-spawn': spawn }, env: { memory: d.memory } };
}

function readMemoryImportMin(b) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const str = () => { const n = leb(); const s = b.toString('utf8', p, p + n); p += n; return s; };
  while (p < b.length) {
    const id = b[p++], size = leb(), end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        str(); str(); const kind = b[p++];
        if (kind === 0) leb();
        else if (kind === 1) { p++; const f = b[p++]; leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = b[p++]; const min = leb(); if (f & 1) leb(); return min; }
        else if (kind === 3) { p += 2; }
        else throw new Error(`import kind ${kind}`);
      }
    }
    p = end;
  }
  throw new Error('no memory import');
}
