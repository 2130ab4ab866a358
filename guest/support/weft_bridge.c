/* Linked into python.wasm (see cpython.sh): the built-in module `_weft`, Python's side of the
 * Python <-> JS bridge, and the exports the worker calls to drive a long-lived interpreter.
 *
 * The host side is the import module "weft_v1" (worker-runtime/js/bridge.mjs). JS values live in
 * a table on the worker's JS thread and cross as int handles: 0 undefined, 1 null, 2 true,
 * 3 false are fixed; every other handle returned to C is owned by the caller and released once.
 * A host function that fails returns -1 and keeps the JS exception for h_error(); it never
 * throws, so no JS exception unwinds through C frames. The table belongs to the interpreter's
 * worker, so only Python's main thread (which runs there) may touch handles: other threads get
 * a RuntimeError, and JS objects freed on them are released by the main thread later.
 *
 * Python objects reach JS as PyProxies: the host keeps the PyObject* with one reference and
 * calls the weft_py_* exports below, which take the GIL, convert, and report a Python exception
 * through h_py_error() before returning -1.
 *
 * Why C and a small import module: WASI has no dlopen and CPython's inittab is C, and the host
 * contract stays a few dozen scalar functions that are easy to version (weft_v1). Everything
 * that is policy (JsProxy's Python API, conversions in depth, the asyncio loop) is Python, in
 * support/site/weft.py. */
