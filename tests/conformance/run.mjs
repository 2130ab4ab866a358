#!/usr/bin/env node
// CPython 3.13.5's own regression tests (Lib/test, what `python -m test` runs), and numpy 2.3.5's
// own test suite (pytest), under Weft in Node, every outcome checked against a checked-in
// expectation file.
//
//   node tests/conformance/run.mjs SUITE [--jobs N] [--timeout SECONDS] [--only MODULE]...
//                                  [--strict] [--run-hanging] [--not-wasm] [--list]
//
// Suites (SUITES below):
//   threads  the threading modules (test_threading, test_thread, test_threading_local, test_queue,
//            the thread-pool half of test_concurrent_futures) with every resource enabled (-u all);
//            every test that does not pass, skips included, is listed in threads-expected.txt
//   full     every module regrtest's findtests() selects (test_*.py and test_* packages of
//            Lib/test, the SPLITTESTDIRS packages split into their modules), as `python -m test`
//            runs them: no -u resources; checked against expected.txt
//   ci       about a hundred modules of `full` chosen for breadth (CI_MODULES), same expected.txt
//   numpy    numpy's tests of _core (test_multiarray, test_umath, test_numeric, test_dtype,
//            test_ufunc), linalg, fft and random (NUMPY_MODULES), with pytest as numpy's CI runs
//            them; checked against numpy-expected.txt
//   numpy-ci a subset of `numpy` for CI (NUMPY_CI_MODULES, NUMPY_CI_DROP), same numpy-expected.txt
//   numpy-full  every test module of numpy (the numpy test bundle's), same numpy-expected.txt
//
// Each module runs as `node dist/cli.mjs regrtest_worker.py LIB MODULE ...` (what `python -m test
// -jN` does in a worker process: regrtest's setup_process/setup_tests/run_single_test, verbose),
// --jobs at a time (default 2), each with a time limit (--timeout, default per suite;
// faulthandler dumps every thread's stack into the log 10 s before it). The interpreter is the
// test bundle's python.wasm (guest/test-bundle.sh: the shipped python.wasm plus the test C
// modules) with dist/'s runtime and stdlib bundle; Lib/test comes from the same bundle, mounted
// from the host (never part of dist/).
// A numpy module runs as `node dist/cli.mjs --packages numpy numpy_worker.py INI MODULE ...`
// (pytest on that one file), on dist/'s python-numpy.wasm with the numpy test bundle
// (guest/numpy-tests.sh: the shipped python-numpy-lib.zip plus numpy's tests/ directories,
// pytest and hypothesis) served in place of dist/python-numpy-lib.zip.
// When a module's process dies while a test runs (a trap, V8's stack limit), that test is a
// CRASH and the module is run again without it (up to CRASH_RERUNS times), so that one crash
// does not lose the rest of its module's outcomes.
//
// The expectation file's format is defined in its header (and validated strictly here: an
// unknown outcome, a missing reason, a duplicate, or an entry no module of the suite can
// produce stops the run). In the numpy suites a test line may also name a group: a test
// without its [parameters] covers each parametrization, a class every test in it (the most
// specific line applies). Exit status:
//   0  every outcome is what the file says (listed outcomes that improved are reported: "tighten")
//   1  a difference: an unlisted failure, error, unexpected success, crash or time-out, or a
//      listed outcome that changed kind; with --strict (always for `threads`) also an outcome
//      that improved (a listed test now passes, a listed module now runs, a stale entry)
//   2  the run could not start (bad arguments, expectation file, missing build)
// --run-hanging also runs the modules and tests listed as HANG, to see whether they still hang
// (tests listed as CRASH are always left out: they would end their module's run).
// --not-wasm (numpy suites): numpy.testing.IS_WASM is False, so the tests numpy skips under wasm
// (written for Emscripten: no threads, no subprocesses, no FP exceptions, small stacks) run too;
// to explore, since the file describes numpy's own wasm run. Outputs go to <suite>-not-wasm/.
//
// Outputs in target/conformance/<suite>/: report.md and report.json (per-module counts, totals,
// the differences), unlisted.txt (lines for the file, to complete with reasons), logs/<module>.log
// (the worker's verbose output and tracebacks). The last line on stdout is the summary that
// `cargo xtask conformance` reads.
// Environment: WEFT_DIST (default dist/), WEFT_CACHE (default ~/.cache/weft), WEFT_SOURCES.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const WORKER = path.join(HERE, 'regrtest_worker.py');
const NUMPY_WORKER = path.join(HERE, 'numpy_worker.py');
// Reruns of a module after a test crashed its process (each without the tests that crashed).
const CRASH_RERUNS = 3;

