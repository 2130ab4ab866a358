// The threads demo: threads.py (beside this page) hashes in a thread pool while this page
// animates with requestAnimationFrame. Python's "@" lines (JSON) drive the progress and result.
import { PageDirectory, Weft } from '../weft.mjs';
import { loadingProgress, showIsolationBanner, statusText } from '../page.mjs';
import { FILES_DIR } from '../session.mjs';

const $ = (id) => document.getElementById(id);
const log = $('log');
const isolated = showIsolationBanner($('coi-banner'));

// ---- the animation: its frame count and longest gap show whether the page ever stalled ----
const canvas = $('spinner');
const g = canvas.getContext('2d');
const anim = { frames: 0, fps: 0, longestGap: 0, measuring: false };
let last = 0;
let second = { start: 0, frames: 0 };
function draw(t) {
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  g.save();
  g.translate(w / 2, h / 2);
  for (let i = 0; i < 12; i++) {
    const a = t / 600 + (i * Math.PI) / 6;
    g.fillStyle = `hsl(${(i * 30 + t / 20) % 360} 75% 55%)`;
    g.beginPath();
    g.arc(Math.cos(a) * w * 0.33, Math.sin(a) * h * 0.33, w * (0.03 + 0.025 * ((i + t / 100) % 12) / 12), 0, 2 * Math.PI);
    g.fill();
  }
  g.rotate(t / 300);
  g.fillStyle = '#2f6fde';
  g.fillRect(-w * 0.12, -h * 0.02, w * 0.24, h * 0.04);
  g.restore();
}
function frame(t) {
  if (last && anim.measuring) anim.longestGap = Math.max(anim.longestGap, t - last);
  last = t;
  anim.frames++;
  if (t - second.start >= 1000) {
    anim.fps = Math.round(((anim.frames - second.frames) * 1000) / (t - second.start));
    second = { start: t, frames: anim.frames };
  }
  draw(t);
  $('figures').innerHTML = `<b>${anim.fps}</b> frames/s · <b>${anim.frames}</b> frames` +
    (anim.measuring || anim.longestGap ? ` · longest frame while Python ran: <b>${Math.round(anim.longestGap)}</b> ms` : '');
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// ---- Python ----
const demo = { anim, running: false, result: null, chunks: 0, weft: null, run };
window.demo = demo;

function lines(onLine) {
  const decoder = new TextDecoder();
  let pending = '';
  return (bytes) => {
    pending += decoder.decode(bytes, { stream: true });
    const parts = pending.split('\n');
    pending = parts.pop();
    for (const line of parts) onLine(line);
  };
}
function append(text, color) {
  const span = document.createElement('span');
  if (color) span.style.color = color;
  span.textContent = `${text}\n`;
  log.append(span);
  log.scrollTop = log.scrollHeight;
}
function onStdout(line) {
  const m = /^@(\w+) (.*)$/.exec(line);
  if (!m) return append(line);
  const data = JSON.parse(m[2]);
  if (m[1] === 'chunk') {
    if (data.chunk === 'alone') {
      append(`one chunk alone  ${data.seconds.toFixed(2)} s  ${data.thread}`, '#9aa1ad');
      return;
    }
    demo.chunks++;
    $('meter').style.width = `${(100 * demo.chunks) / demo.total}%`;
    $('count').textContent = `${demo.chunks} / ${demo.total}`;
    append(`chunk ${String(data.chunk).padStart(3)}        ${data.seconds.toFixed(2)} s  ${data.thread}  ${data.digest}`);
  } else if (m[1] === 'done') {
    demo.result = data;
    $('result').innerHTML = `<span><b>${data.seconds.toFixed(2)} s</b> with threads · one thread: <b>${data.sequential.toFixed(2)} s</b> · ` +
      `<b>${data.speedup.toFixed(2)}×</b> · ${data.mib_per_second} MiB/s</span>`;
  }
}

let weft;
const files = new PageDirectory();
async function run({ threads, chunks, size }) {
  demo.running = true;
  demo.result = null;
  demo.chunks = 0;
  demo.total = chunks;
  anim.longestGap = 0;
  anim.measuring = true;
  log.textContent = '';
  $('meter').style.width = '0';
  $('count').textContent = `0 / ${chunks}`;
  $('result').textContent = 'Running…';
  $('start').disabled = true;
  $('stop').disabled = false;
  $('status').textContent = statusText('running');
  try {
    const code = await weft.run([`${FILES_DIR}/threads.py`, String(threads), String(chunks), String(size)]);
    if (code !== 0) $('result').textContent = `Python exited with code ${code}.`;
    return code;
  } finally {
    anim.measuring = false;
    demo.running = false;
    $('start').disabled = false;
    $('stop').disabled = true;
    $('status').textContent = statusText('idle');
  }
}

$('threads').value = Math.min(4, navigator.hardwareConcurrency || 2);
$('start').onclick = () => run({ threads: +$('threads').value, chunks: +$('chunks').value, size: +$('size').value })
  .catch((e) => append(`The interpreter failed: ${e.message}`, '#ff8a80'));
$('stop').onclick = () => weft.interrupt();

try {
  const res = await fetch('threads.py');
  if (!res.ok) throw new Error(`cannot fetch threads.py: HTTP ${res.status}`);
  const source = await res.text();
  $('source').textContent = source;
  files.writeFile('threads.py', source);
  if (!isolated) throw new Error('Python threads need cross-origin isolation (see the banner above)');
  weft = await Weft.start({
    stdout: lines(onStdout),
    stderr: lines((l) => append(l, '#ff8a80')),
    onProgress: loadingProgress($('loading')),
    pageMounts: { [FILES_DIR]: files },
  });
  demo.weft = weft;
  $('status').textContent = statusText('idle');
  $('start').disabled = false;
} catch (e) {
  $('status').textContent = 'Unavailable';
  $('loading').hidden = true;
  $('result').textContent = e.message;
}
