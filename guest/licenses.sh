#!/usr/bin/env bash
# Prints the license texts of everything the guest build links into python.wasm and
# python-numpy.wasm, taken from the pinned sources themselves (sha256-checked like every build
# input), so the notices that ship beside the binaries always match what was built.
# `cargo xtask build` puts them, with the runtime crates' notices, in THIRD-PARTY-LICENSES.txt.
source "$(dirname "$0")/lib.sh"

# section TITLE: a header before each component's texts.
section() { printf '\n%s\n%s\n\n' "$1" "$(printf '=%.0s' $(seq 1 ${#1}))"; }

# member ARCHIVE PATH: one file of a tarball, on stdout.
member() { tar -xOf "$(fetch_source "$1")" "$2" || die "licenses: no $2 in $1"; }

# deb_file DEB PATH: one file of a Debian package, on stdout.
deb_file() { dpkg-deb --fsys-tarfile "$(fetch_source "$1")" | tar -xO "$2" || die "licenses: no $2 in $1"; }

section "CPython 3.13.5 (python.wasm, python-stdlib.zip): PSF License Version 2"
member Python-3.13.5.tar.xz Python-3.13.5/LICENSE
section "Software incorporated in CPython (libmpdec, expat, HACL*, ...): from CPython's Doc/license.rst"
member Python-3.13.5.tar.xz Python-3.13.5/Doc/license.rst
section "zlib 1.3.1"
member zlib-1.3.1-dfsg.tar.gz zlib-1.3.1/LICENSE
section "bzip2 1.0.8"
member bzip2-1.0.8.tar.gz bzip2-1.0.8/LICENSE
section "xz 5.8.1 (liblzma: 0BSD)"
member xz-5.8.1.tar.xz xz-5.8.1/COPYING.0BSD
section "SQLite 3.46.1"
member sqlite3-3.46.1.tar.xz sqlite3-3.46.1/LICENSE.md
section "wasi-libc (Debian's copyright file)"
deb_file wasi-libc_0.0~git20260423.161b319-2_all.deb ./usr/share/doc/wasi-libc/copyright
section "numpy 2.3.5 (python-numpy.wasm, python-numpy-lib.zip)"
member numpy-2.3.5.tar.gz numpy-2.3.5/LICENSE.txt
section "Software bundled in numpy (python-numpy.wasm)"
member numpy-2.3.5.tar.gz numpy-2.3.5/LICENSES_bundled.txt
section "libc++ and libc++abi (python-numpy.wasm; Debian's libc++-19-dev-wasm32 copyright file)"
cat /usr/share/doc/libc++-19-dev-wasm32/copyright 2>/dev/null ||
  die "licenses: /usr/share/doc/libc++-19-dev-wasm32/copyright is missing (apt-get install libc++-19-dev-wasm32)"