// The process-pool variants of test_concurrent_futures need fork/spawn (no processes on WASI):
// the threads suite leaves their classes out rather than listing them one by one as skipped.
const PROCESS_POOLS = '\\.ProcessPool[A-Za-z]*\\.';
const THREAD_MODULES = [
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

// Breadth in about three minutes on 2 cores: the core language, builtins and their types,
// pure-Python stdlib, imports and the file system, every C module the guest links (zlib, bz2,
// lzma, sqlite3, decimal, hashlib, expat), unicode, json, re, and the test C modules. The
// threading modules are the `threads` suite's, which CI runs as well. No asyncio: CPython skips
// its asyncio tests on WASI (no sockets). Each module took under 25 s in the full run.
const CI_MODULES = [
  // language and builtins
  'test_grammar', 'test_syntax', 'test_exceptions', 'test_exception_group', 'test_scope',
  'test_class', 'test_descr', 'test_super', 'test_generators', 'test_coroutines', 'test_with',
  'test_patma', 'test_fstring', 'test_compile', 'test_ast', 'test_dis', 'test_builtin', 'test_int',
  'test_long', 'test_float', 'test_complex', 'test_list', 'test_tuple', 'test_dict', 'test_set',
  'test_bytes', 'test_str', 'test_unicodedata', 'test_codecs', 'test_format', 'test_string',
  'test_memoryview', 'test_types', 'test_typing', 'test_sys', 'test_traceback', 'test_gc',
  'test_weakref',
  // pure-Python stdlib
  'test_collections', 'test_functools', 'test_itertools', 'test_operator', 'test_enum',
  'test_dataclasses', 'test_contextlib', 'test_textwrap', 'test_difflib', 'test_fractions',
  'test_statistics', 'test_random', 'test_datetime', 'test_zoneinfo', 'test_heapq', 'test_bisect',
  'test_copy', 'test_pickle', 'test_logging', 'test_csv', 'test_base64', 'test_json', 'test_re',
  'test_struct', 'test_array', 'test_math', 'test_cmath', 'test_email', 'test_configparser',
  'test_tomllib', 'test_ipaddress', 'test_urlparse', 'test_unittest', 'test.test_inspect.test_inspect',
  // imports, files, the file system
  'test_import', 'test_importlib', 'test_os', 'test_posixpath', 'test_pathlib', 'test_io',
  'test_fileio', 'test_tempfile', 'test_shutil', 'test_glob',
  // the C modules the guest links
  'test_zlib', 'test_bz2', 'test_lzma', 'test_gzip', 'test_zipfile', 'test_tarfile', 'test_sqlite3',
  'test_decimal', 'test_hashlib', 'test_hmac', 'test_pyexpat', 'test_xml_etree', 'test_minidom',
  'test_dbm_sqlite3',
  // the test C modules
  'test_capi', 'test_buffer',
].map((n) => (n.startsWith('test.') ? n : `test.${n}`));

// numpy's tests named by issue 8: five modules of _core, and all of linalg, fft and random.
const NUMPY_MODULES = [
  'numpy._core.tests.test_multiarray', 'numpy._core.tests.test_umath', 'numpy._core.tests.test_numeric',
  'numpy._core.tests.test_dtype', 'numpy._core.tests.test_ufunc',
];
const NUMPY_PACKAGES = ['numpy.linalg.tests.', 'numpy.fft.tests.', 'numpy.random.tests.'];

// numpy-ci, about half of `numpy`'s time: its five _core modules, and of linalg, fft and random
// the module with the most tests of each API (each module costs 3 s of start-up), less the tests
// NUMPY_CI_DROP names (a regex on test ids, per module): 12,250 of test_multiarray's 13,900 tests
// check one kernel each of sort, argsort and partition for every dtype and every array size up
// to 500 (TestMethods' sort tests keep the kernels in CI), and test_count_nonzero_all counts
// every boolean array of 16 elements (6 s).
const NUMPY_CI_MODULES = [
  ...NUMPY_MODULES,
  'numpy.linalg.tests.test_linalg', 'numpy.fft.tests.test_pocketfft', 'numpy.random.tests.test_generator_mt19937',
  'numpy.random.tests.test_random', 'numpy.random.tests.test_direct', 'numpy.random.tests.test_smoke',
];
const NUMPY_CI_DROP = {
  'numpy._core.tests.test_multiarray':
    '^numpy\\._core\\.tests\\.test_multiarray\\.(test_(arg)?(sort|partition)_(int|float|fp)\\[|TestBool\\.test_count_nonzero_all$)',
};

function numpyModules(all) {
  const known = new Set(all.map((m) => m.name));
  const unknown = NUMPY_MODULES.filter((n) => !known.has(n));
  if (unknown.length) fail(`NUMPY_MODULES names modules the numpy test bundle does not have: ${unknown.join(' ')}`);
  return all.filter((m) => NUMPY_MODULES.includes(m.name) || NUMPY_PACKAGES.some((p) => m.name.startsWith(p)));
}

/** What the numpy suites share: pytest, one expectation file, parametrized cases in groups. */
const NUMPY = { kind: 'numpy', expected: 'numpy-expected.txt', listSkips: false, strict: false, groups: true };

export const SUITES = {
  threads: {
    modules: () => THREAD_MODULES,
    expected: 'threads-expected.txt',
    resources: 'all',
    listSkips: true, // every SKIP and XFAIL needs a line too
    strict: true, // improvements fail the run as well
    timeout: 120,
    dropNote: 'process-pool tests of test_concurrent_futures: no processes on WASI',
  },
  ci: {
    modules: (all) => {
      const known = new Set(all.map((m) => m.name));
      const unknown = CI_MODULES.filter((n) => !known.has(n));
      if (unknown.length) fail(`CI_MODULES names modules regrtest would not run: ${unknown.join(' ')}`);
      return all.filter((m) => CI_MODULES.includes(m.name));
    },
    universe: 'full',
    expected: 'expected.txt',
    resources: '',
    listSkips: false,
    strict: false,
    timeout: 180,
  },
  full: {
    modules: (all) => all,
    expected: 'expected.txt',
    resources: '',
    listSkips: false,
    strict: false,
    timeout: 300,
  },
  numpy: {
    ...NUMPY,
    modules: numpyModules,
    universe: 'numpy-full',
    timeout: 600,
  },
  'numpy-ci': {
    ...NUMPY,
    modules: (all) => {
      const modules = numpyModules(all);
      const unknown = [...NUMPY_CI_MODULES, ...Object.keys(NUMPY_CI_DROP)].filter((n) => !modules.some((m) => m.name === n));
      if (unknown.length) fail(`NUMPY_CI_MODULES or NUMPY_CI_DROP name modules not in suite numpy: ${unknown.join(' ')}`);
      return modules.filter((m) => NUMPY_CI_MODULES.includes(m.name)).map((m) => (NUMPY_CI_DROP[m.name] ? { ...m, drop: NUMPY_CI_DROP[m.name] } : m));
    },
    dropNote: "test_multiarray's sort, argsort and partition kernels for every dtype and size, and test_count_nonzero_all (NUMPY_CI_DROP)",
    universe: 'numpy-full',
    timeout: 300,
  },
  'numpy-full': {
    ...NUMPY,
    modules: (all) => all,
    timeout: 600,
  },
};

const TEST_OUTCOMES = ['FAIL', 'ERROR', 'XPASS', 'SKIP', 'XFAIL', 'HANG', 'CRASH'];
// Tests the runner leaves out (--exclude): they hang, or end the whole interpreter.
const LEFT_OUT = new Set(['HANG', 'CRASH']);
const MODULE_OUTCOMES = ['FAILS', 'SKIPPED', 'CRASH', 'HANG'];

function usage() {
  return `usage: node tests/conformance/run.mjs {${Object.keys(SUITES).join('|')}} [--jobs N] [--timeout SECONDS] [--only MODULE]... [--strict] [--run-hanging] [--not-wasm] [--list]`;
}

/** A reason the run cannot start (exit status 2). */
export class SetupError extends Error {}

function fail(msg) {
  throw new SetupError(msg);
}

function parseArgs(argv) {
  const o = { suite: null, jobs: 2, timeout: null, only: [], strict: false, runHanging: false, notWasm: false, list: false };
  const number = (a, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) fail(`${a} needs a positive number, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jobs' || a === '-j') o.jobs = Math.floor(number(a, argv[++i]));
    else if (a === '--timeout') o.timeout = number(a, argv[++i]);
    else if (a === '--only' && argv[i + 1]) o.only.push(argv[++i]);
    else if (a === '--strict') o.strict = true;
    else if (a === '--run-hanging') o.runHanging = true;
    else if (a === '--not-wasm') o.notWasm = true;
    else if (a === '--list') o.list = true;
    else if (a === '-h' || a === '--help') {
      console.log(usage());
      process.exit(0);
    } else if (!a.startsWith('-') && !o.suite) o.suite = a;
    else fail(`unknown argument ${a}\n${usage()}`);
  }
  if (!o.suite) fail(`which suite?\n${usage()}`);
  if (!SUITES[o.suite]) fail(`unknown suite ${o.suite}\n${usage()}`);
  if (o.notWasm && SUITES[o.suite].kind !== 'numpy') fail('--not-wasm is for the numpy suites');
  return o;
}

// --- the test bundle and the assets Weft loads ------------------------------------------------

/**
 * The directory a guest stage script prints (built on first use, then cached), checked to hold
 * `files`: guest/test-bundle.sh (CPython's tests) or guest/numpy-tests.sh (numpy's, pytest).
 */
function stageDir(name, label, files) {
  const script = path.join(REPO, 'guest', name);
  console.error(`==> ${label}: bash ${path.relative(REPO, script)}`);
  const r = spawnSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) fail(`guest/${name} failed (exit ${r.status ?? r.signal})`);
  const dir = r.stdout.trim().split('\n').pop();
  for (const f of files) {
    if (!fs.existsSync(path.join(dir, f))) fail(`the ${label} ${dir} has no ${f}`);
  }
  return dir;
}

/** The worker arguments every kind shares: exclusions, the dropped part, the stack dump. */
function workerTail(mod, timeout) {
  return [
    ...mod.excluded.flatMap((id) => ['--exclude', id]),
    ...(mod.drop ? ['--drop', mod.drop] : []),
    // Every thread's stack in the log shortly before the time limit.
    '--dump-after', String(Math.max(1, timeout - 10)),
  ];
}

/** dist/ with some files replaced (name -> path): symlinks in a directory of our own. */
function assetsDir(dist, dir, replaced) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dist)) {
    // A precompressed copy of a replaced file would be the shipped one.
    if (Object.hasOwn(replaced, name.replace(/\.(br|gz)$/, ''))) continue;
    fs.symlinkSync(path.join(dist, name), path.join(dir, name));
  }
  for (const [name, file] of Object.entries(replaced)) fs.symlinkSync(file, path.join(dir, name));
  return dir;
}

/**
 * What each kind of suite runs: prepare(dist, outDir, suite, options) returns {all: the modules,
 * cwd: the workers' working directory (the CLI mounts it), assets(): the assets directory,
 * interpreter(): what the report says was tested, environment: what else the report says of the
 * run, args(mod, timeout): the CLI's arguments,
 * name(arg, modules): the module of the suite that a command line's --only names}.
 */
const KINDS = {
  cpython: {
    title: "CPython 3.13.5's own tests",
    prepare(dist, outDir, suite) {
      const bundle = stageDir('test-bundle.sh', 'test bundle', ['python.wasm', 'Lib/test/libregrtest/findtests.py', 'Lib/test/support/__init__.py']);
      const lib = path.join(bundle, 'Lib');
      const wasm = path.join(bundle, 'python.wasm');
      return {
        all: discover(lib),
        // The CLI mounts its cwd: the bundle directory holding Lib/ must be it.
        cwd: bundle,
        assets: () => assetsDir(dist, path.join(outDir, 'assets'), { 'python.wasm': wasm }),
        interpreter: () => `${path.basename(bundle)}/python.wasm (sha256 ${sha256(wasm).slice(0, 16)}), dist/python-stdlib.zip`,
        environment: { resources: suite.resources === 'all' ? '-u all' : suite.resources ? `-u ${suite.resources}` : 'none (the default of python -m test)' },
        args: (mod, timeout) => [WORKER, lib, mod.name, '--use', suite.resources, ...workerTail(mod, timeout)],
        name: (n) => (n.startsWith('test.') ? n : `test.${n}`),
      };
    },
  },
  numpy: {
    title: "numpy 2.3.5's own tests (pytest)",
    prepare(dist, outDir, suite, o) {
      const bundle = stageDir('numpy-tests.sh', 'numpy test bundle', ['python-numpy-lib.zip', 'pytest.ini', 'test-modules.txt', 'shipped.sha256']);
      const lib = path.join(bundle, 'python-numpy-lib.zip');
      // The tests are only worth their name against the shipped numpy files.
      const shipped = fs.readFileSync(path.join(bundle, 'shipped.sha256'), 'utf8').trim();
      const distLib = path.join(dist, 'python-numpy-lib.zip');
      if (!fs.existsSync(distLib) || sha256(distLib) !== shipped) {
        fail(`${distLib} is not the numpy stage's python-numpy-lib.zip that ${path.basename(bundle)} was made from: run \`cargo xtask build\``);
      }
      const all = fs.readFileSync(path.join(bundle, 'test-modules.txt'), 'utf8').split('\n').filter(Boolean).map((name) => ({ name }));
      return {
        all,
        cwd: bundle, // holds pytest.ini, which the CLI mounts with it
        assets: () => assetsDir(dist, path.join(outDir, 'assets'), { 'python-numpy-lib.zip': lib }),
        interpreter: () => `dist/python-numpy.wasm (sha256 ${sha256(path.join(dist, 'python-numpy.wasm')).slice(0, 16)}), dist/python-numpy-lib.zip + ${path.basename(bundle)} (numpy's tests, pytest)`,
        environment: { pytest: `numpy's pytest.ini, --capture=sys, --import-mode=importlib (numpy_worker.py)${o.notWasm ? '; IS_WASM off (--not-wasm)' : ''}` },
        args: (mod, timeout) => [
          '--packages', 'numpy', NUMPY_WORKER, path.join(bundle, 'pytest.ini'), mod.name,
          ...(o.notWasm ? ['--not-wasm'] : []), ...workerTail(mod, timeout),
        ],
        // numpy._core.tests.test_umath, or a tail naming one module of the suite: test_umath,
        // linalg.tests.test_regression
        name: (n, modules) => {
          const hits = modules.filter((m) => m.name === n || m.name.endsWith(`.${n}`));
          return hits.length === 1 ? hits[0].name : n;
        },
      };
    },
  },
};

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// --- which modules -------------------------------------------------------------------------

