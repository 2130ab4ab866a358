// Helpers shared by smoke-test.mjs and interrupt-test.mjs (Node-only; not the Weft runtime).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

// Minimal zip reader (stored + deflate), enough for python-stdlib.zip. Returns the entry count.
export function extractZip(zipPath, dest) {
  const buf = fs.readFileSync(zipPath);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${zipPath}: not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), elen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + elen + clen;
    if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`unsafe name ${name}`);
    const target = path.join(dest, name);
    if (name.endsWith('/')) { fs.mkdirSync(target, { recursive: true }); continue; }
    const lnlen = buf.readUInt16LE(local + 26), lelen = buf.readUInt16LE(local + 28);
    const data = buf.subarray(local + 30 + lnlen + lelen, local + 30 + lnlen + lelen + csize);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, method === 0 ? data : method === 8 ? zlib.inflateRawSync(data) : (() => { throw new Error(`method ${method}`); })());
  }
  return count;
}

// The memory import's minimum page count (not exposed by the JS API): read the import section.
export function readMemoryImportMin(b) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const str = () => { const n = leb(); const s = b.toString('utf8', p, p + n); p += n; return s; };
  while (p < b.length) {
    const id = b[p++], size = leb(), end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        str(); str(); const kind = b[p++];
        if (kind === 0) leb();
        else if (kind === 1) { p++; const f = b[p++]; leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = b[p++]; const min = leb(); if (f & 1) leb(); return min; }
        else if (kind === 3) { p += 2; }
        else throw new Error(`import kind ${kind}`);
      }
    }
    p = end;
  }
  throw new Error('no memory import');
}

// The imports a harness without the Weft runtime adds for python.wasm beside WASI and memory:
// the bridge (weft_v1, support/weft_bridge.c), each function answering "failed" (-1) so that
// `import js` raises instead of reaching a host; and for python-numpy.wasm its BLAS kernel
// (weft_blas_v1), the SIMD128 build from its custom section (guest/numpy.sh), every engine's.
const kernels = new WeakMap();
export function harnessImports(module, memory) {
  const bridge = {};
  let blas = false;
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module === 'weft_v1') bridge[i.name] = () => -1;
    if (i.module === 'weft_blas_v1') blas = true;
  }
  const imports = { weft_v1: bridge };
  if (blas) {
    if (!kernels.has(module)) {
      const [bytes] = WebAssembly.Module.customSections(module, 'weft_blas_v1.simd128');
      if (!bytes) throw new Error('python.wasm imports weft_blas_v1 but has no weft_blas_v1.simd128 section');
      kernels.set(module, new WebAssembly.Module(bytes));
    }
    imports.weft_blas_v1 = new WebAssembly.Instance(kernels.get(module), { env: { memory } }).exports;
  }
  return imports;
}

// Runs `python <args>` in a reactor python.wasm under node:wasi: start() wants a command's
// _start, so hand it one that runs the constructors and then main (weft_main exits).
export function startReactor(wasi, instance, memory) {
  return wasi.start({ exports: { memory, _start: () => { instance.exports._initialize(); instance.exports.weft_main(); } } });
}
