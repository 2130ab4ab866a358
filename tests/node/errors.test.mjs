// Bad input and broken assets: one clear message on stderr, non-zero exit, never a hang.
// Each case runs the CLI of a scratch copy of dist/ (its assets are next to it; WEFT_ASSETS
// points there too) with one asset damaged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { copyOfDist, runCli, runPython, show } from './helpers.mjs';

const T = { timeout: 120_000 };

/** Runs `print(1)` with the CLI of a dist copy damaged by `damage(dir)`. */
async function withDamagedDist(damage) {
  const { dir, cleanup } = await copyOfDist();
  try {
    await damage(dir);
    return await runCli(['-c', 'print("should not run")'], {
      cli: join(dir, 'cli.mjs'), env: { WEFT_ASSETS: dir }, timeout: 60_000,
    });
  } finally {
    await cleanup();
  }
}

function assertCleanFailure(r, mention) {
  assert.notEqual(r.code, 0, `expected a failure\n${show(r)}`);
  assert.equal(r.stdout, '', show(r));
  const err = r.stderr.trim();
  assert.ok(err.length > 0, 'nothing on stderr');
  assert.match(err, mention, `stderr does not name the cause\n${show(r)}`);
  assert.ok(err.split('\n').length <= 25, `not one clear message (${err.split('\n').length} lines)\n${show(r)}`);
}

describe('broken assets', () => {
  test('truncated python.wasm', T, async () => {
    const r = await withDamagedDist((d) => truncate(join(d, 'python.wasm'), 4096));
    assertCleanFailure(r, /python\.wasm/);
  });

  test('python.wasm replaced by garbage', T, async () => {
    const r = await withDamagedDist((d) => writeFile(join(d, 'python.wasm'), randomBytes(100_000)));
    assertCleanFailure(r, /python\.wasm/);
  });

  test('python.wasm missing', T, async () => {
    const r = await withDamagedDist((d) => rm(join(d, 'python.wasm')));
    assertCleanFailure(r, /python\.wasm/);
  });

  test('stdlib bundle is not a zip', T, async () => {
    const r = await withDamagedDist((d) => writeFile(join(d, 'python-stdlib.zip'), randomBytes(50_000)));
    assertCleanFailure(r, /stdlib/i);
  });

  test('stdlib bundle truncated', T, async () => {
    const r = await withDamagedDist(async (d) => {
      const zip = join(d, 'python-stdlib.zip');
      const size = (await readFile(zip)).length;
      await truncate(zip, Math.floor(size / 2));
    });
    assertCleanFailure(r, /stdlib/i);
  });

  test('stdlib bundle missing', T, async () => {
    const r = await withDamagedDist((d) => rm(join(d, 'python-stdlib.zip')));
    assertCleanFailure(r, /stdlib/i);
  });
});

describe('crashes', () => {
  test('a trap in python.wasm (os.abort) is one clear error, non-zero exit', T, async () => {
    const r = await runPython('import os\nprint("before", flush=True)\nos.abort()', { timeout: 60_000 });
    assert.notEqual(r.code, 0, show(r));
    assert.equal(r.stdout, 'before\n', show(r));
    assert.match(r.stderr, /trap|unreachable|abort|crash/i, show(r));
    assert.ok(r.stderr.trim().split('\n').length <= 25, show(r));
  });
});
