// tests/conformance/run.mjs's own logic, without running CPython: the expectation file's
// validation, and how one module's outcomes are judged against it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { SetupError, SUITES, evaluate, parseExpected, runModule } from '../conformance/run.mjs';

const UNIVERSE = ['test.test_a', 'test.test_b', 'test.test_pkg.test_c', 'test.test_skip'].map((name) => ({ name }));

function errorsOf(text) {
  try {
    parseExpected(text, 'x.txt', UNIVERSE);
  } catch (e) {
    assert.ok(e instanceof SetupError, e.stack);
    return e.message;
  }
  assert.fail('the file was accepted');
}

/** A module's run as runModule() reports it. */
function run(name, results = {}, extra = {}) {
  return {
    mod: { name },
    results: new Map(Object.entries(results).map(([id, outcome]) => [id, { outcome, reason: `${outcome} reason` }])),
    order: Object.keys(results),
    excludedSeen: new Set(),
    dropped: 0,
    module: { state: Object.values(results).some((o) => o === 'FAIL' || o === 'ERROR') ? 'FAILED' : 'PASSED', reason: '' },
    timedOut: false,
    running: null,
    code: 0,
    lastLine: '',
    seconds: 1,
    ...extra,
  };
}

const O = { logDir: '/tmp/logs', timeout: 60 };
const expect = (text) => parseExpected(text, 'x.txt', UNIVERSE);

describe('expectation file', () => {
  test('module and test lines, comments, reasons with spaces', () => {
    const exp = expect(
      '# header\n\ntest.test_skip  SKIPPED  no processes on WASI\n' +
        'test.test_a.T.test_x  FAIL   the stdlib has no sources: no line\n' +
        'test.test_pkg.test_c.T.test_y  HANG  waits forever\n' +
        'test.test_b  FAILS  every failure: same cause\n',
    );
    assert.deepEqual([...exp.modules.keys()], ['test.test_skip', 'test.test_b']);
    assert.equal(exp.tests.get('test.test_a.T.test_x').reason, 'the stdlib has no sources: no line');
    assert.equal(exp.tests.get('test.test_a.T.test_x').module, 'test.test_a');
    assert.equal(exp.tests.get('test.test_pkg.test_c.T.test_y').module, 'test.test_pkg.test_c');
  });

  test('every bad line is reported, with its line number', () => {
    const msg = errorsOf(
      'test.test_a.T.t1  WRONG  why\n' + // 1: unknown outcome
        'test.test_a.T.t2  FAIL\n' + // 2: no reason
        'test.test_a.T.t3  FAIL  <reason>\n' + // 3: unedited suggestion
        'test.test_a.T.t4  FAIL  why\n' +
        'test.test_a.T.t4  ERROR  why again\n' + // 5: duplicate
        'test.test_zzz.T.t5  FAIL  why\n' + // 6: no such module
        'test.test_zz  SKIPPED  why\n' + // 7: a module outcome for something that is not a module
        'test.test_b  FAIL  why\n' + // 8: a test outcome for a module
        'test.test_skip  SKIPPED  why\n' +
        'test.test_skip.T.t6  FAIL  why\n', // 10: under a module that does not run
    );
    for (const want of [
      /x\.txt:1: unknown outcome WRONG/,
      /x\.txt:2: test\.test_a\.T\.t2 has no reason/,
      /x\.txt:3: test\.test_a\.T\.t3 has no reason/,
      /x\.txt:5: test\.test_a\.T\.t4 is listed twice/,
      /x\.txt:6: test\.test_zzz\.T\.t5 belongs to no module/,
      /x\.txt:7: test\.test_zz is not a module of this suite/,
      /x\.txt:8: FAIL is for tests, and test\.test_b is a module/,
      /x\.txt:10: test\.test_skip\.T\.t6: its module is listed as SKIPPED/,
    ]) assert.match(msg, want);
    assert.match(msg, /^8 error\(s\) in x\.txt/);
  });

  test('the checked-in suites are defined', () => {
    assert.deepEqual(Object.keys(SUITES).sort(), ['ci', 'full', 'numpy', 'numpy-ci', 'numpy-full', 'threads']);
    assert.equal(SUITES.threads.listSkips, true);
    assert.equal(SUITES.ci.expected, SUITES.full.expected);
    assert.equal(SUITES['numpy-ci'].expected, SUITES.numpy.expected);
    assert.equal(SUITES.numpy.kind, 'numpy');
    assert.ok(SUITES.numpy.groups && !SUITES.full.groups);
  });

  test("the numpy suites take issue 8's modules, and fail on one the bundle lacks", () => {
    const bundle = [
      'numpy._core.tests.test_multiarray', 'numpy._core.tests.test_umath', 'numpy._core.tests.test_numeric',
      'numpy._core.tests.test_dtype', 'numpy._core.tests.test_ufunc', 'numpy._core.tests.test_datetime',
      'numpy.linalg.tests.test_linalg', 'numpy.linalg.tests.test_regression', 'numpy.fft.tests.test_pocketfft',
      'numpy.random.tests.test_random', 'numpy.random.tests.test_generator_mt19937', 'numpy.random.tests.test_direct',
      'numpy.random.tests.test_smoke', 'numpy.lib.tests.test_io',
    ].map((name) => ({ name }));
    const names = SUITES.numpy.modules(bundle).map((m) => m.name);
    assert.ok(!names.includes('numpy._core.tests.test_datetime') && !names.includes('numpy.lib.tests.test_io'));
    assert.equal(names.length, 12);
    const ci = SUITES['numpy-ci'].modules(bundle);
    assert.ok(ci.every((m) => names.includes(m.name)));
    assert.ok(!ci.some((m) => m.name === 'numpy.linalg.tests.test_regression'));
    assert.ok(new RegExp(ci.find((m) => m.name === 'numpy._core.tests.test_multiarray').drop).test('numpy._core.tests.test_multiarray.test_sort_int[int8-N3]'));
    assert.throws(() => SUITES.numpy.modules(bundle.slice(1)), /NUMPY_MODULES names modules the numpy test bundle does not have: numpy\._core\.tests\.test_multiarray/);
  });
});

