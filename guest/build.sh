#!/usr/bin/env bash
# Build the guest: python.wasm + python-stdlib.zip, and python-numpy.wasm + python-numpy-lib.zip
# (the interpreter with numpy linked in, and numpy's Python files), every stage cached in
# $WEFT_CACHE.
# usage: guest/build.sh [--dist DIR] [--smoke]     copy the outputs to DIR (default <repo>/dist);
#            --smoke: then run guest/smoke-test.mjs on them (without and with threads) and
#                     guest/interrupt-test.mjs (host-set weft_interrupt_word -> KeyboardInterrupt)
#        guest/build.sh --print STAGE              print a stage's path, building it if needed
#            STAGE: sysroot | deps | native-python | native-numpy | cpython | bundle | optimize |
#                   numpy | optimize-numpy | test-bundle | numpy-tests
#            (test-bundle: python.wasm with the test C modules + Lib/test; numpy-tests: numpy's
#             tests and pytest; both for tests/conformance/, never copied to dist/;
#             native-numpy: PyPI's numpy for the native CPython, the benchmark's reference)
source "$(dirname "$0")/lib.sh"

dist="$REPO_DIR/dist" smoke=0 print=""
while [ $# -gt 0 ]; do
  case $1 in
    --dist) dist=${2:?--dist needs a directory}; shift 2 ;;
    --dist=*) dist=${1#--dist=}; shift ;;
    --smoke) smoke=1; shift ;;
    --print) print=${2:?--print needs a stage name}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

stage() { # stage NAME [ARG] -> path; times each stage on stderr
  local t0=$SECONDS p
  p=$(bash "$GUEST_DIR/$1.sh" "${@:2}") || die "stage $* failed"
  log "$(printf '%-14s %4d s  %s' "$*" $((SECONDS - t0)) "$p")"
  echo "$p"
}

if [ -n "$print" ]; then
  case $print in
    sysroot|deps|native-python|native-numpy|cpython|bundle|optimize|numpy|test-bundle|numpy-tests) bash "$GUEST_DIR/$print.sh"; exit ;;
    optimize-numpy) bash "$GUEST_DIR/optimize.sh" numpy; exit ;;
    *) die "--print: unknown stage $print" ;;
  esac
fi

t_all=$SECONDS
stage sysroot >/dev/null
stage deps >/dev/null
stage native-python >/dev/null
stage cpython >/dev/null
bundle=$(stage bundle)
opt=$(stage optimize)
numpy=$(stage numpy)
opt_numpy=$(stage optimize numpy)

mkdir -p "$dist"
install_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }  # keep mtimes when unchanged
install_file "$opt/python.wasm" "$dist/python.wasm"
install_file "$bundle/python-stdlib.zip" "$dist/python-stdlib.zip"
install_file "$opt_numpy/python.wasm" "$dist/python-numpy.wasm"
install_file "$numpy/python-numpy-lib.zip" "$dist/python-numpy-lib.zip"

# Raw/gzip/brotli sizes: `cargo xtask build` prints them for everything a page fetches.
log "guest build done in $((SECONDS - t_all)) s -> $dist"

if [ $smoke = 1 ]; then
  log "smoke test (node:wasi, thread-spawn fails)"
  node "$GUEST_DIR/smoke-test.mjs" "$dist/python.wasm" "$dist/python-stdlib.zip" || die "smoke test failed"
  log "smoke test (node:wasi + worker_threads for wasi-threads)"
  node "$GUEST_DIR/smoke-test.mjs" --threads "$dist/python.wasm" "$dist/python-stdlib.zip" || die "threaded smoke test failed"
  log "interrupt test (node:wasi + worker_threads; host stores weft_interrupt_word)"
  node "$GUEST_DIR/interrupt-test.mjs" "$dist/python.wasm" "$dist/python-stdlib.zip" || die "interrupt test failed"
fi
