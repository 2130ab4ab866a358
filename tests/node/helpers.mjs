// Shared helpers for the Node suites: where dist/ is, and running Python through the CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built package: `cargo xtask test` sets WEFT_DIST; default <repo>/dist. */
export const DIST = resolve(process.env.WEFT_DIST ?? join(REPO, 'dist'));
export const CLI = join(DIST, 'cli.mjs');
/** Python snippets shared by the Node and browser suites. */
export const PYTHON_DIR = join(REPO, 'tests', 'python');
/** The built client module (dist/weft.mjs). */
export const client = await import(pathToFileURL(join(DIST, 'weft.mjs')).href);

/**
 * Starts an interpreter whose output is collected: `stdout()`/`stderr()` are the text so far.
 * `options` go to Weft.start and may replace the collecting callbacks.
 */
export async function startWeft(options = {}) {
  const out = [];
  const err = [];
  const py = await client.Weft.start({
    stdout: (bytes) => out.push(Buffer.from(bytes)),
    stderr: (bytes) => err.push(Buffer.from(bytes)),
    ...options,
  });
  return {
    py,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

/**
 * Runs `node <cli> ...args` and collects its output.
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string,
 *   stdoutBytes: Buffer, ms: number}>}
 * Rejects (and kills the process) after `timeout` ms, so a hang fails the test instead of
 * blocking the suite.
 */
export function runCli(args, { cwd = process.cwd(), env = {}, timeout = 120_000, cli = CLI, onStdout } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => (onStdout ? onStdout(b) : out.push(b)));
    child.stderr.on('data', (b) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeout} ms: node ${[cli, ...args].join(' ')}\n` +
        `stderr so far: ${Buffer.concat(err).toString().slice(-2000)}`));
    }, timeout);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code, signal, stdoutBytes,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      });
    });
  });
}

/** `python -c code` through the CLI. */
export const runPython = (code, opts) => runCli(['-c', code], opts);

/** A message showing what Python did, for assertion failures. */
export function show(r) {
  return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout ---\n${r.stdout.slice(-3000)}` +
    `\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

export async function tempDir(prefix = 'weft-test-') {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A scratch copy of dist/ (for damaging it), removed by the returned cleanup function. */
export async function copyOfDist() {
  const dir = await tempDir('weft-dist-');
  // Not the npm package's copies of the same files (dist/npm/).
  await cp(DIST, dir, { recursive: true, filter: (src) => src !== join(DIST, 'npm') });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * Runs a tests/python/*_checks.py script through the CLI and reports each of its checks as a
 * subtest of `t` (so a failure names the check and shows its Python traceback).
 */
export async function runChecks(t, script, args = [], { expect = [], weftArgs = [], ...opts } = {}) {
  const r = await runCli([...weftArgs, join(PYTHON_DIR, script), ...args], opts);
  const line = r.stdout.split('\n').find((l) => l.startsWith('WEFT-RESULTS '));
  if (!line) assert.fail(`${script} reported no results\n${show(r)}`);
  const results = JSON.parse(line.slice('WEFT-RESULTS '.length));
  for (const name of expect) {
    if (!(name in results)) results[name] = 'missing from the results';
  }
  for (const [name, outcome] of Object.entries(results)) {
    await t.test(name, () => assert.equal(outcome, 'ok', `${name}:\n${outcome}`));
  }
  assert.equal(r.code, Object.values(results).every((v) => v === 'ok') ? 0 : 1, show(r));
  return results;
}
