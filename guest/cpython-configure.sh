# Sourced by cpython.sh and test-bundle.sh (and part of both stages' keys): the one configure
# line of CPython for wasm32-wasip1-threads, so that python-test.wasm tests the interpreter
# that ships. Needs SYSROOT, DEPS and NATIVE set, and runs in the build directory.

# The C compiler for the guest, as configure is given it and for objects built beside CPython
# (configure appends "-target wasm32-wasi-threads" itself).
WASI_CC="clang-19 --target=wasm32-wasi-threads --sysroot=$SYSROOT"

# cpython_configure SRC [ARG...]: configure SRC (the patched source tree) with ARGs added.
cpython_configure() {
  local src=$1; shift
  env CONFIG_SITE="$src/Tools/wasm/config.site-wasm32-wasi" \
    CC="$WASI_CC" CPP="$WASI_CC -E" CXX="clang++-19 --target=wasm32-wasi-threads --sysroot=$SYSROOT" \
    AR=llvm-ar-19 RANLIB=llvm-ranlib-19 READELF=llvm-readelf-19 \
    PKG_CONFIG=pkg-config PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR= PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig" \
    "$src/configure" --host=wasm32-unknown-wasi --build="$("$src/config.guess")" \
      --with-build-python="$NATIVE/bin/python3.13" --enable-wasm-pthreads --with-pymalloc \
      --without-ensurepip --prefix=/usr/local "$@"
}
