// One interpreter behind a PythonTerminal, run the way a Python shell is: a process at a time in
// the same interpreter (its in-memory files persist), Run replacing what runs (as IDLE restarts
// its shell), Ctrl-C and Stop interrupting, a new interpreter when one crashes, and a prompt to
// start again when the program exits.
import { PageDirectory, Weft } from './weft.mjs';

/** Where the page's files (the editor's script, a demo's program) appear to Python. */
export const FILES_DIR = '/home/user/editor';

// How long a process being replaced may take to end before it is interrupted again, and then
// before its interpreter is ended.
const END_GRACE_MS = 1500;
// A second Ctrl-C this long after an unanswered one explains how to end a stuck program.
const STUCK_MS = 1000;

/** Whether this page can answer Python synchronously (stdin, interrupts, page-owned files). */
export const sharedMemory = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;

export class PythonSession {
  /** The running interpreter (replaced after a crash). */
  weft = null;
  /** The page's files, under FILES_DIR. */
  files = new PageDirectory();

  #term;
  #main;
  #exitMessage;
  #onStatus;
  #onProgress;
  #running = 0; // serial number of the running process, 0 when none runs
  #serial = 0;
  #ending = false; // the running process is being replaced: output dropped, reads get EOF
  #next = null; // the job to run once the running process has ended
  #wake = null; // ends the wait between processes when a job arrives
  #interruptedAt = 0; // when an interrupt went unanswered (no read, no exit since)

  /**
   * `term`: a PythonTerminal. `main`: the job run first and whenever the user starts again after
   * an exit, as `{args, name?}` (`name` labels its restarts; default "Shell"); it needs stdin, so
   * without shared memory nothing runs until runScript. `exitMessage(code)`: what the terminal
   * says when main exits. `onStatus(state)`: 'loading' | 'running' | 'waiting' (for a line) |
   * 'idle'. `onProgress`: Weft.start's.
   */
  constructor(term, { main = { args: [] }, exitMessage, onStatus = () => {}, onProgress } = {}) {
    this.#term = term;
    this.#main = main;
    this.#exitMessage = exitMessage ?? ((code) => `Python exited with code ${code}. Press Enter to start a new session.`);
    this.#onStatus = onStatus;
    this.#onProgress = onProgress;
    term.onInterrupt = () => this.interrupt();
  }

  /** Starts the interpreter, runs `main`, then what the page asks for, until the page goes. */
  async run() {
    await this.#start();
    let job = this.#mainJob();
    for (;;) {
      if (!job) job = await this.#waitForJob(false);
      const outcome = await this.#process(job);
      const next = this.#take();
      if (outcome.error) {
        if (!next) this.#term.notice(`The interpreter stopped: ${outcome.error.message}. Starting a new one…`, '31');
        await this.#start();
      } else if (!next) {
        this.#term.notice(this.#mainJob() ? this.#exitMessage(outcome.code) : `The program exited with code ${outcome.code}.`);
      }
      job = next ?? (outcome.error ? this.#mainJob() : await this.#waitForJob(true));
    }
  }

  /** Runs `code` as the file `name` (in FILES_DIR), replacing what runs; with stdin, the shell
   *  then keeps its globals (`python -i`). */
  runScript(name, code) {
    if (!sharedMemory) return this.#replace({ args: ['-c', code], title: name });
    this.files.writeFile(name, code);
    return this.#replace({ args: ['-i', `${FILES_DIR}/${name}`], title: name });
  }

  /** Ends what runs and starts `main` afresh. */
  restart() {
    const main = this.#mainJob();
    if (main) this.#replace({ args: main.args, title: main.name ?? 'Shell' });
  }

  /** KeyboardInterrupt in the running program (Ctrl-C, Stop); without shared memory, which
   *  interrupts need, it ends the interpreter instead. */
  interrupt() {
    if (!this.#running || this.#ending) {
      if (!this.#running) this.#term.write('\r\n');
      return;
    }
    if (!this.weft.syncIo) {
      this.#term.notice('Stopped (without cross-origin isolation that takes a new interpreter).', '33');
      this.weft.terminate();
      return;
    }
    const now = performance.now();
    if (this.#interruptedAt && now - this.#interruptedAt > STUCK_MS) {
      this.#term.notice('Python does not respond to Ctrl-C (a long call in C?); Restart ends it.', '33');
    }
    this.#interruptedAt ||= now;
    this.weft.interrupt();
  }

  get running() {
    return this.#running !== 0;
  }

  async #start() {
    this.#onStatus('loading');
    const decoders = [new TextDecoder(), new TextDecoder()];
    const sink = (fd) => (bytes) => {
      if (!this.#ending) this.#term.write(decoders[fd].decode(bytes, { stream: true }));
    };
    this.weft = await Weft.start({
      stdout: sink(0),
      stderr: sink(1),
      tty: [true, true, true],
      onProgress: this.#onProgress,
      ...(sharedMemory ? { stdin: () => this.#read(), pageMounts: { [FILES_DIR]: this.files } } : {}),
    });
    this.#onStatus('idle');
  }

  #mainJob() {
    return sharedMemory ? this.#main : null;
  }

  /** The stdin handler: a line from the terminal. */
  async #read() {
    if (this.#ending) return null;
    this.#interruptedAt = 0;
    this.#onStatus('waiting');
    const line = await this.#term.readLine();
    if (this.#running) this.#onStatus('running');
    return line;
  }

  /** Runs one process to its end: `{code}`, or `{error}` when the interpreter failed. */
  async #process({ args, title }) {
    const term = this.#term;
    if (title) {
      const label = ` RESTART: ${title} `;
      const side = '='.repeat(Math.max(3, Math.floor((term.term.cols - label.length) / 2)));
      term.notice(side + label + side);
    }
    this.#running = ++this.#serial;
    this.#onStatus('running');
    try {
      const env = { TERM: 'xterm-256color', COLUMNS: String(term.term.cols), LINES: String(term.term.rows) };
      return { code: await this.weft.run(args, { env }) };
    } catch (error) {
      return { error };
    } finally {
      this.#running = 0;
      this.#ending = false;
      this.#interruptedAt = 0;
      term.endOfInput(); // a read the ended process left behind
      this.#onStatus('idle');
    }
  }

  #take() {
    const next = this.#next;
    this.#next = null;
    return next;
  }

  /** Between processes: the next job from the page, or with `enter`, the main one on Enter. */
  #waitForJob(enter) {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        this.#term.endOfInput();
        resolve(this.#take());
      };
      if (enter && this.#mainJob()) {
        this.#term.readLine().then(() => {
          if (!this.#wake) return;
          this.#wake = null;
          resolve(this.#take() ?? this.#mainJob());
        });
      }
    });
  }

  /** Ends the running process (quietly: it is being replaced) and has `job` run instead. */
  #replace(job) {
    this.#next = job;
    if (!this.#running) {
      this.#wake?.();
      return;
    }
    if (this.#ending) return;
    this.#ending = true;
    this.#term.discardInput();
    const process = this.#running;
    if (!this.weft.syncIo) {
      this.weft.terminate();
      return;
    }
    // End of input ends the shell at its prompt; an interrupt first stops a running program.
    if (!this.#term.endOfInput()) this.weft.interrupt();
    setTimeout(() => {
      if (this.#running !== process) return;
      this.weft.interrupt();
      setTimeout(() => {
        if (this.#running !== process) return;
        this.#term.notice('The program did not stop, so its interpreter was replaced (files in memory are gone).', '33');
        this.weft.terminate();
      }, END_GRACE_MS);
    }, END_GRACE_MS);
  }
}
