#!/usr/bin/env bash
# Stage: numpy 2.3.5 cross-built for wasm32-wasip1-threads, and python-numpy.wasm: the cpython
# stage's interpreter relinked with numpy's extension modules in its inittab.
#   - numpy's own vendored meson, run by the native build python, with a cross file (wasi/wasm32,
#     IEEE quad long double, no SIMD dispatch); Cython from the pinned wheel.
#   - BLAS: guest/blas (Rust staticlib over the `gemm` crate's SIMD128 kernels, built with the
#     pinned stable Rust), found by meson as the pkg-config package `weftblas`; LAPACK stays
#     numpy's bundled lapack_lite, whose ?gemm_/?trsm_ calls the link redirects to it (--wrap).
#   - guest/numpy-patches/*.patch applied first (patch -p1).
#   - support/numpy/cc.sh is the compiler: "shared module" links become static archives, so
#     meson, ninja and `meson install` run unchanged.
#   - python-numpy.wasm: CPython's own link line (from the cached build tree) plus a config.c
#     whose inittab also lists numpy's modules under their dotted names (CPython 3.13's built-in
#     importer accepts those), the module archives, libc++/libc++abi and support/numpy/weft_numpy.c.
#     The cpython stage's python.wasm is not touched.
# Output ($WEFT_CACHE/numpy-<key>/):
#   python-numpy.wasm      as linked (with DWARF); optimize.sh numpy strips and optimizes it
#   python-numpy-lib.zip   numpy's Python files as legacy .pyc (no tests, stubs, headers or
#                          static libraries), names relative to /usr/local/lib/python3.13
#   modules.txt            "dotted.name PyInit_symbol archive" for each linked module
#   entries.txt, logs/
# Usage: numpy.sh  -> prints the stage directory.
source "$(dirname "$0")/lib.sh"

SYSROOT=$(bash "$GUEST_DIR/sysroot.sh")
CPY=$(bash "$GUEST_DIR/cpython.sh")
NATIVE=$(bash "$GUEST_DIR/native-python.sh")
NPSRC=numpy-2.3.5.tar.gz
CYTHON=cython-3.1.6-py3-none-any.whl
LIBCXX=/usr/lib/wasm32-wasi
[ -f $LIBCXX/libc++.a ] && [ -f $LIBCXX/libc++abi.a ] \
  || die "missing $LIBCXX/libc++.a or libc++abi.a (apt install libc++-19-dev-wasm32 libc++abi-19-dev-wasm32)"
command -v ninja >/dev/null || die "ninja not found (apt install ninja-build)"

