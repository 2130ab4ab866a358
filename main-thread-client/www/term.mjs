// A terminal for Python on the page: xterm.js showing the program's output, and a line editor
// in front of it that plays the part of a terminal's line discipline. Python's stdin is a "tty"
// that never echoes: every line Python reads is edited here first (echo, cursor keys, history,
// paste), and only Enter hands it over. Keys typed while Python is busy are echoed too and kept
// as type-ahead, as a real terminal does.
import { Terminal } from './vendor/xterm.mjs';
import { FitAddon } from './vendor/addon-fit.mjs';

const HISTORY_LIMIT = 1000;
const INDENT = '    ';

// Escape sequences, which take no room on screen: CSI, OSC, and two-byte ones.
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** Cells a code point takes, as xterm's default (Unicode 6) tables count them. */
function charWidth(c) {
  if (c < 32 || (c >= 0x7f && c < 0xa0)) return 0;
  if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x20d0 && c <= 0x20ff) ||
      (c >= 0xfe00 && c <= 0xfe0f)) return 0;
  if ((c >= 0x1100 && c <= 0x115f) || c === 0x2329 || c === 0x232a || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe10 && c <= 0xfe19) ||
      (c >= 0xfe30 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x2fffd) || (c >= 0x30000 && c <= 0x3fffd)) return 2;
  return 1;
}

/** Cells `text` (no control characters) takes on screen. */
export function cellWidth(text) {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0));
  return w;
}

/**
 * Python's terminal: `readLine()` is the stdin handler's answer, `write(text)` shows output,
 * `onInterrupt` hears Ctrl-C. The screen holds the program's output, and after its last line
 * (the "tail", e.g. the `>>> ` prompt) the line being edited, redrawn whenever either changes.
 */
export class PythonTerminal {
  /** Called on Ctrl-C (after the line was discarded and ^C shown). */
  onInterrupt = () => {};

  #line = []; // code points of the line being edited
  #cursor = 0; // index into #line
  #shown = { text: '', cursor: 0 }; // what the screen shows of it (text, cursor cells)
  #tail = ''; // output since its last line break (the prompt), for redrawing it after Ctrl-L
  #tailWidth = 0; // cells it takes: where the edited line starts
  #queue = []; // whole lines typed ahead (null: end of input), handed to the next reads
  #reader = null; // resolves the pending readLine()
  #history = [];
  #historyPos = 0;
  #draft = []; // the line being edited when history browsing began
  #historyKey;