#include "Python.h"
#include "pycore_pylifecycle.h"   // _Py_HandleSystemExit()
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define IMPORT(name) __attribute__((import_module("weft_v1"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

enum { H_UNDEFINED = 0, H_NULL = 1, H_TRUE = 2, H_FALSE = 3, H_FIXED = 4 };
/* What h_kind() answers (bridge.mjs KIND). */
enum {
    K_UNDEFINED, K_NULL, K_BOOL, K_INT, K_FLOAT, K_BIGINT, K_STRING, K_PYPROXY, K_OBJECT,
    K_FUNCTION, K_ERROR,
};

IMPORT(release) void h_release(int h);
IMPORT(dup) int h_dup(int h);
IMPORT(kind) int h_kind(int h);
IMPORT(number) double h_number(int h);
IMPORT(text) int h_text(int h);
IMPORT(text_read) void h_text_read(char *dst);
IMPORT(bytes) int h_bytes(int h);
IMPORT(new_number) int h_new_number(double v);
IMPORT(new_bigint) int h_new_bigint(const char *s, int len);
IMPORT(new_string) int h_new_string(const char *s, int len);
IMPORT(new_bytes) int h_new_bytes(const char *s, int len);
IMPORT(new_pyproxy) int h_new_pyproxy(PyObject *o, int borrowed);
IMPORT(pyproxy_ptr) PyObject *h_pyproxy_ptr(int h);
IMPORT(end_borrowed) void h_end_borrowed(int h);
IMPORT(get) int h_get(int obj, const char *name, int len);
IMPORT(set) int h_set(int obj, const char *name, int len, int value);
IMPORT(remove) int h_remove(int obj, const char *name, int len);
IMPORT(has) int h_has(int obj, const char *name, int len);
IMPORT(call) int h_call(int fn, int self, const int *args, int n);
IMPORT(construct) int h_construct(int fn, const int *args, int n);
IMPORT(error) int h_error(void);
IMPORT(py_error) void h_py_error(const char *type, int type_len, const char *msg, int msg_len,
                                 const char *tb, int tb_len, PyObject *exc);
IMPORT(op) int h_op(int op, int a, int b);

/* ---- handles owned by Python objects ---- */

static unsigned long main_thread;   /* the interpreter's worker: the only one with the table */

static int
on_main_thread(void)
{
    return PyThread_get_thread_ident() == main_thread;
}

/* Handles of JsRefs freed on other threads, released by the main thread at its next host call
 * (guarded by the GIL). */
static int *orphans;
static Py_ssize_t n_orphans, cap_orphans;

static void
release_orphans(void)
{
    while (n_orphans > 0) {
        h_release(orphans[--n_orphans]);
    }
}

static void
release(int h)
{
    if (h < H_FIXED) {
        return;
    }
    if (on_main_thread()) {
        h_release(h);
        return;
    }
    if (n_orphans == cap_orphans) {
        Py_ssize_t cap = cap_orphans ? cap_orphans * 2 : 64;
        int *grown = PyMem_RawRealloc(orphans, cap * sizeof(int));
        if (grown == NULL) {
            return;   /* leak one JS value rather than fail a dealloc */
        }
        orphans = grown;
        cap_orphans = cap;
    }
    orphans[n_orphans++] = h;
}

static PyObject *proxy_factory;   /* weft._proxy(handle, kind, this) -> JsProxy owning handle */
static PyObject *js_exception;    /* weft.JsException(js_error_proxy) */

static int
require_main_thread(void)
{
    if (proxy_factory == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the JS bridge is not set up: import weft (or js) first");
        return -1;
    }
    if (!on_main_thread()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "JS objects belong to the interpreter's worker: only Python's main "
                        "thread can use them (pass the data to the main thread, e.g. with a "
                        "queue.Queue)");
        return -1;
    }
    release_orphans();
    return 0;
}

/* The JsProxy base: owns one handle and, for a function read as an attribute, the object it was
 * read from (JS `this` when called). weft.py subclasses it with the Python-facing API. */
typedef struct {
    PyObject_HEAD
    int h;
    int self;
} JsRef;

static PyTypeObject JsRefType;

static void
jsref_dealloc(JsRef *self)
{
    release(self->h);
    release(self->self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
jsref_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    int h, self_h = H_UNDEFINED;
    if (!PyArg_ParseTuple(args, "i|i:JsRef", &h, &self_h)) {
        return NULL;
    }
    JsRef *ref = (JsRef *)type->tp_alloc(type, 0);
    if (ref != NULL) {
        ref->h = h;
        ref->self = self_h;
    }
    return (PyObject *)ref;
}

static PyObject *
jsref_handle(JsRef *self, void *closure)
{
    return PyLong_FromLong(closure ? self->self : self->h);
}

static PyGetSetDef jsref_getset[] = {
    {"_h", (getter)jsref_handle, NULL, "the JS value's handle", NULL},
    {"_this", (getter)jsref_handle, NULL, "`this` for a call, or 0 (undefined)", (void *)1},
    {NULL},
};

static PyTypeObject JsRefType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_weft.JsRef",
    .tp_basicsize = sizeof(JsRef),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A handle on a JS value in the interpreter's worker (see weft.JsProxy).",
    .tp_new = jsref_new,
    .tp_dealloc = (destructor)jsref_dealloc,
    .tp_getset = jsref_getset,
};

/* ---- JS errors -> Python ---- */

/* Raise the pending JS exception as weft.JsException; returns NULL. */
static PyObject *
raise_js_error(void)
{
    int h = h_error();
    if (h < 0 || js_exception == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a JS call failed (the bridge is not set up)");
        return NULL;
    }
    PyObject *proxy = PyObject_CallFunction(proxy_factory, "iii", h, K_ERROR, H_UNDEFINED);
    if (proxy == NULL) {
        return NULL;
    }
    PyObject *exc = PyObject_CallOneArg(js_exception, proxy);
    Py_DECREF(proxy);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* ---- conversions ---- */

static PyObject *
text_of(int h, int as_long)
{
    int n = h_text(h);
    if (n < 0) {
        return raise_js_error();
    }
    char *buf = PyMem_Malloc(n + 1);
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    h_text_read(buf);
    buf[n] = 0;
    PyObject *r = as_long ? PyLong_FromString(buf, NULL, 10) : PyUnicode_DecodeUTF8(buf, n, "surrogatepass");
    PyMem_Free(buf);
    return r;
}

/* A JS value as Python: primitives by value, a PyProxy as its own Python object (identity kept),
 * anything else as a JsProxy. Takes ownership of `h` (and of `self_h`, used for functions). */
static PyObject *
to_py(int h, int self_h)
{
    if (h < 0) {
        release(self_h);
        return raise_js_error();
    }
    int kind = h_kind(h);
    PyObject *r;
    switch (kind) {
    case K_UNDEFINED:
    case K_NULL:
        r = Py_NewRef(Py_None);
        break;
    case K_BOOL:
        r = Py_NewRef(h == H_TRUE ? Py_True : Py_False);
        break;
    case K_INT:
        r = PyLong_FromDouble(h_number(h));
        break;
    case K_FLOAT:
        r = PyFloat_FromDouble(h_number(h));
        break;
    case K_BIGINT:
        r = text_of(h, 1);
        break;
    case K_STRING:
        r = text_of(h, 0);
        break;
    case K_PYPROXY: {
        PyObject *o = h_pyproxy_ptr(h);
        if (o == NULL) {
            r = raise_js_error();
        }
        else {
            r = Py_NewRef(o);
        }
        break;
    }
    default:
        r = PyObject_CallFunction(proxy_factory, "iii", h, kind, kind == K_FUNCTION ? self_h : H_UNDEFINED);
        if (r != NULL) {
            return r;   /* the proxy owns both handles now */
        }
        break;
    }
    release(h);
    release(self_h);
    return r;
}

/* Python -> JS, one level: None/bool/int/float/str/bytes by value, a JsProxy as its own JS value,
 * anything else as a new PyProxy. `borrowed`: the PyProxy lives only for the current call.
 * Returns a new handle, or -1 with a Python exception set. */
static int
to_js(PyObject *o, int borrowed)
{
    if (o == Py_None) {
        return H_UNDEFINED;
    }
    if (o == Py_True) {
        return H_TRUE;
    }
    if (o == Py_False) {
        return H_FALSE;
    }
    if (PyLong_CheckExact(o)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (!overflow && v >= -(1LL << 53) && v <= (1LL << 53)) {
            return h_new_number((double)v);
        }
        PyErr_Clear();
        PyObject *s = PyObject_Str(o);
        if (s == NULL) {
            return -1;
        }
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(s, &n);
        int h = u ? h_new_bigint(u, (int)n) : -1;
        Py_DECREF(s);
        return h;
    }
    if (PyFloat_CheckExact(o)) {
        return h_new_number(PyFloat_AS_DOUBLE(o));
    }
    if (PyUnicode_CheckExact(o)) {
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(o, &n);
        if (u == NULL) {
            return -1;
        }
        return h_new_string(u, (int)n);
    }
    if (PyBytes_CheckExact(o)) {
        return h_new_bytes(PyBytes_AS_STRING(o), (int)PyBytes_GET_SIZE(o));
    }
    if (PyObject_TypeCheck(o, &JsRefType)) {
        return h_dup(((JsRef *)o)->h);
    }
    return h_new_pyproxy(Py_NewRef(o), borrowed);
}

/* ---- _weft: the primitives weft.py builds on ---- */

/* The (handle, name[, value]) arguments of get/set/remove/has, on the main thread. */
static int
handle_name(const char *fn, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, int *h,
            const char **s, Py_ssize_t *n)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", fn, want, nargs);
        return -1;
    }
    *h = PyLong_AsInt(args[0]);
    if (*h == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (!PyUnicode_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "attribute name must be str, not %.100s", Py_TYPE(args[1])->tp_name);
        return -1;
    }
    *s = PyUnicode_AsUTF8AndSize(args[1], n);
    return *s == NULL ? -1 : require_main_thread();
}

static PyObject *
weft_get(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int h;
    const char *s;
    Py_ssize_t n;
    if (handle_name("get", args, nargs, 2, &h, &s, &n) < 0) {
        return NULL;
    }
    int v = h_get(h, s, (int)n);
    /* A function read from an object remembers it, to be called as a method. */
    return to_py(v, v >= 0 && h_kind(v) == K_FUNCTION ? h_dup(h) : H_UNDEFINED);
}

static PyObject *
weft_set(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int h;
    const char *s;
    Py_ssize_t n;
    if (handle_name("set", args, nargs, 3, &h, &s, &n) < 0) {
        return NULL;
    }
    int v = to_js(args[2], 0);
    if (v < 0) {
        return NULL;
    }
    int rc = h_set(h, s, (int)n, v);
    release(v);
    return rc < 0 ? raise_js_error() : Py_NewRef(Py_None);
}

static PyObject *
weft_remove(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int h;
    const char *s;
    Py_ssize_t n;
    if (handle_name("remove", args, nargs, 2, &h, &s, &n) < 0) {
        return NULL;
    }
    return h_remove(h, s, (int)n) < 0 ? raise_js_error() : Py_NewRef(Py_None);
}

static PyObject *
weft_has(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int h;
    const char *s;
    Py_ssize_t n;
    if (handle_name("has", args, nargs, 2, &h, &s, &n) < 0) {
        return NULL;
    }
    int rc = h_has(h, s, (int)n);
    return rc < 0 ? raise_js_error() : PyBool_FromLong(rc);
}

/* Converts `items` to handles in `hs` (borrowed proxies for Python objects); on failure releases
 * what it made. */
static int
handles_of(PyObject *const *items, Py_ssize_t n, int *hs)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        hs[i] = to_js(items[i], 1);
        if (hs[i] < 0) {
            while (i-- > 0) {
                release(hs[i]);
            }
            return -1;
        }
    }
    return 0;
}

