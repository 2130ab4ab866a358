"""Build the numpy test bundle: python-numpy-lib.zip plus numpy's tests and pytest.

usage: python3.13 make_numpy_test_bundle.py SHIPPED_ZIP NUMPY_SRC WHEELS_DIR STAGING OUT_ZIP

Run with the native build python of the same version (bytecode must match the wasm interpreter).
The result replaces dist/'s python-numpy-lib.zip for tests/conformance/ only, so numpy's tests
run against the shipped bundle's own .pyc files, with the tests where an installed numpy has
them (site-packages/numpy/<subpackage>/tests/), which numpy's tests rely on (they import
numpy._core.tests._locales and the like):
  - every entry of SHIPPED_ZIP, byte for byte the same contents;
  - numpy's tests/ directories, as `meson install` puts them (NUMPY_SRC/numpy/**/tests/ of each
    subpackage the bundle has, data files included) and numpy/conftest.py, as sources: pytest
    collects test files by path and rewrites their asserts;
  - the wheels in WHEELS_DIR (pytest and its dependencies: pure Python), unpacked;
  - for every .py added, an unchecked-hash __pycache__/*.cpython-313.pyc compiled for its path
    in the guest, so the guest never compiles them;
  - for the modules pytest rewrites (the tests and conftest.py, and every module of a pytest
    plugin's distribution: all of hypothesis), the rewritten code as pytest caches it
    (__pycache__/*.cpython-313-pytest-<version>.pyc, checked against the source's mtime and
    size), made by pytest's own rewriter: rewriting them in the guest took seconds per run.
Entry names are relative to /usr/local/lib/python3.13, sorted, with fixed timestamps: identical
bytes on every rebuild. Prints the test modules (dotted names), one a line, on stdout.
"""
import ast
import compileall
import importlib.util
import marshal
import os
import py_compile
import shutil
import struct
import sys
import zipfile

SITE = "/usr/local/lib/python3.13/site-packages"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_MTIME = 315532800  # FIXED_TIME in seconds since the epoch: the mtime the guest sees


def main():
    shipped, src, wheels, staging, out_zip = sys.argv[1:6]
    entries = {}  # name -> bytes or a path
    with zipfile.ZipFile(shipped) as z:
        for info in z.infolist():
            entries[info.filename] = z.read(info)
    packages = {os.path.dirname(n)[len("site-packages/"):] for n in entries
                if n.startswith("site-packages/numpy") and n.endswith("/__init__.pyc")}

    site = os.path.join(staging, "site-packages")
    os.makedirs(site)
    tests = []
    for pkg in sorted(packages):
        tdir = os.path.join(src, pkg, "tests")
        if not os.path.isdir(tdir):
            continue
        shutil.copytree(tdir, os.path.join(site, pkg, "tests"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        tests += [f"{pkg}/tests/{f}" for f in os.listdir(tdir)
                  if f.startswith("test_") and f.endswith(".py")]
    shutil.copyfile(os.path.join(src, "numpy", "conftest.py"), os.path.join(site, "numpy", "conftest.py"))

    rewritten = [os.path.join(site, "numpy", "conftest.py")]
    rewritten += [os.path.join(root, f) for pkg in packages
                  for root, _, files in os.walk(os.path.join(site, pkg, "tests"))
                  for f in files if f.endswith(".py")]
    for whl in sorted(os.listdir(wheels)):
        if not whl.endswith(".whl"):
            continue
        with zipfile.ZipFile(os.path.join(wheels, whl)) as z:
            names = z.namelist()
            for name in names:
                # Pure wheels: packages at the top; a .data/ directory would need installing.
                if name.split("/")[0].endswith(".data"):
                    sys.exit(f"{whl}: {name}: wheels with .data directories are not supported")
            z.extractall(site)
            eps = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
            if eps and "[pytest11]" in z.read(eps[0]).decode():
                rewritten += [os.path.join(site, n) for n in names
                              if n.endswith(".py") and ".dist-info/" not in n]

    # pytest's rewriter, the version the guest runs (its cache tag names the pytest version).
    sys.path.insert(0, site)
    from _pytest.assertion.rewrite import PYTEST_TAG, rewrite_asserts
    for fn in rewritten:
        with open(fn, "rb") as f:
            source = f.read()
        guest = SITE + "/" + os.path.relpath(fn, site).replace(os.sep, "/")
        # As _pytest.assertion.rewrite._rewrite_test and _write_pyc_fp do it (config None:
        # numpy's pytest.ini leaves enable_assertion_pass_hook off).
        tree = ast.parse(source, filename=guest)
        rewrite_asserts(tree, source, guest, None)
        co = compile(tree, guest, "exec", dont_inherit=True)
        cache = os.path.join(os.path.dirname(fn), "__pycache__")
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, os.path.basename(fn)[:-3] + f".{PYTEST_TAG}.pyc"), "wb") as f:
            f.write(importlib.util.MAGIC_NUMBER + b"\0\0\0\0")
            f.write(struct.pack("<LL", FIXED_MTIME, len(source) & 0xFFFFFFFF))
            f.write(marshal.dumps(co))

    # Unchecked-hash .pyc in __pycache__ (the guest finds the source first, then this): a zip
    # entry's mtime would do too, but nothing needs checking in a read-only bundle.
    if not compileall.compile_dir(
            site, ddir=SITE, quiet=1, workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
        sys.exit("compileall reported errors")

    for root, dirs, files in os.walk(site):
        for f in files:
            full = os.path.join(root, f)
            name = "site-packages/" + os.path.relpath(full, site).replace(os.sep, "/")
            if name in entries:
                sys.exit(f"{name} is in the shipped bundle and in the tests or wheels")
            entries[name] = full

    tmp = out_zip + ".part"
    with zipfile.ZipFile(tmp, "w") as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # unix
            info.external_attr = 0o100644 << 16
            data = entries[name]
            if not isinstance(data, bytes):
                with open(data, "rb") as f:
                    data = f.read()
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, out_zip)
    for t in sorted(tests):
        print(t[:-3].replace("/", "."))
    print(f"{len(entries)} entries, {len(tests)} test modules", file=sys.stderr)


if __name__ == "__main__":
    main()
