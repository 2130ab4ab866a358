#!/usr/bin/env bash
# Stage: the wasm32-wasip1-threads C sysroot (no package ships a complete one; see TOOLCHAIN.md).
#   lib/wasm32-wasi-threads/   libc.a + crt1-*.o from Rust 1.95.0's self-contained copy (real
#                              wasi-threads pthreads), crt1.o (= crt1-command.o, what clang links),
#                              empty libm/libpthread/... archives, libwasi-emulated-*.a built here
#                              from the 2022 wasi-libc source, pkgconfig/ (filled by deps.sh users)
#   include/wasm32-wasi-threads/  headers from the Debian wasi-libc .deb (usr/include/wasm32-wasi)
#   lib|include/wasm32-wasip1-threads -> the same (CPython 3.13 hard-codes the old triple)
#   clang-resource/            a clang -resource-dir whose compiler-rt builtins are found under
#                              both triples (Debian only ships them where --target=wasm32-wasi-threads
#                              looks); pass -resource-dir=<sysroot>/clang-resource with wasip1-threads.
# Usage: sysroot.sh  -> prints the sysroot path.
source "$(dirname "$0")/lib.sh"

RUST_TC=1.95.0
rust_sysroot=$(rustc +$RUST_TC --print sysroot) || die "rust toolchain $RUST_TC missing (rustup toolchain install $RUST_TC)"
selfc="$rust_sysroot/lib/rustlib/wasm32-wasip1-threads/lib/self-contained"
[ -f "$selfc/libc.a" ] || die "missing $selfc/libc.a: rustup target add wasm32-wasip1-threads --toolchain $RUST_TC"
builtins=/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a
[ -f "$builtins" ] || die "missing $builtins (apt install libclang-rt-19-dev-wasm32)"

DEB=wasi-libc_0.0~git20260423.161b319-2_all.deb
SRC2022=wasi-libc_0.0~git20220510.9886d3d.orig.tar.xz

key=$(STAGE_EXTRA="$(rustc +$RUST_TC --version); $(clang-19 --version | head -1); $(source_sha $DEB); $(source_sha $SRC2022)" \
      stage_key sysroot "$GUEST_DIR/sysroot.sh" "$selfc/libc.a" "$selfc/crt1-command.o" "$selfc/crt1-reactor.o" "$builtins")
