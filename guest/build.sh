#!/usr/bin/env bash
# Build the guest: python.wasm + python-stdlib.zip, every stage cached in $WEFT_CACHE.
# usage: guest/build.sh [--dist DIR] [--smoke]     copy the outputs to DIR (default <repo>/dist);
#            --smoke: then run guest/smoke-test.mjs on them (without and with threads) and
#                     guest/interrupt-test.mjs (host-set weft_interrupt_word -> KeyboardInterrupt)
#        guest/build.sh --print STAGE              print a stage's path, building it if needed
#            STAGE: sysroot | deps | native-python | cpython | bundle | optimize
source "$(dirname "$0")/lib.sh"

dist="$REPO_DIR/dist" smoke=0 print=""
while [ $# -gt 0 ]; do
  case $1 in
    --dist) dist=${2:?--dist needs a directory}; shift 2 ;;
    --dist=*) dist=${1#--dist=}; shift ;;
    --smoke) smoke=1; shift ;;
    --print) print=${2:?--print needs a stage name}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

stage() { # stage NAME -> path; times each stage on stderr
  local t0=$SECONDS p
  p=$(bash "$GUEST_DIR/$1.sh") || die "stage $1 failed"
  log "$(printf '%-14s %4d s  %s' "$1" $((SECONDS - t0)) "$p")"
  echo "$p"
}

if [ -n "$print" ]; then
  case $print in
    sysroot|deps|native-python|cpython|bundle|optimize) bash "$GUEST_DIR/$print.sh"; exit ;;
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

mkdir -p "$dist"
install_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }  # keep mtimes when unchanged
install_file "$opt/python.wasm" "$dist/python.wasm"
install_file "$bundle/python-stdlib.zip" "$dist/python-stdlib.zip"

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
