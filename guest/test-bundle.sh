#!/usr/bin/env bash
# Stage: the conformance test bundle, which never goes into dist/: CPython's own tests need the
# `test` package and the test C extension modules, and neither belongs in what a page fetches.
# Output ($WEFT_CACHE/test-bundle-<key>/):
#   python.wasm            python-test.wasm: the shipped interpreter plus the test C modules
#                          (_testcapi, _testinternalcapi, _testlimitedcapi, _testbuffer,
#                          _testclinic, _testclinic_limited, xxsubtype, _xxtestfuzz, and, see
#                          below, _testsinglephase, _testmultiphase, _testimportmultiple),
#                          stripped and wasm-opt'ed exactly like optimize.sh's python.wasm
#   Lib/test/              Lib/test of the patched source the interpreter was built from, with
#                          __pycache__ compiled by the native 3.13.5 (the guest would otherwise
#                          compile each test module from source in every run)
#   Lib/_sysconfigdata__wasi_wasm32-wasi.py   sysconfig of this build (TEST_MODULES=yes, which
#                          test.support reads); Lib/ goes first on sys.path, so it shadows the
#                          shipped bundle's copy
#   builtin-modules.txt    sys.builtin_module_names of python.wasm
#   logs/
# How: the cpython stage's configured tree (src/ + build/) is copied, configure is rerun there
# with the same arguments (cpython-configure.sh) minus --disable-test-modules, and make rebuilds what that
# changes before relinking with the same link flags: config.c, the test modules, the other
# extension modules (their rules depend on config.c; same sources and flags) and
# Python/sysmodule.o. The core (Python/, Objects/, Parser/) is the very objects the shipped
# python.wasm was linked from, so the tests exercise the shipped interpreter.
# _testimportmultiple, _testmultiphase and _testsinglephase are built only as shared libraries
# upstream (Setup.stdlib), and WASI has no dlopen, so configure marks them n/a there. They are
# linked in here instead (Modules/Setup.local), so that each imports as a built-in module:
# test.test_importlib.util imports _testsinglephase when it loads, and without it test_import,
# test_types, test_compileall, test_pkgutil, test_pyclbr and parts of test_importlib skip as a
# whole. Only their main init function is reachable that way: tests that load the others'
# from the shared library file find no file. xxlimited and xxlimited_35 (limited-API examples,
# shared only) stay out.
# Usage: test-bundle.sh  -> prints the stage directory.
source "$(dirname "$0")/lib.sh"

SYSROOT=$(bash "$GUEST_DIR/sysroot.sh")
DEPS=$(bash "$GUEST_DIR/deps.sh")
NATIVE=$(bash "$GUEST_DIR/native-python.sh")
CPY=$(bash "$GUEST_DIR/cpython.sh")
source "$GUEST_DIR/cpython-configure.sh"
BUNDLE=$(bash "$GUEST_DIR/bundle.sh")
FEATURES=(--enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext
          --enable-nontrapping-float-to-int)
TEST_MODULES=(_testcapi _testinternalcapi _testlimitedcapi _testbuffer _testclinic
              _testclinic_limited xxsubtype _xxtestfuzz)
SHARED_ONLY=(_testsinglephase _testmultiphase _testimportmultiple)

key=$(STAGE_EXTRA="$(basename "$SYSROOT") $(basename "$DEPS") $(basename "$NATIVE") $(basename "$CPY") $(basename "$BUNDLE"); $(clang-19 --version | head -1); $(wasm-opt --version); $(llvm-objcopy-19 --version | head -2 | tr '\n' ' ')" \
      stage_key test-bundle "$GUEST_DIR/test-bundle.sh" "$GUEST_DIR/cpython-configure.sh")
