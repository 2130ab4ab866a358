#!/usr/bin/env bash
# Stage: the stdlib bundle python-stdlib.zip (deflate). Entry names are relative to
# /usr/local/lib/python3.13; sourceless legacy .pyc only (unchecked-hash), compiled by the native
# 3.13.5 build python; no test/tests/idle_test/idlelib/tkinter/turtledemo/ensurepip/lib2to3/
# config-3.13-*; an explicit empty lib-dynload/ entry; site-packages/ holding Weft's start-up hook
# (guest/support/site/); reproducible bytes.
# Usage: bundle.sh  -> prints the stage directory (holding python-stdlib.zip and entries.txt).
source "$(dirname "$0")/lib.sh"

CPY=$(bash "$GUEST_DIR/cpython.sh")
NATIVE=$(bash "$GUEST_DIR/native-python.sh")

key=$(STAGE_EXTRA="$(basename "$CPY") $(basename "$NATIVE")" \
      stage_key bundle "$GUEST_DIR/bundle.sh" "$GUEST_DIR/support/make_bundle.py" "$GUEST_DIR"/support/site/*)
out="$WEFT_CACHE/bundle-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out"
  work=$(mktemp -d "$WEFT_CACHE/tmp.bundle.XXXX")
  log "bundle: compiling and zipping the stdlib"
  t0=$SECONDS
  # PYTHONHASHSEED=0: set/frozenset constants marshal in hash order; pin it for reproducibility.
  PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$NATIVE/bin/python3.13" -I "$GUEST_DIR/support/make_bundle.py" \
    "$CPY/install/usr/local/lib/python3.13" "$work/staging" "$out/python-stdlib.zip" "$GUEST_DIR/support/site" 2>"$work/bundle.log" \
    || { tail -40 "$work/bundle.log" >&2; die "bundle failed"; }
  cat "$work/bundle.log" >&2
  "$NATIVE/bin/python3.13" -I -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "$out/python-stdlib.zip" >"$out/entries.txt"
  log "bundle: $(wc -l <"$out/entries.txt") entries, $(stat -c %s "$out/python-stdlib.zip") bytes, $((SECONDS - t0)) s"
  rm -rf "$work"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
