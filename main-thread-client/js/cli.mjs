#!/usr/bin/env node
// `node cli.mjs <python args>`: runs Weft's CPython like `python3 <args>`.
// The host's current directory and the script's directory are mounted read-write at their
// own absolute paths, and the current directory is Python's cwd, so relative paths mean what
// they mean natively. /home/user and /tmp are in memory. The exit code is Python's; a failure
// of the runtime itself (missing or corrupt assets, a trap) prints one line and exits 70.
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

async function main() {
  const args = process.argv.slice(2);
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
    weft = await Weft.start({ assetsUrl, hostMounts, env, tty: [process.stdin.isTTY, process.stdout.isTTY, process.stderr.isTTY].map(Boolean) });
    process.exitCode = await weft.run(args);
  } catch (e) {
    process.stderr.write(`weft: ${e.message}\n`);
    process.exitCode = 70;
  } finally {
    await weft?.close();
  }
}

main();