/** The modules regrtest would run, as Lib/test/libregrtest/findtests.py finds them. */
function discover(lib) {
  const src = fs.readFileSync(path.join(lib, 'test/libregrtest/findtests.py'), 'utf8');
  const m = /^SPLITTESTDIRS[^=]*=\s*\{([^}]*)\}/m.exec(src);
  if (!m) fail('cannot find SPLITTESTDIRS in Lib/test/libregrtest/findtests.py');
  const split = new Set([...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]));
  const find = (dir, base) => {
    const out = [];
    for (const name of fs.readdirSync(dir)) {
      const ext = path.extname(name);
      const mod = name.slice(0, name.length - ext.length);
      if (!mod.startsWith('test_')) continue;
      const full = base ? `${base}.${mod}` : mod;
      if (split.has(full)) out.push(...find(path.join(dir, mod), base ? full : `test.${mod}`));
      else if (ext === '.py' || ext === '') out.push(full);
    }
    return out;
  };
  return find(path.join(lib, 'test'), '')
    .map((n) => (n.startsWith('test.') ? n : `test.${n}`))
    .sort()
    .map((name) => ({ name }));
}

// --- the expectation file --------------------------------------------------------------------

function readExpected(file, universe) {
  return parseExpected(fs.readFileSync(file, 'utf8'), path.relative(REPO, file), universe);
}