shopt -s nullglob; PATCHES=("$GUEST_DIR"/numpy-patches/*.patch); shopt -u nullglob
BLAS_SRC=("$GUEST_DIR/blas/Cargo.toml" "$GUEST_DIR/blas/Cargo.lock" "$GUEST_DIR"/blas/src/*.rs
          "$GUEST_DIR/blas/kernel/Cargo.toml" "$GUEST_DIR/blas/kernel/Cargo.lock" "$GUEST_DIR"/blas/kernel/src/*.rs)
RUST=1.95.0
rustc +$RUST --print target-list >/dev/null 2>&1 || die "Rust $RUST not installed (see guest/README.md)"

key=$(STAGE_EXTRA="$(basename "$SYSROOT") $(basename "$CPY") $(basename "$NATIVE"); $(source_sha $NPSRC) $(source_sha $CYTHON); $(clang-19 --version | head -1); $(ninja --version); $(sha256sum $LIBCXX/libc++.a $LIBCXX/libc++abi.a | cut -c1-64 | tr '\n' ' '); $(rustc +$RUST --version)" \
      stage_key numpy "$GUEST_DIR/numpy.sh" "$GUEST_DIR"/support/numpy/* "$GUEST_DIR/support/make_package_bundle.py" "${PATCHES[@]}" "${BLAS_SRC[@]}")
out="$WEFT_CACHE/numpy-$key"
# One builder per stage key: a concurrent caller waits here, then finds the stamp.
if [ ! -f "$out/.complete" ]; then mkdir -p "$WEFT_CACHE"; exec 9>"$out.lock"; flock 9; fi
if [ ! -f "$out/.complete" ]; then
  rm -rf "$out"; mkdir -p "$out/logs"
  work=$(mktemp -d "$WEFT_CACHE/tmp.numpy.XXXX")
  run() { # logname cmd...
    local logf="$out/logs/$1.log"; shift
    "$@" >>"$logf" 2>&1 || { tail -60 "$logf" | cut -c1-400 >&2; die "step failed: $* (log $logf)"; }
  }
  tar -C "$work" -xzf "$(fetch_source $NPSRC)"
  src="$work/numpy-2.3.5"
  for p in "${PATCHES[@]}"; do
    log "numpy: applying numpy-patches/$(basename "$p")"
    run patches patch -d "$src" -p1 --forward --no-backup-if-mismatch -i "$p"
  done

  # The BLAS (guest/blas): a static library for the wasm target, SIMD128 on (Node and every
  # current browser have it), and a pkg-config file naming it by path (cc.sh passes a module's
  # .a files on to the final link). --locked: the committed Cargo.lock pins every crate.
  log "numpy: cargo build guest/blas"
  run blas env RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="$work/blas-target" \
    cargo +$RUST build --manifest-path "$GUEST_DIR/blas/Cargo.toml" --release --locked --target wasm32-wasip1-threads
  blaslib="$work/blas-target/wasm32-wasip1-threads/release/libweft_blas.a"
  [ -f "$blaslib" ] || die "numpy: guest/blas built no $blaslib"
  # The kernel module (guest/blas/kernel): dgemm's tile with relaxed SIMD and with SIMD128 only.
  # The runtime instantiates it once per thread over python-numpy.wasm's memory, so it must
  # import that memory and nothing else, and keep no state: no data, no start function and no
  # global access (-zstack-size=0: its stack pointer is never used).
  kernels=()
  for v in relaxed simd128; do
    feats=+simd128; [ $v = relaxed ] && feats=+simd128,+relaxed-simd
    log "numpy: cargo build guest/blas/kernel ($v)"
    run blas env RUSTFLAGS="-C target-feature=$feats -C link-arg=--initial-memory=65536 -C link-arg=--max-memory=4294967296 -C link-arg=-zstack-size=0" \
      CARGO_TARGET_DIR="$work/kernel-$v" \
      cargo +$RUST build --manifest-path "$GUEST_DIR/blas/kernel/Cargo.toml" --release --locked --target wasm32-wasip1-threads
    k="$work/kernel-$v.wasm"
    cp "$work/kernel-$v/wasm32-wasip1-threads/release/weft_blas_kernel.wasm" "$k"
    wasm-objdump -x "$k" >"$work/kernel-$v.txt"
    wasm-objdump -d "$k" >"$work/kernel-$v.dis"
    [ "$(grep -c ' <- ' "$work/kernel-$v.txt")" = 1 ] && grep -qE '^ - memory\[0\] .* shared <- env\.memory$' "$work/kernel-$v.txt" \
      || die "numpy: kernel $v must import only env.memory (shared): $(grep ' <- ' "$work/kernel-$v.txt")"
    grep -qE -- '-> "dgemm_tile"$' "$work/kernel-$v.txt" || die "numpy: kernel $v does not export dgemm_tile"
    ! grep -qE '^(Data|Start)' "$work/kernel-$v.txt" || die "numpy: kernel $v has data or a start function"
    ! grep -q 'global\.' "$work/kernel-$v.dis" || die "numpy: kernel $v reads or writes a global"
    relaxed=$(grep -c 'relaxed_' "$work/kernel-$v.dis" || true)
    { [ $v = relaxed ] && [ "$relaxed" -gt 0 ]; } || { [ $v = simd128 ] && [ "$relaxed" = 0 ]; } \
      || die "numpy: kernel $v has $relaxed relaxed-SIMD instructions"
    kernels+=("--add-section=weft_blas_v1.$v=$k")
  done
  mkdir -p "$work/pkgconfig"
  printf 'Name: weftblas\nDescription: guest/blas (CBLAS over the gemm crate)\nVersion: 0.1.0\nLibs: %s\nCflags:\n' \
    "$blaslib" >"$work/pkgconfig/weftblas.pc"

  # Tools meson runs: Cython (pure-Python wheel) and "python", the native build python made to
  # describe the wasm interpreter (its _sysconfigdata: EXT_SUFFIX, sizes, flags).
  mkdir -p "$work/cython" "$work/bin" "$work/sysconfig"
  "$NATIVE/bin/python3.13" -I -m zipfile -e "$(fetch_source $CYTHON)" "$work/cython"
  sysconfigdata=$(cd "$CPY/install/usr/local/lib/python3.13" && echo _sysconfigdata_*.py)
  cp "$CPY/install/usr/local/lib/python3.13/$sysconfigdata" "$work/sysconfig/"
  cat >"$work/bin/cython" <<EOF
#!/bin/sh
PYTHONPATH="$work/cython" exec "$NATIVE/bin/python3.13" -c 'import sys; from Cython.Compiler.Main import setuptools_main; sys.exit(setuptools_main())' "\$@"
EOF
  cat >"$work/bin/python" <<EOF
#!/bin/sh
_PYTHON_SYSCONFIGDATA_NAME=${sysconfigdata%.py} PYTHONPATH="$work/sysconfig" exec "$NATIVE/bin/python3.13" "\$@"
EOF
  printf '#!/bin/sh\nexec bash %q "$@"\n' "$GUEST_DIR/support/numpy/cc.sh" >"$work/bin/cc-wrapper"
  chmod +x "$work/bin/"*
  export WEFT_NP_SYSROOT="$SYSROOT"
  export WEFT_NP_NATIVE_INC="$NATIVE/include/python3.13"
  export WEFT_NP_WASM_INC="$CPY/install/usr/local/include/python3.13"
  export WEFT_NP_TARGET_INC=/usr/local/include/python3.13
  cat >"$work/cross.ini" <<EOF
[binaries]
c = ['$work/bin/cc-wrapper', 'c']
cpp = ['$work/bin/cc-wrapper', 'c++']
ar = 'llvm-ar-19'
strip = 'llvm-strip-19'
python = '$work/bin/python'
pkg-config = 'pkg-config'

[host_machine]
system = 'wasi'
cpu_family = 'wasm32'
cpu = 'wasm32'
endian = 'little'

[properties]
needs_exe_wrapper = true
longdouble_format = 'IEEE_QUAD_LE'
pkg_config_libdir = '$work/pkgconfig'
EOF

  # Cython runs on the build machine: meson takes it from the native file.
  printf "[binaries]\ncython = '%s'\n" "$work/bin/cython" >"$work/native.ini"

  log "numpy: meson setup"
  t0=$SECONDS
  run setup "$NATIVE/bin/python3.13" "$src/vendored-meson/meson/meson.py" setup "$work/build" "$src" \
    --cross-file "$work/cross.ini" --native-file "$work/native.ini" --prefix=/usr/local --buildtype=release -Db_ndebug=if-release \
    -Dallow-noblas=true -Dblas=weftblas -Dlapack=none -Dcpu-baseline=none -Dcpu-dispatch=none
  grep -q 'HAVE_CBLAS' "$work/build/build.ninja" || die "numpy: meson did not take guest/blas as its BLAS"
  log "numpy: meson setup took $((SECONDS - t0)) s"
  log "numpy: ninja -j$JOBS"
  t0=$SECONDS
  run ninja ninja -C "$work/build" -j"$JOBS"
  log "numpy: ninja took $((SECONDS - t0)) s"
  run install "$NATIVE/bin/python3.13" "$src/vendored-meson/meson/meson.py" install -C "$work/build" \
    --destdir "$work/install" --no-rebuild
  site="$work/install/usr/local/lib/python3.13/site-packages"
  [ -f "$site/numpy/__init__.py" ] || die "numpy: meson install put no numpy/__init__.py in $site"

  # The extension modules: dotted name, init symbol, archive (meson installed each archive under
  # the module's file name; its .libs list stays in the build tree).
  : >"$out/modules.txt"
  while IFS= read -r so; do
    rel=${so#"$site"/}; mod=${rel%%.cpython-*}; base=${mod##*/}
    echo "${mod//\//.} PyInit_$base $so" >>"$out/modules.txt"
  done < <(find "$site/numpy" -name '*.cpython-313-wasm32-wasi.so' | LC_ALL=C sort)
  n=$(wc -l <"$out/modules.txt")
  [ "$n" -ge 18 ] || { cat "$out/modules.txt" >&2; die "numpy: expected at least 18 extension modules, found $n"; }

  # config.c with numpy's modules appended to CPython's inittab, each init function called
  # through a wrapper that gives a single-phase module its dotted name (weft_numpy.c).
  cfg="$work/config-numpy.c"
  awk -v mods="$out/modules.txt" '
    BEGIN { while ((getline l < mods) > 0) { split(l, f, " "); name[++n] = f[1]; init[n] = f[2]
                                               w = f[1]; gsub(/\./, "_", w); wrap[n] = "weft_PyInit_" w } }
    /-- ADDMODULE MARKER 1 --/ {
      print "extern PyObject *weft_numpy_init_in_package(const char *, PyObject *(*)(void));"
      for (i = 1; i <= n; i++) {
        print "extern PyObject* " init[i] "(void);"
        printf "static PyObject *%s(void) { return weft_numpy_init_in_package(\"%s\", %s); }\n", wrap[i], name[i], init[i]
      }
    }
    /-- ADDMODULE MARKER 2 --/ { for (i = 1; i <= n; i++) printf "    {\"%s\", %s},\n", name[i], wrap[i] }
    { print }' "$CPY/build/Modules/config.c" >"$cfg"
  grep -q '{"numpy._core._multiarray_umath", weft_PyInit_numpy__core__multiarray_umath}' "$cfg" \
    || die "numpy: config.c markers not found"
  cd "$CPY/build"
  core_cc=$(printf 'weft-core-cc:\n\t@echo $(CC) $(PY_CORE_CFLAGS)\n' | make -s -f Makefile -f - weft-core-cc)
  run link $core_cc -c "$cfg" -o "$work/config-numpy.o"
  run link clang-19 --target=wasm32-wasi-threads --sysroot="$SYSROOT" -pthread -O2 \
    -c "$GUEST_DIR/support/numpy/weft_numpy.c" -o "$work/weft_numpy.o"

  # CPython's own link line for python.wasm (same LDFLAGS_NODIST as the cpython stage), with the
  # numpy objects placed before libpython so our inittab wins over the archive's config.o.
  ld_nodist=$(cat "$CPY/link-flags.txt")
  link=$(printf 'weft-link:\n\t@echo $(LINKCC) $(PY_CORE_LDFLAGS) $(LINKFORSHARED) @@OUT@@ Programs/python.o @@NUMPY@@ $(LINK_PYTHON_DEPS) $(LIBS) $(MODLIBS) $(SYSLIBS)\n' \
    | make -s -f Makefile -f - weft-link LDFLAGS_NODIST="$ld_nodist")
  archives=() libs=()
  while read -r _ _ so; do
    archives+=("$so")
    list="$work/build/${so#"$site"/}.libs"
    [ -f "$list" ] || die "numpy: no .libs file for $so"
    while IFS= read -r l; do if [ -n "$l" ]; then libs+=("$l"); fi; done <"$list"
  done <"$out/modules.txt"
  # Unique static libraries, in first-seen order (npymath, npyrandom, ...).
  mapfile -t libs < <(printf '%s\n' "${libs[@]}" | awk '!seen[$0]++')
  # Plain archives, not --whole-archive: some sources are compiled into several modules (the CPU
  # feature table into _multiarray_umath, _simd, _umath_tests); the inittab pulls each module's
  # init object and the linker takes every shared symbol from the first archive that has it,
  # _multiarray_umath's (listed first).
  mapfile -t archives < <(printf '%s\n' "${archives[@]}" | awk '/\/_multiarray_umath\./ {print; next} {rest[++n] = $0} END {for (i = 1; i <= n; i++) print rest[i]}')
  numpy_objs="$work/config-numpy.o $work/weft_numpy.o ${archives[*]} ${libs[*]}"
  link=${link/@@OUT@@/-o $out/python-numpy.wasm}
  link=${link/@@NUMPY@@/$numpy_objs}
  # --no-check-features: Debian's libc++ is built without atomics (thread-unsafe function-local
  # statics; numpy's C++ runs under the GIL). --wrap=strtold: support/numpy/weft_numpy.c.
  # --wrap=?gemm_,?trsm_: lapack_lite's LAPACK calls guest/blas's gemm and blocked trsm (the f2c
  # reference routines stay as __real_?gemm_/__real_?trsm_, for argument errors and trsm's
  # diagonal blocks), without patching numpy's f2c sources.
  # By path, not -L: that directory also holds Debian's non-threaded libc.a.
  link="$link $LIBCXX/libc++.a $LIBCXX/libc++abi.a -Wl,--no-check-features -Wl,--wrap=strtold"
  link="$link -Wl,--wrap=sgemm_,--wrap=dgemm_,--wrap=cgemm_,--wrap=zgemm_"
  link="$link -Wl,--wrap=strsm_,--wrap=dtrsm_,--wrap=ctrsm_,--wrap=ztrsm_"
  echo "$link" >"$out/link-command.txt"
  log "numpy: linking python-numpy.wasm ($n numpy modules)"
  # shellcheck disable=SC2086  # a make-generated command line, split as make would
  run link env SOURCE_DATE_EPOCH=1749600000 $link
  # The kernels ride in python-numpy.wasm as custom sections (the runtime reads them with
  # WebAssembly.Module.customSections): one file to ship, cache and hash.
  run link llvm-objcopy-19 "${kernels[@]}" "$out/python-numpy.wasm"
  cd "$out"

  log "numpy: bundling numpy's Python files"
  PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 run bundle "$NATIVE/bin/python3.13" -I \
    "$GUEST_DIR/support/make_package_bundle.py" "$site" "$work/staging" "$out/python-numpy-lib.zip" numpy 2.3.5
  "$NATIVE/bin/python3.13" -I -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "$out/python-numpy-lib.zip" >"$out/entries.txt"

  # The result must start and import numpy from the bundle (node:wasi, no threads needed).
  "$NATIVE/bin/python3.13" -I -m zipfile -e "$out/python-numpy-lib.zip" "$work/check-lib"
  cp -r "$CPY/install/usr/local/lib/python3.13/." "$work/check-lib/"
  node "$GUEST_DIR/smoke-test.mjs" "$out/python-numpy.wasm" "$work/check-lib" -- \
    -c 'import numpy as np; a = np.arange(6.0).reshape(2, 3); print(np.__version__, (a @ a.T).sum(), np._core._multiarray_umath.__name__)' \
    >"$out/logs/check.txt" 2>&1 || { cat "$out/logs/check.txt" >&2; die "numpy: python-numpy.wasm cannot import numpy"; }
  grep -qx '2.3.5 83.0 numpy._core._multiarray_umath' "$out/logs/check.txt" || { cat "$out/logs/check.txt" >&2; die "numpy: unexpected check output"; }
  log "numpy: $n modules, $(wc -l <"$out/entries.txt") bundle entries, python-numpy.wasm $(stat -c %s "$out/python-numpy.wasm") bytes"
  rm -rf "$work"
  touch "$out/.complete"; rm -f "$out.lock"
fi
echo "$out"
