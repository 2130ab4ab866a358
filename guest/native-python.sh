#!/usr/bin/env bash
# Stage: the native "build python" of the same CPython version. The cross build needs it to run
# freeze/compile steps, and benchmarks use it as the native reference.
# Usage: native-python.sh  -> prints the install prefix.
source "$(dirname "$0")/lib.sh"
key=$(STAGE_EXTRA=$(source_sha Python-3.13.5.tar.xz) stage_key native-python "$GUEST_DIR/native-python.sh")
out="$WEFT_CACHE/native-python-$key"
if [ ! -f "$out/.complete" ]; then
  tarball=$(fetch_source Python-3.13.5.tar.xz)
  rm -rf "$out"
  work=$(mktemp -d "$WEFT_CACHE/tmp.native.XXXX")
  log "building native CPython 3.13.5 (about 13 min on 2 cores) in $work"
  tar -C "$work" -xf "$tarball"
  ( cd "$work/Python-3.13.5"
    ./configure --prefix="$out" --without-ensurepip >"$work/configure.log" 2>&1 \
      || { tail -30 "$work/configure.log"; exit 1; }
    make -j"$JOBS" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log"; exit 1; }
    make install >"$work/install.log" 2>&1 || { tail -40 "$work/install.log"; exit 1; }
  )
  touch "$out/.complete"
  rm -rf "$work"
fi
echo "$out"
