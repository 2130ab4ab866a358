// weft.fs in Node: the interpreter's file systems as Python sees them, from the page: files
// written from JS are Python's and the other way round, calls are ordered with runs, errors
// read like Node's (with a code), bad arguments are TypeErrors, and nothing works after the
// interpreter ended. Host and page mounts go through the same calls.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { client, startWeft } from './helpers.mjs';

const { PageDirectory, WeftError } = client;
const T = { timeout: 120_000 };

/** Runs `python -c code` and returns its stdout; fails the test on a non-zero exit. */
async function python(s, code) {
  const before = s.stdout().length;
  const exit = await s.py.run(['-c', code]);
  assert.equal(exit, 0, s.stderr());
  return s.stdout().slice(before);
}

/** Asserts that `promise` rejects with an fs error of `code` for `syscall` on `path`. */
async function rejectsWith(promise, code, syscall, path, message) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, `not an Error: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.syscall, syscall);
    assert.equal(e.path, path);
    if (message !== undefined) assert.equal(e.message, message);
    const to = e.dest === undefined ? '' : ` -> '${e.dest}'`;
    assert.ok(e.message.startsWith(`${code}: `) && e.message.endsWith(`, ${syscall} '${path}'${to}`), e.message);
    return true;
  });
}

describe('weft.fs', () => {
  test('JS writes, Python reads: text, every byte value, typed arrays and ArrayBuffers', T, async () => {
    const s = await startWeft();
    try {
      // Before any run: the file systems are there already.
      assert.deepEqual(await s.py.fs.readdir('/home/user'), []);
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      await s.py.fs.writeFile('notes.txt', 'héllo wörld ✓\n');
      await s.py.fs.writeFile('/tmp/every.bin', every);
      await s.py.fs.writeFile('/tmp/buffer.bin', every.buffer);
      await s.py.fs.writeFile('/tmp/view.bin', new DataView(every.buffer, 250));
      await s.py.fs.writeFile('/tmp/u16.bin', Uint16Array.of(0x0201, 0x0403));
      await s.py.fs.writeFile('/tmp/shared.bin', new Uint8Array(new SharedArrayBuffer(3)).fill(7));
      await s.py.fs.writeFile('/tmp/empty', new Uint8Array(0));
      const out = await python(s, [
        'print(repr(open("notes.txt", encoding="utf-8").read()))',
        'print(open("/home/user/notes.txt", "rb").read() == "héllo wörld ✓\\n".encode())',
        'print(open("/tmp/every.bin", "rb").read() == bytes(range(256)))',
        'print(open("/tmp/buffer.bin", "rb").read() == bytes(range(256)))',
        'print(list(open("/tmp/view.bin", "rb").read()))',
        'print(list(open("/tmp/u16.bin", "rb").read()))',
        'print(list(open("/tmp/shared.bin", "rb").read()))',
        'print(len(open("/tmp/empty", "rb").read()))',
      ].join('\n'));
      assert.equal(out, "'héllo wörld ✓\\n'\nTrue\nTrue\nTrue\n[250, 251, 252, 253, 254, 255]\n[1, 2, 3, 4]\n[7, 7, 7]\n0\n");
    } finally {
      await s.py.close();
    }
  });

  test('Python writes, JS reads: bytes, utf8 strings, a replaced file', T, async () => {
    const s = await startWeft();
    try {
      await python(s, [
        'import os',
        'os.makedirs("out/deep")',
        'open("out/deep/data.bin", "wb").write(bytes(range(256)) * 3)',
        'open("/tmp/text.txt", "w", encoding="utf-8").write("\\ufeffBOM kept, ünïcode 🎉\\n")',
      ].join('\n'));
      const bytes = await s.py.fs.readFile('out/deep/data.bin');
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(bytes.length, 768);
      assert.ok(bytes.every((b, i) => b === i % 256));
      assert.equal(await s.py.fs.readFile('/tmp/text.txt', { encoding: 'utf8' }), '\ufeffBOM kept, ünïcode 🎉\n');
      assert.equal(await s.py.fs.readFile('/tmp/text.txt', 'utf-8'), '\ufeffBOM kept, ünïcode 🎉\n');
      assert.ok((await s.py.fs.readFile('/tmp/text.txt', { encoding: 'binary' })) instanceof Uint8Array);
      // Invalid UTF-8 decodes as U+FFFD, as Node's readFile(path, 'utf8').
      await python(s, 'open("/tmp/bad.txt", "wb").write(b"a\\xffb")');
      assert.equal(await s.py.fs.readFile('/tmp/bad.txt', 'utf8'), 'a\ufffdb');
      // A JS write over a Python file replaces all of it.
      await s.py.fs.writeFile('out/deep/data.bin', 'short');
      assert.equal(await python(s, 'print(open("out/deep/data.bin").read())'), 'short\n');
    } finally {
      await s.py.close();
    }
  });

  test('calls are queued with runs: a later run sees a write, a later read what a run wrote', T, async () => {
    const s = await startWeft();
    try {
      // Nothing awaited until the end: the order of the calls is the order of the effects.
      const steps = [
        s.py.fs.writeFile('counter.txt', '1'),
        s.py.run(['-c', 'n = int(open("counter.txt").read()); open("counter.txt", "w").write(str(n + 1))']),
        s.py.fs.readFile('counter.txt', 'utf8'),
        s.py.fs.writeFile('counter.txt', '10'),
        s.py.run(['-c', 'n = int(open("counter.txt").read()); open("counter.txt", "w").write(str(n * 3))']),
        s.py.fs.readFile('counter.txt', 'utf8'),
        s.py.fs.unlink('counter.txt'),
        s.py.run(['-c', 'import os; print(os.path.exists("counter.txt"))']),
        s.py.fs.exists('counter.txt'),
      ];
      const results = await Promise.all(steps);
      assert.deepEqual(results, [undefined, 0, '2', undefined, 0, '30', undefined, 0, false]);
      assert.equal(s.stdout(), 'False\n');
    } finally {
      await s.py.close();
    }
  });

  test('mkdir (recursive), readdir (sorted), stat and lstat, exists, as Python sees them', T, async () => {
    const s = await startWeft();
    try {
      const { fs } = s.py;
      await fs.mkdir('proj');
      await fs.mkdir('proj/a/b/c', { recursive: true });
      await fs.mkdir('proj/a/b/c', { recursive: true }); // exists: no error
      await fs.mkdir('/tmp/m', 0o755); // a mode, as Pyodide's FS.mkdir takes it
      for (const name of ['zeta', 'Alpha', 'beta', 'éclair', 'Zulu', '_x']) await fs.writeFile(`proj/${name}`, name);
      const names = await fs.readdir('proj');
      assert.deepEqual(names, ['Alpha', 'Zulu', '_x', 'a', 'beta', 'zeta', 'éclair']);
      const fromPython = JSON.parse(await python(s, 'import os, json; print(json.dumps(sorted(os.listdir("proj"))))'));
      assert.deepEqual(names, fromPython);
      assert.deepEqual(await fs.readdir('proj/a/b'), ['c']);
      assert.deepEqual(await fs.readdir('/home/user/proj/a/b/c'), []);
      assert.ok((await fs.readdir('/')).includes('tmp'));

      const before = Date.now();
      await fs.writeFile('proj/sized', new Uint8Array(1234));
      const st = await fs.stat('proj/sized');
      assert.equal(st.size, 1234);
      assert.ok(st.isFile() && !st.isDirectory() && !st.isSymbolicLink());
      assert.ok(Math.abs(st.mtimeMs - before) < 60_000, `mtime ${st.mtimeMs} vs now ${before}`);
      assert.ok(st.mtime instanceof Date && st.mtime.getTime() === Math.trunc(st.mtimeMs));
      const dir = await fs.stat('proj/a');
      assert.ok(dir.isDirectory() && !dir.isFile());

      // A symlink made by Python: stat follows it, lstat does not; exists follows it.
      await python(s, 'import os; os.symlink("sized", "proj/link"); os.symlink("nowhere", "proj/broken")');
      assert.ok((await fs.stat('proj/link')).isFile());
      assert.equal((await fs.stat('proj/link')).size, 1234);
      assert.ok((await fs.lstat('proj/link')).isSymbolicLink());
      assert.equal(await fs.exists('proj/link'), true);
      assert.equal(await fs.exists('proj/broken'), false);
      assert.ok((await fs.lstat('proj/broken')).isSymbolicLink());
      await rejectsWith(fs.stat('proj/broken'), 'ENOENT', 'stat', 'proj/broken');

      // The same numbers as os.stat / os.lstat.
      const py = JSON.parse(await python(s, [
        'import os, json',
        'def st(p, f): s = os.stat(p) if f else os.lstat(p); return [s.st_mode, s.st_size, s.st_ino, s.st_dev, s.st_nlink, s.st_mtime_ns // 1000]',
        'print(json.dumps([st("proj/sized", 1), st("proj/a", 1), st("proj/link", 0), st("/usr/local/lib/python3.13/json/__init__.pyc", 1)]))',
      ].join('\n')));
      const js = await Promise.all([fs.stat('proj/sized'), fs.stat('proj/a'), fs.lstat('proj/link'), fs.stat('/usr/local/lib/python3.13/json/__init__.pyc')]);
      assert.deepEqual(js.map((x) => [x.mode, x.size, x.ino, x.dev, x.nlink]), py.map((p) => p.slice(0, 5)));
      // ms as a double keep about a quarter of a microsecond.
      js.forEach((x, i) => assert.ok(Math.abs(x.mtimeMs * 1000 - py[i][5]) <= 1, `${x.mtimeMs} vs ${py[i][5]} µs`));
      assert.notEqual(js[3].dev, js[0].dev, 'the stdlib is a mount of its own');
      assert.equal(await fs.exists('/usr/local/lib/python3.13/json/__init__.pyc'), true);
    } finally {
      await s.py.close();
    }
  });

  test('unlink, rename, rmdir', T, async () => {
    const s = await startWeft();
    try {
      const { fs } = s.py;
      await fs.mkdir('d/sub', { recursive: true });
      await fs.writeFile('d/one', '1');
      await fs.writeFile('d/two', '2');
      await fs.rename('d/one', 'd/uno');
      await fs.rename('d/two', 'd/uno'); // replaces, as os.rename
      assert.equal(await fs.readFile('d/uno', 'utf8'), '2');
      await fs.rename('d/sub', '/tmp/moved'); // a directory, to another place of the same tree
      assert.deepEqual(await fs.readdir('d'), ['uno']);
      assert.equal(await fs.exists('/tmp/moved'), true);
      await fs.unlink('d/uno');
      await fs.rmdir('d');
      await fs.rmdir('/tmp/moved');
      assert.equal(await python(s, 'import os; print(os.path.exists("d"), os.path.exists("/tmp/moved"))'), 'False False\n');
    } finally {
      await s.py.close();
    }
  });

  test('errors: Node-style messages with a code; the interpreter goes on', T, async () => {
    const s = await startWeft();
    try {
      const { fs } = s.py;
      await rejectsWith(fs.readFile('missing.txt'), 'ENOENT', 'readFile', 'missing.txt',
        "ENOENT: no such file or directory, readFile 'missing.txt'");
      await rejectsWith(fs.readFile('/home'), 'EISDIR', 'readFile', '/home');
      await rejectsWith(fs.writeFile('no/such/dir/f', 'x'), 'ENOENT', 'writeFile', 'no/such/dir/f');
      await rejectsWith(fs.readdir('/nope'), 'ENOENT', 'readdir', '/nope');
      // The stdlib bundle is read-only: EROFS, as Python gets for the same write.
      const stdlib = '/usr/local/lib/python3.13';
      await rejectsWith(fs.writeFile(`${stdlib}/evil.py`, 'x'), 'EROFS', 'writeFile', `${stdlib}/evil.py`,
        `EROFS: read-only file system, writeFile '${stdlib}/evil.py'`);
      await rejectsWith(fs.writeFile(`${stdlib}/json/__init__.pyc`, 'x'), 'EROFS', 'writeFile', `${stdlib}/json/__init__.pyc`);
      await rejectsWith(fs.unlink(`${stdlib}/json/__init__.pyc`), 'EROFS', 'unlink', `${stdlib}/json/__init__.pyc`);
      await rejectsWith(fs.mkdir(`${stdlib}/newdir`), 'EROFS', 'mkdir', `${stdlib}/newdir`);
      await fs.mkdir(`${stdlib}/json`, { recursive: true }); // exists: fine, as os.makedirs(exist_ok=True)
      const python_sees = await python(s, [
        'try: open("/usr/local/lib/python3.13/evil.py", "w")',
        'except OSError as e: print(type(e).__name__, e.errno == __import__("errno").EROFS)',
      ].join('\n'));
      assert.equal(python_sees, 'OSError True\n');

      await fs.mkdir('full/inner', { recursive: true });
      await fs.writeFile('full/file', '');
      await rejectsWith(fs.rmdir('full'), 'ENOTEMPTY', 'rmdir', 'full', "ENOTEMPTY: directory not empty, rmdir 'full'");
      await rejectsWith(fs.rmdir('full/file'), 'ENOTDIR', 'rmdir', 'full/file');
      await rejectsWith(fs.rmdir(stdlib), 'EBUSY', 'rmdir', stdlib);
      await rejectsWith(fs.unlink('full'), 'EISDIR', 'unlink', 'full');
      await rejectsWith(fs.mkdir('full'), 'EEXIST', 'mkdir', 'full');
      await rejectsWith(fs.mkdir('full/file', { recursive: true }), 'EEXIST', 'mkdir', 'full/file');
      await rejectsWith(fs.mkdir('full/file/x', { recursive: true }), 'ENOTDIR', 'mkdir', 'full/file/x');
      await rejectsWith(fs.readFile('full/file/'), 'ENOTDIR', 'readFile', 'full/file/');
      await rejectsWith(fs.readFile(''), 'ENOENT', 'readFile', '');
      await rejectsWith(fs.readFile('a\0b'), 'EINVAL', 'readFile', 'a\0b');
      await assert.rejects(fs.rename('full/file', '/usr/local/lib/python3.13/x'), (e) => {
        assert.equal(e.code, 'EXDEV');
        assert.equal(e.dest, '/usr/local/lib/python3.13/x');
        assert.equal(e.message, "EXDEV: cross-device link, rename 'full/file' -> '/usr/local/lib/python3.13/x'");
        return true;
      });
      await rejectsWith(fs.rename('gone', 'there'), 'ENOENT', 'rename', 'gone');
      await rejectsWith(fs.unlink('gone'), 'ENOENT', 'unlink', 'gone');
      await rejectsWith(fs.stat('gone'), 'ENOENT', 'stat', 'gone');
      await rejectsWith(fs.lstat('gone'), 'ENOENT', 'lstat', 'gone');
      assert.equal(await fs.exists('gone'), false);
      assert.equal(await python(s, 'print("still fine")'), 'still fine\n');
    } finally {
      await s.py.close();
    }
  });

  test('bad arguments reject with a TypeError naming the problem, before reaching the worker', T, async () => {
    const s = await startWeft();
    try {
      const { fs } = s.py;
      const cases = [
        [() => fs.readFile(42), /^fs\.readFile: path must be a string, not number$/],
        [() => fs.readFile(), /^fs\.readFile: path must be a string, not undefined$/],
        [() => fs.readFile('x', { encoding: 'latin1' }), /^fs\.readFile: unsupported encoding "latin1"/],
        [() => fs.readFile('x', 7), /^fs\.readFile: options must be an object, not number$/],
        [() => fs.writeFile('x', { text: 'hi' }), /^fs\.writeFile: data must be a string, an ArrayBuffer or a typed array, not object$/],
        [() => fs.writeFile('x', null), /data must be .* not null$/],
        [() => fs.writeFile('x', [1, 2]), /data must be .* not an array$/],
        [() => fs.writeFile('x', 'hi', { encoding: 'base64' }), /^fs\.writeFile: unsupported encoding "base64" \(supported: "utf8"\)$/],
        [() => fs.writeFile(new URL('file:///x'), 'hi'), /^fs\.writeFile: path must be a string, not object$/],
        [() => fs.mkdir(null), /^fs\.mkdir: path must be a string, not null$/],
        [() => fs.rename('a'), /^fs\.rename: to must be a string, not undefined$/],
        [() => fs.stat(Symbol('x')), /^fs\.stat: path must be a string, not symbol$/],
      ];
      for (const [call, message] of cases) {
        await assert.rejects(call(), (e) => e instanceof TypeError && message.test(e.message), String(call));
      }
      // None of them was written.
      assert.deepEqual(await fs.readdir('.'), []);
    } finally {
      await s.py.close();
    }
  });

  test('data is copied both ways', T, async () => {
    const s = await startWeft();
    try {
      const mine = new Uint8Array([1, 2, 3]);
      const written = s.py.fs.writeFile('copy.bin', mine);
      mine[0] = 99; // after the call, before the worker has it: the file must not see it
      await written;
      assert.deepEqual([...mine], [99, 2, 3], 'the caller keeps its buffer (not transferred away)');
      const a = await s.py.fs.readFile('copy.bin');
      assert.deepEqual([...a], [1, 2, 3]);
      a[1] = 42;
      const b = await s.py.fs.readFile('copy.bin');
      assert.deepEqual([...b], [1, 2, 3]);
      assert.notEqual(a.buffer, b.buffer);
      // Large files cross whole.
      const big = new Uint8Array(24 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
      await s.py.fs.writeFile('/tmp/big', big);
      assert.equal(await python(s, 'd = open("/tmp/big", "rb").read(); print(len(d), d[4096 * 7], d[1])'), `${24 << 20} 7 0\n`);
      const back = await s.py.fs.readFile('/tmp/big');
      assert.equal(back.length, big.length);
      assert.ok(Buffer.from(back).equals(Buffer.from(big)));
    } finally {
      await s.py.close();
    }
  });

  test('host mounts (Node) and page-owned mounts go through the same calls', T, async () => {
    const host = await mkdtemp(join(tmpdir(), 'weft-client-fs-'));
    const page = new PageDirectory({ 'from-page.txt': 'page data' });
    const s = await startWeft({ hostMounts: { '/host': host }, pageMounts: { '/mnt/page': page } });
    try {
      const { fs } = s.py;
      await writeFile(join(host, 'on-disk.txt'), 'disk data');
      assert.equal(await fs.readFile('/host/on-disk.txt', 'utf8'), 'disk data');
      await fs.mkdir('/host/made/here', { recursive: true });
      await fs.writeFile('/host/made/here/f.txt', 'from weft.fs');
      assert.equal(await readFile(join(host, 'made/here/f.txt'), 'utf8'), 'from weft.fs');
      assert.deepEqual(await fs.readdir('/host'), ['made', 'on-disk.txt']);
      assert.equal((await fs.stat('/host/on-disk.txt')).size, 9);
      await rejectsWith(fs.readFile('/host/none'), 'ENOENT', 'readFile', '/host/none');
      await rejectsWith(fs.rename('/host/on-disk.txt', '/tmp/x'), 'EXDEV', 'rename', '/host/on-disk.txt');

      // The page's own directory, through its handler (a synchronous request from the worker).
      assert.equal(await fs.readFile('/mnt/page/from-page.txt', 'utf8'), 'page data');
      await fs.writeFile('/mnt/page/new.txt', 'written via weft.fs');
      assert.equal(new TextDecoder().decode(page.get('new.txt')), 'written via weft.fs');
      assert.deepEqual(await fs.readdir('/mnt/page'), ['from-page.txt', 'new.txt']);
      await rejectsWith(fs.readFile('/mnt/page/none'), 'ENOENT', 'readFile', '/mnt/page/none');
      assert.equal(await python(s, 'print(open("/mnt/page/new.txt").read())'), 'written via weft.fs\n');
    } finally {
      await s.py.close();
      await rm(host, { recursive: true, force: true });
    }
  });

  test("a page handler's refusal reaches the caller with its code", T, async () => {
    const refuse = (code) => () => { throw Object.assign(new Error(`refused: ${code}`), { code }); };
    const handler = {
      stat: (p) => ({ kind: p === '' ? 'directory' : 'file', size: 1 }),
      readFile: refuse('EACCES'),
      writeFile: refuse('ENOSPC'),
      readdir: () => ['secret'],
    };
    const s = await startWeft({ pageMounts: { '/mnt/quota': handler } });
    try {
      assert.deepEqual(await s.py.fs.readdir('/mnt/quota'), ['secret']);
      await rejectsWith(s.py.fs.readFile('/mnt/quota/secret'), 'EACCES', 'readFile', '/mnt/quota/secret',
        "EACCES: permission denied, readFile '/mnt/quota/secret'");
      await rejectsWith(s.py.fs.writeFile('/mnt/quota/big', 'x'), 'ENOSPC', 'writeFile', '/mnt/quota/big',
        "ENOSPC: no space left on device, writeFile '/mnt/quota/big'");
    } finally {
      await s.py.close();
    }
  });

  test('after terminate() or close(), and for calls queued behind a run that is terminated, calls reject with a WeftError', T, async () => {
    let s = await startWeft();
    const run = s.py.run(['-c', 'while True: pass']);
    const queued = s.py.fs.readFile('anything');
    await new Promise((r) => setTimeout(r, 300));
    s.py.terminate();
    await assert.rejects(run, WeftError);
    await assert.rejects(queued, (e) => e instanceof WeftError && e.message === 'the interpreter was terminated');
    for (const call of [() => s.py.fs.readFile('x'), () => s.py.fs.writeFile('x', 'y'), () => s.py.fs.readdir('/'), () => s.py.fs.exists('/')]) {
      await assert.rejects(call(), (e) => e instanceof WeftError && e.message === 'the interpreter was terminated');
    }
    s = await startWeft();
    await s.py.fs.writeFile('x', 'y');
    await s.py.close();
    await assert.rejects(s.py.fs.readFile('x'), (e) => e instanceof WeftError && e.message === 'the interpreter was closed');
  });
});