/**
 * Parses and validates an expectation file's text against the modules the suite can run (rel:
 * its name in messages). Returns { modules: Map<module, entry>, tests: Map<id, entry> }, entry =
 * {outcome, reason, line}; throws a SetupError listing every bad line.
 */
export function parseExpected(text, rel, universe) {
  const names = new Set(universe.map((m) => m.name));
  const modules = new Map();
  const tests = new Map();
  const errors = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = `${rel}:${i + 1}`;
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) return void errors.push(`${at}: expected "ID  OUTCOME  reason"`);
    const [, id, outcome, reason = ''] = m;
    const isModule = names.has(id);
    const allowed = isModule ? MODULE_OUTCOMES : TEST_OUTCOMES;
    if (!allowed.includes(outcome)) {
      if (!isModule && MODULE_OUTCOMES.includes(outcome)) return void errors.push(`${at}: ${id} is not a module of this suite (${outcome} is for modules)`);
      if ([...TEST_OUTCOMES, ...MODULE_OUTCOMES].includes(outcome)) return void errors.push(`${at}: ${outcome} is for tests, and ${id} is a module: use one of ${MODULE_OUTCOMES.join(' ')}`);
      return void errors.push(`${at}: unknown outcome ${outcome} (tests: ${TEST_OUTCOMES.join(' ')}; modules: ${MODULE_OUTCOMES.join(' ')})`);
    }
    if (!reason.trim() || reason.includes('<reason>')) return void errors.push(`${at}: ${id} has no reason`);
    if (modules.has(id) || tests.has(id)) return void errors.push(`${at}: ${id} is listed twice`);
    const entry = { outcome, reason: reason.trim(), line: i + 1 };
    if (isModule) modules.set(id, entry);
    else {
      const mod = moduleOf(id, names);
      if (!mod) return void errors.push(`${at}: ${id} belongs to no module this suite runs`);
      tests.set(id, { ...entry, module: mod });
    }
  });
  for (const [id, e] of tests) {
    const mod = modules.get(e.module);
    if (mod && mod.outcome !== 'FAILS') {
      errors.push(`${rel}:${e.line}: ${id}: its module is listed as ${mod.outcome} (line ${mod.line}), so this line can never be checked`);
    }
  }
  if (errors.length) fail(`${errors.length} error(s) in ${rel}:\n  ${errors.join('\n  ')}`);
  return { modules, tests };
}

/** The longest module name that is a prefix of the test id. */
function moduleOf(id, names) {
  let best = null;
  for (let i = id.lastIndexOf('.'); i > 0; i = id.lastIndexOf('.', i - 1)) {
    const prefix = id.slice(0, i);
    if (names.has(prefix)) {
      best = prefix;
      break;
    }
  }
  return best;
}

// --- running one module ----------------------------------------------------------------------

// Worst first: a test with several results (subtests) gets the worst one.
const RANK = { ERROR: 0, FAIL: 1, XPASS: 2, XFAIL: 3, SKIP: 4, ok: 5 };
const MARK_OUTCOME = { ok: 'ok', FAIL: 'FAIL', ERROR: 'ERROR', skipped: 'SKIP', xfail: 'XFAIL', xpass: 'XPASS' };

