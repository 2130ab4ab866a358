// Pyodide in a module worker, as a page using it off the main thread does: loads from
// ./pyodide/ (the pinned npm package), then answers {id, code, globals} by running `code` and
// posting {id, value} (the last expression, converted) or {id, error}. Python's stdout lines
// are posted as {stdout: line}.
import { loadPyodide } from './pyodide/pyodide.mjs';

const ready = loadPyodide({
  indexURL: new URL('./pyodide/', import.meta.url).href,
  stdout: (line) => postMessage({ stdout: line }),
  stderr: (line) => postMessage({ stderr: line }),
});
ready.catch((e) => postMessage({ error: `loadPyodide failed: ${e.message}` }));

onmessage = async ({ data: { id, code, globals = {} } }) => {
  try {
    const py = await ready;
    for (const [k, v] of Object.entries(globals)) py.globals.set(k, v);
    const value = py.runPython(code);
    postMessage({ id, value: value?.toJs ? value.toJs() : value });
  } catch (e) {
    postMessage({ id, error: String(e?.message ?? e) });
  }
};
