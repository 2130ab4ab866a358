#!/usr/bin/env bash
# Stage: static C dependencies of CPython for wasm32-wasip1-threads: zlib, bzip2, xz (liblzma),
# sqlite3. Built with the sysroot's compiler and -O2 -pthread; installed into one prefix with
# include/, lib/*.a and lib/pkgconfig/*.pc (point PKG_CONFIG_LIBDIR at it).
# Usage: deps.sh  -> prints the prefix.
source "$(dirname "$0")/lib.sh"

SYSROOT=$(bash "$GUEST_DIR/sysroot.sh")
ZLIB=zlib-1.3.1-dfsg.tar.gz BZIP2=bzip2-1.0.8.tar.gz XZ=xz-5.8.1.tar.xz SQLITE=sqlite3-3.46.1.tar.xz

key=$(STAGE_EXTRA="$(basename "$SYSROOT"); $(clang-19 --version | head -1); $(for s in $ZLIB $BZIP2 $XZ $SQLITE; do source_sha $s; done)" \
      stage_key deps "$GUEST_DIR/deps.sh")
out="$WEFT_CACHE/deps-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out/include" "$out/lib/pkgconfig"
  work=$(mktemp -d "$WEFT_CACHE/tmp.deps.XXXX")
  export CC="clang-19 --target=wasm32-wasi-threads --sysroot=$SYSROOT"
  export AR=llvm-ar-19 RANLIB=llvm-ranlib-19 NM=llvm-nm-19
  export CFLAGS="-O2 -pthread"
  HOST=wasm32-unknown-wasi
  run() { # logname cmd... : run quietly, show the log tail on failure
    local logf="$work/$1.log"; shift
    "$@" >>"$logf" 2>&1 || { tail -40 "$logf" | cut -c1-300 >&2; die "step failed: $* (log $logf)"; }
  }

  # write_pc NAME DESCRIPTION VERSION LIB: a pkg-config file so CPython's configure finds a
  # library whose own build installs none.
  write_pc() {
    printf '%s\n' "prefix=$out" 'libdir=${prefix}/lib' 'includedir=${prefix}/include' "Name: $1" \
      "Description: $2" "Version: $3" "Libs: -L\${libdir} -l$4" 'Cflags: -I${includedir}' \
      >"$out/lib/pkgconfig/$1.pc"
  }

  # --- zlib ---------------------------------------------------------------------------------
  log "deps: zlib"
  tar -C "$work" -xf "$(fetch_source $ZLIB)"
  ( cd "$work"/zlib-1.3.1
    CHOST=$HOST run zlib ./configure --static --prefix="$out"
    run zlib make -j"$JOBS" libz.a
    run zlib make install )

  # --- bzip2 (no build system worth using for a cross build: compile the library files) ----
  log "deps: bzip2"
  tar -C "$work" -xf "$(fetch_source $BZIP2)"
  ( cd "$work"/bzip2-1.0.8
    for f in blocksort huffman crctable randtable compress decompress bzlib; do
      run bzip2 $CC $CFLAGS -D_FILE_OFFSET_BITS=64 -c $f.c -o $f.o
    done
    run bzip2 $AR crs "$out/lib/libbz2.a" blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o
    cp bzlib.h "$out/include/" )
  write_pc bzip2 "bzip2 compression library" 1.0.8 bz2

  # --- xz / liblzma (single-threaded coder: its posix threads need pthread_sigmask) ---------
  log "deps: xz"
  tar -C "$work" -xf "$(fetch_source $XZ)"
  ( cd "$work"/xz-5.8.1
    run xz ./configure --host=$HOST --prefix="$out" --disable-shared --enable-static \
      --enable-threads=no --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
      --disable-lzma-links --disable-scripts --disable-doc --disable-nls --disable-sandbox \
      --disable-microlzma --disable-lzip-decoder --disable-ifunc --disable-clmul-crc --disable-arm64-crc32
    run xz make -j"$JOBS" -C src/liblzma
    run xz make -C src/liblzma install )

  # --- sqlite3: generate the amalgamation natively (tclsh), then cross-compile it ---------------
  log "deps: sqlite3"
  tar -C "$work" -xf "$(fetch_source $SQLITE)"
  ( cd "$work"/sqlite3-3.46.1
    mkdir native && cd native
    CC=cc CFLAGS=-O1 AR=ar RANLIB=ranlib NM=nm run sqlite-native ../configure --disable-tcl
    CC=cc CFLAGS=-O1 AR=ar RANLIB=ranlib NM=nm run sqlite-native make sqlite3.c sqlite3.h
    # SQLITE_WASI: no mmap/fchown, "unix-dotfile" locking VFS; no WAL (needs shared-memory mmap).
    run sqlite $CC $CFLAGS -DSQLITE_WASI -DSQLITE_OMIT_WAL -DSQLITE_OMIT_LOAD_EXTENSION \
      -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_RTREE \
      -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_DEFAULT_FOREIGN_KEYS=0 -DSQLITE_USE_URI=1 \
      -c sqlite3.c -o sqlite3.o
    run sqlite $AR crs "$out/lib/libsqlite3.a" sqlite3.o
    cp sqlite3.h sqlite3ext.h "$out/include/" 2>/dev/null || cp sqlite3.h "$out/include/" )
  write_pc sqlite3 "SQL database engine" 3.46.1 sqlite3

  for pc in zlib bzip2 liblzma sqlite3; do
    PKG_CONFIG_LIBDIR="$out/lib/pkgconfig" pkg-config --exists $pc || die "deps: $pc.pc missing"
  done
  touch "$out/.complete"; rm -f "$out.lock"
  rm -rf "$work"
fi
echo "$out"