describe('judging a module', () => {
  const full = SUITES.full;
  const threads = SUITES.threads;

  test('an unlisted failure is a difference, with a line to add', () => {
    const row = evaluate(run('test.test_a', { 'test.test_a.T.ok': 'ok', 'test.test_a.T.bad': 'FAIL' }), expect(''), full, O);
    assert.equal(row.status, 'DIFFERS');
    assert.equal(row.ran, true); // it ran its tests, though not as listed
    assert.equal(row.problems.length, 1);
    assert.match(row.problems[0], /test\.test_a\.T\.bad: FAIL \(not listed\)/);
    assert.deepEqual(row.unlisted.map((u) => [u.id, u.outcome]), [['test.test_a.T.bad', 'FAIL']]);
    assert.equal(row.passed, 1);
    assert.equal(row.failed, 1);
  });

  test('a listed failure is expected; a listed one that passes is reported for tightening', () => {
    const exp = expect('test.test_a.T.bad  FAIL  why\ntest.test_a.T.fixed  ERROR  why\n');
    const row = evaluate(run('test.test_a', { 'test.test_a.T.bad': 'FAIL', 'test.test_a.T.fixed': 'ok' }), exp, full, O);
    assert.equal(row.status, 'expected');
    assert.deepEqual(row.problems, []);
    assert.equal(row.tighten.length, 1);
    assert.match(row.tighten[0], /test\.test_a\.T\.fixed: listed as ERROR \(line 2\) but passes now/);
  });

  test('a listed outcome of another kind is a difference', () => {
    const exp = expect('test.test_a.T.bad  FAIL  why\n');
    const row = evaluate(run('test.test_a', { 'test.test_a.T.bad': 'ERROR' }), exp, full, O);
    assert.equal(row.status, 'DIFFERS');
    assert.match(row.problems[0], /ERROR, but listed as FAIL/);
  });

  test('skips need lines only where the suite says so', () => {
    const r = run('test.test_a', { 'test.test_a.T.s': 'SKIP' });
    assert.equal(evaluate(r, expect(''), full, O).status, 'pass');
    const strict = evaluate(r, expect(''), threads, O);
    assert.equal(strict.status, 'DIFFERS');
    assert.match(strict.problems[0], /SKIP \(not listed\)/);
  });

  test('FAILS covers every failure of its module, and is reported once none fails', () => {
    const exp = expect('test.test_b  FAILS  one cause\n');
    const row = evaluate(run('test.test_b', { 'test.test_b.T.x': 'FAIL', 'test.test_b.T.y': 'ERROR' }), exp, full, O);
    assert.equal(row.status, 'expected');
    assert.deepEqual(row.problems, []);
    const fixed = evaluate(run('test.test_b', { 'test.test_b.T.x': 'ok' }), exp, full, O);
    assert.equal(fixed.status, 'pass');
    assert.match(fixed.tighten[0], /listed as FAILS \(line 1\) but none of its tests fails now/);
  });

  test('a module skipped as a whole must be listed as SKIPPED', () => {
    const skipped = run('test.test_skip', {}, { module: { state: 'SKIPPED', reason: 'requires subprocess' } });
    const unlisted = evaluate(skipped, expect(''), full, O);
    assert.equal(unlisted.status, 'SKIPPED');
    assert.equal(unlisted.ran, false);
    assert.match(unlisted.problems[0], /test\.test_skip: skipped: requires subprocess/);
    assert.deepEqual(unlisted.unlisted.map((u) => u.outcome), ['SKIPPED']);
    const listed = evaluate(skipped, expect('test.test_skip  SKIPPED  no processes\n'), full, O);
    assert.equal(listed.status, 'skipped');
    assert.deepEqual(listed.problems, []);
    const runsNow = evaluate(run('test.test_skip', { 'test.test_skip.T.t': 'ok' }), expect('test.test_skip  SKIPPED  no processes\n'), full, O);
    assert.equal(runsNow.status, 'pass');
    assert.match(runsNow.tighten[0], /listed as SKIPPED \(line 1\) but ran its tests now/);
  });

  test('a time-out names the running test; a crash without a listing is a difference', () => {
    const hung = evaluate(run('test.test_a', { 'test.test_a.T.ok': 'ok' }, { timedOut: true, running: 'test.test_a.T.wait', module: null }), expect(''), full, O);
    assert.equal(hung.status, 'TIMEOUT');
    assert.match(hung.problems[0], /timed out after 60s while running test\.test_a\.T\.wait/);
    assert.deepEqual(hung.unlisted.map((u) => [u.id, u.outcome]), [['test.test_a', 'HANG'], ['test.test_a.T.wait', 'HANG']]);
    const died = run('test.test_a', {}, { module: null, code: 70, running: 'test.test_a.T.deep', lastLine: 'weft: Maximum call stack size exceeded' });
    const unlisted = evaluate(died, expect(''), full, O);
    assert.equal(unlisted.status, 'CRASH');
    assert.deepEqual(unlisted.unlisted.map((u) => [u.id, u.outcome]), [['test.test_a', 'CRASH'], ['test.test_a.T.deep', 'CRASH']]);
    assert.equal(evaluate(died, expect('test.test_a  CRASH  dies\n'), full, O).status, 'crash');
  });

  test('a test that crashed its process (the module ran again without it) is a difference', () => {
    const r = run('test.test_a', { 'test.test_a.T.ok': 'ok' }, { crashed: [{ id: 'test.test_a.T.deep', why: 'the interpreter ended (exit 70): stack' }] });
    const row = evaluate(r, expect(''), full, O);
    assert.equal(row.status, 'DIFFERS');
    assert.equal(row.ran, true);
    assert.equal(row.crash, 1);
    assert.match(row.problems[0], /test\.test_a\.T\.deep: CRASH \(not listed\): the interpreter ended/);
    assert.deepEqual(row.unlisted.map((u) => [u.id, u.outcome]), [['test.test_a.T.deep', 'CRASH']]);
    const listed = evaluate(r, expect('test.test_a.T.deep  FAIL  why\n'), full, O);
    assert.match(listed.problems[0], /CRASH, but listed as FAIL \(line 1\)/);
  });

  test('tests left out as HANG or CRASH are counted, and stale ones reported', () => {
    const exp = expect('test.test_a.T.h  HANG  waits\ntest.test_a.T.c  CRASH  stack\ntest.test_a.T.gone  HANG  waits\n');
    const row = evaluate(run('test.test_a', { 'test.test_a.T.ok': 'ok' }, { excludedSeen: new Set(['test.test_a.T.h', 'test.test_a.T.c']) }), exp, full, O);
    assert.equal(row.status, 'pass');
    assert.equal(row.hang, 1);
    assert.equal(row.crash, 1);
    assert.equal(row.tighten.length, 1);
    assert.match(row.tighten[0], /test\.test_a\.T\.gone: listed as HANG \(line 3\) but no such test exists/);
  });
});

