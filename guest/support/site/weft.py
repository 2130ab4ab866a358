"""Weft's Python <-> JS bridge: the API Python code uses, over the `_weft` primitives.

- `import js` is the worker's global scope (`js.fetch`, `js.console`, ...) as a JsProxy.
- JsProxy: a JS value in the interpreter's worker, with attribute access, calls (keyword
  arguments become a trailing JS object, as in Pyodide), `new()`, indexing, iteration, `await`
  of promises, `to_py()`.
- to_js(obj) converts lists/tuples/dicts/sets in depth; create_proxy(f) makes a Python object
  (a callback) live in JS until `proxy.destroy()`; without it a Python object passed to a JS call
  lives only for that call.
- WebLoop: asyncio on the worker's JS event loop, so coroutines can await JS promises while the
  worker stays responsive. `runPythonAsync` runs its code there.
- JsException: a JS error raised into Python.

Only Python's main thread (the one in the interpreter's worker) can use JS objects.
"""
import _weft
import ast
import asyncio
import json
import math
import collections.abc
import sys
import threading
import time
import traceback
import types

__all__ = ["JsProxy", "JsException", "create_proxy", "to_js", "WebLoop", "js", "main",
           "MainProxy", "main_release", "buffer_view"]

# bridge.mjs KIND
(K_UNDEFINED, K_NULL, K_BOOL, K_INT, K_FLOAT, K_BIGINT, K_STRING, K_PYPROXY, K_OBJECT,
 K_FUNCTION, K_ERROR) = range(11)
# bridge.mjs OPS
(OP_GLOBAL, OP_TYPEOF, OP_STRING, OP_EQUALS, OP_KEYS, OP_LENGTH, OP_ITER, OP_NEXT, OP_TAG,
 OP_THENABLE, OP_INSTANCEOF, OP_HOST, OP_ID, OP_TRUTHY, OP_SAME, OP_VIEW) = range(16)

# This module's code objects' file name (not __file__, which names the .pyc in the bundle).
_THIS_FILE = (lambda: None).__code__.co_filename


class JsException(Exception):
    """A JS error (or any thrown JS value) raised into Python.

    `js_error` is the thrown value as a JsProxy; `name`, `message` and `stack` are its fields
    (empty when it is not an Error).
    """

    def __init__(self, js_error):
        self.js_error = js_error
        self.name = _field(js_error, "name") or type(js_error).__name__
        self.message = _field(js_error, "message")
        if self.message is None:
            self.message = str(js_error)
        self.stack = _field(js_error, "stack") or ""
        super().__init__(f"{self.name}: {self.message}")


def _field(value, name):
    if not isinstance(value, JsProxy):
        return None
    try:
        v = _weft.get(value._h, name)
    except JsException:
        return None
    return v if isinstance(v, str) else None


