#!/usr/bin/env bash
# Stage: native numpy 2.3.5 for the native CPython of native-python.sh: the reference the numpy
# benchmark compares Weft with, on the same machine (bench/numpy.mjs native). PyPI's wheel,
# installed by the pip bundled with the native CPython (ensurepip's wheel, covered by the
# CPython tarball's hash) with --require-hashes (bench/numpy-native-requirements.txt).
# Usage: native-numpy.sh  -> prints a directory to put on PYTHONPATH.
source "$(dirname "$0")/lib.sh"

NATIVE=$(bash "$GUEST_DIR/native-python.sh")
REQS="$REPO_DIR/bench/numpy-native-requirements.txt"
key=$(STAGE_EXTRA="$(basename "$NATIVE")" stage_key native-numpy "$GUEST_DIR/native-numpy.sh" "$REQS")
out="$WEFT_CACHE/native-numpy-$key"
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out"
  log "native-numpy: pip install (bench/numpy-native-requirements.txt)"
  native_pip "$NATIVE" "$out/pip.log" install --only-binary=:all: --no-deps --require-hashes -r "$REQS" \
    --target "$out/site" || die "native-numpy: pip install failed (log $out/pip.log)"
  "$NATIVE/bin/python3.13" -I -c 'import sys; sys.path.insert(0, sys.argv[1]); import numpy' "$out/site" \
    || die "native-numpy: the installed numpy does not import"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out/site"