  /** `element`: where the terminal goes. `historyKey`: localStorage key keeping the history
   *  across page loads (null: this page only). */
  constructor(element, { historyKey = null, fontSize = 14 } = {}) {
    this.#historyKey = historyKey;
    this.#history = loadHistory(historyKey);
    this.#historyPos = this.#history.length;
    this.term = new Terminal({
      convertEol: true, // output's "\n" starts a new line at column 0, as a tty's onlcr does
      cursorBlink: true,
      fontSize,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      scrollback: 10000,
      theme: { background: '#1e1f24', foreground: '#e6e6e6', cursor: '#f0c674', selectionBackground: '#44475a' },
    });
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.open(element);
    this.fit();
    new ResizeObserver(() => this.fit()).observe(element);
    this.term.attachCustomKeyEventHandler((e) => this.#clipboardKey(e));
    this.term.onData((data) => this.#input(data));
  }

  fit() {
    try {
      this.fitAddon.fit();
    } catch {
      // not laid out yet (hidden): the next resize fits it
    }
  }

  focus() {
    this.term.focus();
  }

  /** Whether Python is waiting for a line. */
  get reading() {
    return this.#reader !== null;
  }

  /**
   * The next line for Python (without its "\n"), or null for end of input: a line typed ahead,
   * or the one the user finishes with Enter.
   */
  readLine() {
    if (this.#queue.length) {
      const line = this.#queue.shift();
      // Shown now, after the prompt that asked for it, as if typed there.
      if (line !== null) {
        this.#tail = '';
        this.#showAboveEdit(`${line}\r\n`, 0);
      }
      return Promise.resolve(line);
    }
    this.#historyPos = this.#history.length;
    return new Promise((resolve) => { this.#reader = resolve; });
  }

  /** Answers a pending read with end of input; false if none was pending. */
  endOfInput() {
    const reader = this.#reader;
    this.#reader = null;
    reader?.(null);
    return reader !== null;
  }

  /** Forgets the lines typed ahead and the line being edited (a new program starts afresh). */
  discardInput() {
    this.#queue = [];
    this.#line = [];
    this.#cursor = 0;
    this.#render();
  }

  /** Shows program output. */
  write(text) {
    if (!text) return;
    const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    this.#tail = (cut >= 0 ? '' : this.#tail) + text.slice(cut + 1);
    if (this.#tail.length > 4096) this.#tail = ''; // not a prompt: not worth keeping
    this.#showAboveEdit(text, this.#tailWidthAfter(text));
  }

  /** Shows a message of the page's own (not Python's) on a line of its own; `style` is an SGR
   *  code such as '2' (dim) or '31' (red). */
  notice(text, style = '2') {
    const lead = this.#tailWidth > 0 ? '\r\n' : '';
    this.#tail = '';
    this.#showAboveEdit(`${lead}\x1b[${style}m${text}\x1b[0m\r\n`, 0);
  }

  /** Clears the screen and scrollback, then shows the prompt and line again (Ctrl-L). */
  clear() {
    this.#eraseEdit();
    this.term.write(`\x1b[H\x1b[2J\x1b[3J${this.#tail}`);
    this.#tailWidth = this.#tailWidthAfter(`\n${this.#tail}`);
    this.#render();
  }

  /** The whole buffer as text, wrapped rows joined (for tests and copy). */
  text() {
    const buffer = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) {
      const row = buffer.getLine(i);
      const next = buffer.getLine(i + 1);
      const s = row.translateToString(!next?.isWrapped);
      if (row.isWrapped && lines.length) lines[lines.length - 1] += s;
      else lines.push(s);
    }
    return lines.join('\n').replace(/\s+$/, '');
  }

  // ---- screen ----------------------------------------------------------------------------

  /** Cells after the output's last line break once `text` is shown (tabs to stops of 8). */
  #tailWidthAfter(text) {
    const plain = text.replace(ESCAPES, '');
    const cut = Math.max(plain.lastIndexOf('\n'), plain.lastIndexOf('\r'));
    let w = cut >= 0 ? 0 : this.#tailWidth;
    const cols = this.term.cols;
    for (const ch of plain.slice(cut + 1)) {
      if (ch === '\t') w += 8 - ((w % cols) % 8);
      else if (ch === '\b') w = Math.max(0, w - 1);
      else w += charWidth(ch.codePointAt(0));
    }
    return w;
  }

  /** Moves the cursor between cell offsets counted from the start of the tail's row. */
  #move(from, to) {
    const cols = this.term.cols;
    const rows = Math.floor(to / cols) - Math.floor(from / cols);
    const dc = (to % cols) - (from % cols);
    let s = rows < 0 ? `\x1b[${-rows}A` : rows > 0 ? `\x1b[${rows}B` : '';
    if (dc) s += dc > 0 ? `\x1b[${dc}C` : `\x1b[${-dc}D`;
    return s;
  }

  /** After text that ends exactly at the right margin xterm keeps the cursor there with the wrap
   *  pending; a space and a backspace make it take the wrap, where #move expects the cursor. */
  #settleWrap(end) {
    return end % this.term.cols === 0 ? ' \b' : '';
  }

  /** Erases the edited line from the screen, leaving the cursor where it starts. */
  #eraseEdit() {
    if (!this.#shown.text) return;
    const start = this.#tailWidth;
    this.term.write(`${this.#move(start + this.#shown.cursor, start)}\x1b[J`);
    this.#shown = { text: '', cursor: 0 };
  }

  /** Writes `text` where the edited line starts, then redraws the line after it. */
  #showAboveEdit(text, tailWidth) {
    this.#eraseEdit();
    this.term.write(text);
    this.#tailWidth = tailWidth;
    this.#render();
  }

