# File-system checks under one base directory (sys.argv[1], e.g. /tmp or /home/user).
# Prints "WEFT-RESULTS <json>" mapping each check to "ok" or its traceback; exits 1 on failure.
import io
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

BASE = os.path.join(sys.argv[1], "weft-fs-%d" % os.getpid())
CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def fresh(name):
    d = os.path.join(BASE, name)
    os.makedirs(d)
    return d


@check
def create_write_read():
    d = fresh("rw")
    p = os.path.join(d, "a.txt")
    with open(p, "x", encoding="utf-8") as f:
        f.write("héllo\n")
    with open(p, encoding="utf-8") as f:
        assert f.read() == "héllo\n"
    try:
        open(p, "x")
    except FileExistsError:
        pass
    else:
        raise AssertionError("mode x opened an existing file")
    with open(p, "wb") as f:  # truncates
        f.write(b"\x00\xff" * 50000)
    assert os.path.getsize(p) == 100000
    with open(p, "rb") as f:
        assert f.read() == b"\x00\xff" * 50000


@check
def append():
    d = fresh("append")
    p = os.path.join(d, "log.txt")
    for i in range(3):
        with open(p, "a") as f:
            f.write("line %d\n" % i)
    with open(p) as f:
        assert f.read().splitlines() == ["line 0", "line 1", "line 2"]
    with open(p, "a+") as f:  # appends go to the end even after a seek
        f.seek(0)
        f.write("tail\n")
        f.seek(0)
        assert f.read().endswith("line 2\ntail\n")


@check
def seek_tell():
    d = fresh("seek")
    p = os.path.join(d, "s.bin")
    with open(p, "wb") as f:
        f.write(b"0123456789")
    with open(p, "r+b") as f:
        assert f.tell() == 0
        f.seek(4)
        assert f.read(3) == b"456" and f.tell() == 7
        f.seek(-2, io.SEEK_END)
        assert f.read() == b"89"
        f.seek(2)
        f.write(b"ab")
        f.seek(0, io.SEEK_END)
        assert f.tell() == 10
        f.seek(14)
        f.write(b"Z")  # past the end: a hole of zeros
    with open(p, "rb") as f:
        assert f.read() == b"01ab456789\0\0\0\0Z"
    fd = os.open(p, os.O_RDWR)
    try:
        assert os.lseek(fd, 0, os.SEEK_END) == 15
        os.ftruncate(fd, 4)
        assert os.fstat(fd).st_size == 4
        assert os.pread(fd, 10, 1) == b"1ab"
    finally:
        os.close(fd)


@check
def rename_listdir_delete():
    d = fresh("names")
    for n in ("b.txt", "a.txt", "ü.txt"):
        with open(os.path.join(d, n), "w") as f:
            f.write(n)
    os.mkdir(os.path.join(d, "sub"))
    assert sorted(os.listdir(d)) == ["a.txt", "b.txt", "sub", "ü.txt"]
    os.rename(os.path.join(d, "a.txt"), os.path.join(d, "sub", "moved.txt"))
    os.replace(os.path.join(d, "b.txt"), os.path.join(d, "ü.txt"))  # over an existing file
    assert sorted(os.listdir(d)) == ["sub", "ü.txt"]
    with open(os.path.join(d, "ü.txt")) as f:
        assert f.read() == "b.txt"
    assert os.listdir(os.path.join(d, "sub")) == ["moved.txt"]
    entries = {e.name: e.is_dir() for e in os.scandir(d)}
    assert entries == {"sub": True, "ü.txt": False}
    os.remove(os.path.join(d, "ü.txt"))
    try:
        os.rmdir(os.path.join(d, "sub"))
    except OSError:
        pass  # not empty
    else:
        raise AssertionError("rmdir removed a non-empty directory")
    os.unlink(os.path.join(d, "sub", "moved.txt"))
    os.rmdir(os.path.join(d, "sub"))
    assert os.listdir(d) == []
    assert not os.path.exists(os.path.join(d, "sub"))
    try:
        open(os.path.join(d, "gone.txt"))
    except FileNotFoundError:
        pass
    else:
        raise AssertionError("opened a missing file")