describe('group lines (numpy suites)', () => {
  const numpy = SUITES.numpy;
  const M = 'numpy.x.tests.test_m';
  const universe = [{ name: M }];
  const exp = (text) => parseExpected(text, 'x.txt', universe);
  const runM = (results, extra) => run(M, Object.fromEntries(Object.entries(results).map(([k, v]) => [`${M}.${k}`, v])), extra);

  test('a test without [parameters] covers each parametrization; a class each of its tests', () => {
    const e = exp(`${M}.T.test_p  FAIL  no ctypes\n${M}.C  ERROR  no os.dup\n`);
    const row = evaluate(runM({ 'T.test_p[a]': 'FAIL', 'T.test_p[b]': 'ok', 'C.test_x[1.5-a b]': 'ERROR', 'C.test_y': 'ERROR', 'D.test_z': 'ok' }), e, numpy, O);
    assert.deepEqual(row.problems, []);
    assert.deepEqual(row.tighten, []);
    assert.equal(row.status, 'expected');
  });

  test("a group's skipped tests are counted, not compared", () => {
    const e = exp(`${M}.T.test_p  XPASS  why\n`);
    const row = evaluate(runM({ 'T.test_p[a]': 'XPASS', 'T.test_p[b]': 'SKIP' }), e, numpy, O);
    assert.deepEqual(row.problems, []);
    assert.deepEqual(row.tighten, []);
    const skipsOnly = evaluate(runM({ 'T.test_p[b]': 'SKIP' }), e, numpy, O);
    assert.match(skipsOnly.tighten[0], /none of its 1 tests fails now/);
  });

  test('the most specific line applies, and kinds are still compared', () => {
    const e = exp(`${M}.C  ERROR  setup fails\n${M}.C.test_y  FAIL  assertion\n`);
    const row = evaluate(runM({ 'C.test_x': 'ERROR', 'C.test_y': 'ERROR' }), e, numpy, O);
    assert.equal(row.problems.length, 1);
    assert.match(row.problems[0], /C\.test_y: ERROR, but listed as FAIL \(line 2\)/);
  });

  test('a group none of whose tests fails is reported for tightening, once', () => {
    const e = exp(`${M}.T.test_p  FAIL  why\n`);
    const row = evaluate(runM({ 'T.test_p[a]': 'ok', 'T.test_p[b]': 'ok' }), e, numpy, O);
    assert.deepEqual(row.problems, []);
    assert.equal(row.tighten.length, 1);
    assert.match(row.tighten[0], /T\.test_p: listed as FAIL \(line 1\) but none of its 2 tests fails now/);
    const gone = evaluate(runM({ 'U.test_q': 'ok' }), e, numpy, O);
    assert.match(gone.tighten[0], /T\.test_p: listed as FAIL \(line 1\) but did not run/);
  });

  test('groups are left out as a whole when listed as HANG or CRASH', () => {
    const e = exp(`${M}.T  HANG  waits for a process\n`);
    const row = evaluate(runM({ 'U.test_q': 'ok' }, { excludedSeen: new Set([`${M}.T.test_a`, `${M}.T.test_b[1]`]) }), e, numpy, O);
    assert.equal(row.hang, 2);
    assert.deepEqual(row.tighten, []);
  });

  test('other suites match test lines exactly', () => {
    const e = expect('test.test_a.T.test_p  FAIL  why\n');
    const row = evaluate(run('test.test_a', { 'test.test_a.T.test_p[a]': 'FAIL' }), e, SUITES.full, O);
    assert.match(row.problems[0], /test_p\[a\]: FAIL \(not listed\)/);
  });
});