/* After a call: borrowed PyProxies made for its arguments end (JS keeping one gets an error
 * naming create_proxy() when it calls it later), and every argument handle is released. */
static void
end_args(int *hs, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hs[i] >= H_FIXED) {
            h_end_borrowed(hs[i]);
            h_release(hs[i]);
        }
    }
}

/* fn(...args) with `this` = self, or `new fn(...args)` when `construct`: the JS call behind
 * call() and construct(), from Python arguments. */
static PyObject *
js_invoke(int fn, int self, int construct, PyObject *const *args, Py_ssize_t n)
{
    if (require_main_thread() < 0) {
        return NULL;
    }
    int small[8];
    int *hs = n <= 8 ? small : PyMem_Malloc(n * sizeof(int));
    if (hs == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *r = NULL;
    if (handles_of(args, n, hs) == 0) {
        int v = construct ? h_construct(fn, hs, (int)n) : h_call(fn, self, hs, (int)n);
        end_args(hs, n);
        r = to_py(v, H_UNDEFINED);
    }
    if (hs != small) {
        PyMem_Free(hs);
    }
    return r;
}

/* call(fn, this, *args): fn and this are handles; returns the result as Python. */
static PyObject *
weft_call(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int fn, self;
    if (nargs < 2 || ((fn = PyLong_AsInt(args[0])) == -1 && PyErr_Occurred())
        || ((self = PyLong_AsInt(args[1])) == -1 && PyErr_Occurred())) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "call(fn, this, *args)");
        }
        return NULL;
    }
    return js_invoke(fn, self, 0, args + 2, nargs - 2);
}

