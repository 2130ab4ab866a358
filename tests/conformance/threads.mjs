#!/usr/bin/env node
// CPython 3.13's own threading tests under Weft in Node, checked against threads-expected.txt.
//
//   node tests/conformance/threads.mjs [--only MODULE]... [--timeout SECONDS]
//
// Each module runs in its own `node dist/cli.mjs unittest_bootstrap.py ...` (unittest, verbose)
// with a time limit (--timeout, default 120 s per module; faulthandler dumps every thread's stack
// into the log 10 s before it). Next to unittest's verbose lines the bootstrap writes one
// `##weft-test` line per test start and outcome, which this script reads: a test's own output
// may interleave with unittest's "name ... ok" lines, never with those.
// Every test that does not pass (FAIL, ERROR, SKIP, XFAIL, XPASS) must be listed in
// threads-expected.txt with that outcome and a reason; tests listed as HANG are not run at all.
// Exits 1 when a test's outcome differs from the file (a new failure, or a listed one that now
// passes or fails differently), a listed test did not run, or a module timed out or crashed.
//
// Lib/test is not in dist/'s stdlib bundle: it is extracted once from the pinned CPython tarball
// ($WEFT_SOURCES, else ../shared/sources next to the repo, else the guest build's download
// cache; sha256 checked against guest/sources.txt) into $WEFT_CACHE/cpython-lib-test-<sha>/.
//
// Environment: WEFT_DIST (default dist/), WEFT_CACHE (default ~/.cache/weft), WEFT_SOURCES.
// Logs: target/conformance/threads/<module>.log (unittest's verbose output, tracebacks).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const TARBALL = 'Python-3.13.5.tar.xz';
const EXPECTED_FILE = path.join(HERE, 'threads-expected.txt');
const BOOTSTRAP = path.join(HERE, 'unittest_bootstrap.py');
const OUTCOMES = ['FAIL', 'ERROR', 'SKIP', 'XFAIL', 'XPASS', 'HANG'];

// The process-pool variants of test_concurrent_futures need fork/spawn (no processes on WASI):
// their classes are left out rather than listed one by one as skipped (test_process_pool and
// test_deadlock are only process pools and are not run).
const PROCESS_POOLS = '\\.ProcessPool[A-Za-z]*\\.';
const MODULES = [
  { name: 'test.test_threading' },
  { name: 'test.test_thread' },
  { name: 'test.test_threading_local' },
  { name: 'test.test_queue' },
  { name: 'test.test_concurrent_futures.test_thread_pool', drop: PROCESS_POOLS },
  { name: 'test.test_concurrent_futures.test_as_completed', drop: PROCESS_POOLS },
  { name: 'test.test_concurrent_futures.test_wait', drop: PROCESS_POOLS },
  { name: 'test.test_concurrent_futures.test_future', drop: PROCESS_POOLS },
  { name: 'test.test_concurrent_futures.test_init', drop: PROCESS_POOLS },
  { name: 'test.test_concurrent_futures.test_shutdown', drop: PROCESS_POOLS },
];

function parseArgs(argv) {
  const o = { only: [], timeout: 120 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only' && argv[i + 1]) o.only.push(argv[++i]);
    else if (a === '--timeout' && argv[i + 1]) o.timeout = Number(argv[++i]);
    else if (a === '-h' || a === '--help') {
      console.log('usage: node tests/conformance/threads.mjs [--only MODULE]... [--timeout SECONDS]');
      process.exit(0);
    } else {
      console.error(`threads.mjs: unknown argument ${a}`);
      process.exit(2);
    }
  }
  return o;
}

function fail(msg) {
  console.error(`threads.mjs: ${msg}`);
  process.exit(2);
}

// --- Lib/test from the pinned tarball --------------------------------------------------------

function pinnedSha() {
  const table = fs.readFileSync(path.join(REPO, 'guest/sources.txt'), 'utf8');
  for (const line of table.split('\n')) {
    const [name, sha] = line.trim().split(/\s+/);
    if (name === TARBALL) return sha;
  }
  fail(`${TARBALL} is not pinned in guest/sources.txt`);
}