/**
 * Runs a module; when its process dies while a test runs, runs it again without that test (and
 * the earlier ones that crashed), at most CRASH_RERUNS times. Outcomes of the runs are merged:
 * the tests that crashed are in `crashed`, the module's end is the last run's.
 */
export async function runModule(mod, ctx) {
  const crashed = [];
  let merged = null;
  for (let attempt = 0; ; attempt++) {
    const r = await runOnce({ ...mod, excluded: [...mod.excluded, ...crashed.map((c) => c.id)] }, ctx, attempt);
    if (merged) {
      for (const id of r.order) if (!merged.results.has(id)) merged.order.push(id);
      for (const [id, v] of r.results) merged.results.set(id, v);
      for (const id of r.excludedSeen) if (!crashed.some((c) => c.id === id)) merged.excludedSeen.add(id);
      Object.assign(merged, { ...r, results: merged.results, order: merged.order, excludedSeen: merged.excludedSeen, seconds: merged.seconds + r.seconds });
    } else merged = r;
    const died = !r.timedOut && !r.module && r.running && !crashed.some((c) => c.id === r.running);
    if (!died || attempt >= CRASH_RERUNS || ctx.listedCrash(mod.name)) break;
    crashed.push({ id: r.running, why: `the interpreter ended (exit ${r.signal ?? r.code}): ${r.lastLine}` });
  }
  merged.mod = mod;
  merged.crashed = crashed;
  return merged;
}

function runOnce(mod, ctx, attempt) {
  return new Promise((resolve) => {
    const args = [ctx.cli, ...ctx.args(mod, ctx.timeout)];
    const started = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: ctx.cwd,
      env: { ...process.env, WEFT_ASSETS: ctx.assets },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ctx.children.add(child);
    const log = fs.createWriteStream(path.join(ctx.logDir, `${mod.name}.log`), { flags: attempt ? 'a' : 'w' });
    if (attempt) log.write(`\n==== run ${attempt + 1}, without the tests that crashed: ${mod.excluded.join(' ')}\n`);
    const results = new Map(); // id -> {outcome, reason}
    const order = [];
    const state = { running: null, excludedSeen: new Set(), dropped: 0, module: null, lastLine: '', timedOut: false };
    let pending = '';
    const onMark = (line) => {
      const m = /^##weft-test (\S+) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return;
      const [, kind, id, rest] = m;
      const json = () => {
        try {
          return rest ? JSON.parse(rest) : '';
        } catch {
          return rest;
        }
      };
      if (kind === 'start') return void (state.running = id);
      if (kind === 'excluded') return void state.excludedSeen.add(id);
      if (kind === 'dropped') return void (state.dropped = Number(id));
      if (kind === 'module') return void (state.module = { state: id, ...json() });
      const outcome = MARK_OUTCOME[kind];
      if (!outcome) return;
      if (state.running === id) state.running = null;
      const prev = results.get(id);
      if (!prev) order.push(id);
      if (!prev || RANK[outcome] < RANK[prev.outcome]) results.set(id, { outcome, reason: String(json()) });
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
        else if (l.trim()) state.lastLine = l.trim();
      }
    });
    const timer = setTimeout(() => {
      state.timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, ctx.timeout * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ctx.children.delete(child);
      if (pending.startsWith('##weft-test ')) onMark(pending);
      else if (pending.trim()) state.lastLine = pending.trim();
      log.end();
      resolve({ mod, code, signal, results, order, seconds: (Date.now() - started) / 1000, ...state });
    });
  });
}

// --- one module's outcomes against the file --------------------------------------------------

const SKIPPED_STATES = new Set(['SKIPPED', 'RESOURCE_DENIED', 'DID_NOT_RUN']);
const RAN_STATES = new Set(['PASSED', 'FAILED', 'ENV_CHANGED']);

/**
 * Compares a module's run with the file. Returns the row for the report:
 * counts, status, and problems (differences: fail the run), tighten (improvements),
 * unlisted (candidate lines for the file).
 */