  /** Brings the screen in line with #line and #cursor. */
  #render() {
    const text = this.#line.join('');
    const cursor = cellWidth(this.#line.slice(0, this.#cursor).join(''));
    const shown = this.#shown;
    if (text === shown.text && cursor === shown.cursor) return;
    const start = this.#tailWidth;
    const end = start + cellWidth(text);
    let s;
    if (text.startsWith(shown.text) && shown.cursor === cellWidth(shown.text) && start + cursor === end) {
      s = text.slice(shown.text.length); // typing at the end: just the new characters
    } else {
      s = `${this.#move(start + shown.cursor, start)}\x1b[J${text}`;
    }
    if (text) s += this.#settleWrap(end);
    s += this.#move(end, start + cursor);
    this.term.write(s);
    this.#shown = { text, cursor };
  }

  // ---- keys ------------------------------------------------------------------------------

  /** Ctrl-C copies while text is selected; Ctrl-V (and Ctrl-Shift-C/V) are the browser's. */
  #clipboardKey(e) {
    if (e.type !== 'keydown' || !(e.ctrlKey || e.metaKey) || e.altKey) return true;
    const key = e.key.toLowerCase();
    if (key === 'c' && (e.shiftKey || e.metaKey || this.term.hasSelection())) {
      const selection = this.term.getSelection();
      if (selection) navigator.clipboard?.writeText(selection).catch(() => {});
      this.term.clearSelection();
      e.preventDefault();
      return false;
    }
    // Left to the browser, whose paste event xterm turns into onData.
    return key !== 'v';
  }

  /** Keys and pasted text from xterm. */
  #input(data) {
    let i = 0;
    while (i < data.length) {
      let key = data[i];
      if (key === '\x1b' && i + 1 < data.length) {
        const m = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|[^[O])/.exec(data.slice(i, i + 16));
        key = m ? m[0] : key;
      } else if (key === '\r' && data[i + 1] === '\n') {
        i++; // a pasted CRLF is one line break
      } else {
        const cp = data.codePointAt(i);
        key = String.fromCodePoint(cp);
      }
      i += key.length;
      this.#key(key);
    }
    this.#render();
  }

  #key(key) {
    const line = this.#line;
    switch (key) {
      case '\r':
      case '\n':
        return this.#enter();
      case '\x03': // Ctrl-C
        return this.#interrupt();
      case '\x04': // Ctrl-D: end of input on an empty line, else delete forward
        if (line.length === 0) return this.#endOfInputKey();
        if (this.#cursor < line.length) line.splice(this.#cursor, 1);
        return;
      case '\x7f': // Backspace
      case '\b':
        if (this.#cursor > 0) line.splice(--this.#cursor, 1);
        return;
      case '\x1b[3~': // Delete
        if (this.#cursor < line.length) line.splice(this.#cursor, 1);
        return;
      case '\x1b[D': // Left
      case '\x02': // Ctrl-B
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case '\x1b[C': // Right
      case '\x06': // Ctrl-F
        this.#cursor = Math.min(line.length, this.#cursor + 1);
        return;
      case '\x1b[H': // Home
      case '\x1bOH':
      case '\x1b[1~':
      case '\x01': // Ctrl-A
        this.#cursor = 0;
        return;
      case '\x1b[F': // End
      case '\x1bOF':
      case '\x1b[4~':
      case '\x05': // Ctrl-E
        this.#cursor = line.length;
        return;
      case '\x1b[1;5D': // Ctrl-Left, Alt-B: a word back
      case '\x1bb':
        this.#cursor = this.#wordStart();
        return;
      case '\x1b[1;5C': // Ctrl-Right, Alt-F: a word forward
      case '\x1bf':
        this.#cursor = this.#wordEnd();
        return;
      case '\x1b[A': // Up, Ctrl-P
      case '\x10':
        return this.#browseHistory(-1);
      case '\x1b[B': // Down, Ctrl-N
      case '\x0e':
        return this.#browseHistory(1);
      case '\x0b': // Ctrl-K: kill to the end
        line.splice(this.#cursor);
        return;
      case '\x15': // Ctrl-U: kill to the start
        line.splice(0, this.#cursor);
        this.#cursor = 0;
        return;
      case '\x17': // Ctrl-W, Alt-Backspace: kill the word before the cursor
      case '\x1b\x7f': {
        const start = this.#wordStart();
        line.splice(start, this.#cursor - start);
        this.#cursor = start;
        return;
      }
      case '\x0c': // Ctrl-L
        return this.clear();
      case '\t': // no completion: indent, as in an editor
        return this.#insert(INDENT);
      default:
        if (key.length === 1 && key < ' ') return; // other control keys
        if (key.startsWith('\x1b')) return; // keys without a meaning here (F1, PageUp, ...)
        return this.#insert(key);
    }
  }

  #insert(text) {
    const chars = [...text];
    this.#line.splice(this.#cursor, 0, ...chars);
    this.#cursor += chars.length;
  }

  #wordStart() {
    let i = this.#cursor;
    while (i > 0 && !/\w/u.test(this.#line[i - 1])) i--;
    while (i > 0 && /\w/u.test(this.#line[i - 1])) i--;
    return i;
  }

  #wordEnd() {
    let i = this.#cursor;
    const n = this.#line.length;
    while (i < n && !/\w/u.test(this.#line[i])) i++;
    while (i < n && /\w/u.test(this.#line[i])) i++;
    return i;
  }

  #enter() {
    const text = this.#line.join('');
    this.#addHistory(text);
    if (this.#reader) {
      // The line stays on screen, followed by a line break, as a terminal echoes it.
      this.#cursor = this.#line.length;
      this.#render();
      const end = this.#tailWidth + this.#shown.cursor;
      const wrapped = this.#shown.text && end % this.term.cols === 0; // #settleWrap moved down
      this.term.write(wrapped ? '\r' : '\r\n');
      this.#line = [];
      this.#cursor = 0;
      this.#shown = { text: '', cursor: 0 };
      this.#tail = '';
      this.#tailWidth = 0;
      const reader = this.#reader;
      this.#reader = null;
      reader(text);
    } else {
      // Typed ahead: shown again when Python reads it, after its prompt.
      this.#line = [];
      this.#cursor = 0;
      this.#queue.push(text);
    }
  }

  #endOfInputKey() {
    if (!this.endOfInput()) this.#queue.push(null);
  }

  #interrupt() {
    // "^C" after the line as it stands, then the line and the type-ahead are gone.
    this.#cursor = this.#line.length;
    this.#render();
    const shown = this.#shown.text;
    this.term.write('^C');
    this.#tail += `${shown}^C`;
    this.#tailWidth += cellWidth(shown) + 2;
    this.#line = [];
    this.#cursor = 0;
    this.#shown = { text: '', cursor: 0 };
    this.#queue = [];
    this.#historyPos = this.#history.length;
    this.onInterrupt();
  }

  #browseHistory(step) {
    const pos = this.#historyPos + step;
    if (pos < 0 || pos > this.#history.length) return;
    if (this.#historyPos === this.#history.length) this.#draft = this.#line;
    this.#historyPos = pos;
    this.#line = pos === this.#history.length ? this.#draft : [...this.#history[pos]];
    this.#cursor = this.#line.length;
  }

  #addHistory(text) {
    this.#historyPos = this.#history.length;
    if (!text.trim() || this.#history[this.#history.length - 1] === text) return;
    this.#history.push(text);
    if (this.#history.length > HISTORY_LIMIT) this.#history.splice(0, this.#history.length - HISTORY_LIMIT);
    this.#historyPos = this.#history.length;
    if (this.#historyKey) {
      try {
        localStorage.setItem(this.#historyKey, JSON.stringify(this.#history));
      } catch {
        // storage full or disabled: the history lasts as long as the page
      }
    }
  }
}

function loadHistory(key) {
  if (!key) return [];
  try {
    const saved = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(saved) ? saved.filter((l) => typeof l === 'string').slice(-HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}