class JsProxy(_weft.JsRef):
    """A JS value living in the interpreter's worker.

    Attribute access, assignment and `del` reach the JS object; calling calls it (a function read
    as an attribute is called with that object as `this`); `new(*args)` constructs. Indexing
    reaches array elements and Map entries; `len`, iteration, `in`, `==` (JS `===`) and `bool`
    follow the JS value. `await` works on promises (on the worker's event loop).
    """

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        v = _weft.get(self._h, name)
        if v is None and not _weft.has(self._h, name):
            raise AttributeError(f"{self.typeof} has no attribute {name!r}")
        return v

    def __setattr__(self, name, value):
        _weft.set(self._h, name, value)

    def __delattr__(self, name):
        _weft.remove(self._h, name)

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = (*args, _object(kwargs))
        return _weft.call(self._h, self._this, *args)

    def new(self, *args, **kwargs):
        """`new F(...args)`; keyword arguments become a trailing object."""
        if kwargs:
            args = (*args, _object(kwargs))
        return _weft.construct(self._h, *args)

    @property
    def typeof(self):
        """JS `typeof` of the value ("object", "function", ...)."""
        return _weft.op(OP_TYPEOF, self._h)

    @property
    def js_id(self):
        """An int that is the same for proxies of the same JS object."""
        return _weft.op(OP_ID, self._h)

    def _is_map(self):
        return _weft.op(OP_TAG, self._h) in ("Map", "WeakMap")

    def __getitem__(self, key):
        if self._is_map():
            if not self.has(key):
                raise KeyError(key)
            return self.get(key)
        name = _index(self, key)
        v = _weft.get(self._h, name)
        if v is None and not _weft.has(self._h, name):
            raise (IndexError if isinstance(key, int) else KeyError)(key)
        return v

    def __setitem__(self, key, value):
        if self._is_map():
            self.set(key, value)
        else:
            _weft.set(self._h, _index(self, key), value)

    def __delitem__(self, key):
        if self._is_map():
            if not self.delete(key):
                raise KeyError(key)
        else:
            _weft.remove(self._h, _index(self, key))

    def __len__(self):
        n = _weft.op(OP_LENGTH, self._h)
        if n is None:
            raise TypeError(f"object of type {self.typeof} has no len()")
        return n

    def __iter__(self):
        it = _weft.op(OP_ITER, self._h)
        if it is None:
            raise TypeError(f"JS {self.typeof} is not iterable")
        while True:
            step = _weft.op(OP_NEXT, it._h)
            if step.done:
                return
            yield step.value

    def __contains__(self, item):
        tag = _weft.op(OP_TAG, self._h)
        if tag in ("Map", "Set", "WeakMap", "WeakSet"):
            return self.has(item)
        if tag == "Array" or _weft.op(OP_LENGTH, self._h) is not None:
            return any(item == x for x in self)
        return isinstance(item, str) and _weft.has(self._h, item)

    def __eq__(self, other):
        if not isinstance(other, JsProxy):
            return NotImplemented
        return _weft.op(OP_EQUALS, self._h, other)

    def __hash__(self):
        return hash(("JsProxy", self.js_id))

    def __bool__(self):
        return _weft.op(OP_TRUTHY, self._h)

    def __repr__(self):
        return _weft.op(OP_STRING, self._h)

    def __dir__(self):
        return sorted(set(_weft.op(OP_KEYS, self._h).to_py()) | set(dir(type(self))))

    def __await__(self):
        if not _weft.op(OP_THENABLE, self._h):
            raise TypeError(f"object {self!r} can't be used in 'await' expression (not a JS promise)")
        loop = asyncio.get_running_loop()
        if not isinstance(loop, WebLoop):
            raise RuntimeError(
                "a JS promise can only be awaited on the worker's event loop (runPythonAsync, "
                "or a task of asyncio.get_event_loop()); asyncio.run() blocks the worker, so the "
                "promise could never settle")
        future = loop.create_future()

        def settled(ok, value):
            if not future.done():
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(JsException(value))

        on_ok = create_proxy(lambda v=None: settled(True, v))
        on_error = create_proxy(lambda e=None: settled(False, e))
        try:
            self.then(on_ok, on_error)
        except BaseException:
            on_ok.destroy()
            on_error.destroy()
            raise

        def release(_):
            on_ok.destroy()
            on_error.destroy()

        future.add_done_callback(release)
        return future.__await__()

    def to_py(self, depth=-1):
        """Converts in depth: arrays and iterables to list, Map to dict, Set to set, plain
        objects to dict, typed arrays and ArrayBuffers to bytes (a copy). Shared and cyclic
        references stay shared. Other values (functions, class instances) stay JsProxies."""
        return _to_py(self, depth, {})

    def to_bytes(self):
        """The bytes of a typed array, DataView or ArrayBuffer (a copy)."""
        b = _weft.bytes(self._h)
        if b is None:
            raise TypeError(f"{_weft.op(OP_TAG, self._h)} is not a typed array or ArrayBuffer")
        return b

    def to_memoryview(self):
        return memoryview(self.to_bytes())

    def to_string(self, encoding="utf-8"):
        return self.to_bytes().decode(encoding)

    def object_keys(self):
        return _global("Object").keys(self)

    def object_values(self):
        return _global("Object").values(self)

    def object_entries(self):
        return _global("Object").entries(self)


