// What every Weft page shows around Python: the banner of a page that is not cross-origin
// isolated, and the progress of loading the interpreter.
import { sharedMemory } from './session.mjs';

// coi-register.js may be about to reload this page into an isolated one: every page module
// imports this one, so none of them starts Python before the load that stays (`ready` never
// settles in the other).
await window.weftCoi?.ready;

/** Fills and shows `element` when the page lacks cross-origin isolation; returns whether it is
 *  isolated. */
export function showIsolationBanner(element) {
  if (sharedMemory) return true;
  element.innerHTML = `
    <strong>This page is not cross-origin isolated, so these features are off:</strong>
    <code>input()</code> and the interactive shell (Python cannot wait for what you type),
    Ctrl-C and Stop interrupting a program, Python threads, and files the page owns (the editor's
    script runs with <code>-c</code>, without a shell afterwards).
    <br><strong>Why:</strong> Weft answers Python synchronously through a
    <code>SharedArrayBuffer</code>, which browsers give only to a page served with
    <code>Cross-Origin-Opener-Policy: same-origin</code> and
    <code>Cross-Origin-Embedder-Policy: require-corp</code>; this server did not send them.
    <br><strong>To turn them on:</strong> serve <code>dist/</code> with <code>cargo xtask serve</code>
    (coi-server sends the headers) or set them in your server; a static host that cannot set
    headers can load <code>coi-register.js</code>, a service worker that adds them.`;
  element.hidden = false;
  return false;
}

const MB = 1024 * 1024;

/**
 * A progress bar in `element` (a <progress> and a label inside it) for Weft.start's onProgress;
 * returns that callback. The element is shown while loading and hidden once Python is ready.
 */
export function loadingProgress(element) {
  const bar = element.querySelector('progress');
  const label = element.querySelector('.label');
  return ({ phase, loaded, total }) => {
    element.hidden = phase === 'ready';
    if (phase === 'fetch') {
      if (total) {
        bar.max = total;
        bar.value = loaded;
        label.textContent = `Downloading Python: ${(loaded / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB`;
      } else {
        bar.removeAttribute('value'); // indeterminate: the sizes are unknown
        label.textContent = `Downloading Python: ${(loaded / MB).toFixed(1)} MB`;
      }
    } else if (phase === 'compile') {
      bar.max = 1;
      bar.value = 1;
      label.textContent = 'Compiling Python…';
    }
  };
}

/** Describes a PythonSession state for a status line. */
export function statusText(state) {
  return {
    loading: 'Loading Python…',
    running: 'Running',
    waiting: 'Waiting for input',
    idle: 'Ready',
  }[state] ?? state;
}
