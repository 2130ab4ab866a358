#!/usr/bin/env node
// `node cli.mjs <python args>`: runs Weft's CPython like `python3 <args>`.
// The host's current directory and the script's directory are mounted read-write at their
// own absolute paths, and the current directory is Python's cwd, so relative paths mean what
// they mean natively. /home/user and /tmp are in memory. Python's stdin is this process's
// stdin, read only when Python asks for it. Ctrl-C raises KeyboardInterrupt; a second Ctrl-C
// within a second ends the interpreter (exit 130). The exit code is Python's; a failure of the
// runtime itself (missing or corrupt assets, a trap) prints one line and exits 70.
// Weft's own options come first, before Python's: `--packages numpy` (or `--packages=numpy`;
// comma-separated, repeatable) starts the interpreter that has those packages
// (StartOptions.packages).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Weft } from './weft.mjs';

// Options of python3 that consume the next argument.
const OPTIONS_WITH_VALUE = new Set(['-W', '-X', '--check-hash-based-pycs']);
// Host settings that would point the guest at the host's Python installation.
const HOST_ONLY_ENV = new Set(['PATH', 'HOME', 'PWD', 'OLDPWD', 'PYTHONHOME', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'PYTHONEXECUTABLE', 'PYTHONPYCACHEPREFIX', 'VIRTUAL_ENV']);

/** The script argument of a python3 command line, if there is one. */
function scriptOf(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-c' || a === '-m' || a === '-') return null;
    if (a === '--') return args[i + 1] ?? null;
    if (OPTIONS_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
    else if (/^-[^-]*[cm]/.test(a)) return null; // e.g. -Ic
  }
  return null;
}

/** Python's stdin handler over process.stdin: each call takes what has arrived (bytes, so
 * invalid UTF-8 reaches Python unchanged), waiting for more only while Python waits. */
function hostStdin() {
  const queue = [];
  let ended = false;
  let waiter = null;
  const stdin = process.stdin;
  stdin.on('data', (chunk) => {
    queue.push(chunk);
    stdin.pause(); // take no more than Python asks for
    waiter?.();
  });
  stdin.on('end', () => {
    ended = true;
    waiter?.();
  });
  stdin.on('error', () => {
    ended = true;
    waiter?.();
  });
  stdin.pause();
  return async () => {
    while (!queue.length && !ended) {
      await new Promise((resolve) => {
        waiter = resolve;
        stdin.resume();
      });
      waiter = null;
    }
    if (!queue.length) return null;
    const chunk = Buffer.concat(queue.splice(0));
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  };
}

/** Splits Weft's leading options (`--packages NAMES`) from Python's arguments. */
function weftOptions(argv) {
  const packages = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    let value;
    if (a === '--packages') value = argv[++i];
    else if (a.startsWith('--packages=')) value = a.slice('--packages='.length);
    else break;
    if (!value) throw new Error('--packages needs a value, e.g. --packages numpy');
    packages.push(...value.split(',').filter(Boolean));
  }
  return { packages, args: argv.slice(i) };
}

async function main() {
  let packages, args;
  try {
    ({ packages, args } = weftOptions(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`weft: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const cwd = process.cwd();
  const hostMounts = {};
  if (cwd !== '/') hostMounts[cwd] = cwd;
  const script = scriptOf(args);
  if (script) {
    const dir = path.dirname(path.resolve(cwd, script));
    const inside = dir === cwd || dir.startsWith(cwd + path.sep);
    if (!inside && dir !== '/') hostMounts[dir] = dir;
  }
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!HOST_ONLY_ENV.has(k)) env[k] = v;
  env.PWD = cwd === '/' ? '/home/user' : cwd;
  const assetsUrl = process.env.WEFT_ASSETS ? pathToFileURL(path.resolve(process.env.WEFT_ASSETS) + path.sep) : undefined;

  let weft;
  try {
    weft = await Weft.start({ assetsUrl, packages, hostMounts, env, stdin: hostStdin(), tty: [process.stdin.isTTY, process.stdout.isTTY, process.stderr.isTTY].map(Boolean) });
    let lastInterrupt = 0;
    process.on('SIGINT', () => {
      const now = Date.now();
      if (now - lastInterrupt < 1000) {
        process.stderr.write('\nweft: terminated by a second Ctrl-C\n');
        weft.terminate();
        process.exit(130);
      }
      lastInterrupt = now;
      weft.interrupt();
    });
    process.exitCode = await weft.run(args);
  } catch (e) {
    process.stderr.write(`weft: ${e.message}\n`);
    process.exitCode = 70;
  } finally {
    await weft?.close();
    process.stdin.destroy(); // a paused stdin would keep Node alive
  }
}

main();