def _index(proxy, key):
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise TypeError(f"JS objects are indexed by int or str, not {type(key).__name__}")
    if isinstance(key, int) and key < 0:
        n = _weft.op(OP_LENGTH, proxy._h)
        if n is not None:
            key += n
    return str(key)


def _proxy(handle, kind, this):
    return JsProxy(handle, this)


_weft.setup(_proxy, JsException)


def _global(name):
    return _weft.get(_GLOBAL._h, name)


_GLOBAL = _weft.op(OP_GLOBAL)
js = _GLOBAL


def create_proxy(obj):
    """`obj` as a JS value that stays valid until `.destroy()` is called on it (from Python or
    JS), for callbacks JS keeps (event handlers, timers). Without it a Python object passed to
    a JS call lives only for that call."""
    return JsProxy(_weft.handle(obj), 0)


def _object(mapping):
    o = _OBJECT.new()
    for k, v in mapping.items():
        _weft.set(o._h, str(k), v)
    return o


def to_js(obj, depth=-1, *, dict_converter=None, create_pyproxies=True):
    """`obj` converted in depth: list/tuple to Array, dict to Map (or what
    `dict_converter(entries_array)` makes, e.g. `js.Object.fromEntries`), set to Set,
    bytes/bytearray/memoryview to Uint8Array; shared and cyclic references stay shared.
    Other objects become PyProxies (destroy them when done) unless `create_pyproxies` is false,
    which raises instead. `depth` limits how deep to go (-1: all the way)."""
    return _to_js(obj, depth, {}, dict_converter, create_pyproxies)


def _to_js(obj, depth, memo, dict_converter, create_pyproxies):
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, JsProxy)):
        return obj
    if depth == 0:
        return _leaf(obj, create_pyproxies)
    done = memo.get(id(obj))
    if done is not None:
        return done[0]
    deeper = depth - 1

    def convert(x):
        return _to_js(x, deeper, memo, dict_converter, create_pyproxies)

    if isinstance(obj, (list, tuple, collections.abc.KeysView, collections.abc.ValuesView, range)):
        arr = _ARRAY.new()
        memo[id(obj)] = (arr, obj)
        push = arr.push
        for x in obj:
            push(convert(x))
        return arr
    if isinstance(obj, dict):
        if dict_converter is None:
            m = _MAP.new()
            memo[id(obj)] = (m, obj)
            for k, v in obj.items():
                m.set(convert(k), convert(v))
            return m
        entries = _ARRAY.new()
        for k, v in obj.items():
            entries.push(_ARRAY.of(convert(k), convert(v)))
        result = dict_converter(entries)
        memo[id(obj)] = (result, obj)
        return result
    if isinstance(obj, (set, frozenset)):
        s = _SET.new()
        memo[id(obj)] = (s, obj)
        for x in obj:
            s.add(convert(x))
        return s
    if isinstance(obj, (bytearray, memoryview)):
        # bytes cross as a Uint8Array copy; OP_SAME hands that back as a JsProxy.
        return _weft.op(OP_SAME, 0, bytes(obj))
    return _leaf(obj, create_pyproxies)


def _leaf(obj, create_pyproxies):
    if not create_pyproxies:
        raise TypeError(f"cannot convert {type(obj).__name__} to JS (create_pyproxies=False)")
    return create_proxy(obj)


