#!/usr/bin/env bash
# Build the guest: python.wasm + python-stdlib.zip, every stage cached in $WEFT_CACHE.
# usage: guest/build.sh [--dist DIR] [--smoke]     copy the outputs to DIR (default <repo>/dist);
#            --smoke: then run guest/smoke-test.mjs on them (without and with threads)
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
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
install_file "$opt/python.wasm.json" "$dist/python.wasm.json"
install_file "$bundle/python-stdlib.zip" "$dist/python-stdlib.zip"

# Size table; gzip/brotli results are cached by content hash (brotli -q 11 takes a while).
sizes() {
  local f=$1 sha c
  sha=$(sha256sum "$f" | cut -c1-32)
  c="$WEFT_CACHE/sizes/$sha"
  if [ ! -f "$c" ]; then
    mkdir -p "$WEFT_CACHE/sizes"
    echo "$(stat -c %s "$f") $(gzip -9 -c "$f" | wc -c) $(brotli -q 11 -c "$f" | wc -c)" >"$c.part"
    mv "$c.part" "$c"
  fi
  cat "$c"
}
{
  printf '%-20s %12s %12s %12s\n' file raw gzip-9 brotli-11
  for f in python.wasm python-stdlib.zip; do
    read -r raw gz br < <(sizes "$dist/$f")
    printf '%-20s %12d %12d %12d\n' "$f" "$raw" "$gz" "$br"
  done
}
log "guest build done in $((SECONDS - t_all)) s -> $dist"

if [ $smoke = 1 ]; then
  log "smoke test (node:wasi, thread-spawn fails)"
  node "$GUEST_DIR/smoke-test.mjs" "$dist/python.wasm" "$dist/python-stdlib.zip" || die "smoke test failed"
  log "smoke test (node:wasi + worker_threads for wasi-threads)"
  node "$GUEST_DIR/smoke-test.mjs" --threads "$dist/python.wasm" "$dist/python-stdlib.zip" || die "threaded smoke test failed"
fi
