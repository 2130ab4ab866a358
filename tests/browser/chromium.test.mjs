// Weft in headless Chromium: coi-server (port 0) serves a scratch root holding a copy of dist/
// and a test page; the page must be cross-origin isolated and run Python in the module Worker
// through weft.mjs. Chromium is the system one (/usr/bin/chromium or WEFT_CHROMIUM), driven by
// playwright-core; it is never downloaded. The setup is in helpers.mjs; sync-io.test.mjs tests
// stdin, interrupts and page-owned files.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO, T, startCoiServer, startPlainServer, usePage } from './helpers.mjs';

describe('chromium', { timeout: 300_000 }, () => {
  const ctx = usePage({ serve: startCoiServer, artifacts: 'chromium' });
  const run = (args) => ctx.page.evaluate((a) => window.runPython(a), args);
  const explain = (r) => ctx.explain(r);

  test('the page is cross-origin isolated (SharedArrayBuffer usable)', T, async () => {
    const iso = await ctx.page.evaluate(() => ({
      isolated: self.crossOriginIsolated,
      sab: typeof SharedArrayBuffer === 'function',
    }));
    assert.deepEqual(iso, { isolated: true, sab: true });
  });

  test('print with unicode', T, async () => {
    const r = await run(['-c', 'import sys; print("héllo ✓ 𝄞", sys.platform)']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, 'héllo ✓ 𝄞 wasi\n', explain(r));
  });

  test('a computation with the stdlib', T, async () => {
    const r = await run(['-c', [
      'import hashlib, json, decimal, zlib',
      'decimal.getcontext().prec = 30',
      'data = json.dumps({"n": sum(i * i for i in range(1000))}).encode()',
      'print(json.loads(zlib.decompress(zlib.compress(data)))["n"], hashlib.sha256(b"abc").hexdigest()[:16],',
      '      decimal.Decimal(2).sqrt())',
    ].join('\n')]);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout, '332833500 ba7816bf8f01cfea 1.41421356237309504880168872421\n', explain(r));
  });

  test('a traceback goes to stderr with exit code 1; sys.exit(3) gives 3', T, async () => {
    const r = await run(['-c', 'def f():\n    raise KeyError("nope")\nf()']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.stdout, '', explain(r));
    // A page's stderr is not a terminal: plain text, no ANSI colour codes.
    assert.doesNotMatch(r.stderr, /\x1b\[/, explain(r));
    assert.match(r.stderr, /^Traceback \(most recent call last\):[\s\S]*KeyError: 'nope'\n$/, explain(r));
    const r3 = await run(['-c', 'import sys; sys.exit(3)']);
    assert.equal(r3.code, 3, explain(r3));
  });

  test('files in /tmp', T, async () => {
    const code = (await readFile(join(REPO, 'tests', 'python', 'fs_checks.py'), 'utf8'));
    const r = await run(['-c', code, '/tmp']);
    assert.equal(r.error, undefined, explain(r));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^WEFT-RESULTS /, explain(r));
  });
});

describe('chromium without cross-origin isolation', { timeout: 300_000 }, () => {
  const ctx = usePage({ serve: startPlainServer, artifacts: 'chromium-plain' });

  test('a page from a host without COOP/COEP still runs Python and streams its output', T, async () => {
    const iso = await ctx.page.evaluate(() => self.crossOriginIsolated);
    assert.equal(iso, false);
    const r = await ctx.page.evaluate((a) => window.runPython(a), ['-c', 'import sys\nfor i in range(3): print("line", i)\nsys.exit(4)']);
    assert.equal(r.error, undefined, ctx.explain(r));
    assert.equal(r.stdout, 'line 0\nline 1\nline 2\n', ctx.explain(r));
    assert.equal(r.code, 4, ctx.explain(r));
  });
});