def _to_py(value, depth, memo):
    if not isinstance(value, JsProxy) or depth == 0:
        return value
    key = value.js_id
    if key in memo:
        return memo[key]
    tag = _weft.op(OP_TAG, value._h)
    deeper = depth - 1
    if tag == "Array" or (tag in ("Arguments", "NodeList", "HTMLCollection")):
        out = []
        memo[key] = out
        out.extend(_to_py(x, deeper, memo) for x in value)
        return out
    if tag == "Map":
        out = {}
        memo[key] = out
        for entry in value.entries():
            k, v = entry[0], entry[1]
            out[_hashable(_to_py(k, deeper, memo))] = _to_py(v, deeper, memo)
        return out
    if tag == "Set":
        out = set()
        memo[key] = out
        for x in value:
            out.add(_hashable(_to_py(x, deeper, memo)))
        return out
    b = _weft.bytes(value._h)
    if b is not None:
        return b
    if tag == "Object" and _OBJECT.getPrototypeOf(value) in (None, _OBJECT_PROTOTYPE):
        out = {}
        memo[key] = out
        for k in _OBJECT.keys(value):
            out[k] = _to_py(_weft.get(value._h, k), deeper, memo)
        return out
    return value


def _hashable(x):
    if isinstance(x, list):
        return tuple(_hashable(v) for v in x)
    if isinstance(x, dict):
        return tuple((k, _hashable(v)) for k, v in x.items())
    if isinstance(x, set):
        return frozenset(x)
    return x


_OBJECT = _global("Object")
_OBJECT_PROTOTYPE = _OBJECT.prototype
_ARRAY = _global("Array")
_MAP = _global("Map")
_SET = _global("Set")
_HOST = _weft.op(OP_HOST)


# ---- buffers as typed arrays, without a copy ----

# struct format character (numpy's buffer formats, byte order stripped) -> typed array.
_VIEW_TYPES = {
    "b": "Int8Array", "B": "Uint8Array", "?": "Uint8Array", "c": "Uint8Array",
    "h": "Int16Array", "H": "Uint16Array", "i": "Int32Array", "I": "Uint32Array",
    "l": "Int32Array", "L": "Uint32Array", "q": "BigInt64Array", "Q": "BigUint64Array",
    "n": "Int32Array", "N": "Uint32Array", "f": "Float32Array", "d": "Float64Array",
    # float16: its raw bits (Float16Array is not in every engine yet).
    "e": "Uint16Array",
    # complex: interleaved real and imaginary parts, one more trailing dimension of 2.
    "Zf": "Float32Array", "Zd": "Float64Array",
}


def _buffer(obj):
    """(typed array name, address, element count, shape, format, readonly) of obj's buffer."""
    address, nbytes, fmt, itemsize, shape, readonly = _weft.buffer_info(obj)
    code = fmt.lstrip("@=<")
    if fmt.startswith((">", "!")) or code not in _VIEW_TYPES:
        raise TypeError(f"a buffer of format {fmt!r} has no typed-array equivalent")
    kind = _VIEW_TYPES[code]
    if code.startswith("Z"):
        shape = (*shape, 2)
    return kind, address, shape, fmt, readonly, nbytes


def buffer_view(obj):
    """A JS typed array over obj's memory in the worker (no copy), for C-contiguous buffers:
    numpy arrays, bytearray, array.array, memoryview. It sees later changes to obj. Returns
    (view, keep): `view` is the JsProxy, `keep` a memoryview that pins obj's memory; the view is
    valid while `keep` is alive (release it with keep.release() when JS is done)."""
    keep = memoryview(obj)
    kind, address, shape, fmt, readonly, nbytes = _buffer(keep)
    return _weft.op(OP_VIEW, 0, (kind, address, nbytes)), keep


class _Buffer:
    """What PyProxy.getBuffer() on the client holds: obj's memory pinned until release()."""

    def __init__(self, obj):
        self.keep = memoryview(obj)
        kind, self.address, shape, self.format, self.readonly, self.nbytes = _buffer(self.keep)
        self.info = _object({"kind": kind, "address": self.address, "nbytes": self.nbytes,
                             "shape": _to_js(list(shape), -1, {}, None, False),
                             "format": self.format, "readonly": self.readonly})

    def release(self):
        self.keep.release()


