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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { extractZip, harnessImports, readMemoryImportMin, startReactor } from './wasi-node-util.mjs';

process.removeAllListeners('warning'); // "WASI is an experimental feature"...
const { WASI } = await import('node:wasi'); // ...is emitted on load: import it after that

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
const code = startReactor(wasi, instance, shared.memory);
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
  return { wasi_snapshot_preview1: wasi.wasiImport, wasi: { 'thread-spawn': spawn }, env: { memory: d.memory }, ...harnessImports(d.module, d.memory) };
}
