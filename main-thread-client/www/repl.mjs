// The REPL page: Python's interactive shell in a terminal, and an editor whose Run replaces the
// shell with one that has run the script (as IDLE does). `window.repl` exposes the parts for
// tests and for poking at from the console.
import { CodeEditor } from './editor.mjs';
import { loadingProgress, showIsolationBanner, statusText } from './page.mjs';
import { PythonSession } from './session.mjs';
import { PythonTerminal } from './term.mjs';

const EXAMPLE = `# Run this with the button above (or Ctrl+Enter): the shell
# restarts, runs it, and keeps its names for you to go on with.
import sys

def greet(name):
    return f"Hello, {name}!"

name = input("What is your name? ")
print(greet(name or "world"))
print("This is Python", sys.version.split()[0], "on", sys.platform)
`;

const $ = (id) => document.getElementById(id);
const status = $('status');
const run = $('run');
const stop = $('stop');
const restart = $('restart');

const isolated = showIsolationBanner($('coi-banner'));
const term = new PythonTerminal($('terminal'), { historyKey: 'weft-repl-history' });
const editor = new CodeEditor($('editor'), document.querySelector('.code .gutter'), { storageKey: 'weft-editor-main.py', initial: EXAMPLE });
const progress = []; // every report, for tests
const showProgress = loadingProgress($('loading'));
const session = new PythonSession(term, {
  onProgress: (event) => {
    progress.push(event);
    showProgress(event);
  },
  onStatus: (state) => {
    status.textContent = statusText(state);
    const loading = state === 'loading';
    run.disabled = loading;
    restart.disabled = loading || !isolated;
    stop.disabled = state !== 'running' && state !== 'waiting';
  },
});

editor.onRun = () => {
  if (!run.disabled) runEditor();
};
function runEditor() {
  session.runScript('main.py', editor.value);
  term.focus();
}
run.onclick = runEditor;
stop.onclick = () => {
  session.interrupt();
  term.focus();
};
restart.onclick = () => {
  session.restart();
  term.focus();
};
$('clear').onclick = () => {
  term.clear();
  term.focus();
};

if (!isolated) {
  term.notice('The interactive shell needs cross-origin isolation (see the banner above).', '33');
  term.notice('Scripts from the editor still run: press Run.', '33');
}
window.repl = { term: term.term, terminal: term, session, editor, isolated, progress };
term.focus();
session.run().catch((e) => {
  status.textContent = 'Failed';
  $('loading').hidden = true;
  term.notice(`Python could not start: ${e.message}`, '31');
  console.error(e);
});