out="$WEFT_CACHE/sysroot-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  deb=$(fetch_source "$DEB"); src=$(fetch_source "$SRC2022")
  rm -rf "$out"; mkdir -p "$WEFT_CACHE"
  work=$(mktemp -d "$WEFT_CACHE/tmp.sysroot.XXXX")
  log "assembling sysroot in $out"
  T=wasm32-wasi-threads
  lib="$out/lib/$T" inc="$out/include/$T"
  mkdir -p "$lib/pkgconfig" "$out/include"

  # headers
  dpkg -x "$deb" "$work/deb"
  cp -a "$work/deb/usr/include/wasm32-wasi" "$inc"

  # libc + startup files (Rust's threaded build of wasi-libc)
  cp "$selfc/libc.a" "$selfc/crt1-command.o" "$selfc/crt1-reactor.o" "$lib/"
  cp "$selfc/crt1-command.o" "$lib/crt1.o"
  for l in m pthread dl rt util xnet resolv crypt; do llvm-ar-19 crs "$lib/lib$l.a"; done

  # libwasi-emulated-*: small functions CPython links, absent from Rust's copy.
  tar -C "$work" -xf "$src"
  w=$(echo "$work"/wasi-libc-*)
  bh="$w/libc-bottom-half" musl="$w/libc-top-half/musl"
  CC=(clang-19 --target=$T --sysroot="$out" -O2 -matomics -mbulk-memory -mmutable-globals -msign-ext)
  build_lib() { # name objdir sources... (flags in EXTRA)
    local name=$1 dir="$work/obj/$1"; shift
    mkdir -p "$dir"
    for f in "$@"; do
      "${CC[@]}" "${EXTRA[@]}" -c "$f" -o "$dir/$(basename "${f%.c}").o" >>"$work/emulated.log" 2>&1 \
        || { tail -30 "$work/emulated.log"; die "compiling $f failed"; }
    done
    llvm-ar-19 crs "$lib/libwasi-emulated-$name.a" "$dir"/*.o
  }
  EXTRA=(-pthread); build_lib mman "$bh"/mman/*.c
  EXTRA=(-pthread); build_lib getpid "$bh"/getpid/*.c
  EXTRA=(-pthread -I"$bh/cloudlibc/src"); build_lib process-clocks "$bh"/clocks/*.c
  EXTRA=(-pthread); build_lib signal "$bh"/signal/*.c
  # musl's psignal.c/strsignal.c join libwasi-emulated-signal. The 2022 musl internals do not
  # compile with -pthread (_REENTRANT); atomics + bulk-memory without it is enough for the link.
  EXTRA=(-D_WASI_EMULATED_SIGNAL -I"$musl/src/include" -I"$musl/src/internal" -I"$musl/arch/wasm32"
         -I"$musl/arch/generic" -I"$w/libc-top-half/headers/private" -Wno-parentheses -Wno-dangling-else
         -Wno-string-plus-int -Wno-unknown-pragmas)
  mkdir -p "$work/obj/signal-musl"
  for f in "$musl/src/signal/psignal.c" "$musl/src/string/strsignal.c"; do
    "${CC[@]}" "${EXTRA[@]}" -c "$f" -o "$work/obj/signal-musl/$(basename "${f%.c}").o" >>"$work/emulated.log" 2>&1 \
      || { tail -30 "$work/emulated.log"; die "compiling $f failed"; }
  done
  llvm-ar-19 crs "$lib/libwasi-emulated-signal.a" "$work"/obj/signal-musl/*.o

  # clang resource dir that finds compiler-rt for both triples
  rd="$out/clang-resource"
  mkdir -p "$rd/lib/wasi" "$rd/lib/wasm32-unknown-wasip1-threads" "$rd/lib/wasm32-unknown-wasi-threads"
  ln -s /usr/lib/llvm-19/lib/clang/19/include "$rd/include"
  cp "$builtins" "$rd/lib/wasi/libclang_rt.builtins-wasm32.a"
  cp "$builtins" "$rd/lib/wasm32-unknown-wasip1-threads/libclang_rt.builtins.a"
  cp "$builtins" "$rd/lib/wasm32-unknown-wasi-threads/libclang_rt.builtins.a"

  # second triple spelling
  ln -s "$T" "$out/lib/wasm32-wasip1-threads"
  ln -s "$T" "$out/include/wasm32-wasip1-threads"

  # self-check: a threaded hello world must link with shared imported memory
  printf '#include <pthread.h>\n#include <stdio.h>\n#include <signal.h>\n#include <unistd.h>\n#include <time.h>\nstatic void *f(void *a){return a;}\nint main(void){pthread_t t; pthread_create(&t,0,f,0); pthread_join(t,0); signal(SIGINT,SIG_IGN); printf("%%d %%ld\\n",(int)getpid(),(long)clock()); return 0;}\n' >"$work/hello.c"
  for t in wasm32-wasi-threads wasm32-wasip1-threads; do
    clang-19 --target=$t --sysroot="$out" -resource-dir="$rd" -pthread -O2 \
      -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_PROCESS_CLOCKS \
      "$work/hello.c" -o "$work/hello-$t.wasm" \
      -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks \
      -Wl,--import-memory,--export-memory,--shared-memory,--max-memory=67108864 >>"$work/hello.log" 2>&1 \
      || { cat "$work/hello.log"; die "self-check link failed for $t"; }
  done
  touch "$out/.complete"; rm -f "$out.lock"
  rm -rf "$work"
fi
echo "$out"