# ---- the page's main thread: weft.main ----


class MainProxy:
    """A JS object of the page's main thread (`weft.main` is the page's global scope), used
    synchronously from Python in the worker: each access is a call the page answers through
    the sync-io channel while Python waits (`main.document.title = "x"`,
    `main.document.getElementById("out").textContent`). Calling a page function that returns a
    promise waits for it. Python lists and dicts are sent by value; Python callables become page
    functions that call them back in the worker (for event handlers: they run once the worker
    is idle, and stay registered until `main_release(f)`). Needs SharedArrayBuffer (a
    cross-origin isolated page, or Node)."""

    __slots__ = ("_id", "_self", "__weakref__")

    def __init__(self, ref, self_ref=None):
        object.__setattr__(self, "_id", ref)
        object.__setattr__(self, "_self", self_ref)
        _page_hold(ref)
        if self_ref is not None:
            _page_hold(self_ref)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _page_call({"op": "get", "t": self._id, "name": name}, bind=self._id)

    def __setattr__(self, name, value):
        _page_call({"op": "set", "t": self._id, "name": name, "v": _page_value(value)})

    def __delattr__(self, name):
        _page_call({"op": "del", "t": self._id, "name": name})

    def __getitem__(self, key):
        return _page_call({"op": "get", "t": self._id, "name": str(key)}, bind=self._id)

    def __setitem__(self, key, value):
        _page_call({"op": "set", "t": self._id, "name": str(key), "v": _page_value(value)})

    def __contains__(self, name):
        return _page_call({"op": "has", "t": self._id, "name": str(name)})

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = (*args, kwargs)
        call = {"op": "call", "t": self._id, "args": [_page_value(a) for a in args]}
        if self._self is not None:
            call["self"] = self._self
        return _page_call(call)

    def new(self, *args, **kwargs):
        """`new F(...args)` on the page; keyword arguments become a trailing object."""
        if kwargs:
            args = (*args, kwargs)
        return _page_call({"op": "new", "t": self._id, "args": [_page_value(a) for a in args]})

    @property
    def typeof(self):
        return _page_call({"op": "typeof", "t": self._id})

    def to_py(self):
        """The page object as Python data, through JSON (arrays to lists, objects to dicts;
        what JSON.stringify drops, such as functions, is dropped)."""
        text = _page_call({"op": "json", "t": self._id})
        return None if text is None else json.loads(text)

    def __eq__(self, other):
        return isinstance(other, MainProxy) and other._id == self._id

    def __hash__(self):
        return hash(("MainProxy", self._id))

    def __repr__(self):
        return _page_call({"op": "str", "t": self._id})

    def __del__(self):
        _page_drop(self._id)
        if self._self is not None:
            _page_drop(self._self)


# The page keeps one id per object: it is released when the last proxy using it goes.
_page_refs = {}       # page object id -> MainProxies using it (as the object or as `this`)
_page_released = []   # ids dropped since the last call: released with the next one


def _page_hold(ref):
    _page_refs[ref] = _page_refs.get(ref, 0) + 1


def _page_drop(ref):
    left = _page_refs.get(ref, 1) - 1
    if left > 0:
        _page_refs[ref] = left
    else:
        _page_refs.pop(ref, None)
        if ref:
            _page_released.append(ref)
_page_callbacks = {}  # id -> Python callable the page holds
_page_callback_ids = {}  # id(callable) -> id


