// Weft.unpackArchive in Node: a real archive (the stdlib bundle itself) extracted on the
// runtime's parallel workers and on one thread, byte for byte as the bundle serves it; ordering
// with runs; and bad input, which leaves the interpreter usable.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { DIST, PYTHON_DIR, startWeft } from './helpers.mjs';

const T = { timeout: 180_000 };

const SAME_AS_BUNDLE = await readFile(join(PYTHON_DIR, 'archive_matches_bundle.py'), 'utf8');

describe('unpackArchive', () => {
  test('extracts a real archive in parallel and on one thread, identical to the bundle', T, async () => {
    const zip = await readFile(join(DIST, 'python-stdlib.zip'));
    for (const runtimeThreads of [2, 0]) {
      const s = await startWeft({ runtimeThreads });
      try {
        assert.equal(s.py.stats().runtimeWorkers, 0, 'started before they are needed');
        const done = await s.py.unpackArchive(zip, 'zip', { extractDir: '/tmp/lib' });
        assert.equal(s.py.stats().runtimeWorkers, runtimeThreads);
        assert.ok(done.files > 500, JSON.stringify(done));
        assert.ok(done.directories > 20, JSON.stringify(done));
        assert.ok(done.bytes > 5_000_000, JSON.stringify(done));
        const code = await s.py.run(['-c', SAME_AS_BUNDLE, '/tmp/lib']);
        assert.equal(code, 0, s.stderr());
        assert.equal(s.stdout(), `${done.files} files identical\n`);
        // The caller's buffer is copied, not taken.
        assert.ok(zip.byteLength > 0, "the caller keeps its buffer");
      } finally {
        await s.py.close();
      }
    }
  });

  test('runs queued after an unpack see its files; formats whl/.zip; default dir is home', T, async () => {
    const host = await mkdtemp(join(tmpdir(), 'weft-archive-'));
    const s = await startWeft({ hostMounts: { '/host': host } });
    try {
      let code = await s.py.run(['-c', [
        'import zipfile',
        'with zipfile.ZipFile("/host/pkg.whl", "w", zipfile.ZIP_DEFLATED) as z:',
        '    z.writestr("demo_pkg/__init__.py", "VALUE = 42\\n")',
        '    z.writestr("demo_pkg-1.0.dist-info/METADATA", "Name: demo-pkg\\n")',
      ].join('\n')]);
      assert.equal(code, 0, s.stderr());
      const wheel = new Uint8Array(await readFile(join(host, 'pkg.whl')));
      // Not awaited: the run is queued behind it.
      const unpacked = s.py.unpackArchive(wheel, 'whl', { extractDir: '/home/user/site' });
      const ran = s.py.run(['-c', 'import sys; sys.path.insert(0, "/home/user/site"); import demo_pkg; print(demo_pkg.VALUE)']);
      assert.deepEqual(await unpacked, { files: 2, directories: 2, symlinks: 0, bytes: 26 });
      assert.equal(await ran, 0, s.stderr());
      assert.equal(s.stdout(), '42\n');
      // '.zip' and 'ZIP' name the same format; the default extractDir is /home/user.
      await s.py.unpackArchive(wheel.buffer, '.ZIP');
      code = await s.py.run(['-c', 'print(open("/home/user/demo_pkg/__init__.py").read(), end="")']);
      assert.equal(code, 0, s.stderr());
      assert.equal(s.stdout(), '42\nVALUE = 42\n');
    } finally {
      await s.py.close();
      await rm(host, { recursive: true, force: true });
    }
  });

  test('bad input: clear errors, nothing written, the interpreter goes on', T, async () => {
    const host = await mkdtemp(join(tmpdir(), 'weft-archive-'));
    const s = await startWeft({ hostMounts: { '/host': host } });
    try {
      await assert.rejects(s.py.unpackArchive(new Uint8Array([1, 2, 3]), 'zip'),
        (e) => e instanceof Error && /^not a zip archive: /.test(e.message));
      await assert.rejects(s.py.unpackArchive(new Uint8Array(4), 'tar'),
        (e) => e instanceof TypeError && /unsupported format "tar" \(supported: zip, whl, wheel\)/.test(e.message));
      await assert.rejects(s.py.unpackArchive('PK..', 'zip'), TypeError);
      await assert.rejects(s.py.unpackArchive(new Uint8Array(4), 'zip', { extractDir: 'rel' }), TypeError);

      const code = await s.py.run(['-c', [
        'import zipfile',
        'with zipfile.ZipFile("/host/evil.zip", "w") as z:',
        '    z.writestr("fine.txt", "ok")',
        '    z.writestr("../../escaped.txt", "bad")',
        'with zipfile.ZipFile("/host/clash.zip", "w") as z:',
        '    z.writestr("a", "file")',
        '    z.writestr("a/b", "below a file")',
      ].join('\n')]);
      assert.equal(code, 0, s.stderr());
      const evil = await readFile(join(host, 'evil.zip'));
      await assert.rejects(s.py.unpackArchive(evil, 'zip', { extractDir: '/tmp/x' }),
        /entry "\.\.\/\.\.\/escaped\.txt" would be written outside \/tmp\/x\//);
      await assert.rejects(s.py.unpackArchive(await readFile(join(host, 'clash.zip')), 'zip', { extractDir: '/tmp/y' }),
        /entry "a\/b" is inside \/tmp\/y\/a/);
      const after = await s.py.run(['-c', 'import os; print(os.path.exists("/tmp/x"), os.path.exists("/escaped.txt"), os.path.exists("/tmp/y"))']);
      assert.equal(after, 0, s.stderr());
      assert.equal(s.stdout(), 'False False False\n');
    } finally {
      await s.py.close();
      await rm(host, { recursive: true, force: true });
    }
  });

  test('runtimeThreads must be a whole number; after terminate() unpackArchive rejects', T, async () => {
    await assert.rejects(startWeft({ runtimeThreads: -1 }), /runtimeThreads must be a whole number >= 0/);
    await assert.rejects(startWeft({ runtimeThreads: 1.5 }), TypeError);
    const s = await startWeft();
    s.py.terminate();
    await assert.rejects(s.py.unpackArchive(new Uint8Array(4), 'zip'), { name: 'WeftError' });
  });
});