export function evaluate(r, exp, suite, o) {
  const name = r.mod.name;
  const listed = exp.modules.get(name);
  // Lines for tests the suite leaves out (mod.drop) say nothing here.
  const drop = r.mod.drop && new RegExp(r.mod.drop);
  const testsListed = [...exp.tests].filter(([id, e]) => e.module === name && !drop?.test(id));
  const log = path.relative(REPO, path.join(o.logDir, `${name}.log`));
  const row = {
    module: name, run: 0, passed: 0, failed: 0, errors: 0, skipped: 0, xfail: 0, xpass: 0,
    hang: 0, crash: 0, dropped: r.dropped ?? 0, seconds: r.seconds ?? 0,
    status: '', ran: false, envChanged: false, problems: [], tighten: [], unlisted: [],
  };
  const lineOf = (e) => `line ${e.line}`;
  if (r.notRun) {
    row.status = 'hang';
    return row;
  }
  // The line that applies to a test: its own or, where the suite allows groups, the most
  // specific line naming the test without its [parameters], or its class.
  const entryFor = (id) => {
    if (exp.tests.has(id)) return id;
    if (!suite.groups) return null;
    for (let key = id.split('[')[0]; key.length > name.length; key = key.slice(0, key.lastIndexOf('.'))) {
      if (key !== id && exp.tests.has(key)) return key;
    }
    return null;
  };
  const crashed = r.crashed ?? [];
  for (const id of r.excludedSeen) row[exp.tests.get(entryFor(id))?.outcome === 'CRASH' ? 'crash' : 'hang']++;
  row.crash += crashed.length;
  for (const { outcome } of r.results.values()) {
    row.run++;
    if (outcome === 'ok') row.passed++;
    else row[{ FAIL: 'failed', ERROR: 'errors', SKIP: 'skipped', XFAIL: 'xfail', XPASS: 'xpass' }[outcome]]++;
  }

  // What happened to the module as a whole.
  let kind;
  let why = '';
  if (r.timedOut) {
    kind = 'timeout';
    why = r.running ? `timed out after ${o.timeout}s while running ${r.running}` : `timed out after ${o.timeout}s`;
  } else if (!r.module) {
    kind = 'crash';
    why = `ended (exit ${r.signal ?? r.code}) before the worker's result${r.running ? `, while running ${r.running}` : ''}: ${r.lastLine}`;
  } else if (r.module.state === 'UNCAUGHT_EXC') {
    kind = 'crash';
    why = `failed to load: ${r.module.reason}`;
  } else if (SKIPPED_STATES.has(r.module.state)) {
    kind = 'skipped';
    why = r.module.state === 'DID_NOT_RUN' ? 'no test ran' : `skipped: ${r.module.reason}`;
  } else if (RAN_STATES.has(r.module.state)) {
    kind = 'ran';
    row.envChanged = r.module.state === 'ENV_CHANGED';
  } else {
    kind = 'crash';
    why = `the worker's state ${r.module.state}: ${r.module.reason}`;
  }

  const expectedKind = { SKIPPED: 'skipped', CRASH: 'crash', HANG: 'timeout' }[listed?.outcome];
  if (kind !== 'ran') {
    row.status = kind;
    if (expectedKind === kind) return row;
    row.status = kind.toUpperCase();
    if (listed && listed.outcome !== 'FAILS') row.problems.push(`${name}: ${why}, but listed as ${listed.outcome} (${lineOf(listed)}) (log: ${log})`);
    else row.problems.push(`${name}: ${why} (log: ${log})`);
    const outcome = { timeout: 'HANG', crash: 'CRASH', skipped: 'SKIPPED' }[kind];
    row.unlisted.push({ id: name, outcome, observed: why });
    if (kind === 'timeout' && r.running) row.unlisted.push({ id: r.running, outcome: 'HANG', observed: `was running when ${name} timed out` });
    for (const c of crashed) row.unlisted.push({ id: c.id, outcome: 'CRASH', observed: `was running when ${name} ended: ${c.why}` });
    if (kind === 'crash' && r.running) row.unlisted.push({ id: r.running, outcome: 'CRASH', observed: `was running when ${name} ended: ${r.lastLine}` });
    return row;
  }
  row.ran = true;
  if (listed && listed.outcome !== 'FAILS') {
    row.tighten.push(`${name}: listed as ${listed.outcome} (${lineOf(listed)}) but ran its tests now: remove the line${testsListed.length ? '' : ' (and list what does not pass)'}`);
  }
  const blanket = listed?.outcome === 'FAILS';
  const mustList = (outcome) => !['SKIP', 'XFAIL'].includes(outcome) || suite.listSkips;
  let covered = 0;
  const matched = new Map(); // listed id -> {tests, notPassing, group}: the tests its line covered
  const cover = (key, id, passing) => {
    const m = matched.get(key) ?? { tests: 0, notPassing: 0, group: false };
    m.tests++;
    if (!passing) m.notPassing++;
    if (key !== id) m.group = true;
    matched.set(key, m);
  };
  for (const id of r.order) {
    const got = r.results.get(id);
    const key = entryFor(id);
    const want = key && exp.tests.get(key);
    // A group's tests that pass or skip (when skips are not compared) are just counted.
    if (key) cover(key, id, got.outcome === 'ok' || (key !== id && !mustList(got.outcome)));
    if (key && key !== id && !mustList(got.outcome)) continue;
    if (got.outcome === 'ok') {
      // A group line may cover passing tests; whether it still covers a failure is checked below.
      if (want && key === id && !LEFT_OUT.has(want.outcome)) row.tighten.push(`${id}: listed as ${want.outcome} (${lineOf(want)}) but passes now: remove the line`);
    } else if (want) {
      if (want.outcome !== got.outcome) row.problems.push(`${id}: ${got.outcome}, but listed as ${want.outcome} (${lineOf(want)}): ${got.reason}`);
    } else if (!mustList(got.outcome)) {
      // counted, not compared
    } else if (blanket) {
      covered++;
    } else {
      row.problems.push(`${id}: ${got.outcome} (not listed): ${got.reason}`);
      row.unlisted.push({ id, outcome: got.outcome, observed: got.reason });
    }
  }
  // Tests that ended the interpreter (the module ran again without them): never as listed,
  // since a test listed as CRASH is left out of the run.
  for (const c of crashed) {
    const key = entryFor(c.id);
    const want = key && exp.tests.get(key);
    row.problems.push(`${c.id}: CRASH${want ? `, but listed as ${want.outcome} (${lineOf(want)})` : ' (not listed)'}: ${c.why}`);
    row.unlisted.push({ id: c.id, outcome: 'CRASH', observed: c.why });
    if (key) cover(key, c.id, false);
  }
  if (blanket && !covered) row.tighten.push(`${name}: listed as FAILS (${lineOf(listed)}) but none of its tests fails now: remove the line`);
  const leftOut = new Set([...r.excludedSeen].map(entryFor));
  for (const [id, want] of testsListed) {
    const m = matched.get(id);
    if (LEFT_OUT.has(want.outcome)) {
      if (!leftOut.has(id) && !m) row.tighten.push(`${id}: listed as ${want.outcome} (${lineOf(want)}) but no such test exists`);
    } else if (!m) {
      row.tighten.push(`${id}: listed as ${want.outcome} (${lineOf(want)}) but did not run`);
    } else if (m.group && !m.notPassing) {
      row.tighten.push(`${id}: listed as ${want.outcome} (${lineOf(want)}) but none of its ${m.tests} tests fails now: remove the line`);
    }
  }
  const nonPassing = row.failed + row.errors + row.xpass + (suite.listSkips ? row.skipped + row.xfail : 0);
  if (row.problems.length) row.status = 'DIFFERS';
  else row.status = nonPassing ? 'expected' : 'pass';
  return row;
}

// --- reports ---------------------------------------------------------------------------------

// hang, crash: tests left out as listed (HANG, CRASH).
const COLS = ['run', 'passed', 'failed', 'errors', 'skipped', 'xfail', 'xpass', 'hang', 'crash', 'seconds'];

