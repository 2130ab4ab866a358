#!/usr/bin/env bash
# Stage: numpy's own test suite and pytest, for the numpy conformance suites of tests/conformance/
# (never in dist/: a page fetches none of it).
# Output ($WEFT_CACHE/numpy-tests-<key>/):
#   python-numpy-lib.zip   the numpy stage's python-numpy-lib.zip (every entry unchanged) plus
#                          numpy's tests/ directories and conftest.py from the patched source the
#                          numpy stage built (numpy-patches/), with numpy-test-patches/ on top
#                          (imports of modules WASI lacks), and pytest with its dependencies
#                          (tests/conformance/numpy-requirements.txt), each .py with its .pyc
#                          (support/make_numpy_test_bundle.py); the runner serves it in place of
#                          dist/python-numpy-lib.zip
#   shipped.sha256         sha256 of the numpy stage's python-numpy-lib.zip it was made from
#   pytest.ini             numpy's own pytest.ini (its warning filters: warnings are errors)
#   test-modules.txt       every test module of the bundle (numpy._core.tests.test_umath, ...)
#   entries.txt, logs/
# The wheels are fetched once by the pip bundled with the native CPython (ensurepip's wheel,
# covered by the CPython tarball's hash): `pip download --only-binary=:all: --no-deps
# --require-hashes`, into $WEFT_CACHE/pip-<sha256 of the requirements file>/.
# Usage: numpy-tests.sh  -> prints the stage directory.
source "$(dirname "$0")/lib.sh"

NATIVE=$(bash "$GUEST_DIR/native-python.sh")
NUMPY=$(bash "$GUEST_DIR/numpy.sh")
NPSRC=numpy-2.3.5.tar.gz
REQS="$REPO_DIR/tests/conformance/numpy-requirements.txt"
shopt -s nullglob
PATCHES=("$GUEST_DIR"/numpy-patches/*.patch "$GUEST_DIR"/numpy-test-patches/*.patch)
shopt -u nullglob

# The wheels, keyed by the requirements file alone: a change to this script re-bundles, but
# does not download again.
wheels="$WEFT_CACHE/pip-$(sha256sum "$REQS" | cut -c1-16)"
if [ ! -f "$wheels/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 8>"$wheels.lock"; flock 8; fi
if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels"; mkdir -p "$wheels"
  log "numpy-tests: pip download (tests/conformance/numpy-requirements.txt)"
  native_pip "$NATIVE" "$wheels/pip.log" download --only-binary=:all: --no-deps --require-hashes -r "$REQS" \
    -d "$wheels" || die "numpy-tests: pip download failed (log $wheels/pip.log)"
  n=$(grep -c '^[a-z].*==' "$REQS"); got=$(find "$wheels" -name '*.whl' | wc -l)
  [ "$got" = "$n" ] || die "numpy-tests: $got wheels downloaded, $n required"
  touch "$wheels/.complete"; rm -f "$wheels.lock"
fi

key=$(STAGE_EXTRA="$(basename "$NATIVE") $(basename "$NUMPY") $(basename "$wheels"); $(source_sha $NPSRC)" \
      stage_key numpy-tests "$GUEST_DIR/numpy-tests.sh" "$GUEST_DIR/support/make_numpy_test_bundle.py" "$REQS" "${PATCHES[@]}")
out="$WEFT_CACHE/numpy-tests-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out/logs"
  work=$(mktemp -d "$WEFT_CACHE/tmp.numpy-tests.XXXX")
  tar -C "$work" -xzf "$(fetch_source $NPSRC)"
  src="$work/numpy-2.3.5"
  # The numpy stage's patches (the tests must be those of the source it built), then the tests'.
  for p in "${PATCHES[@]}"; do
    patch -d "$src" -p1 --forward --no-backup-if-mismatch -i "$p" >>"$out/logs/patches.log" 2>&1 \
      || { cat "$out/logs/patches.log" >&2; die "numpy-tests: $(basename "$p") does not apply"; }
  done
  log "numpy-tests: bundling numpy's tests and pytest"
  PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 "$NATIVE/bin/python3.13" -I "$GUEST_DIR/support/make_numpy_test_bundle.py" \
    "$NUMPY/python-numpy-lib.zip" "$src" "$wheels" "$work/staging" "$out/python-numpy-lib.zip" \
    >"$out/test-modules.txt" 2>"$out/logs/bundle.log" \
    || { cat "$out/logs/bundle.log" >&2; die "numpy-tests: bundling failed"; }
  cp "$src/pytest.ini" "$out/pytest.ini"
  sha256sum "$NUMPY/python-numpy-lib.zip" | cut -c1-64 >"$out/shipped.sha256"
  "$NATIVE/bin/python3.13" -I -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "$out/python-numpy-lib.zip" >"$out/entries.txt"
  for m in numpy._core.tests.test_multiarray numpy.linalg.tests.test_linalg numpy.random.tests.test_random; do
    grep -qx "$m" "$out/test-modules.txt" || die "numpy-tests: $m is not in the bundle"
  done
  grep -qx 'site-packages/pytest/__init__.py' "$out/entries.txt" || die "numpy-tests: pytest is not in the bundle"
  log "numpy-tests: $(wc -l <"$out/test-modules.txt") test modules, $(wc -l <"$out/entries.txt") entries, $(stat -c %s "$out/python-numpy-lib.zip") bytes"
  rm -rf "$work"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
