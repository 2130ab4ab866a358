#!/usr/bin/env bash
# Stage: CPython 3.13.5 cross-built for wasm32-wasip1-threads (pthreads on, pymalloc on, no test
# modules), statically linked with the deps stage and guest/support/weft_{init,interrupt,bridge}.c;
# source patched with guest/patches/*.patch. Linked as a WASI reactor: the host calls
# _initialize, then weft_main (`python <args>` as a process) or weft_session_start and the
# bridge's weft_py_* exports (a long-lived interpreter driven from JS; support/weft_bridge.c).
# Output ($WEFT_CACHE/cpython-<key>/):
#   python.wasm            as linked (with DWARF), memory imported+exported+shared, max 2 GiB
#   install/usr/local/     `make install DESTDIR=install` (stdlib, _sysconfigdata, headers, libpython)
#   build/ src/            the configured build tree, kept so python.wasm can be relinked later
#   builtin-modules.txt    sys.builtin_module_names of the result (one per line)
#   link-flags.txt         the LDFLAGS_NODIST given to make
# python.wasm exports the global weft_interrupt_word: the address of the i32 the host sets to
# raise KeyboardInterrupt (support/weft_interrupt.c, patches/wasi-interrupt-word.patch).
# Usage: cpython.sh  -> prints the stage directory.
source "$(dirname "$0")/lib.sh"

SYSROOT=$(bash "$GUEST_DIR/sysroot.sh")
DEPS=$(bash "$GUEST_DIR/deps.sh")
NATIVE=$(bash "$GUEST_DIR/native-python.sh")
source "$GUEST_DIR/cpython-configure.sh"
PYSRC=Python-3.13.5.tar.xz
MAX_MEMORY=2147483648   # 2 GiB = 32768 pages

