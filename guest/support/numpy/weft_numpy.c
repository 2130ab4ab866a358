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
 */
#include <stdio.h>
#include <stdlib.h>

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
