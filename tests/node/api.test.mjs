// The client API (dist/weft.mjs) in Node: Weft.start -> run -> close.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { startWeft } from './helpers.mjs';

const T = { timeout: 120_000 };

describe('client API', () => {
  test('run -> exit 0, output through the stdout callback as bytes', T, async () => {
    const s = await startWeft();
    try {
      const code = await s.py.run(['-c', 'print("héllo ✓ 𝄞")']);
      assert.equal(code, 0, s.stderr());
      assert.equal(s.stdout(), 'héllo ✓ 𝄞\n');
      assert.equal(s.stderr(), '');
    } finally {
      await s.py.close();
    }
  });

  test('env reaches os.environ; stderr callback; sys.exit code', T, async () => {
    const s = await startWeft({ env: { WEFT_GREETING: 'grüß dich', OTHER: '' } });
    try {
      const code = await s.py.run(['-c',
        'import os, sys\nprint(os.environ["WEFT_GREETING"], repr(os.environ["OTHER"]))\n' +
        'print("to stderr", file=sys.stderr)\nsys.exit(3)']);
      assert.equal(code, 3, s.stderr());
      assert.equal(s.stdout(), "grüß dich ''\n");
      assert.equal(s.stderr(), 'to stderr\n');
    } finally {
      await s.py.close();
    }
  });

  test('argv', T, async () => {
    const s = await startWeft();
    try {
      const code = await s.py.run(['-c', 'import sys, json; print(json.dumps(sys.argv[1:]))', 'a b', '--flag']);
      assert.equal(code, 0, s.stderr());
      assert.deepEqual(JSON.parse(s.stdout()), ['a b', '--flag']);
    } finally {
      await s.py.close();
    }
  });

  test('uncaught exception -> traceback on stderr, exit 1', T, async () => {
    const s = await startWeft();
    try {
      const code = await s.py.run(['-c', '1/0']);
      assert.equal(code, 1);
      assert.match(s.stderr(), /Traceback \(most recent call last\):[\s\S]*ZeroDivisionError: division by zero\n$/);
    } finally {
      await s.py.close();
    }
  });

  test('a trap rejects run() with an Error; a new interpreter then works', T, async () => {
    const s = await startWeft();
    try {
      await assert.rejects(s.py.run(['-c', 'import os; os.abort()']), (e) => {
        assert.ok(e instanceof Error, `rejected with ${typeof e}: ${e}`);
        assert.ok(e.message.length > 0);
        return true;
      });
    } finally {
      await s.py.close().catch(() => {});
    }
    const again = await startWeft();
    try {
      assert.equal(await again.py.run(['-c', 'print(sum(range(101)))']), 0, again.stderr());
      assert.equal(again.stdout(), '5050\n');
    } finally {
      await again.py.close();
    }
  });
});
