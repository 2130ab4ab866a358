// The one traversal behind the bridge's encodings between the client (pyproxy.mjs) and the
// session (py-session.mjs): plain data copied in depth, with some values replaced on the way.
// Both sides ship in the same directory of dist/ and of the npm package.

/** The key of a reference to a Python object in values crossing between client and session:
 *  `{[REF]: id, ...}`. */
export const REF = '__weft_pyref__';

/** What `visit` returns to have mapData copy the value itself (or keep a primitive). */
export const DESCEND = Symbol('weft.descend');

/**
 * A copy of `v` in which every value first goes through `visit(x)`: what it returns replaces x,
 * or DESCEND copies x itself: arrays, Maps, Sets and plain objects with their contents mapped
 * the same way, anything else (primitives, typed arrays, Dates...) as it is. An object reached
 * twice (shared or cyclic) is mapped once, so the copy shares it too.
 */
export function mapData(v, visit, seen = new Map()) {
  const isObject = typeof v === 'object' && v !== null;
  if (isObject && seen.has(v)) return seen.get(v);
  const replaced = visit(v);
  if (replaced !== DESCEND) {
    if (isObject) seen.set(v, replaced);
    return replaced;
  }
  if (!isObject) return v;
  const walk = (x) => mapData(x, visit, seen);
  if (Array.isArray(v)) {
    const a = [];
    seen.set(v, a);
    for (const x of v) a.push(walk(x));
    return a;
  }
  if (v instanceof Map) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(walk(k), walk(x));
    return m;
  }
  if (v instanceof Set) {
    const s = new Set();
    seen.set(v, s);
    for (const x of v) s.add(walk(x));
    return s;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const o = {};
    seen.set(v, o);
    for (const [k, x] of Object.entries(v)) o[k] = walk(x);
    return o;
  }
  return v;
}