/* construct(fn, *args): `new fn(...args)`. */
static PyObject *
weft_construct(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int fn;
    if (nargs < 1 || ((fn = PyLong_AsInt(args[0])) == -1 && PyErr_Occurred())) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "construct(fn, *args)");
        }
        return NULL;
    }
    return js_invoke(fn, H_UNDEFINED, 1, args + 1, nargs - 1);
}

/* op(code, a, b): the host's other operations (bridge.mjs OPS), on handles or Python values:
 * `a` is a handle; `b` an int handle, a Python value (converted, persistent), or omitted. */
static PyObject *
weft_op(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
    int code, a = H_UNDEFINED, b = H_UNDEFINED, own_b = 0;
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "op(code[, h[, value]])");
        return NULL;
    }
    if ((code = PyLong_AsInt(args[0])) == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (require_main_thread() < 0) {
        return NULL;
    }
    if (nargs > 1 && (a = PyLong_AsInt(args[1])) == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (nargs > 2) {
        b = to_js(args[2], 0);
        if (b < 0) {
            return NULL;
        }
        own_b = 1;
    }
    int v = h_op(code, a, b);
    if (own_b) {
        release(b);
    }
    return to_py(v, H_UNDEFINED);
}

/* handle(obj) -> int: a new handle on obj as JS (a persistent PyProxy for Python objects). */
static PyObject *
weft_handle(PyObject *mod, PyObject *obj)
{
    if (require_main_thread() < 0) {
        return NULL;
    }
    int h = to_js(obj, 0);
    return h < 0 ? NULL : PyLong_FromLong(h);
}

/* adopt(h) -> obj: takes ownership of handle h and returns it as Python. */
static PyObject *
weft_adopt(PyObject *mod, PyObject *arg)
{
    int h = PyLong_AsInt(arg);
    if (h == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (require_main_thread() < 0) {
        return NULL;
    }
    return to_py(h, H_UNDEFINED);
}

static PyObject *
weft_kind(PyObject *mod, PyObject *arg)
{
    int h = PyLong_AsInt(arg);
    if (h == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (require_main_thread() < 0) {
        return NULL;
    }
    return PyLong_FromLong(h_kind(h));
}

/* bytes(h) -> the bytes of a typed array, DataView or ArrayBuffer (a copy), or None. */
static PyObject *
weft_bytes(PyObject *mod, PyObject *arg)
{
    int h = PyLong_AsInt(arg);
    if ((h == -1 && PyErr_Occurred()) || require_main_thread() < 0) {
        return NULL;
    }
    int n = h_bytes(h);
    if (n == -2) {
        Py_RETURN_NONE;
    }
    if (n < 0) {
        return raise_js_error();
    }
    PyObject *b = PyBytes_FromStringAndSize(NULL, n);
    if (b != NULL && n > 0) {
        h_text_read(PyBytes_AS_STRING(b));
    }
    return b;
}

/* Non-zero: another thread queued work for the main thread's event loop (WebLoop
 * call_soon_threadsafe); the worker waits on it with Atomics.waitAsync (bridge.mjs). */
static int weft_wake_word __attribute__((aligned(4)));

EXPORT(weft_wake_addr) int *
weft_wake_addr(void)
{
    return &weft_wake_word;
}

static PyObject *
weft_wake(PyObject *mod, PyObject *unused)
{
    __atomic_store_n(&weft_wake_word, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&weft_wake_word, 1);
    Py_RETURN_NONE;
}

/* buffer_info(obj) -> (address, nbytes, format, itemsize, shape, readonly) of a C-contiguous
 * buffer (numpy arrays, bytes, bytearray, array.array, memoryview): what the host needs for a
 * typed-array view over the same wasm memory. The address stays valid while the exporter lives
 * and is not resized; the caller keeps a memoryview to pin it. */
static PyObject *
weft_buffer_info(PyObject *mod, PyObject *obj)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    PyObject *shape = PyTuple_New(view.ndim);
    for (int i = 0; shape != NULL && i < view.ndim; i++) {
        PyObject *n = PyLong_FromSsize_t(view.shape[i]);
        if (n == NULL) {
            Py_CLEAR(shape);
            break;
        }
        PyTuple_SET_ITEM(shape, i, n);
    }
    PyObject *r = shape == NULL ? NULL
        : Py_BuildValue("(nnsnNO)", (Py_ssize_t)(uintptr_t)view.buf, view.len, view.format ? view.format : "B",
                        view.itemsize, shape, view.readonly ? Py_True : Py_False);
    PyBuffer_Release(&view);
    return r;
}

/* check_signals(): runs pending signal handlers now, as the eval loop would at its next check
 * (a host wait that ended for an interrupt raises KeyboardInterrupt at once, not a bit later). */
static PyObject *
weft_check_signals(PyObject *mod, PyObject *unused)
{
    if (PyErr_CheckSignals() < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
weft_setup(PyObject *mod, PyObject *args)
{
    PyObject *factory, *exc;
    if (!PyArg_ParseTuple(args, "OO:setup", &factory, &exc)) {
        return NULL;
    }
    Py_XSETREF(proxy_factory, Py_NewRef(factory));
    Py_XSETREF(js_exception, Py_NewRef(exc));
    Py_RETURN_NONE;
}

static PyMethodDef weft_methods[] = {
    {"get", (PyCFunction)(void (*)(void))weft_get, METH_FASTCALL, "get(h, name): h[name]"},
    {"set", (PyCFunction)(void (*)(void))weft_set, METH_FASTCALL, "set(h, name, value): h[name] = value"},
    {"remove", (PyCFunction)(void (*)(void))weft_remove, METH_FASTCALL, "remove(h, name): delete h[name]"},
    {"has", (PyCFunction)(void (*)(void))weft_has, METH_FASTCALL, "has(h, name): name in h"},
    {"call", (PyCFunction)(void (*)(void))weft_call, METH_FASTCALL, "call(fn, this, *args)"},
    {"construct", (PyCFunction)(void (*)(void))weft_construct, METH_FASTCALL, "construct(fn, *args): new fn(...args)"},
    {"op", (PyCFunction)(void (*)(void))weft_op, METH_FASTCALL, "op(code, h, value): a host operation"},
    {"handle", weft_handle, METH_O, "handle(obj) -> a new handle on obj as JS"},
    {"adopt", weft_adopt, METH_O, "adopt(h) -> the JS value of handle h as Python (takes the handle)"},
    {"kind", weft_kind, METH_O, "kind(h) -> what the JS value is (bridge.mjs KIND)"},
    {"bytes", weft_bytes, METH_O, "bytes(h) -> a copy of a typed array's or ArrayBuffer's bytes, or None"},
    {"buffer_info", weft_buffer_info, METH_O, "buffer_info(obj) -> (address, nbytes, format, itemsize, shape, readonly)"},
    {"check_signals", weft_check_signals, METH_NOARGS, "check_signals(): run pending signal handlers (KeyboardInterrupt)"},
    {"wake", weft_wake, METH_NOARGS, "wake(): ask the worker to run the event loop's queued callbacks"},
    {"setup", weft_setup, METH_VARARGS, "setup(proxy_factory, JsException)"},
    {NULL},
};

static int
weft_exec(PyObject *mod)
{
    if (PyType_Ready(&JsRefType) < 0 || PyModule_AddType(mod, &JsRefType) < 0) {
        return -1;
    }
    return PyModule_AddIntConstant(mod, "MAIN_THREAD", (long)main_thread);
}

static PyModuleDef_Slot weft_slots[] = {
    {Py_mod_exec, weft_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static struct PyModuleDef weft_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_weft",
    .m_doc = "Weft's Python <-> JS bridge primitives (the public API is the weft module).",
    .m_methods = weft_methods,
    .m_slots = weft_slots,
};

static PyObject *
PyInit__weft(void)
{
    return PyModuleDef_Init(&weft_module);
}

/* Before main() or Py_Initialize: register the module, and remember which thread is the
 * worker's (the one running the constructors). */
__attribute__((constructor))
static void
weft_register(void)
{
    main_thread = PyThread_get_thread_ident();
    PyImport_AppendInittab("_weft", PyInit__weft);
}

/* ---- exports: the worker drives Python ---- */

/* Argument and result handles of the exports below follow the import rules: results are new
 * handles, -1 means a Python exception was reported with h_py_error(). */

/* A reactor has no _start: `python <args>` as a process runs main() through wasi-libc's argv
 * loader, then exits like _start would. */
int __main_void(void);

EXPORT(weft_main) void
weft_main(void)
{
    exit(__main_void());
}

static PyThreadState *session_state;   /* the main thread's, while the worker is idle */
static PyObject *weft_py;              /* the weft module (support/site/weft.py) */

/* Reports the current Python exception to the host (and clears it); returns -1. */
static int
report(void)
{
    PyObject *exc = PyErr_GetRaisedException();
    if (exc == NULL) {
        h_py_error("SystemError", 11, "an error without an exception", 29, "", 0, NULL);
        return -1;
    }
    PyObject *info = weft_py ? PyObject_CallMethod(weft_py, "_describe", "O", exc) : NULL;
    const char *t = NULL, *m = NULL, *tb = NULL;
    Py_ssize_t tn = 0, mn = 0, tbn = 0;
    if (info && PyTuple_Check(info) && PyTuple_GET_SIZE(info) == 3) {
        t = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(info, 0), &tn);
        m = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(info, 1), &mn);
        tb = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(info, 2), &tbn);
    }
    if (t && m && tb) {
        /* The host keeps a reference to the exception, for a JsException to travel back. */
        h_py_error(t, (int)tn, m, (int)mn, tb, (int)tbn, Py_NewRef(exc));
    }
    else {
        PyErr_Clear();
        const char *name = Py_TYPE(exc)->tp_name;
        h_py_error(name, (int)strlen(name), "(the exception could not be formatted)", 38, "", 0, NULL);
    }
    Py_XDECREF(info);
    Py_DECREF(exc);
    return -1;
}

/* Starts the long-lived interpreter of a session: Python configured from the process's argv and
 * environment as `python` would be (without running anything), site imported, then the weft
 * module; the GIL is released so Python threads run while the worker waits for requests. 0, or
 * -1 with the error reported (the host then ends the process). */
EXPORT(weft_session_start) int
weft_session_start(void)
{
    __wasi_size_t argc = 0, size = 0;
    char **argv = NULL, *buf = NULL;
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus status = PyStatus_Ok();
    if (__wasi_args_sizes_get(&argc, &size) != 0 || (argv = calloc(argc + 1, sizeof(char *))) == NULL
        || (buf = malloc(size ? size : 1)) == NULL || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
        status = PyStatus_Error("cannot read the process's arguments");
    }
    if (!PyStatus_Exception(status)) {
        status = PyConfig_SetBytesArgv(&config, (Py_ssize_t)argc, argv);
    }
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    free(argv);
    free(buf);
    if (PyStatus_Exception(status)) {
        const char *m = status.err_msg ? status.err_msg : "Python failed to initialize";
        h_py_error("SystemError", 11, m, (int)strlen(m), "", 0, NULL);
        return -1;
    }
    weft_py = PyImport_ImportModule("weft");
    int rc = weft_py ? 0 : report();
    session_state = PyEval_SaveThread();
    return rc;
}

/* Every export below runs with the GIL, taken from Python threads if they hold it; nested calls
 * (JS calling back into Python while Python calls JS) already hold it. */

EXPORT(weft_py_decref) void
weft_py_decref(PyObject *o)
{
    /* After exit() the interpreter is gone, and its objects with it. */
    if (!Py_IsInitialized()) {
        return;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_DECREF(o);
    PyGILState_Release(gil);
}

/* weft.<fn>(obj, a, b), the handles a and b as Python values; the result as a new handle, or -1
 * with the exception reported. */
static int depth;   /* exports running on the worker's stack (JS and Python calls nest) */

static int
call_weft(const char *fn, PyObject *obj, int a_h, int b_h)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    int r = -1;
    PyObject *a = to_py(h_dup(a_h), H_UNDEFINED);
    PyObject *b = a ? to_py(h_dup(b_h), H_UNDEFINED) : NULL;
    depth++;
    PyObject *res = b ? PyObject_CallMethod(weft_py, fn, "OOO", obj ? obj : Py_None, a, b) : NULL;
    depth--;
    /* exit() / sys.exit() not caught by Python code ends the interpreter as it would end
     * `python`: atexit handlers, non-daemon threads joined, then the process exits (the host
     * sees proc_exit). Inside a nested call it travels on as an exception until the outermost. */
    if (res == NULL && depth == 0 && PyErr_ExceptionMatches(PyExc_SystemExit)) {
        int code = 1;
        (void)_Py_HandleSystemExit(&code);
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (Py_FinalizeEx() < 0 && code == 0) {
            code = 120;   /* as Py_RunMain: flushing the standard streams failed */
        }
        exit(code);
    }
    if (res != NULL) {
        r = to_js(res, 0);
        Py_DECREF(res);
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    if (r < 0) {
        report();
    }
    PyGILState_Release(gil);
    return r;
}

/* obj(*args, **kwargs): `args` is a handle on a JS array, `kwargs` on a JS object or undefined. */
EXPORT(weft_py_call) int
weft_py_call(PyObject *fn, int args_h, int kwargs_h)
{
    return call_weft("_call", fn, args_h, kwargs_h);
}

/* The other operations on a Python object, by name (weft.py _OPS: getattr, setattr, repr, run,
 * ...): weft._op(obj, name, arg). */
EXPORT(weft_py_op) int
weft_py_op(PyObject *obj, int name_h, int arg_h)
{
    return call_weft("_op", obj, name_h, arg_h);
}
