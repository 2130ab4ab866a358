// Synchronous IO in Node: input() and sys.stdin answered by the client's handler, sleeps that
// neither spin nor ignore Ctrl-C, interrupts in every state, terminate(), page-owned mounts,
// and the CLI's terminal wiring.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { CLI, client, startWeft } from './helpers.mjs';

const T = { timeout: 120_000 };
const { WeftError, PageDirectory } = client;

/** Runs `code` in a fresh interpreter; returns {code, stdout, stderr}. */
async function python(code, options = {}) {
  const s = await startWeft(options);
  try {
    const exit = await s.py.run(['-c', code]);
    return { code: exit, stdout: s.stdout(), stderr: s.stderr() };
  } finally {
    await s.py.close();
  }
}

/** Resolves once `s.stdout()` contains `marker` (polled: the marker proves Python got there). */
async function printed(s, marker) {
  while (!s.stdout().includes(marker)) await new Promise((r) => setTimeout(r, 10));
}

/** Interrupts `s` 100 ms after it printed `marker`, so the interrupt lands where the test means. */
function interruptAfter(s, marker) {
  printed(s, marker).then(() => setTimeout(() => s.py.interrupt(), 100));
}

const lines = (...l) => {
  const queue = [...l];
  return () => (queue.length ? queue.shift() : null);
};

