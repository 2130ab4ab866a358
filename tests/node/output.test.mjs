// 100 MB written to stdout arrives complete and in order (length + sha256, hashed on the fly).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { runCli } from './helpers.mjs';

const BLOCKS = 100; // of 1 MiB: block i = i as 4 big-endian bytes, then bytes(range(256)) repeated

function expectedSha256() {
  const base = Buffer.alloc(1 << 20);
  for (let i = 0; i < base.length; i++) base[i] = i & 0xff;
  const h = createHash('sha256');
  for (let i = 0; i < BLOCKS; i++) {
    base.writeUInt32BE(i, 0);
    h.update(base);
  }
  return h.digest('hex');
}

test('100 MB on stdout arrives complete and in order', { timeout: 600_000 }, async () => {
  const hash = createHash('sha256');
  let length = 0;
  const r = await runCli(['-c', `
import hashlib, sys
base = bytes(range(256)) * 4096
h = hashlib.sha256()
out = sys.stdout.buffer
for i in range(${BLOCKS}):
    block = i.to_bytes(4, "big") + base[4:]
    h.update(block)
    out.write(block)
out.flush()
print(h.hexdigest(), file=sys.stderr)
`], {
    timeout: 590_000,
    onStdout: (chunk) => { hash.update(chunk); length += chunk.length; },
  });
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}`);
  assert.equal(length, BLOCKS << 20, 'stdout length');
  const got = hash.digest('hex');
  const want = expectedSha256();
  assert.equal(r.stderr.trim(), want, 'Python hashed something other than the expected bytes');
  assert.equal(got, want, 'stdout bytes differ from what Python wrote (lost, duplicated or reordered)');
  console.log(`# 100 MiB through stdout in ${r.ms} ms (${(100 / (r.ms / 1000)).toFixed(1)} MiB/s)`);
});