out="$WEFT_CACHE/test-bundle-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out/logs" "$out/work"
  run() { # logname cmd...
    local logf="$out/logs/$1.log"; shift
    "$@" >>"$logf" 2>&1 || { tail -60 "$logf" | cut -c1-300 >&2; die "step failed: $* (log $logf)"; }
  }
  log "test-bundle: copying the cpython stage's build tree"
  # -a keeps mtimes: make then sees every object as up to date with its sources.
  cp -a "$CPY/src" "$CPY/build" "$out/work/"
  src="$out/work/src/Python-3.13.5" build="$out/work/build"
  cd "$build"

  log "test-bundle: configure with test modules"
  t0=$SECONDS
  # The cpython stage's configure line (cpython-configure.sh), with the test modules.
  run configure cpython_configure "$src"
  log "test-bundle: configure took $((SECONDS - t0)) s"
  for m in "${TEST_MODULES[@]}"; do
    v=$(echo "$m" | tr '[:lower:]' '[:upper:]')
    grep -q "^MODULE_${v}_STATE=yes$" Makefile || die "test-bundle: $m is not enabled ($(grep "^MODULE_${v}_STATE=" Makefile))"
  done

  # makesetup reads Setup.local first; these modules' Setup.stdlib lines are commented out (n/a).
  printf '# guest/test-bundle.sh: shared-only test modules, linked in (WASI has no dlopen)\n*static*\n' >Modules/Setup.local
  for m in "${SHARED_ONLY[@]}"; do echo "$m $m.c" >>Modules/Setup.local; done

  # The cpython stage's link flags, pointing at this tree's copies of its extra objects.
  LD_NODIST=$(sed "s|$CPY/build/|$build/|g" "$CPY/link-flags.txt")
  touch "$out/logs/before-make"
  log "test-bundle: make -j$JOBS"
  t0=$SECONDS
  run make env SOURCE_DATE_EPOCH=1749600000 make -j"$JOBS" LDFLAGS_NODIST="$LD_NODIST"
  rebuilt=$(find . -name '*.o' -newer "$out/logs/before-make" | sort)
  echo "$rebuilt" >"$out/logs/rebuilt-objects.txt"
  log "test-bundle: make took $((SECONDS - t0)) s, $(grep -c . <<<"$rebuilt") objects compiled (logs/rebuilt-objects.txt)"
  [ -f python.wasm ] && [ python.wasm -nt "$out/logs/before-make" ] || die "test-bundle: python.wasm was not relinked"

  log "test-bundle: strip debug info + wasm-opt -O2"
  llvm-objcopy-19 --strip-debug python.wasm "$out/work/stripped.wasm"
  run wasm-opt wasm-opt -O2 "${FEATURES[@]}" "$out/work/stripped.wasm" -o "$out/python.wasm"
  # The runtime's contract (imports, exports, memory) must be the shipped interpreter's.
  contract() { wasm-objdump -x "$1" | sed -nE 's/^ - (func|memory|global|table)\[[0-9]+\] (.*<- [A-Za-z_].*)$/\2/p; s/^ - (func|memory|global)\[[0-9]+\] -> (".*")$/\2/p' \
               | sed -E 's/^sig=[0-9]+ //' | sort; }
  shipped=$(bash "$GUEST_DIR/optimize.sh")
  diff <(contract "$shipped/python.wasm") <(contract "$out/python.wasm") >"$out/logs/contract.diff" \
    || { cat "$out/logs/contract.diff" >&2; die "test-bundle: python.wasm's imports/exports differ from the shipped python.wasm"; }

  node "$GUEST_DIR/smoke-test.mjs" "$out/python.wasm" "$BUNDLE/python-stdlib.zip" -- \
    -c 'import sys; print("\n".join(sorted(sys.builtin_module_names)))' \
    >"$out/builtin-modules.txt" 2>"$out/logs/builtins.log" || { cat "$out/logs/builtins.log" >&2; die "test-bundle: python.wasm does not start"; }
  for m in "${TEST_MODULES[@]}" "${SHARED_ONLY[@]}"; do
    grep -qx "$m" "$out/builtin-modules.txt" || die "test-bundle: $m is not a built-in module of python.wasm"
  done
  extra=$(comm -13 "$CPY/builtin-modules.txt" "$out/builtin-modules.txt" | tr '\n' ' ')
  missing=$(comm -23 "$CPY/builtin-modules.txt" "$out/builtin-modules.txt" | tr '\n' ' ')
  [ -z "$missing" ] || die "test-bundle: built-in modules of the shipped python.wasm missing: $missing"
  log "test-bundle: $(wc -l <"$out/builtin-modules.txt") built-in modules (shipped ones + $extra)"

  log "test-bundle: Lib/test + sysconfig data, compiled"
  mkdir -p "$out/Lib"
  cp -a "$src/Lib/test" "$out/Lib/test"
  cp "$build/build/lib.wasi-wasm32-3.13/_sysconfigdata__wasi_wasm32-wasi.py" "$out/Lib/"
  grep -q "'TEST_MODULES': 'yes'" "$out/Lib/_sysconfigdata__wasi_wasm32-wasi.py" \
    || die "test-bundle: the build's sysconfig data does not say TEST_MODULES=yes"
  # Timestamp-checked .pyc next to the sources: the guest checks them against the host mount's
  # mtimes and recompiles only what changed. The files that are invalid on purpose stay
  # uncompiled, with the exclusion CPython's own `make install` uses.
  "$NATIVE/bin/python3.13" -I -m compileall -q -j"$JOBS" -x 'bad_coding|badsyntax' \
    "$out/Lib" >"$out/logs/compileall.log" 2>&1 \
    || { tail -30 "$out/logs/compileall.log" >&2; die "test-bundle: compileall failed on Lib/test (log $out/logs/compileall.log)"; }

  rm -rf "$out/work"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