def _page_value(v, depth=0):
    if depth > 100:
        raise ValueError("nesting too deep to send to the page")
    if v is None:
        return {"$u": 1}
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2 ** 53 else {"$b": str(v)}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$n": repr(v).replace("inf", "Infinity").replace("nan", "NaN")}
    if isinstance(v, MainProxy):
        return {"$r": v._id}
    if isinstance(v, (list, tuple)):
        return {"$a": [_page_value(x, depth + 1) for x in v]}
    if isinstance(v, dict):
        return {"$o": {str(k): _page_value(x, depth + 1) for k, x in v.items()}}
    if callable(v):
        key = _page_callback_ids.get(id(v))
        if key is None:
            key = len(_page_callbacks) + 1
            while key in _page_callbacks:
                key += 1
            _page_callbacks[key] = v
            _page_callback_ids[id(v)] = key
        return {"$py": key}
    raise TypeError(f"{type(v).__name__} cannot be sent to the page: send str, numbers, lists, "
                    "dicts, callables or page objects")


def _page_result(v, bind=None):
    if isinstance(v, dict):
        if "$r" in v:
            return MainProxy(v["$r"], bind if v.get("f") else None)
        if "$u" in v:
            return None
        if "$n" in v:
            return float(v["$n"].replace("Infinity", "inf"))
        if "$b" in v:
            return int(v["$b"])
    return v


def _page_call(call, bind=None):
    if _page_released:
        call["release"] = _page_released[:]
        _page_released.clear()
    try:
        answer = _HOST.page(json.dumps(call))
    except JsException as e:
        if e.message == "interrupted":
            _weft.check_signals()
            raise KeyboardInterrupt from None
        raise
    return _page_result(json.loads(answer), bind)


def main_release(f):
    """The page no longer calls Python callable `f` (an event handler passed to it)."""
    key = _page_callback_ids.pop(id(f), None)
    if key is not None:
        del _page_callbacks[key]
        _page_call({"op": "forget", "id": key})


def _page_callback(key, args):
    f = _page_callbacks.get(key)
    if f is not None:
        f(*(_page_result(a) for a in json.loads(args)))
        _flush()


main = MainProxy(0)


# ---- asyncio on the worker's JS event loop ----


class _Timer(asyncio.TimerHandle):
    """A timer of the WebLoop: its token there and its JS timer id."""

    __slots__ = ("_token", "_js")


class WebLoop(asyncio.BaseEventLoop):
    """An asyncio loop driven by the worker's JS event loop: callbacks run from JS tasks,
    timers are JS timers. It is always running and never blocks, so `run_forever()` and
    `run_until_complete()` are refused: await at the top level of runPythonAsync instead."""

    def __init__(self):
        # Before BaseEventLoop.__init__, which already schedules a callback.
        self._scheduled = False
        self._timers = {}
        self._next_timer = 0
        self._lock = threading.Lock()
        self._drain_proxy = create_proxy(self._drain)
        self._fire_proxy = create_proxy(self._fire)
        super().__init__()
        # Other threads' call_soon_threadsafe() wake the worker through _weft.wake().
        _HOST.onWake(self._drain_proxy)

    def is_running(self):
        return True

    def run_forever(self):
        raise RuntimeError("the worker's event loop is always running: await the coroutine at "
                           "the top level of runPythonAsync, or schedule it with create_task()")

    def run_until_complete(self, future):
        self.run_forever()

    def time(self):
        return time.monotonic()

    def call_soon(self, callback, *args, context=None):
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        if not self._scheduled:
            self._scheduled = True
            _HOST.soon(self._drain_proxy)
        return handle

    def call_soon_threadsafe(self, callback, *args, context=None):
        if threading.get_ident() == _weft.MAIN_THREAD:
            return self.call_soon(callback, *args, context=context)
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context)
        with self._lock:
            self._ready.append(handle)
        # The worker's thread may be idle in its event loop: wake it from this thread.
        _weft.wake()
        return handle

    def call_later(self, delay, callback, *args, context=None):
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when, callback, *args, context=None):
        self._check_closed()
        timer = _Timer(when, callback, args, self, context)
        self._next_timer += 1
        timer._token = self._next_timer
        self._timers[timer._token] = timer
        timer._scheduled = True
        timer._js = _HOST.later(self._fire_proxy, max(0.0, (when - self.time()) * 1000), timer._token)
        return timer

    def _timer_handle_cancelled(self, handle):
        if self._timers.pop(getattr(handle, "_token", None), None) is not None:
            _HOST.cancel(handle._js)

    def _fire(self, token):
        timer = self._timers.pop(token, None)
        if timer is not None and not timer._cancelled:
            timer._scheduled = False
            self._run_handles([timer])

    def _drain(self):
        self._scheduled = False
        with self._lock:
            handles = list(self._ready)
            self._ready.clear()
        self._run_handles(handles)

    def _run_handles(self, handles):
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            for h in handles:
                if not h._cancelled:
                    h._run()
        finally:
            asyncio.events._set_running_loop(previous)

    def close(self):
        raise RuntimeError("the worker's event loop cannot be closed")


