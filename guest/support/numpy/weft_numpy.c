/* Link-time support for numpy in python-numpy.wasm (guest/numpy.sh).
 *
 * - C++ exceptions: this toolchain has no wasm exception handling and Debian's wasm32 libc++abi
 *   ships no __cxa_throw. numpy's C++ (pocketfft, unique) validates its inputs in Python first,
 *   so a throw means a bug or an allocation failure: abort with a message instead of a missing
 *   symbol.
 * - strtold: Rust's threaded libc.a has no long-double scanf/strtold (it aborts asking for
 *   -lc-printscan-long-double, whose Debian build is not the threaded one). numpy's longdouble
 *   parser calls strtold; the link wraps it (--wrap=strtold) to parse as double, which is exact
 *   for every value a double holds (long double is IEEE quad here).
 * - Module names: numpy's modules are built-ins here (numpy.sh lists them in the inittab under
 *   their dotted names). Loaded from a shared library, a single-phase module (PyModule_Create:
 *   _multiarray_umath, _umath_linalg, ...) gets its dotted name from the package context that
 *   CPython sets around its init function (Python/importdl.c); CPython's create_builtin() sets
 *   none, so the module would keep its short name ("_multiarray_umath"), and so would the
 *   __module__ of its functions, which pickle then cannot find. Each inittab entry calls its
 *   init function through weft_numpy_init_in_package, which sets the context as importdl.c does
 *   (multi-phase modules, Cython's, take their name from the spec and are unaffected).
 */
#include <stdio.h>
#include <stdlib.h>

typedef struct _object PyObject;
/* CPython's own (Python/import.c; declared in Include/internal/pycore_import.h). */
extern const char *_PyImport_SwapPackageContext(const char *newcontext);

PyObject *weft_numpy_init_in_package(const char *name, PyObject *(*init)(void)) {
    const char *old = _PyImport_SwapPackageContext(name);
    PyObject *module = init();
    _PyImport_SwapPackageContext(old);
    return module;
}

void *__cxa_allocate_exception(size_t size) {
    (void)size;
    fputs("python-numpy.wasm: a C++ exception was thrown; exceptions are not supported on this "
          "target, aborting\n", stderr);
    abort();
}

void __cxa_throw(void *thrown, void *type, void (*destructor)(void *)) {
    (void)thrown; (void)type; (void)destructor;
    fputs("python-numpy.wasm: a C++ exception was thrown; aborting\n", stderr);
    abort();
}

long double __wrap_strtold(const char *s, char **end) {
    return (long double)strtod(s, end);
}