function sha256(file) {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

function cacheRoot() {
  return process.env.WEFT_CACHE || path.join(os.homedir(), '.cache/weft');
}

/** The directory holding Lib/test (extracted on first use); returns its Lib/. */
function libTest() {
  const sha = pinnedSha();
  const dir = path.join(cacheRoot(), `cpython-lib-test-${sha.slice(0, 16)}`);
  const lib = path.join(dir, 'Lib');
  if (fs.existsSync(path.join(dir, '.complete'))) return lib;
  const sources = process.env.WEFT_SOURCES;
  const candidates = [
    sources && (sources.endsWith('.tar.xz') ? sources : path.join(sources, TARBALL)),
    path.join(REPO, '../shared/sources', TARBALL),
    path.join(cacheRoot(), 'downloads', TARBALL),
  ].filter(Boolean);
  const tarball = candidates.find((f) => fs.existsSync(f));
  if (!tarball) fail(`cannot find ${TARBALL} (looked in ${candidates.join(', ')}); set WEFT_SOURCES to the folder holding it`);
  const got = sha256(tarball);
  if (got !== sha) fail(`${tarball} has sha256 ${got}, not the pinned ${sha}`);
  console.error(`==> extracting Lib/test from ${tarball} into ${dir}`);
  const tmp = `${dir}.part-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const r = spawnSync('tar', ['-xJf', tarball, '-C', tmp, '--strip-components=1', 'Python-3.13.5/Lib/test'], { stdio: 'inherit' });
  if (r.status !== 0) fail(`tar failed to extract Lib/test from ${tarball} (is xz-utils installed?)`);
  fs.writeFileSync(path.join(tmp, '.complete'), `${sha}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return lib;
}

// --- the expectation file --------------------------------------------------------------------

/** Map test id -> {outcome, reason, line}. */
function readExpected() {
  const expected = new Map();
  const text = fs.readFileSync(EXPECTED_FILE, 'utf8');
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || !OUTCOMES.includes(m[2]) || !m[3].trim()) {
      fail(`${path.relative(REPO, EXPECTED_FILE)}:${i + 1}: expected "test.id  OUTCOME  reason" with OUTCOME one of ${OUTCOMES.join(' ')}`);
    }
    if (expected.has(m[1])) fail(`${path.relative(REPO, EXPECTED_FILE)}:${i + 1}: ${m[1]} is listed twice`);
    expected.set(m[1], { outcome: m[2], reason: m[3].trim(), line: i + 1 });
  });
  return expected;
}

function moduleOf(id, modules) {
  let best = null;
  for (const m of modules) if ((id === m.name || id.startsWith(m.name + '.')) && (!best || m.name.length > best.name.length)) best = m;
  return best;
}

// --- running one module ----------------------------------------------------------------------

// Worst first: a test with several results (subtests) gets the worst one.
const RANK = { ERROR: 0, FAIL: 1, XPASS: 2, XFAIL: 3, SKIP: 4, ok: 5 };
const MARK_OUTCOME = { ok: 'ok', FAIL: 'FAIL', ERROR: 'ERROR', skipped: 'SKIP', xfail: 'XFAIL', xpass: 'XPASS' };