function cells(r) {
  return [r.run, r.passed, r.failed, r.errors, r.skipped, r.xfail, r.xpass, r.hang, r.crash, r.seconds.toFixed(1)];
}

function statusText(r) {
  return r.envChanged ? `${r.status} (env changed)` : r.status;
}

function totalsOf(rows) {
  const t = { run: 0, passed: 0, failed: 0, errors: 0, skipped: 0, xfail: 0, xpass: 0, hang: 0, crash: 0, dropped: 0, seconds: 0 };
  for (const r of rows) for (const k of Object.keys(t)) t[k] += r[k];
  const by = (...s) => rows.filter((r) => s.includes(r.status)).length;
  t.modules = rows.length;
  t.modulesPass = by('pass');
  t.modulesExpected = by('expected');
  t.modulesSkipped = by('skipped');
  t.modulesCrash = by('crash');
  t.modulesHang = by('hang', 'timeout');
  t.modulesDiffer = rows.length - t.modulesPass - t.modulesExpected - t.modulesSkipped - t.modulesCrash - t.modulesHang;
  t.modulesRan = rows.filter((r) => r.ran).length; // ran their tests, whether as listed or not
  t.executed = t.run - t.skipped; // test cases that ran (unittest counts skips in "Ran N tests")
  return t;
}

function pct(a, b) {
  return b ? `${((100 * a) / b).toFixed(1)}%` : '-';
}

function totalsLines(t) {
  return [
    `modules: ${t.modules}: ${t.modulesPass} pass, ${t.modulesExpected} pass apart from listed failures, ` +
      `${t.modulesSkipped} skipped as a whole, ${t.modulesCrash} crash, ${t.modulesHang} hang or time out` +
      (t.modulesDiffer ? `, ${t.modulesDiffer} differ from the file` : '') +
      ` (${t.modulesRan} run their tests: ${pct(t.modulesRan, t.modules)}; fully passing: ${pct(t.modulesPass, t.modules)})`,
    `test cases: ${t.passed} passed of ${t.executed} run (${pct(t.passed, t.executed)}); ` +
      `${t.failed} failed, ${t.errors} errors, ${t.xpass} unexpected successes, ${t.xfail} expected failures; ` +
      `${t.skipped} skipped; ${t.hang + t.crash} left out (${t.hang} hang, ${t.crash} crash the interpreter)`,
  ];
}

function writeReports(o, rows, totals, meta) {
  const md = [];
  md.push(`# Conformance: ${o.suite}`, '');
  md.push(`${meta.title} under Weft in Node (\`${meta.command}\`).`, '');
  md.push('| | |', '|---|---|');
  for (const [k, v] of Object.entries(meta.environment)) md.push(`| ${k} | ${v} |`);
  md.push('', '## Totals', '');
  for (const l of totalsLines(totals)) md.push(`- ${l}`);
  md.push(`- wall time: ${meta.seconds.toFixed(0)} s with ${o.jobs} job(s); ${meta.differences} difference(s) from \`${meta.expected}\`, ${meta.tighten} to tighten`, '');
  md.push('## Modules', '');
  md.push(`| module | ${COLS.join(' | ')} | status |`);
  md.push(`|---|${COLS.map(() => '---:').join('|')}|---|`);
  for (const r of rows) md.push(`| ${r.module} | ${cells(r).join(' | ')} | ${statusText(r)} |`);
  md.push(`| **total** | ${cells(totals).join(' | ')} | |`, '');
  const problems = rows.flatMap((r) => r.problems);
  const tighten = rows.flatMap((r) => r.tighten);
  if (problems.length) md.push('## Differences', '', ...problems.map((p) => `- ${p}`), '');
  if (tighten.length) md.push('## To tighten', '', ...tighten.map((p) => `- ${p}`), '');
  fs.writeFileSync(path.join(o.outDir, 'report.md'), md.join('\n'));
  fs.writeFileSync(path.join(o.outDir, 'report.json'), JSON.stringify({ ...meta, totals, modules: rows }, null, 1) + '\n');
}

