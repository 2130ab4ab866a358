// `node bench/sync-io.mjs node|chromium`: runs bench/sync-io-core.mjs in Node (Weft's worker is
// a worker_threads Worker) or in headless Chromium (a module Worker on a cross-origin isolated
// page served by coi-server), through bench/driver.mjs, and prints one line
// `WEFT-SYNCIO-RESULT <json>` on stdout. Progress goes to stderr. Used by `cargo xtask bench`
// (xtask/src/bench.rs). Environment: see driver.mjs; WEFT_BENCH_TRACE=1 traces every event (Node).
import { readdirSync, readFileSync } from 'node:fs';

import { runDriver } from './driver.mjs';

/**
 * `{"pid/tid": {name, cpu_ms}}` for every thread of `pids`, from /proc/<pid>/task/<tid>/schedstat
 * (first field: ns spent running). null where /proc is unreadable (not Linux).
 */
function procThreads(pids) {
  try {
    const out = {};
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const [ns] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
          const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
          const name = tid === String(pid) ? `${comm} (main thread)` : comm;
          out[`${pid}/${tid}`] = { name, cpu_ms: Number(ns) / 1e6 };
        } catch {
          // the thread ended meanwhile
        }
      }
    }
    return out;
  } catch {
    return null;
  }
}

/** CPU ms per thread and in total between two procThreads() samples (threads in both). */
function threadDelta(a, b) {
  if (!a || !b) return null;
  const threads = [];
  for (const [key, t] of Object.entries(b)) {
    if (a[key]) threads.push({ thread: key, name: t.name, cpu_ms: t.cpu_ms - a[key].cpu_ms });
  }
  threads.sort((x, y) => y.cpu_ms - x.cpu_ms);
  return { total_cpu_ms: threads.reduce((s, t) => s + t.cpu_ms, 0), busiest: threads.slice(0, 5) };
}

/**
 * Replaces the CPU samples by per-process and per-thread differences; `pickWorker(threads)`
 * names the interpreter's thread in the end sample (or undefined).
 */
function cpuDetail(cpu, pickWorker) {
  const [a, b] = cpu?.samples ?? [];
  if (!a || !b) return;
  if (b.detail) {
    cpu.processes = b.detail.map((p) => ({ ...p, cpu_ms: p.cpu_ms - (a.detail.find((q) => q.id === p.id)?.cpu_ms ?? 0) }));
  }
  cpu.threads = threadDelta(a.threads, b.threads);
  if (cpu.threads) {
    cpu.threads.cpu_ms_per_wall_s = cpu.threads.total_cpu_ms / (cpu.wall_ms / 1000);
    const key = pickWorker(b.threads);
    if (key && a.threads[key]) {
      const ms = b.threads[key].cpu_ms - a.threads[key].cpu_ms;
      cpu.worker_thread = { thread: key, name: b.threads[key].name, cpu_ms: ms, cpu_ms_per_wall_s: ms / (cpu.wall_ms / 1000) };
    }
  }
  delete cpu.samples;
}

await runDriver({
  name: 'sync-io',
  tag: 'WEFT-SYNCIO-RESULT',
  core: 'sync-io-core.mjs',
  entry: 'runSyncIo',
  quick: { inputCalls: 200, interruptReps: 5 },
  watchdogS: 150,
  nodeHooks: () => ({
    // The whole process's CPU (main thread, the interpreter's worker thread, V8's helpers).
    // Reading /proc costs a little CPU itself: keep it outside process.cpuUsage()'s window
    // (before the start sample, after the end sample).
    cpuSample: async (which) => {
      const before = which === 'start' ? procThreads([process.pid]) : null;
      const u = process.cpuUsage();
      const wallMs = performance.now();
      const threads = before ?? procThreads([process.pid]);
      return { cpuMs: (u.user + u.system) / 1000, wallMs, what: 'process.cpuUsage() of the Node process (all threads)', threads };
    },
    trace: process.env.WEFT_BENCH_TRACE ? (m) => process.stderr.write(`      ${m}\n`) : null,
  }),
  // The interpreter's worker_threads thread has no name of its own: it is the thread other
  // than the main one that has used the most CPU (it ran all the Python of the bench).
  nodeFinish: (result) => cpuDetail(result.cpu, (threads) => Object.entries(threads)
    .filter(([, t]) => !t.name.endsWith('(main thread)'))
    .sort(([, x], [, y]) => y.cpu_ms - x.cpu_ms)[0]?.[0]),
  pageHooks: 'cpuSample: (which) => window.weftCpuSample(which),',
  chromiumSetup: async ({ browser, page }) => {
    const cdp = await browser.newBrowserCDPSession();
    // CPU time of Chromium's processes from CDP SystemInfo.getProcessInfo (browser-level): the
    // page's renderer process runs both the page and its dedicated workers.
    await page.exposeFunction('weftCpuSample', async () => {
      const before = performance.now();
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      const wall = (before + performance.now()) / 2;
      const renderers = processInfo.filter((p) => p.type === 'renderer');
      if (!renderers.length) throw new Error(`SystemInfo.getProcessInfo lists no renderer: ${JSON.stringify(processInfo)}`);
      return {
        cpuMs: renderers.reduce((s, p) => s + p.cpuTime * 1000, 0),
        wallMs: wall,
        what: `CDP SystemInfo.getProcessInfo cpuTime, summed over ${renderers.length} renderer process(es)`,
        detail: processInfo.map((p) => ({ type: p.type, id: p.id, cpu_ms: p.cpuTime * 1000 })),
        // The same processes' threads from /proc (Linux): nanosecond run time per thread.
        threads: procThreads(renderers.map((p) => p.id)),
      };
    });
  },
  // Thread-pool workers are DedicatedWorkers too: the interpreter's is the busiest over the run.
  chromiumFinish: (result) => cpuDetail(result.cpu, (threads) => Object.entries(threads)
    .filter(([, t]) => t.name === 'DedicatedWorker')
    .sort(([, x], [, y]) => y.cpu_ms - x.cpu_ms)[0]?.[0]),
});
