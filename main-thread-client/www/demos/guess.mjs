// The guessing-game demo: guess.py (beside this page) run in a terminal, answered by typing.
import { loadingProgress, showIsolationBanner, statusText } from '../page.mjs';
import { FILES_DIR, PythonSession } from '../session.mjs';
import { PythonTerminal } from '../term.mjs';

const $ = (id) => document.getElementById(id);
const isolated = showIsolationBanner($('coi-banner'));
const term = new PythonTerminal($('terminal'));
const session = new PythonSession(term, {
  main: { args: [`${FILES_DIR}/guess.py`], name: 'guess.py' },
  exitMessage: (code) => (code === 0 ? 'The game is over. Press Enter to play again.' : `The program ended with code ${code}. Press Enter to start it again.`),
  onProgress: loadingProgress($('loading')),
  onStatus: (state) => {
    $('status').textContent = statusText(state);
    $('restart').disabled = state === 'loading' || !isolated;
  },
});
$('restart').onclick = () => {
  session.restart();
  term.focus();
};
window.demo = { term: term.term, terminal: term, session };

try {
  const res = await fetch('guess.py');
  if (!res.ok) throw new Error(`cannot fetch guess.py: HTTP ${res.status}`);
  const source = await res.text();
  $('source').textContent = source;
  session.files.writeFile('guess.py', source);
  if (!isolated) term.notice('This program needs input(), which needs cross-origin isolation (see the banner above).', '33');
  term.focus();
  await session.run();
} catch (e) {
  $('status').textContent = 'Failed';
  $('loading').hidden = true;
  term.notice(`The demo could not start: ${e.message}`, '31');
  console.error(e);
}