# guest/patches/*.patch: applied to the CPython source tree with patch -p1, in name order.
shopt -s nullglob; PATCHES=("$GUEST_DIR"/patches/*.patch); shopt -u nullglob

key=$(STAGE_EXTRA="$(basename "$SYSROOT") $(basename "$DEPS") $(basename "$NATIVE"); $(source_sha $PYSRC); $(clang-19 --version | head -1); $MAX_MEMORY" \
      stage_key cpython "$GUEST_DIR/cpython.sh" "$GUEST_DIR/cpython-configure.sh" "$GUEST_DIR/support/weft_init.c" \
        "$GUEST_DIR/support/weft_interrupt.c" "$GUEST_DIR/support/weft_bridge.c" "${PATCHES[@]}")
out="$WEFT_CACHE/cpython-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out/src" "$out/build" "$out/logs"
  run() { # logname cmd...
    local logf="$out/logs/$1.log"; shift
    "$@" >>"$logf" 2>&1 || { tail -60 "$logf" | cut -c1-300 >&2; die "step failed: $* (log $logf)"; }
  }
  tar -C "$out/src" -xf "$(fetch_source $PYSRC)"
  src="$out/src/Python-3.13.5"
  for p in "${PATCHES[@]}"; do
    log "cpython: applying patches/$(basename "$p")"
    run patches patch -d "$src" -p1 --forward --no-backup-if-mismatch -i "$p"
  done
  cd "$out/build"

  log "cpython: configure"
  t0=$SECONDS
  run configure cpython_configure "$src" --disable-test-modules
  log "cpython: configure took $((SECONDS - t0)) s"
  # Every C dependency must have been found (a missing one silently drops its module).
  grep -E '^MODULE_(ZLIB|_BZ2|_LZMA|_SQLITE3|_DECIMAL|PYEXPAT)_STATE=' Makefile >"$out/logs/module-state.txt" || true
  if grep -vq '=yes$' "$out/logs/module-state.txt" || [ "$(wc -l <"$out/logs/module-state.txt")" -ne 6 ]; then
    cat "$out/logs/module-state.txt" >&2; die "cpython: a required module is not enabled"
  fi

  # Object linked into python.wasm: chdir($PWD) before main (wasi-libc's cwd starts at "/").
  $WASI_CC -pthread -O2 -c "$GUEST_DIR/support/weft_init.c" -o "$out/build/weft_init.o"
  # The interrupt word, its consumer (called by the patched eval loop and PyErr_CheckSignals) and
  # an EINTR-preserving clock_nanosleep (replaces wasi-libc's): uses CPython internals, so compile
  # it exactly like a core object (the Makefile's CC and PY_CORE_CFLAGS, from this build dir).
  core_cc=$(printf 'weft-core-cc:\n\t@echo $(CC) $(PY_CORE_CFLAGS)\n' | make -s -f Makefile -f - weft-core-cc)
  run weft_interrupt $core_cc -c "$GUEST_DIR/support/weft_interrupt.c" -o "$out/build/weft_interrupt.o"
  # The built-in module _weft (registered by a constructor) and the exports driving a session.
  run weft_bridge $core_cc -c "$GUEST_DIR/support/weft_bridge.c" -o "$out/build/weft_bridge.o"
  # Upstream passes --max-memory=10485760 (< its own 20 MiB initial memory): override it, last
  # flag wins. Keep everything configure put into LDFLAGS_NODIST.
  base_ld=$(sed -n 's/^LDFLAGS_NODIST=[[:space:]]*//p' Makefile)
  LD_NODIST="$base_ld -Wl,--max-memory=$MAX_MEMORY -Wl,--export=malloc,--export=free"
  LD_NODIST+=" -Wl,--export=weft_interrupt_word,--export=weft_main_wait"
  # Interruptible lock waits on the main thread (support/weft_interrupt.c).
  LD_NODIST+=" -Wl,--wrap=pthread_cond_wait,--wrap=pthread_cond_timedwait,--wrap=__timedwait_cp"
  # A reactor: the host keeps the interpreter alive between calls (no _start that exits).
  LD_NODIST+=" -mexec-model=reactor"
  LD_NODIST+=" $out/build/weft_init.o $out/build/weft_interrupt.o $out/build/weft_bridge.o"
  echo "$LD_NODIST" >"$out/link-flags.txt"

  log "cpython: make -j$JOBS"
  t0=$SECONDS
  # SOURCE_DATE_EPOCH pins __DATE__/__TIME__ (sys.version's build date) to the 3.13.5 release
  # day, so identical inputs give an identical python.wasm.
  run make env SOURCE_DATE_EPOCH=1749600000 make -j"$JOBS" LDFLAGS_NODIST="$LD_NODIST"
  log "cpython: make took $((SECONDS - t0)) s"
  [ -f python.wasm ] || die "cpython: python.wasm not built"
  # weft_init.o must really be in: its constructor calls chdir.
  llvm-nm-19 python.wasm >"$out/logs/nm.txt"
  grep -q ' weft_init_cwd$' "$out/logs/nm.txt" || die "cpython: weft_init.o was not linked"
  # weft_interrupt_consume survives --gc-sections only if the patched interpreter calls it; the
  # word (a data symbol, so not in nm's list) must be exported as a global holding its address.
  grep -q ' weft_interrupt_consume$' "$out/logs/nm.txt" \
    || die "cpython: weft_interrupt_consume not linked (weft_interrupt.o or the patch missing)"
  wasm-objdump -j Export -x python.wasm | grep -q -- '^ - global\[[0-9]*\] -> "weft_interrupt_word"$' \
    || die "cpython: weft_interrupt_word is not exported"
  wasm-objdump -j Export -x python.wasm | grep -q -- '^ - global\[[0-9]*\] -> "weft_main_wait"$' \
    || die "cpython: weft_main_wait is not exported"
  grep -q ' __wrap___timedwait_cp$' "$out/logs/nm.txt" || die "cpython: the lock wait wrappers were not linked"
  for e in _initialize weft_main weft_session_start weft_py_call weft_py_op weft_py_decref; do
    wasm-objdump -j Export -x python.wasm | grep -q -- "-> \"$e\"$" || die "cpython: $e is not exported"
  done

  log "cpython: make install"
  t0=$SECONDS
  run install make install DESTDIR="$out/install" LDFLAGS_NODIST="$LD_NODIST"
  log "cpython: install took $((SECONDS - t0)) s"
  cp python.wasm "$out/python.wasm"

  # Built-in modules, as the interpreter itself reports them (node:wasi, no threads needed).
  node "$GUEST_DIR/smoke-test.mjs" "$out/python.wasm" "$out/install/usr/local/lib/python3.13" -- \
    -c 'import sys; print("\n".join(sorted(sys.builtin_module_names)))' \
    >"$out/builtin-modules.txt" 2>"$out/logs/builtins.log" || { cat "$out/logs/builtins.log" >&2; die "cpython: python.wasm does not start"; }
  log "cpython: $(wc -l <"$out/builtin-modules.txt") built-in modules"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
