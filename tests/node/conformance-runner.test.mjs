// tests/conformance/run.mjs's own logic, without running CPython: the expectation file's
// validation, and how one module's outcomes are judged against it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SetupError, SUITES, evaluate, parseExpected } from '../conformance/run.mjs';

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
    assert.deepEqual(Object.keys(SUITES).sort(), ['ci', 'full', 'threads']);
    assert.equal(SUITES.threads.listSkips, true);
    assert.equal(SUITES.ci.expected, SUITES.full.expected);
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
