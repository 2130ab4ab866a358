// `node dist/cli.mjs` behaves like `python3`: output, exit codes, argv, cwd, scripts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { runCli, runPython, show, tempDir } from './helpers.mjs';

const T = { timeout: 120_000 };

describe('cli: output and exit codes', () => {
  test('print with unicode reaches stdout, exit 0', T, async () => {
    const r = await runPython('print("héllo ✓ 𝄞"); print(6 * 7)');
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'héllo ✓ 𝄞\n42\n', show(r));
    assert.equal(r.stderr, '', show(r));
  });

  test('stderr is separate from stdout', T, async () => {
    const r = await runPython('import sys; print("out"); print("err", file=sys.stderr)');
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('uncaught exception: traceback on stderr, exit 1', T, async () => {
    const r = await runPython('print("before")\ndef f():\n    raise ValueError("boom ✗")\nf()');
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, 'before\n', show(r));
    assert.match(r.stderr, /^Traceback \(most recent call last\):/m, show(r));
    assert.match(r.stderr, /in f\n/, show(r));
    assert.match(r.stderr, /ValueError: boom ✗\n$/, show(r));
  });

  test('sys.exit(3) exits 3', T, async () => {
    const r = await runPython('import sys; print("x"); sys.exit(3)');
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, 'x\n');
    assert.equal(r.stderr, '');
  });

  test('sys.exit("message") prints it and exits 1', T, async () => {
    const r = await runPython('import sys; sys.exit("bad thing")');
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stderr, 'bad thing\n', show(r));
  });

  test('SyntaxError is reported, exit 1', T, async () => {
    const r = await runPython('def (:');
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /SyntaxError/, show(r));
  });

  test('output is streamed as written, not at exit', T, async () => {
    const chunks = [];
    const r = await runCli(['-c', 'import sys, time\nprint("early", flush=True)\ntime.sleep(1.5)\nprint("late")'], {
      onStdout: (b) => chunks.push({ at: Date.now(), text: b.toString() }),
    });
    assert.equal(r.code, 0, show(r));
    const all = chunks.map((c) => c.text).join('');
    assert.equal(all, 'early\nlate\n');
    const early = chunks.find((c) => c.text.includes('early'));
    const exitedAt = Date.now();
    assert.ok(exitedAt - early.at >= 1200, `"early" arrived only ${exitedAt - early.at} ms before exit`);
  });

  test('sys.argv and -c arguments', T, async () => {
    const r = await runCli(['-c', 'import sys, json; print(json.dumps(sys.argv))', 'a b', '-x', 'ü']);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout), ['-c', 'a b', '-x', 'ü']);
  });

  test('python identity: wasi, 3.13, stdlib importable', T, async () => {
    const r = await runPython('import sys, os; print(sys.platform, sys.version_info[:2], os.name)');
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'wasi (3, 13) posix\n', show(r));
  });

  test('the host environment reaches os.environ', T, async () => {
    const r = await runPython('import os; print(os.environ["WEFT_TEST_VAR"])', { env: { WEFT_TEST_VAR: 'vålue=1 2' } });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'vålue=1 2\n', show(r));
  });

  test('os.environ is a working mapping', T, async () => {
    const r = await runPython('import os; os.environ["WEFT_X"] = "1"; print(os.environ["WEFT_X"], os.getenv("NOPE_NOT_SET"))');
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, '1 None\n');
  });

  test('stdin is EOF', T, async () => {
    const r = await runPython('import sys; print(repr(sys.stdin.read()))');
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "''\n");
  });
});

describe('cli: host files', () => {
  test('the host cwd is mounted at its own path and is Python\'s cwd', T, async () => {
    const dir = await realpath(await tempDir());
    try {
      await writeFile(join(dir, 'from-host.txt'), 'written by the host ✓');
      const r = await runPython(
        'import os; print(os.getcwd()); print(open("from-host.txt", encoding="utf-8").read())\n' +
        'open("from-python.txt", "w", encoding="utf-8").write("written by python ✓")',
        { cwd: dir });
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, `${dir}\nwritten by the host ✓\n`, show(r));
      assert.equal(await readFile(join(dir, 'from-python.txt'), 'utf8'), 'written by python ✓');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a script in another host dir runs with arguments and writes next to itself', T, async () => {
    const dir = await realpath(await tempDir('weft-script-'));
    const cwd = await realpath(await tempDir('weft-cwd-'));
    try {
      const script = join(dir, 'tool.py');
      await writeFile(script, [
        'import json, os, sys',
        'here = os.path.dirname(os.path.abspath(__file__))',
        'out = os.path.join(here, "result.json")',
        'with open(out, "w") as f:',
        '    json.dump({"argv": sys.argv, "file": __file__, "cwd": os.getcwd()}, f)',
        'print("wrote", out)',
        'sys.exit(int(sys.argv[2]))',
      ].join('\n'));
      const r = await runCli([script, 'first arg', '5'], { cwd });
      assert.equal(r.code, 5, show(r));
      assert.equal(r.stdout, `wrote ${join(dir, 'result.json')}\n`, show(r));
      const result = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'));
      assert.deepEqual(result, { argv: [script, 'first arg', '5'], file: script, cwd });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('a relative script path resolves against the cwd', T, async () => {
    const dir = await realpath(await tempDir());
    try {
      await writeFile(join(dir, 'hello.py'), 'import sys\nprint("hi from", sys.argv[0])\n');
      const r = await runCli(['hello.py'], { cwd: dir });
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, 'hi from hello.py\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('missing script: Python\'s own error, exit 2', T, async () => {
    const dir = await realpath(await tempDir());
    try {
      const r = await runCli(['does-not-exist.py'], { cwd: dir });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /can't open file '.*does-not-exist\.py': \[Errno \d+\] No such file or directory/, show(r));
      assert.equal(existsSync(join(dir, 'does-not-exist.py')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
