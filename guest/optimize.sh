#!/usr/bin/env bash
# Stage: the shipped python.wasm: debug info stripped (llvm-objcopy --strip-debug; NOT wasm-strip,
# which drops target_features so binaryen then rejects atomics), then wasm-opt -O2. Verifies the
# memory/thread contract the Weft runtime relies on and records it in python.wasm.json.
# Usage: optimize.sh [numpy]  -> prints the stage directory (python.wasm, python.wasm.json).
#   numpy: the same for the numpy stage's python-numpy.wasm (output still named python.wasm).
source "$(dirname "$0")/lib.sh"

case ${1:-} in
  "") SRC=$(bash "$GUEST_DIR/cpython.sh"); INPUT=$SRC/python.wasm; NAME=optimize ;;
  numpy) SRC=$(bash "$GUEST_DIR/numpy.sh"); INPUT=$SRC/python-numpy.wasm; NAME=optimize-numpy ;;
  *) die "optimize.sh: unknown variant $1" ;;
esac
MAX_PAGES=32768
FEATURES=(--enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext
          --enable-nontrapping-float-to-int)

key=$(STAGE_EXTRA="$(basename "$SRC"); $(wasm-opt --version); $(llvm-objcopy-19 --version | head -2 | tr '\n' ' ')" \
      stage_key "$NAME" "$GUEST_DIR/optimize.sh")
out="$WEFT_CACHE/$NAME-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out"
  log "optimize: strip debug info + wasm-opt -O2"
  t0=$SECONDS
  llvm-objcopy-19 --strip-debug "$INPUT" "$out/stripped.wasm"
  wasm-opt -O2 "${FEATURES[@]}" "$out/stripped.wasm" -o "$out/python.wasm" 2>"$out/wasm-opt.log" \
    || { tail -20 "$out/wasm-opt.log" >&2; die "wasm-opt failed"; }
  rm "$out/stripped.wasm"

  # Verify the contract: memory imported (env.memory) and exported, shared, max 2 GiB; threads.
  wasm-objdump -x "$out/python.wasm" >"$out/objdump.txt"
  mem=$(grep -E '^ - memory\[0\] pages: .*<- env\.memory' "$out/objdump.txt" || true)
  [ -n "$mem" ] || die "optimize: memory is not imported as env.memory"
  [[ $mem == *" shared "* ]] || die "optimize: memory is not shared: $mem"
  [[ $mem == *"max=$MAX_PAGES "* ]] || die "optimize: memory max is not $MAX_PAGES pages: $mem"
  initial=$(sed -E 's/.*initial=([0-9]+).*/\1/' <<<"$mem")
  grep -qE '^ - memory\[0\] -> "memory"' "$out/objdump.txt" || die "optimize: memory not exported"
  grep -q '<- wasi\.thread-spawn' "$out/objdump.txt" || die "optimize: wasi.thread-spawn not imported"
  grep -qE -- '-> "wasi_thread_start"' "$out/objdump.txt" || die "optimize: wasi_thread_start not exported"
  for e in malloc free _initialize weft_main weft_session_start weft_py_call weft_py_op; do
    grep -qE -- "-> \"$e\"" "$out/objdump.txt" || die "optimize: $e not exported"
  done
  # Host -> guest KeyboardInterrupt: an immutable i32 global holding the word's address.
  gi=$(sed -nE 's/^ - global\[([0-9]+)\] -> "weft_interrupt_word"$/\1/p' "$out/objdump.txt")
  [ -n "$gi" ] || die "optimize: weft_interrupt_word not exported"
  grep -qE "^ - global\[$gi\] i32 mutable=0 " "$out/objdump.txt" \
    || die "optimize: export weft_interrupt_word is not an immutable i32 global"
  # python-numpy.wasm imports its BLAS tile from a kernel module it carries in custom sections
  # (guest/numpy.sh), which wasm-opt must have kept.
  if grep -q '<- weft_blas_v1\.' "$out/objdump.txt"; then
    for v in relaxed simd128; do
      grep -qx " - name: \"weft_blas_v1.$v\"" "$out/objdump.txt" || die "optimize: custom section weft_blas_v1.$v lost"
    done
  fi
  grep -E '^ - (func|memory|global|table|tag)\[[0-9]+\].*(<- [A-Za-z_]|-> ")|^ - start function' \
    "$out/objdump.txt" >"$out/imports-exports.txt"; rm "$out/objdump.txt"
  cat >"$out/python.wasm.json" <<EOF
{
  "memory": { "module": "env", "name": "memory", "initial_pages": $initial, "maximum_pages": $MAX_PAGES, "shared": true },
  "threads": { "import": "wasi.thread-spawn", "export": "wasi_thread_start" },
  "interrupt": { "export": "weft_interrupt_word" },
  "python": "3.13.5",
  "prefix": "/usr/local",
  "stdlib": "/usr/local/lib/python3.13",
  "sha256": "$(sha256sum "$out/python.wasm" | cut -d' ' -f1)"
}
EOF
  log "optimize: $(basename "$INPUT") $(stat -c %s "$INPUT") -> $(stat -c %s "$out/python.wasm") bytes, memory initial $initial pages, $((SECONDS - t0)) s"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
