// A light code editor over a <textarea>: line numbers, Tab / Shift-Tab to indent and dedent,
// Enter keeping the indentation (one level more after a colon), Ctrl-Enter to run, and the text
// kept in localStorage. Edits go through the browser's own editing, so undo works.
const INDENT = '    ';

export class CodeEditor {
  /** Called by Ctrl-Enter (and Cmd-Enter). */
  onRun = () => {};

  #area;
  #gutter;
  #storageKey;
  #escaped = false; // Escape then Tab moves the focus on, as the textarea otherwise keeps Tab
  #lines = 0; // lines numbered in the gutter

  /** `area`: the textarea; `gutter`: an element for line numbers; `storageKey`: localStorage key
   *  for the text (null: not kept); `initial`: the text when none is kept. */
  constructor(area, gutter, { storageKey = null, initial = '' } = {}) {
    this.#area = area;
    this.#gutter = gutter;
    this.#storageKey = storageKey;
    let saved = null;
    try {
      saved = storageKey ? localStorage.getItem(storageKey) : null;
    } catch {
      // storage disabled
    }
    area.value = saved ?? initial;
    area.addEventListener('keydown', (e) => this.#keydown(e));
    area.addEventListener('input', () => this.#changed());
    area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
    this.#numberLines();
  }

  get value() {
    return this.#area.value;
  }

  set value(text) {
    this.#area.value = text;
    this.#changed();
  }

  #changed() {
    this.#numberLines();
    if (!this.#storageKey) return;
    try {
      localStorage.setItem(this.#storageKey, this.#area.value);
    } catch {
      // storage full or disabled
    }
  }

  #numberLines() {
    const lines = this.#area.value.split('\n').length;
    if (this.#lines === lines) return;
    this.#lines = lines;
    this.#gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join('\n');
    this.#gutter.scrollTop = this.#area.scrollTop;
  }

  /** Replaces the selection with `text` through the browser's editing (undoable). */
  #insert(text) {
    if (!document.execCommand('insertText', false, text)) {
      this.#area.setRangeText(text, this.#area.selectionStart, this.#area.selectionEnd, 'end');
      this.#changed();
    }
  }

  #keydown(e) {
    const area = this.#area;
    const escaped = this.#escaped;
    this.#escaped = e.key === 'Escape';
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      this.onRun();
    } else if (e.key === 'Tab' && !escaped && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = area;
      if (!e.shiftKey && start === end) {
        this.#insert(INDENT);
        return;
      }
      // Whole lines of the selection, one level in or out.
      const first = value.lastIndexOf('\n', start - 1) + 1;
      const last = end > start && value[end - 1] === '\n' ? end - 1 : end;
      const block = value.slice(first, last);
      const changed = block.split('\n')
        .map((l) => (e.shiftKey ? l.replace(/^( {1,4}|\t)/, '') : l ? INDENT + l : l))
        .join('\n');
      area.setSelectionRange(first, last);
      this.#insert(changed);
      area.setSelectionRange(first, first + changed.length);
    } else if (e.key === 'Enter' && !e.shiftKey && !e.altKey) {
      e.preventDefault();
      const { selectionStart: start, value } = area;
      const line = value.slice(value.lastIndexOf('\n', start - 1) + 1, start);
      let indent = /^[ \t]*/.exec(line)[0];
      if (/:\s*(#.*)?$/.test(line)) indent += INDENT;
      this.#insert(`\n${indent}`);
    }
  }
}