// --- main ------------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const suite = SUITES[o.suite];
  o.timeout ??= suite.timeout;
  const dist = path.resolve(process.env.WEFT_DIST || path.join(REPO, 'dist'));
  for (const f of ['cli.mjs', 'python.wasm', 'python-stdlib.zip', 'worker.mjs']) {
    if (!fs.existsSync(path.join(dist, f))) fail(`${path.join(dist, f)} is missing: run \`cargo xtask build\` first`);
  }
  const expectedFile = path.join(HERE, suite.expected);
  const kind = KINDS[suite.kind ?? 'cpython'];
  o.outDir = path.join(REPO, 'target/conformance', o.notWasm ? `${o.suite}-not-wasm` : o.suite);
  const prepared = kind.prepare(dist, o.outDir, suite, o);
  const all = prepared.all;
  const universe = suite.universe ? SUITES[suite.universe].modules(all) : suite.modules(all);
  let modules = suite.modules(all).map((m) => ({ ...m }));
  if (o.only.length) {
    const want = o.only.map((n) => prepared.name(n, modules));
    const missing = want.filter((n) => !modules.some((m) => m.name === n));
    if (missing.length) fail(`--only: not in suite ${o.suite}: ${missing.join(' ')} (see --list)`);
    modules = modules.filter((m) => want.includes(m.name));
  }
  if (o.list) {
    for (const m of modules) console.log(m.name);
    return;
  }
  const exp = readExpected(expectedFile, universe);

  o.logDir = path.join(o.outDir, 'logs');
  fs.rmSync(o.logDir, { recursive: true, force: true });
  fs.mkdirSync(o.logDir, { recursive: true });
  // Longest first (by each module's last duration, whatever suite ran it), so that the last
  // module to finish is a short one.
  const durationsFile = path.join(REPO, 'target/conformance/durations.json');
  let previous = {};
  try {
    previous = JSON.parse(fs.readFileSync(durationsFile, 'utf8'));
  } catch {
    // first run: alphabetical
  }
  const assets = prepared.assets();
  for (const m of modules) {
    const listed = exp.modules.get(m.name);
    m.notRun = listed?.outcome === 'HANG' && !o.runHanging;
    m.excluded = [...exp.tests].filter(([, e]) => e.module === m.name && (e.outcome === 'CRASH' || (e.outcome === 'HANG' && !o.runHanging))).map(([id]) => id);
  }
  // A module run with tests dropped keeps its own duration.
  const durationKey = (m) => (m.drop ? `${o.suite}:${m.name}` : m.name);
  const queue = [...modules].sort((a, b) => (previous[durationKey(b)] ?? 1e9) - (previous[durationKey(a)] ?? 1e9));

  const ctx = {
    cli: path.join(dist, 'cli.mjs'), args: prepared.args, cwd: prepared.cwd, assets, timeout: o.timeout, logDir: o.logDir, children: new Set(),
    listedCrash: (name) => exp.modules.get(name)?.outcome === 'CRASH',
  };
  const stop = (sig) => {
    for (const c of ctx.children) c.kill('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const t0 = Date.now();
  console.error(`==> ${o.suite}: ${modules.length} modules, ${o.jobs} at a time, ${o.timeout}s limit each; logs in ${path.relative(REPO, o.logDir)}/`);
  const rows = new Map();
  let done = 0;
  const width = String(modules.length).length;
  const worker = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      const r = m.notRun ? { mod: m, notRun: true } : await runModule(m, ctx);
      const row = evaluate(r, exp, suite, o);
      rows.set(m.name, row);
      done++;
      const counts = m.notRun ? 'not run (listed as HANG)' : `${row.passed}/${row.run - row.skipped} passed, ${row.skipped} skipped, ${row.seconds.toFixed(1)}s`;
      console.error(`[${String(done).padStart(width)}/${modules.length}] ${m.name} ${statusText(row)} (${counts})`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, modules.length) }, worker));
  const seconds = (Date.now() - t0) / 1000;

  const ordered = modules.map((m) => rows.get(m.name));
  modules.forEach((m, i) => {
    if (ordered[i].status !== 'hang') previous[durationKey(m)] = Math.round(ordered[i].seconds * 10) / 10;
  });
  fs.writeFileSync(durationsFile, JSON.stringify(previous, null, 1) + '\n');
  const totals = totalsOf(ordered);
  const problems = ordered.flatMap((r) => r.problems);
  const tighten = ordered.flatMap((r) => r.tighten);
  const unlisted = ordered.flatMap((r) => r.unlisted);
  const strict = suite.strict || o.strict;

  const w = Math.max(...ordered.map((r) => r.module.length), 6);
  const shown = ordered.length <= 100 ? ordered : ordered.filter((r) => !['pass', 'expected'].includes(r.status));
  console.log('');
  if (shown.length < ordered.length) console.log(`(${ordered.length - shown.length} modules that pass or fail only as listed are in ${path.relative(REPO, path.join(o.outDir, 'report.md'))})`);
  console.log(`${'module'.padEnd(w)} ${COLS.map((c) => c.padStart(7)).join(' ')}  status`);
  for (const r of shown) console.log(`${r.module.padEnd(w)} ${cells(r).map((c) => String(c).padStart(7)).join(' ')}  ${statusText(r)}`);
  console.log(`${'total'.padEnd(w)} ${cells(totals).map((c) => String(c).padStart(7)).join(' ')}`);
  if (totals.dropped) console.log(`(${totals.dropped} tests left out: ${suite.dropNote})`);
  for (const l of totalsLines(totals)) console.log(l);
  const rel = path.relative(REPO, expectedFile);
  if (problems.length) {
    console.log(`\n${problems.length} difference(s) from ${rel}:`);
    for (const p of problems) console.log(`  ${p}`);
  }
  if (tighten.length) {
    console.log(`\n${tighten.length} listed outcome(s) improved: tighten ${rel}${strict ? '' : ' (reported only; --strict fails on them)'}:`);
    for (const p of tighten) console.log(`  ${p}`);
  }
  const unlistedFile = path.join(o.outDir, 'unlisted.txt');
  if (unlisted.length) {
    const idw = Math.max(...unlisted.map((u) => u.id.length));
    fs.writeFileSync(unlistedFile, unlisted.map((u) => `${u.id.padEnd(idw)}  ${u.outcome.padEnd(7)}  <reason>  # observed: ${u.observed}`).join('\n') + '\n');
    console.log(`\n${unlisted.length} line(s) for ${rel}, once their reasons are known, in ${path.relative(REPO, unlistedFile)}`);
  } else fs.rmSync(unlistedFile, { force: true });

  const git = (...a) => spawnSync('git', a, { cwd: REPO, encoding: 'utf8' }).stdout?.trim() || '?';
  const cpus = os.cpus();
  writeReports(o, ordered, totals, {
    suite: o.suite,
    title: kind.title,
    command: `node tests/conformance/run.mjs ${process.argv.slice(2).join(' ')}`,
    expected: rel,
    seconds,
    differences: problems.length,
    tighten: tighten.length,
    environment: {
      date: new Date().toISOString(),
      machine: `${cpus.length} × ${cpus[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
      node: process.version,
      weft: `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' + local changes' : ''}`,
      interpreter: prepared.interpreter(),
      ...prepared.environment,
      'time limit': `${o.timeout} s per module, ${o.jobs} job(s)`,
    },
  });
  const failing = problems.length + (strict ? tighten.length : 0);
  // The last line is read by `cargo xtask conformance`.
  console.log(
    `\n${o.suite}: ${totals.passed} passed, ${totals.executed - totals.passed} not passed, ${totals.skipped} skipped; ` +
      `modules ${totals.modulesRan}/${totals.modules} run; ` +
      `${problems.length} difference(s) from ${path.basename(rel)}, ${tighten.length} to tighten (${seconds.toFixed(1)}s)`,
  );
  process.exitCode = failing ? 1 : 0;
}

// Run when executed; tests/node/conformance-runner.test.mjs imports the parts above.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`run.mjs: ${e instanceof SetupError ? e.message : e.stack || e}`);
    process.exit(2);
  });
}