function runModule(mod, { lib, cli, timeout, excluded, logDir }) {
  return new Promise((resolve) => {
    const args = [cli, BOOTSTRAP, lib, mod.name];
    for (const id of excluded) args.push('--exclude', id);
    if (mod.drop) args.push('--drop', mod.drop);
    // Every thread's stack in the log shortly before the time limit.
    args.push('--dump-after', String(Math.max(1, timeout - 10)));
    const started = Date.now();
    // The CLI mounts its cwd: the cache dir holding Lib/ must be it.
    const child = spawn(process.execPath, args, { cwd: path.dirname(lib), stdio: ['ignore', 'pipe', 'pipe'] });
    const log = fs.createWriteStream(path.join(logDir, `${mod.name}.log`));
    const results = new Map(); // id -> {outcome, reason}
    const order = [];
    const state = { running: null, excludedSeen: new Set(), dropped: 0, ranLine: null, timedOut: false };
    let pending = '';
    const onMark = (line) => {
      const m = /^##weft-test (\S+) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return;
      const [, kind, id, rest] = m;
      if (kind === 'start') {
        state.running = id;
        return;
      }
      if (kind === 'excluded') return void state.excludedSeen.add(id);
      if (kind === 'dropped') return void (state.dropped = Number(id));
      const outcome = MARK_OUTCOME[kind];
      if (!outcome) return;
      let reason = '';
      try {
        reason = rest ? JSON.parse(rest) : '';
      } catch {
        reason = rest;
      }
      if (state.running === id) state.running = null;
      const prev = results.get(id);
      if (!prev) order.push(id);
      if (!prev || RANK[outcome] < RANK[prev.outcome]) results.set(id, { outcome, reason });
    };
    child.stdout.on('data', (b) => log.write(b));
    child.stderr.setEncoding('utf8'); // whole characters across chunks
    child.stderr.on('data', (text) => {
      log.write(text);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) {
        if (l.startsWith('##weft-test ')) onMark(l);
        else if (/^Ran \d+ tests? in /.test(l)) state.ranLine = l;
      }
    });
    const timer = setTimeout(() => {
      state.timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeout * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending.startsWith('##weft-test ')) onMark(pending);
      log.end();
      resolve({ mod, code, signal, results, order, seconds: (Date.now() - started) / 1000, ...state });
    });
  });
}