class _Policy(asyncio.DefaultEventLoopPolicy):
    """get_event_loop() on the main thread is the WebLoop unless another loop was set;
    new_event_loop() (asyncio.run) stays the blocking selector loop."""

    def get_event_loop(self):
        if threading.get_ident() == _weft.MAIN_THREAD and self._local._loop is None:
            return _loop()
        return super().get_event_loop()


_webloop = None


def _loop():
    global _webloop
    if _webloop is None:
        _webloop = WebLoop()
    return _webloop


asyncio.set_event_loop_policy(_Policy())


# ---- what the worker calls (weft_bridge.c exports) ----


def _describe(exc):
    """(type name, message, formatted traceback) of an exception, for a JS PythonError."""
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    # The bridge's own frames (the _op dispatch, _run) say nothing to the user: start the
    # traceback at the first frame outside this file.
    frames = exc.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename == _THIS_FILE:
        frames = frames.tb_next
    tb = "".join(traceback.format_exception(type(exc), exc, frames))
    try:
        message = str(exc)
    except Exception:
        message = "<exception str() failed>"
    return (name, message, tb)


def _call(fn, args, kwargs):
    # args: a JS array (undefined for none); read by index, the cheapest way across the bridge.
    if args is None:
        args = ()
    else:
        h = args._h
        args = [_weft.get(h, str(i)) for i in range(_weft.op(OP_LENGTH, h))]
    if kwargs is None:
        return fn(*args)
    return fn(*args, **_to_py(kwargs, 1, {}))


def _persistent(value):
    """A result going to JS: primitives and JsProxies as they are, anything else as a
    PyProxy that outlives this call."""
    if value is None or isinstance(value, (bool, int, float, str, bytes, JsProxy)):
        return value
    return create_proxy(value)


