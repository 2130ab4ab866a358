"""Build a package bundle (e.g. python-numpy-lib.zip) from an installed site-packages tree.

usage: python3.13 make_package_bundle.py SITE_PACKAGES STAGING OUT_ZIP PACKAGE VERSION

Run with the native build python of the same version (bytecode must match the wasm interpreter).
Takes SITE_PACKAGES/PACKAGE; entry names are relative to /usr/local/lib/python3.13 (so
"site-packages/numpy/__init__.pyc"), because the runtime indexes the bundle into the same tree as
the stdlib. Only legacy sourceless .pyc (unchecked-hash); no tests/ directories, stubs, headers,
Cython declarations or static libraries (the extension modules are linked into the interpreter).
A minimal PACKAGE-VERSION.dist-info/METADATA makes importlib.metadata.version() work. Sorted
entries, fixed timestamps: identical bytes on every rebuild.
"""
import compileall
import os
import shutil
import sys
import zipfile

SITE = "/usr/local/lib/python3.13/site-packages"
EXCLUDE_DIRS = {"__pycache__", "tests"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def main():
    site, staging, out_zip, package, version = sys.argv[1:6]
    count = 0
    for root, dirs, files in os.walk(os.path.join(site, package)):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDE_DIRS)
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, f), site)
                dst = os.path.join(staging, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(os.path.join(root, f), dst)
                count += 1
    if not compileall.compile_dir(
            staging, ddir=SITE, quiet=1, legacy=True, workers=0,
            invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH):
        sys.exit("compileall reported errors")
    entries = {}
    for root, dirs, files in os.walk(staging):
        for f in files:
            if f.endswith(".pyc"):
                full = os.path.join(root, f)
                entries["site-packages/" + os.path.relpath(full, staging).replace(os.sep, "/")] = full
    meta = f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n".encode()
    tmp = out_zip + ".part"
    with zipfile.ZipFile(tmp, "w") as z:
        items = sorted(entries.items()) + [
            (f"site-packages/{package}-{version}.dist-info/METADATA", meta)]
        for name, src in sorted(items):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # unix
            info.external_attr = 0o100644 << 16
            data = src if isinstance(src, bytes) else open(src, "rb").read()
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out_zip)
    print(f"{count} modules, {len(entries) + 1} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