describe('input() and sys.stdin', () => {
  test('the prompt and everything printed before it reach stdout before the handler runs', T, async () => {
    let seen;
    const s = await startWeft({
      stdin: () => {
        seen = s.stdout();
        return 'Ada';
      },
    });
    try {
      const code = await s.py.run(['-c', 'print("before")\nname = input("name? ")\nprint("hello", name)']);
      assert.equal(code, 0, s.stderr());
      assert.equal(seen, 'before\nname? ');
      assert.equal(s.stdout(), 'before\nname? hello Ada\n');
    } finally {
      await s.py.close();
    }
  });

  test('readline, read, iteration; strings, bytes, promises and EOF', T, async () => {
    const answers = ['one', 'two\n', new TextEncoder().encode('three\n'), Promise.resolve('four'), 'five', null];
    const r = await python(
      'import sys\nprint(repr(sys.stdin.readline()))\nprint(repr(input()))\n' +
        'print(repr(sys.stdin.readline()))\nprint([l for l in sys.stdin])',
      { stdin: () => answers.shift() },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "'one\\n'\n'two'\n'three\\n'\n['four\\n', 'five\\n']\n");
  });

  test('sys.stdin.read() reads to EOF', T, async () => {
    const r = await python('import sys; print(repr(sys.stdin.read()))', { stdin: lines('a', 'b', 'c') });
    assert.equal(r.stdout, "'a\\nb\\nc\\n'\n");
  });

  test('EOF raises EOFError; no handler means EOF', T, async () => {
    for (const stdin of [lines(), undefined]) {
      const r = await python('try:\n  input()\nexcept EOFError:\n  print("EOFError")', { stdin });
      assert.equal(r.stdout, 'EOFError\n');
    }
  });

  test('non-ASCII and invalid UTF-8 behave as in native CPython (utf-8, surrogateescape)', T, async () => {
    const bytes = Uint8Array.from([...Buffer.from('héllo ✓ 𝄞 '), 0xff, 0x0a]);
    const r = await python('import sys\nprint(ascii(input()))\nprint(sys.stdin.encoding, sys.stdin.errors)', {
      stdin: lines(bytes),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "'h\\xe9llo \\u2713 \\U0001d11e \\udcff'\nutf-8 surrogateescape\n");
  });

  test('1,000 input() round trips in order', T, async () => {
    let n = 0;
    const started = Date.now();
    const r = await python('s = 0\nfor i in range(1000):\n  s += int(input())\nprint(s)', { stdin: () => String(n++) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${(999 * 1000) / 2}\n`);
    console.log(`# 1000 input() round trips in ${Date.now() - started} ms (including start-up)`);
  });

  test('a 10 MB line arrives whole', T, async () => {
    const line = 'x'.repeat(10 * 1024 * 1024 - 7) + 'ü✓end';
    const sha = createHash('sha256').update(line).digest('hex');
    const r = await python('import hashlib\ns = input()\nprint(len(s), hashlib.sha256(s.encode()).hexdigest())', {
      stdin: lines(line),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${line.length} ${sha}\n`);
  });

  test('input arriving 500 ms after the request', T, async () => {
    const r = await python('import time\nt = time.monotonic()\nx = input()\nprint(x, time.monotonic() - t >= 0.45)', {
      stdin: () => new Promise((resolve) => setTimeout(() => resolve('late'), 500)),
    });
    assert.equal(r.stdout, 'late True\n');
  });

  test('a handler that throws or rejects gives Python an OSError, not a hang', T, async () => {
    for (const stdin of [() => { throw new Error('no keyboard'); }, () => Promise.reject(new Error('no keyboard'))]) {
      const r = await python('try:\n  input()\nexcept OSError as e:\n  print(type(e).__name__)', { stdin });
      assert.equal(r.stdout, 'OSError\n');
      assert.match(r.stderr, /stdin handler failed: no keyboard/);
    }
  });

  test('a handler returning something else is reported, not hung', T, async () => {
    const r = await python('try:\n  input()\nexcept OSError as e:\n  print("OSError")', { stdin: () => 42 });
    assert.equal(r.stdout, 'OSError\n');
    assert.match(r.stderr, /stdin handler returned \[object Number\]/);
  });

  test('setStdin replaces the handler between runs', T, async () => {
    const s = await startWeft({ stdin: lines('first') });
    try {
      await s.py.run(['-c', 'print(input())']);
      s.py.setStdin({ stdin: lines('second') }); // Pyodide's shape
      await s.py.run(['-c', 'print(input())']);
      assert.equal(s.stdout(), 'first\nsecond\n');
      assert.throws(() => s.py.setStdin(42), TypeError);
    } finally {
      await s.py.close();
    }
  });
});

describe('sleep', () => {
  test('time.sleep and select wake near the deadline', T, async () => {
    const r = await python(
      'import time, select\nt = time.monotonic(); time.sleep(0.2); a = time.monotonic() - t\n' +
        't = time.monotonic(); select.select([], [], [], 0.3); b = time.monotonic() - t\n' +
        'print(0.2 <= a < 1.0, 0.3 <= b < 1.1)',
    );
    assert.equal(r.stdout, 'True True\n', r.stderr);
  });

  test('a 2 s sleep costs (almost) no CPU', T, async () => {
    let before;
    let usage;
    const s = await startWeft({
      stdout: (b) => {
        const text = Buffer.from(b).toString();
        if (text.includes('sleeping')) before = process.cpuUsage();
        if (text.includes('woke')) usage = process.cpuUsage(before);
      },
      env: { PYTHONUNBUFFERED: '1' },
    });
    try {
      await s.py.run(['-c', 'import time\nprint("sleeping")\ntime.sleep(2)\nprint("woke")']);
    } finally {
      await s.py.close();
    }
    const cpuMs = (usage.user + usage.system) / 1000;
    console.log(`# CPU during a 2 s sleep: ${cpuMs.toFixed(1)} ms (whole process)`);
    // A spinning sleep would burn about 2000 ms.
    assert.ok(cpuMs < 400, `sleep used ${cpuMs} ms of CPU`);
  });
});

describe('interrupts', () => {
  const CATCH = (body) =>
    'import sys\ntry:\n  print("ready", flush=True)\n' + body.split('\n').map((l) => '  ' + l).join('\n') +
    '\nexcept KeyboardInterrupt:\n  print("KeyboardInterrupt", flush=True)';

  for (const [state, body] of [
    ['a pure-Python loop', 'n = 0\nwhile True:\n  n += 1'],
    ['a loop calling functions', 'def f(x): return x + 1\nn = 0\nwhile True:\n  n = f(n)'],
    ['time.sleep', 'import time\ntime.sleep(60)'],
    ['select with a timeout', 'import select\nselect.select([], [], [], 60)'],
    ['input()', 'input()'],
  ]) {
    test(`interrupt() stops ${state} with KeyboardInterrupt`, T, async () => {
      let t0;
      let latency;
      let text = '';
      const s = await startWeft({
        stdin: () => new Promise(() => {}),
        stdout: (b) => {
          text += Buffer.from(b).toString();
          if (text.includes('KeyboardInterrupt') && latency === undefined) latency = performance.now() - t0;
        },
      });
      s.stdout = () => text;
      try {
        printed(s, 'ready').then(() =>
          setTimeout(() => {
            t0 = performance.now();
            s.py.interrupt();
          }, 100),
        );
        const code = await s.py.run(['-c', CATCH(body)]);
        assert.equal(code, 0, s.stderr());
        assert.ok(latency !== undefined, 'KeyboardInterrupt was printed');
        console.log(`# interrupt latency in ${state}: ${latency.toFixed(1)} ms`);
      } finally {
        await s.py.close();
      }
    });
  }

  test('an uncaught KeyboardInterrupt ends the run with 130 and a traceback', T, async () => {
    const s = await startWeft();
    try {
      interruptAfter(s, 'ready');
      const code = await s.py.run(['-c', 'print("ready", flush=True)\nwhile True: pass']);
      assert.equal(code, 130);
      assert.match(s.stderr(), /KeyboardInterrupt\n$/);
    } finally {
      await s.py.close();
    }
  });

  test('the REPL keeps its globals after an interrupt', T, async () => {
    const s = await startWeft();
    try {
      const input = ['x = 42', 'while True: pass', '', 'print("x is", x)'];
      s.py.setStdin(() => {
        const line = input.shift() ?? null;
        if (line === '') setTimeout(() => s.py.interrupt(), 300); // the loop is running now
        return line;
      });
      const code = await s.py.run(['-i', '-q']);
      assert.equal(code, 0, s.stderr());
      assert.match(s.stderr(), /KeyboardInterrupt/);
      assert.match(s.stdout(), /x is 42/);
    } finally {
      await s.py.close();
    }
  });

  test('interrupt() while nothing runs does not hit the next run; one interrupt raises once', T, async () => {
    const s = await startWeft();
    try {
      s.py.interrupt();
      assert.equal(await s.py.run(['-c', 'import time; time.sleep(0.3); print("ran")']), 0, s.stderr());
      interruptAfter(s, 'sleeping');
      const code = await s.py.run(['-c', 'import time\ntry:\n  print("sleeping", flush=True)\n  time.sleep(30)\nexcept KeyboardInterrupt:\n  print("once")\ntime.sleep(0.3)\nprint("still running")']);
      assert.equal(code, 0, s.stderr());
      assert.equal(s.stdout(), 'ran\nsleeping\nonce\nstill running\n');
    } finally {
      await s.py.close();
    }
  });

  test('a handler set to SIG_IGN or a custom one is honoured', T, async () => {
    const s = await startWeft();
    try {
      interruptAfter(s, 'ready');
      const code = await s.py.run(['-c', 'import signal, time, sys\n' +
        'signal.signal(signal.SIGINT, lambda *a: (print("custom handler"), sys.exit(5)))\nprint("ready", flush=True)\nwhile True: pass']);
      assert.equal(code, 5, s.stderr());
      assert.equal(s.stdout(), 'ready\ncustom handler\n');
    } finally {
      await s.py.close();
    }
  });

  test('terminate() ends a worker stuck in a C call; a new interpreter starts', T, async () => {
    const s = await startWeft();
    const running = s.py.run(['-c', 'print("go", flush=True)\nsum(range(10**14))']);
    await printed(s, 'go');
    s.py.interrupt(); // not seen inside sum(): the C loop never checks
    s.py.terminate();
    await assert.rejects(running, (e) => e instanceof WeftError && /terminated/.test(e.message));
    await assert.rejects(s.py.run(['-c', 'pass']), WeftError);
    const r = await python('print("fresh")');
    assert.equal(r.stdout, 'fresh\n');
  });
});

describe('page-owned mounts', () => {
  test('open, read, write, listdir, stat, mkdir, rename, unlink through PageDirectory', T, async () => {
    const page = new PageDirectory({ 'in.txt': 'from the page\n', 'data/blob.bin': Uint8Array.of(1, 2, 3) });
    const r = await python(
      'import os\nroot = "/mnt/page"\n' +
        'print(open(f"{root}/in.txt").read(), end="")\n' +
        'print(sorted(os.listdir(root)), os.listdir(f"{root}/data"))\n' +
        'print(open(f"{root}/data/blob.bin", "rb").read())\n' +
        'with open(f"{root}/out.txt", "w") as f:\n  f.write("result\\n" * 3)\n' +
        'with open(f"{root}/out.txt", "a") as f:\n  f.write("more\\n")\n' +
        'st = os.stat(f"{root}/out.txt"); print(st.st_size, os.path.isdir(f"{root}/data"))\n' +
        'os.mkdir(f"{root}/new")\nos.rename(f"{root}/in.txt", f"{root}/new/moved.txt")\n' +
        'os.unlink(f"{root}/data/blob.bin")\nprint(sorted(os.listdir(root)), os.listdir(f"{root}/new"))',
      { pageMounts: { '/mnt/page': page } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "from the page\n['data', 'in.txt'] ['blob.bin']\nb'\\x01\\x02\\x03'\n26 True\n" +
        "['data', 'new', 'out.txt'] ['moved.txt']\n",
    );
    assert.equal(Buffer.from(page.get('out.txt')).toString(), 'result\nresult\nresult\nmore\n');
    assert.equal(Buffer.from(page.get('new/moved.txt')).toString(), 'from the page\n');
    assert.equal(page.get('data/blob.bin'), undefined);
  });

  test("handler errors become the matching OSErrors; async handlers work", T, async () => {
    const fail = (code) => () => Promise.reject(Object.assign(new Error(`denied by page (${code})`), code ? { code } : {}));
    const handler = {
      readFile: async (path) => {
        if (path === 'secret') return fail('EACCES')();
        if (path === 'broken') throw new Error('the page broke');
        return fail('ENOENT')();
      },
      writeFile: async (path, data, { mode }) => (mode === 'create-new' ? fail('EEXIST')() : undefined),
      stat: async (path) => (path === '' ? { kind: 'directory' } : fail('ENOENT')()),
    };
    const r = await python(
      'for op in [lambda: open("/mnt/p/missing"), lambda: open("/mnt/p/secret"), lambda: open("/mnt/p/x", "x"),\n' +
        '           lambda: open("/mnt/p/broken"), lambda: __import__("os").mkdir("/mnt/p/d")]:\n' +
        '  try:\n    op()\n  except OSError as e:\n    print(type(e).__name__, e.errno)',
      { pageMounts: { '/mnt/p': handler } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'FileNotFoundError 44\nPermissionError 2\nFileExistsError 20\nOSError 29\nOSError 58\n');
  });
});

describe('CLI terminal wiring', () => {
  /** Starts the CLI with piped stdin; resolves {code, stdout, stderr} when it ends. */
  function cli(args, { input, onStdout } = {}) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => {
      out.push(b);
      onStdout?.(Buffer.concat(out).toString(), child);
    });
    child.stderr.on('data', (b) => err.push(b));
    if (input !== undefined) child.stdin.end(input);
    const done = new Promise((resolve) =>
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() })),
    );
    return { child, done };
  }

  test('input() reads the process stdin, bytes unchanged, then EOF', T, async () => {
    const { done } = cli(['-c', 'print(ascii(input("? ")))\nprint(ascii(input()))\ntry:\n  input()\nexcept EOFError:\n  print("EOF")'], {
      input: Buffer.from([...Buffer.from('café\n'), 0xff, 0x0a]),
    });
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "? 'caf\\xe9'\n'\\udcff'\nEOF\n");
  });

  test('Ctrl-C raises KeyboardInterrupt; a second one within a second terminates', T, async () => {
    let signalled = false;
    const first = cli(['-c', 'print("go", flush=True)\nwhile True: pass'], {
      onStdout: (text, child) => {
        if (text.includes('go') && !signalled) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    const r1 = await first.done;
    assert.equal(r1.code, 130);
    assert.match(r1.stderr, /KeyboardInterrupt/);

    signalled = false;
    const second = cli(['-c', 'try:\n  print("go", flush=True)\n  while True: pass\nexcept KeyboardInterrupt:\n  print("caught", flush=True)\n  sum(range(10**14))'], {
      onStdout: (text, child) => {
        if (text.includes('go') && !signalled) {
          signalled = true;
          child.kill('SIGINT');
        }
        if (text.includes('caught')) child.kill('SIGINT');
      },
    });
    const r2 = await second.done;
    assert.equal(r2.code, 130);
    assert.match(r2.stderr, /terminated by a second Ctrl-C/);
  });
});
