#!/usr/bin/env bash
# The C/C++ compiler meson sees in the numpy stage (guest/numpy.sh writes the cross file and
# exports WEFT_NP_*). usage: cc.sh c|c++ <compiler arguments>
#
# - Compiles with clang-19 for wasm32-wasi-threads against the Weft sysroot, -pthread, and for
#   C++ against Debian's wasm32 libc++ headers.
# - Swaps the native build python's include dir (what meson's python introspection reports) for
#   the cross-built CPython's, whose pyconfig.h describes wasm32, and drops the target's own
#   /usr/local/include/python3.13 (from its sysconfig): on the build machine that path may hold
#   some other Python's headers.
# - A "shared module" link (-shared) becomes a static archive at the output path instead, plus
#   <output>.libs listing the static libraries it was linked with: WASI has no dlopen, so every
#   extension module is linked into python-numpy.wasm later (guest/numpy.sh). Executables (meson's
#   configure checks) link normally, with the shared memory the real binary has.
set -euo pipefail
lang=$1; shift
: "${WEFT_NP_SYSROOT:?}" "${WEFT_NP_NATIVE_INC:?}" "${WEFT_NP_WASM_INC:?}" "${WEFT_NP_TARGET_INC:?}"

args=() shared=0 out="" compile=0
while [ $# -gt 0 ]; do
  a=$1; shift
  case $a in
    -shared) shared=1 ;;
    -c|-E|-S|-M|-MM) compile=1; args+=("$a") ;;
    -o) out=$1; args+=(-o "$1"); shift ;;
    -I"$WEFT_NP_NATIVE_INC") args+=(-I"$WEFT_NP_WASM_INC") ;;
    -I"$WEFT_NP_TARGET_INC") ;;
    -I) case $1 in
          "$WEFT_NP_NATIVE_INC") args+=(-I "$WEFT_NP_WASM_INC") ;;
          "$WEFT_NP_TARGET_INC") ;;
          *) args+=(-I "$1") ;;
        esac
        shift ;;
    *) args+=("$a") ;;
  esac
done

if [ $shared = 1 ]; then
  [ -n "$out" ] || { echo "cc.sh: -shared without -o" >&2; exit 2; }
  objs=() libs=()
  for a in "${args[@]}"; do
    case $a in
      *.o) objs+=("$a") ;;
      *.a) libs+=("$(realpath "$a")") ;;
    esac
  done
  rm -f "$out"
  llvm-ar-19 crsD "$out" "${objs[@]}"
  printf '%s\n' "${libs[@]}" >"$out.libs"
  exit 0
fi

T=wasm32-wasi-threads
# -msimd128: numpy's own SIMD layer has no wasm backend (it stays off: no NPY_HAVE_* baseline),
# but highway's vqsort does (numpy-patches/wasm-simd-sort.patch), and clang may vectorize loops.
cc=(clang-19 --target=$T --sysroot="$WEFT_NP_SYSROOT" -resource-dir="$WEFT_NP_SYSROOT/clang-resource" -pthread -msimd128)
if [ "$lang" = c++ ]; then
  # Debian's libc++ for wasm32 has neither threads nor exceptions compiled in. `throw` still
  # compiles (to __cxa_throw; catch blocks are dropped without wasm EH): support/numpy/weft_cxx.c
  # makes it abort with a message. See guest/numpy.sh for the link side.
  cc=(clang++-19 --target=$T --sysroot="$WEFT_NP_SYSROOT" -resource-dir="$WEFT_NP_SYSROOT/clang-resource" -pthread -msimd128
      -nostdinc++ -isystem /usr/lib/llvm-19/include/wasm32-wasi/c++/v1)
fi
if [ $compile = 0 ]; then
  # Link of a configure check: same memory shape as python.wasm, libc++ without atomics allowed.
  args+=(-Wl,--import-memory,--export-memory,--shared-memory,--max-memory=2147483648)
  # libc++ by path: its directory also holds Debian's non-threaded libc.a.
  [ "$lang" = c++ ] && args+=(/usr/lib/wasm32-wasi/libc++.a /usr/lib/wasm32-wasi/libc++abi.a -Wl,--no-check-features)
fi
exec "${cc[@]}" "${args[@]}"
