// The runtime's own parallel work, the same code in Node and in a cross-origin isolated page:
// `unpackArchive` of a real archive (the stdlib bundle: hundreds of deflated files) with the
// entries decompressed on 1, 2 or 4 of the runtime's workers (wasm-bindgen-rayon), against the
// interpreter's worker alone (`runtimeThreads: 0`). Driven by bench/archive.mjs; plain JSON out.
import { lineSink, median } from './sync-io-core.mjs';

// What a start of Python decompresses from the stdlib bundle: the modules it has imported by the
// first statement that come from the bundle (3.13 freezes most start-up modules into the binary).
const STARTUP_PY = `import sys
loaded = [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
import json, os
# A frozen module names its source file, which the bundle (compiled files only) does not have.
files = {f for f in loaded if f.startswith("/usr/local/lib/python3.13/") and os.path.isfile(f)}
print("WEFT-ARCHIVE " + json.dumps({"modules": len(files), "bytes": sum(os.path.getsize(f) for f in files)}))
`;

/**
 * `archive()` resolves to the archive's bytes (hooks differ: a file in Node, a fetch in the
 * page). Each configuration gets its own interpreter; the first call (which starts the workers,
 * on code V8 has not optimized yet) is reported apart, then `warm` untimed calls, then `reps`
 * timed ones, interleaved across configurations so that machine noise hits all alike.
 */
export async function runArchive(Weft, {
  archive, log = () => {}, events = [],
  configs = [0, 1, 2, 4], warm = 5, reps = 15,
} = {}) {
  const note = (m) => {
    events.push(`${performance.now().toFixed(1)} ${m}`);
    if (events.length > 80) events.shift();
  };
  const bytes = new Uint8Array(await archive());
  const sessions = [];
  try {
    let startup = null;
    const stdout = lineSink((l) => { if (l.startsWith('WEFT-ARCHIVE ')) startup = JSON.parse(l.slice(13)); });
    for (const threads of configs) {
      const py = await Weft.start({ runtimeThreads: threads, threads: false, stdout, stderr: () => {} });
      sessions.push({ threads, py, first: null, times: [] });
    }
    note('start-up modules');
    const code = await sessions[0].py.run(['-c', STARTUP_PY]);
    if (code !== 0 || !startup) throw new Error(`the start-up module count failed (exit ${code})`);
    let shape = null;
    const once = async (s) => {
      note(`unpack, runtimeThreads ${s.threads}`);
      const t0 = performance.now();
      // The same directory each time: files are replaced, so memory stays flat.
      shape = await s.py.unpackArchive(bytes, 'zip', { extractDir: '/tmp/unpacked' });
      return performance.now() - t0;
    };
    for (const s of sessions) {
      s.first = await once(s);
      s.workers = s.py.stats().runtimeWorkers;
      log(`runtimeThreads ${s.threads}: first ${s.first.toFixed(1)} ms, ${s.workers} workers`);
    }
    for (let i = 0; i < warm; i++) for (const s of sessions) await once(s);
    for (let i = 0; i < reps; i++) for (const s of sessions) s.times.push(await once(s));
    const base = median(sessions.find((s) => s.threads === 0)?.times ?? [NaN]);
    return {
      archive: { zip_bytes: bytes.byteLength, ...shape },
      startup_from_bundle: startup,
      warm,
      reps,
      configs: sessions.map((s) => ({
        runtime_threads: s.threads,
        workers: s.workers,
        first_ms: s.first,
        median_ms: median(s.times),
        min_ms: Math.min(...s.times),
        max_ms: Math.max(...s.times),
        speedup: base / median(s.times),
        all_ms: s.times,
      })),
    };
  } finally {
    for (const s of sessions) await s.py.close();
  }
}