@check
def walk_and_copytree():
    d = fresh("tree")
    src = os.path.join(d, "src")
    for rel in ("a/b/c", "a/d", "e"):
        os.makedirs(os.path.join(src, rel))
    files = {"top.txt": "1", "a/one.txt": "22", "a/b/c/deep.txt": "333", "e/x.bin": "4444"}
    for rel, body in files.items():
        with open(os.path.join(src, rel), "w") as f:
            f.write(body)

    def listing(root):
        out = []
        for here, dirs, names in os.walk(root):
            dirs.sort()
            rel = os.path.relpath(here, root)
            out.append((rel, sorted(dirs), sorted(names)))
        return out

    expected = [
        (".", ["a", "e"], ["top.txt"]),
        ("a", ["b", "d"], ["one.txt"]),
        ("a/b", ["c"], []),
        ("a/b/c", [], ["deep.txt"]),
        ("a/d", [], []),
        ("e", [], ["x.bin"]),
    ]
    assert listing(src) == expected, listing(src)
    dst = os.path.join(d, "dst")
    shutil.copytree(src, dst)
    assert listing(dst) == expected
    for rel, body in files.items():
        with open(os.path.join(dst, rel)) as f:
            assert f.read() == body
    shutil.copy2(os.path.join(src, "top.txt"), os.path.join(d, "copy2.txt"))
    assert os.stat(os.path.join(d, "copy2.txt")).st_mtime == os.stat(os.path.join(src, "top.txt")).st_mtime
    shutil.move(dst, os.path.join(d, "moved"))
    shutil.rmtree(os.path.join(d, "moved"))
    assert sorted(os.listdir(d)) == ["copy2.txt", "src"]


@check
def tempfiles():
    assert tempfile.gettempdir() == "/tmp"
    with tempfile.TemporaryDirectory(dir=BASE) as td:
        with tempfile.NamedTemporaryFile("w+", dir=td, suffix=".txt", delete=False) as f:
            f.write("temp ✓")
            name = f.name
        assert os.path.dirname(name) == td and name.endswith(".txt")
        with open(name) as f:
            assert f.read() == "temp ✓"
        fd, path = tempfile.mkstemp(dir=td)
        os.write(fd, b"x")
        os.close(fd)
        assert os.path.getsize(path) == 1
        with tempfile.TemporaryFile() as tf:
            tf.write(b"anon")
            tf.seek(0)
            assert tf.read() == b"anon"
    assert not os.path.exists(td)


@check
def stat_times():
    d = fresh("times")
    p = os.path.join(d, "t.txt")
    before = time.time()
    with open(p, "w") as f:
        f.write("x")
    st = os.stat(p)
    assert abs(st.st_mtime - before) < 5, (st.st_mtime, before)
    assert abs(st.st_ctime - before) < 5, (st.st_ctime, before)
    assert st.st_size == 1 and not os.path.isdir(p) and os.path.isfile(p)
    time.sleep(0.05)
    with open(p, "a") as f:
        f.write("y")
    st2 = os.stat(p)
    assert st2.st_mtime_ns > st.st_mtime_ns, (st.st_mtime_ns, st2.st_mtime_ns)
    os.utime(p, (1_000_000_000, 1_500_000_000))
    st3 = os.stat(p)
    assert (st3.st_atime, st3.st_mtime) == (1_000_000_000, 1_500_000_000), (st3.st_atime, st3.st_mtime)
    assert os.path.getmtime(p) == 1_500_000_000
    assert os.stat(d).st_mode & 0o040000  # S_IFDIR


os.makedirs(BASE)
results = {}
for name, fn in CHECKS.items():
    try:
        fn()
        results[name] = "ok"
    except BaseException:
        results[name] = traceback.format_exc()
shutil.rmtree(BASE, ignore_errors=True)
print("WEFT-RESULTS " + json.dumps(results))
sys.exit(0 if all(v == "ok" for v in results.values()) else 1)