describe('a test that ends the interpreter', () => {
  // A stand-in for `node dist/cli.mjs WORKER ...`: writes the worker's marks for T.ok, then
  // "traps" (exit 70, as the CLI does) in T.crash unless that test is excluded; with it excluded,
  // runs T.after and reports the module.
  const FAKE = `
const args = process.argv.slice(2);
const excluded = args.flatMap((a, i) => (args[i - 1] === '--exclude' ? [a] : []));
const mark = (s) => process.stderr.write('\\n##weft-test ' + s + '\\n');
mark('start m.T.ok'); mark('ok m.T.ok ""');
if (!excluded.includes('m.T.crash')) { mark('start m.T.crash'); process.stderr.write('weft: python.wasm trapped: unreachable\\n'); process.exit(70); }
mark('excluded m.T.crash'); mark('start m.T.after'); mark('FAIL m.T.after "AssertionError: x"');
mark('module FAILED {"reason": "", "tests_run": 2, "env_changed": false}');
`;

  test('is a CRASH of that test; the module runs again without it and its other outcomes count', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-runner-'));
    try {
      const cli = path.join(dir, 'fake-cli.mjs');
      fs.writeFileSync(cli, FAKE);
      const ctx = {
        cli, args: (mod) => mod.excluded.flatMap((id) => ['--exclude', id]), cwd: dir, assets: dir, timeout: 60,
        logDir: dir, children: new Set(), listedCrash: () => false,
      };
      const r = await runModule({ name: 'm', excluded: [] }, ctx);
      assert.deepEqual(r.crashed.map((c) => c.id), ['m.T.crash']);
      assert.match(r.crashed[0].why, /exit 70.*trapped: unreachable/);
      assert.deepEqual(r.order, ['m.T.ok', 'm.T.after']);
      assert.equal(r.module.state, 'FAILED');
      assert.equal(r.excludedSeen.size, 0); // left out by the runner, not by the file
      const universe = [{ name: 'm' }];
      const row = evaluate(r, parseExpected('m.T.after  FAIL  why\n', 'x.txt', universe), SUITES.numpy, { logDir: dir, timeout: 60 });
      assert.equal(row.status, 'DIFFERS');
      assert.deepEqual(row.problems.map((p) => p.split(':')[0]), ['m.T.crash']);
      assert.deepEqual(row.unlisted.map((u) => [u.id, u.outcome]), [['m.T.crash', 'CRASH']]);
      assert.equal(row.passed, 1);
      assert.equal(row.crash, 1);
      assert.match(fs.readFileSync(path.join(dir, 'm.log'), 'utf8'), /==== run 2, without the tests that crashed: m\.T\.crash/);
      // Listed as CRASH, the test is left out from the start: no rerun, no difference.
      const listed = parseExpected('m.T.after  FAIL  why\nm.T.crash  CRASH  traps\n', 'x.txt', universe);
      const r2 = await runModule({ name: 'm', excluded: ['m.T.crash'] }, ctx);
      assert.deepEqual(r2.crashed, []);
      const row2 = evaluate(r2, listed, SUITES.numpy, { logDir: dir, timeout: 60 });
      assert.equal(row2.status, 'expected');
      assert.equal(row2.crash, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
