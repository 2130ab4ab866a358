"""Build python-stdlib.zip from an installed lib/python3.13 tree.

usage: python3.13 make_bundle.py LIBDIR STAGING OUT_ZIP [SITE_DIR]

Run with the native build python of the same version (bytecode must match the wasm interpreter).
Entry names are relative to /usr/local/lib/python3.13. Only legacy sourceless .pyc files (foo.pyc
next to where foo.py was, unchecked-hash) plus the empty directory lib-dynload/ and
site-packages/ holding SITE_DIR's files (Weft's start-up hook: .py compiled, .pth kept). Sorted entries, fixed timestamps and attributes: identical bytes on every rebuild.
"""
import compileall
import os
import shutil
import sys
import zipfile

LIBDEST = "/usr/local/lib/python3.13"
# Directory names dropped wherever they occur, and top-level ones dropped only at the top.
EXCLUDE_ANYWHERE = {"__pycache__", "tests", "idle_test"}
EXCLUDE_TOP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3",
               "site-packages", "lib-dynload"}
EMPTY_DIRS = ["lib-dynload/", "site-packages/"]
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def keep_dir(rel_parts):
    name = rel_parts[-1]
    if name in EXCLUDE_ANYWHERE:
        return False
    if len(rel_parts) == 1 and (name in EXCLUDE_TOP or name.startswith("config-3.13")):
        return False
    return True


def stage_sources(libdir, staging):
    """Copy the .py files that go into the bundle to staging, same layout."""
    count = 0
    for root, dirs, files in os.walk(libdir):
        rel = os.path.relpath(root, libdir)
        parts = [] if rel == "." else rel.split(os.sep)
        dirs[:] = sorted(d for d in dirs if keep_dir(parts + [d]))
        for f in sorted(files):
            if f.endswith(".py"):
                dst = os.path.join(staging, *parts, f)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(os.path.join(root, f), dst)
                count += 1
    return count


def compile_tree(staging):
    ok = compileall.compile_dir(
        staging, ddir=LIBDEST, quiet=1, legacy=True, workers=0,
        invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH)
    # A few stdlib files are deliberately invalid (none remain after the exclusions); fail loudly.
    if not ok:
        sys.exit("compileall reported errors")


def write_zip(staging, out_zip):
    entries = []
    for root, dirs, files in os.walk(staging):
        dirs.sort()
        for f in files:
            if f.endswith(".pyc") or f.endswith(".pth"):
                full = os.path.join(root, f)
                entries.append((os.path.relpath(full, staging).replace(os.sep, "/"), full))
    names = sorted([(d, None) for d in EMPTY_DIRS] + entries)
    tmp = out_zip + ".part"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, full in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # unix
            if full is None:
                info.external_attr = (0o40755 << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                z.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as fh:
                    z.writestr(info, fh.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out_zip)
    return len(names)


def stage_site(site_dir, staging):
    """Copy Weft's own site-packages files (flat) to staging/site-packages."""
    dst = os.path.join(staging, "site-packages")
    os.makedirs(dst, exist_ok=True)
    for f in sorted(os.listdir(site_dir)):
        if f.endswith((".py", ".pth")):
            shutil.copyfile(os.path.join(site_dir, f), os.path.join(dst, f))


def main():
    libdir, staging, out_zip = sys.argv[1:4]
    n = stage_sources(libdir, staging)
    if len(sys.argv) > 4:
        stage_site(sys.argv[4], staging)
    sysconfigdata = [f for f in os.listdir(staging) if f.startswith("_sysconfigdata_")]
    if not sysconfigdata:
        sys.exit("no _sysconfigdata_*.py in " + libdir)
    compile_tree(staging)
    n_entries = write_zip(staging, out_zip)
    print(f"{n} modules, {n_entries} entries, sysconfigdata {sysconfigdata}", file=sys.stderr)


if __name__ == "__main__":
    main()
