// Weft.start's onProgress in Node, where the assets are files of dist/: the bytes of every asset
// counted up to their total, then compile, then ready, before start() resolves.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { DIST, client, startWeft } from './helpers.mjs';

const T = { timeout: 120_000 };
const ASSETS = ['runtime/worker_runtime_bg.wasm', 'python.wasm', 'python-stdlib.zip'];

describe('onProgress', () => {
  test('fetch events up to the assets\' total, then compile, then ready; Python then runs', T, async () => {
    const sizes = await Promise.all(ASSETS.map(async (a) => (await stat(join(DIST, a))).size));
    const total = sizes.reduce((a, b) => a + b);
    const events = [];
    const s = await startWeft({ onProgress: (e) => events.push({ ...e }) });
    const atStart = events.length;
    try {
      const phases = events.map((e) => e.phase);
      assert.match(phases.join(' '), /^(fetch )+compile ready$/, JSON.stringify(events));
      const fetches = events.filter((e) => e.phase === 'fetch');
      assert.deepEqual(new Set(fetches.map((e) => e.asset)), new Set(ASSETS), JSON.stringify(fetches));
      for (let i = 0; i < fetches.length; i++) {
        assert.equal(fetches[i].total, total, `event ${i}: total`);
        assert.ok(fetches[i].loaded > 0 && fetches[i].loaded <= total, `event ${i}: loaded ${fetches[i].loaded}`);
        if (i) assert.ok(fetches[i].loaded >= fetches[i - 1].loaded, `event ${i}: loaded went down`);
      }
      assert.equal(fetches.at(-1).loaded, total, 'the last fetch event has every byte');
      for (const e of events.slice(-2)) {
        assert.deepEqual({ loaded: e.loaded, total: e.total }, { loaded: total, total }, JSON.stringify(e));
        assert.equal(e.asset, undefined);
      }
      assert.equal(atStart, events.length, 'ready came before start() resolved, nothing after');
      assert.equal(await s.py.run(['-c', 'print("ran")']), 0, s.stderr());
      assert.equal(s.stdout(), 'ran\n');
      assert.equal(events.length, atStart, 'runs report no progress');
    } finally {
      await s.py.close();
    }
  });

  test('a throwing callback does not stop the start; a non-function is a TypeError', T, async () => {
    const reported = [];
    const consoleError = console.error;
    console.error = (...args) => reported.push(args.join(' '));
    let s;
    try {
      s = await startWeft({ onProgress: () => { throw new Error('callback bug'); } });
    } finally {
      console.error = consoleError;
    }
    try {
      assert.ok(reported.length >= 3 && reported.every((m) => m.includes('callback bug')), reported.join('\n'));
      assert.equal(await s.py.run(['-c', 'pass']), 0, s.stderr());
    } finally {
      await s.py.close();
    }
    await assert.rejects(client.Weft.start({ onProgress: 'yes' }), TypeError);
  });
});