def _compile(code, filename, mode):
    """(body, last expression) code objects: the value of a trailing expression is the
    result, as in Pyodide's runPython."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if mode == "async" else 0
    tree = ast.parse(code, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
    expr = compile(last, filename, "eval", flags=flags, dont_inherit=True) if last is not None else None
    return body, expr


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _run(namespace, code, filename):
    try:
        body, expr = _compile(code, filename, "sync")
        exec(body, namespace)
        return eval(expr, namespace) if expr is not None else None
    finally:
        _flush()


def _run_async(namespace, code, filename, resolve, reject):
    async def main():
        r = eval(body, namespace)
        if isinstance(r, types.CoroutineType):
            await r
        if expr is None:
            return None
        r = eval(expr, namespace)
        if isinstance(r, types.CoroutineType):
            r = await r
        return r

    try:
        body, expr = _compile(code, filename, "async")
    except BaseException as e:
        _flush()
        reject(*_describe(e))
        return

    def done(task):
        _flush()
        if task.cancelled():
            reject("asyncio.CancelledError", "the code was cancelled", "asyncio.CancelledError\n")
            return
        exc = task.exception()
        if exc is not None:
            reject(*_describe(exc))
        else:
            try:
                resolve(_persistent(task.result()))
            except BaseException as e:
                reject(*_describe(e))

    task = _loop().create_task(main())
    task.add_done_callback(done)


def _namespace(name):
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        sys.modules[name] = module
    return module.__dict__


def _type_info(obj):
    t = type(obj)
    name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return _object({"type": name, "callable": callable(obj),
                    "awaitable": hasattr(obj, "__await__"),
                    "iterable": hasattr(obj, "__iter__"),
                    "mapping": isinstance(obj, collections.abc.Mapping)})


def _next(it):
    try:
        value = next(it)
    except StopIteration:
        return _object({"done": True})
    return _object({"done": False, "value": _persistent(value)})


def _await(obj, resolve, reject):
    async def wait():
        return await obj

    def done(task):
        exc = None if task.cancelled() else task.exception()
        if task.cancelled():
            reject("asyncio.CancelledError", "cancelled", "asyncio.CancelledError\n")
        elif exc is not None:
            reject(*_describe(exc))
        else:
            resolve(_persistent(task.result()))

    _loop().create_task(wait()).add_done_callback(done)


def _js_options(options):
    return _to_py(options, 1, {}) if isinstance(options, JsProxy) else {}


def _to_js_op(obj, options):
    o = _js_options(options)
    dict_converter = _OBJECT.fromEntries if o.get("dictAsObject") else None
    depth = o.get("depth", -1)
    return to_js(obj, -1 if depth is None else int(depth), dict_converter=dict_converter,
                 create_pyproxies=o.get("createPyProxies", True))


def _get(obj, key):
    try:
        return obj[key]
    except KeyError:
        return None


def _call_method(obj, name, args, kwargs):
    return _call(getattr(obj, name), args, kwargs)


def _delattr(obj, name):
    delattr(obj, name)


def _delitem(obj, key):
    del obj[key]


# Operations on Python objects by name, as weft_py_op calls them: (obj, arg) -> result.
_OPS = {
    "getattr": lambda obj, a: _persistent(getattr(obj, a)),
    "setattr": lambda obj, a: setattr(obj, a[0], a[1]),
    "delattr": _delattr,
    "hasattr": lambda obj, a: hasattr(obj, a),
    "getitem": lambda obj, a: _persistent(obj[a]),
    "get": lambda obj, a: _persistent(_get(obj, a)),
    "callmethod": lambda obj, a: _persistent(_call_method(obj, a[0], a[1], a[2])),
    "setitem": lambda obj, a: obj.__setitem__(a[0], a[1]),
    "delitem": _delitem,
    "contains": lambda obj, a: a in obj,
    "len": lambda obj, a: len(obj),
    "repr": lambda obj, a: repr(obj),
    "str": lambda obj, a: str(obj),
    "type": lambda obj, a: _type_info(obj),
    "dir": lambda obj, a: to_js(dir(obj)),
    "iter": lambda obj, a: create_proxy(iter(obj)),
    "next": lambda obj, a: _next(obj),
    "await": lambda obj, a: _await(obj, a[0], a[1]),
    "to_js": lambda obj, a: _to_js_op(obj, a),
    "run": lambda obj, a: _persistent(_run(obj, a[0], a[1])),
    "run_async": lambda obj, a: _run_async(obj, a[0], a[1], a[2], a[3]),
    "namespace": lambda obj, a: create_proxy(_namespace(a)),
    "import": lambda obj, a: create_proxy(__import__(a, fromlist=["*"]) if "." in a else __import__(a)),
    "to_py": lambda obj, a: _to_py(a, -1, {}),
    "page_callback": lambda obj, a: _page_callback(a[0], a[1]),
    "buffer": lambda obj, a: create_proxy(_Buffer(obj)),
}


def _op(obj, name, arg):
    try:
        op = _OPS[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}") from None
    return op(obj, arg)