// --- main ------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dist = path.resolve(process.env.WEFT_DIST || path.join(REPO, 'dist'));
  const cli = path.join(dist, 'cli.mjs');
  for (const f of ['cli.mjs', 'python.wasm', 'python-stdlib.zip']) {
    if (!fs.existsSync(path.join(dist, f))) fail(`${path.join(dist, f)} is missing: run \`cargo xtask build\` first`);
  }
  const modules = opts.only.length ? MODULES.filter((m) => opts.only.includes(m.name)) : MODULES;
  if (!modules.length) fail(`--only matches none of: ${MODULES.map((m) => m.name).join(' ')}`);
  const expected = readExpected();
  for (const id of expected.keys()) if (!moduleOf(id, MODULES)) fail(`${path.relative(REPO, EXPECTED_FILE)}:${expected.get(id).line}: ${id} belongs to no module this runner runs`);
  const lib = libTest();
  const logDir = path.join(REPO, 'target/conformance/threads');
  fs.mkdirSync(logDir, { recursive: true });

  const t0 = Date.now();
  const problems = [];
  const suggestions = [];
  const rows = [];
  for (const mod of modules) {
    const listed = [...expected].filter(([id]) => moduleOf(id, MODULES) === mod);
    const hangs = listed.filter(([, e]) => e.outcome === 'HANG').map(([id]) => id);
    process.stderr.write(`==> ${mod.name}${hangs.length ? ` (${hangs.length} hanging tests left out)` : ''} ... `);
    const r = await runModule(mod, { lib, cli, timeout: opts.timeout, excluded: hangs, logDir });
    const count = { run: 0, passed: 0, FAIL: 0, ERROR: 0, SKIP: 0, XFAIL: 0, XPASS: 0 };
    for (const { outcome } of r.results.values()) {
      count.run++;
      if (outcome === 'ok') count.passed++;
      else count[outcome]++;
    }
    const log = path.relative(REPO, path.join(logDir, `${mod.name}.log`));
    let status = 'ok';
    if (r.timedOut) {
      status = 'TIMEOUT';
      const where = r.running ? ` while running ${r.running}` : r.ranLine ? ' after its tests had run (at exit)' : '';
      problems.push(`${mod.name}: timed out after ${opts.timeout}s${where} (thread stacks and output in ${log}; list a hanging test as HANG)`);
      if (r.running) suggestions.push(`${r.running}  HANG  <reason>`);
    } else if (r.code !== 0 && r.code !== 1) {
      status = 'CRASH';
      problems.push(`${mod.name}: exited with ${r.signal ?? r.code}${r.running ? ` while running ${r.running}` : ''} (log: ${log})`);
    } else if (!r.ranLine && !(r.results.size === 1 && r.results.has(mod.name))) {
      status = 'CRASH';
      problems.push(`${mod.name}: ended (exit ${r.code}) without unittest's summary${r.running ? `, while running ${r.running}` : ''} (log: ${log})`);
    }
    // Outcomes against the file.
    for (const id of r.order) {
      const got = r.results.get(id);
      const want = expected.get(id);
      if (got.outcome === 'ok') {
        if (want) problems.push(`${id}: listed as ${want.outcome} (line ${want.line}) but now passes: remove it from the file`);
      } else if (!want) {
        problems.push(`${id}: ${got.outcome} (not listed): ${got.reason}`);
        suggestions.push(`${id}  ${got.outcome}  <reason> (${got.reason})`);
      } else if (want.outcome !== got.outcome) {
        problems.push(`${id}: ${got.outcome}, but listed as ${want.outcome} (line ${want.line}): ${got.reason}`);
      }
    }
    if (status === 'ok') {
      for (const [id, want] of listed) {
        if (want.outcome === 'HANG') {
          if (!r.excludedSeen.has(id)) problems.push(`${id}: listed as HANG (line ${want.line}) but no such test exists`);
        } else if (!r.results.has(id)) {
          problems.push(`${id}: listed as ${want.outcome} (line ${want.line}) but did not run`);
        }
      }
    }
    rows.push({ name: mod.name, ...count, hang: r.excludedSeen.size, dropped: r.dropped, seconds: r.seconds, status });
    process.stderr.write(`${status} (${count.passed}/${count.run} passed, ${r.seconds.toFixed(1)}s)\n`);
  }

  const w = Math.max(...rows.map((r) => r.name.length), 6);
  const cols = ['run', 'passed', 'failed', 'errors', 'skipped', 'xfail', 'xpass', 'hang', 'seconds'];
  console.log('');
  console.log(`${'module'.padEnd(w)} ${cols.map((c) => c.padStart(7)).join(' ')}  status`);
  const total = { run: 0, passed: 0, FAIL: 0, ERROR: 0, SKIP: 0, XFAIL: 0, XPASS: 0, hang: 0, dropped: 0, seconds: 0 };
  for (const r of rows) {
    for (const k of Object.keys(total)) total[k] += r[k];
    const cells = [r.run, r.passed, r.FAIL, r.ERROR, r.SKIP, r.XFAIL, r.XPASS, r.hang, r.seconds.toFixed(1)];
    console.log(`${r.name.padEnd(w)} ${cells.map((c) => String(c).padStart(7)).join(' ')}  ${r.status}`);
  }
  const cells = [total.run, total.passed, total.FAIL, total.ERROR, total.SKIP, total.XFAIL, total.XPASS, total.hang, total.seconds.toFixed(1)];
  console.log(`${'total'.padEnd(w)} ${cells.map((c) => String(c).padStart(7)).join(' ')}`);
  if (total.dropped) console.log(`(${total.dropped} process-pool tests of test_concurrent_futures left out: no processes on WASI)`);
  if (problems.length) {
    console.log(`\n${problems.length} difference(s) from ${path.relative(REPO, EXPECTED_FILE)}:`);
    for (const p of problems) console.log(`  ${p}`);
    if (suggestions.length) {
      console.log('\nlines for the file, once the reasons are known:');
      for (const s of suggestions) console.log(`  ${s}`);
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  // The last line is read by `cargo xtask conformance`.
  console.log(`\nthreads: ${total.passed} passed, ${total.run - total.passed} not passed, ${total.hang} left out as hanging; ${problems.length} difference(s) from ${path.basename(EXPECTED_FILE)} (${secs}s)`);
  process.exitCode = problems.length ? 1 : 0;
}

main().catch((e) => {
  console.error(`threads.mjs: ${e.stack || e}`);
  process.exit(2);
});
