# Imports and exercises stdlib modules; prints one line "WEFT-RESULTS <json>" mapping each
# check's name to "ok" or the traceback that made it fail. Runs natively as well (a reference).
import json
import sys
import traceback

CHECKS = {}


def check(name):
    def register(fn):
        CHECKS[name] = fn
        return fn
    return register


@check("json")
def _():
    import json
    s = json.dumps({"a": [1, 2.5, None, True], "é": "✓"}, sort_keys=True)
    assert json.loads(s) == {"a": [1, 2.5, None, True], "é": "✓"}
    assert json.dumps("é", ensure_ascii=True) == '"\\u00e9"'


@check("re")
def _():
    import re
    p = re.compile(r"(?P<key>\w+)=(?P<val>\d+)")
    assert [m.group("key") for m in p.finditer("a=1, bb=22, c=x")] == ["a", "bb"]
    assert re.sub(r"(\d+)", lambda m: str(int(m.group(1)) * 2), "x1 y21") == "x2 y42"
    assert re.fullmatch(r"[\w.]+@\w+\.\w+", "ü.ser@host.org")


@check("decimal")
def _():
    import decimal
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        third = decimal.Decimal(1) / decimal.Decimal(7)
        assert str(third) == "0.1428571428571428571428571428571428571429"
    assert decimal.Decimal("1.10") + decimal.Decimal("2.20") == decimal.Decimal("3.30")
    assert decimal.Decimal("2").sqrt().quantize(decimal.Decimal("1.0000")) == decimal.Decimal("1.4142")


@check("sqlite3")
def _():
    import sqlite3
    con = sqlite3.connect(":memory:")
    con.execute("create table t (k text primary key, v integer)")
    con.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2), ("é", 3)])
    assert con.execute("select sum(v), count(*) from t").fetchone() == (6, 3)
    assert con.execute("select k from t where v = 3").fetchone()[0] == "é"
    assert sqlite3.sqlite_version_info >= (3, 0, 0)
    con.close()


@check("zlib")
def _():
    import zlib
    data = b"weft " * 20000
    c = zlib.compress(data, 9)
    assert len(c) < len(data) // 50 and zlib.decompress(c) == data
    assert zlib.crc32(b"hello") == 0x3610A686
    assert zlib.adler32(b"hello") == 0x062C0215


@check("bz2")
def _():
    import bz2
    data = bytes(range(256)) * 400
    assert bz2.decompress(bz2.compress(data)) == data


@check("lzma")
def _():
    import lzma
    data = b"lzma round trip " * 5000
    for fmt in (lzma.FORMAT_XZ, lzma.FORMAT_ALONE):
        assert lzma.decompress(lzma.compress(data, format=fmt)) == data


@check("hashlib")
def _():
    import hashlib
    assert hashlib.sha256(b"abc").hexdigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hashlib.md5(b"abc").hexdigest() == "900150983cd24fb0d6963f7d28e17f72"
    assert hashlib.sha1(b"abc").hexdigest() == "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert hashlib.sha3_256(b"").hexdigest() == "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
    assert len(hashlib.blake2b(b"x", digest_size=16).digest()) == 16


@check("hmac")
def _():
    import hmac
    mac = hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", "sha256").hexdigest()
    assert mac == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


@check("datetime")
def _():
    import datetime as dt
    assert dt.date(2024, 2, 28) + dt.timedelta(days=1) == dt.date(2024, 2, 29)
    t = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert t.isoformat() == "2024-05-06T07:08:09+02:00"
    assert t.astimezone(dt.timezone.utc).hour == 5
    assert dt.datetime.strptime("2024-12-25 10:30", "%Y-%m-%d %H:%M").minute == 30
    assert abs(dt.datetime.now(dt.timezone.utc).year - 2025) < 50  # the clock is real


@check("zoneinfo")
def _():
    # No system tz database on WASI: load a zone from TZif bytes (v1: one type, UTC+01:30).
    import datetime as dt
    import io
    import struct
    import zoneinfo
    counts = struct.pack(">6l", 0, 0, 0, 0, 1, 4)  # isut, isstd, leap, time, type, char counts
    tzif = b"TZif" + b"\0" * 16 + counts + struct.pack(">lBB", 5400, 0, 0) + b"TST\0"
    tz = zoneinfo.ZoneInfo.from_file(io.BytesIO(tzif), key="Test/Zone")
    d = dt.datetime(2024, 1, 1, 12, 0, tzinfo=tz)
    assert d.utcoffset() == dt.timedelta(minutes=90), d.utcoffset()
    assert d.tzname() == "TST"
    assert d.astimezone(dt.timezone.utc).strftime("%H:%M") == "10:30"


@check("asyncio")
def _():
    import asyncio

    async def work(i):
        await asyncio.sleep(0.01 * (3 - i))
        return i * i

    async def main():
        q = asyncio.Queue()
        results = await asyncio.gather(*(work(i) for i in range(3)))
        await q.put(sum(results))
        return await asyncio.wait_for(q.get(), timeout=5)

    assert asyncio.run(main()) == 5


@check("unittest")
def _():
    import io
    import unittest

    class T(unittest.TestCase):
        def test_ok(self):
            self.assertEqual(1 + 1, 2)

        def test_fails(self):
            self.assertEqual(1, 2)

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(T)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.testsRun == 2 and len(result.failures) == 1 and not result.errors


@check("dataclasses")
def _():
    import dataclasses

    @dataclasses.dataclass(frozen=True, order=True)
    class P:
        x: int
        y: int = 0
        tags: tuple = ()

    p = P(1, 2)
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "tags": ()}
    assert sorted([P(2), P(1, 5)])[0] == P(1, 5)
    assert dataclasses.replace(p, y=7).y == 7
    try:
        p.x = 3
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("frozen dataclass was mutated")


@check("typing")
def _():
    import typing

    class Movie(typing.TypedDict):
        name: str
        year: int

    T = typing.TypeVar("T")

    class Box(typing.Generic[T]):
        def __init__(self, item: T) -> None:
            self.item = item

    def f(a: int, b: typing.Optional[str] = None) -> typing.List[int]:
        return [a]

    hints = typing.get_type_hints(f)
    assert hints["b"] == typing.Optional[str] and hints["return"] == typing.List[int]
    assert typing.get_type_hints(Movie) == {"name": str, "year": int}
    assert Box[int](3).item == 3
    assert typing.get_origin(typing.Dict[str, int]) is dict


@check("csv")
def _():
    import csv
    import io
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["name", "note"])
    w.writerow(["a,b", 'say "hi"'])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["name", "note"], ["a,b", 'say "hi"']]
    assert list(csv.DictReader(io.StringIO("k,v\n1,2\n"))) == [{"k": "1", "v": "2"}]


@check("xml.etree")
def _():
    import xml.etree.ElementTree as ET
    root = ET.fromstring("<r><i n='1'>a</i><i n='2'>b</i><j/></r>")
    assert [i.get("n") for i in root.findall("i")] == ["1", "2"]
    ET.SubElement(root, "k").text = "é"
    assert b"<k>\xc3\xa9</k>" in ET.tostring(root, encoding="utf-8")


@check("xml.dom.minidom")
def _():
    from xml.dom import minidom
    doc = minidom.parseString("<a><b>text</b></a>")
    assert doc.getElementsByTagName("b")[0].firstChild.data == "text"


@check("email")
def _():
    from email import policy
    from email.message import EmailMessage
    from email.parser import BytesParser
    m = EmailMessage()
    m["From"] = "a@example.org"
    m["To"] = "b@example.org"
    m["Subject"] = "héllo ✓"
    m.set_content("body line\n")
    m.add_attachment(b"\x00\x01binary", maintype="application", subtype="octet-stream", filename="x.bin")
    parsed = BytesParser(policy=policy.default).parsebytes(m.as_bytes())
    assert parsed["Subject"] == "héllo ✓"
    parts = list(parsed.iter_attachments())
    assert parts[0].get_filename() == "x.bin" and parts[0].get_content() == b"\x00\x01binary"


@check("collections")
def _():
    import collections
    c = collections.Counter("abracadabra")
    assert c.most_common(1) == [("a", 5)]
    d = collections.OrderedDict.fromkeys("abc")
    d.move_to_end("a")
    assert list(d) == ["b", "c", "a"]
    dq = collections.deque(range(5), maxlen=3)
    assert list(dq) == [2, 3, 4]
    Point = collections.namedtuple("Point", "x y")
    assert Point(1, 2)._asdict() == {"x": 1, "y": 2}


@check("itertools")
def _():
    import itertools
    assert len(list(itertools.permutations(range(5), 3))) == 60
    assert list(itertools.accumulate([1, 2, 3])) == [1, 3, 6]
    assert list(itertools.batched("abcde", 2)) == [("a", "b"), ("c", "d"), ("e",)]


@check("functools")
def _():
    import functools

    @functools.lru_cache(maxsize=None)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib(90) == 2880067194370816120
    assert functools.reduce(lambda a, b: a * b, range(1, 11)) == 3628800
    assert functools.partial(int, base=16)("ff") == 255


@check("math")
def _():
    import math
    assert math.isclose(math.sin(math.pi / 6), 0.5)
    assert math.factorial(30) == 265252859812191058636308480000000
    assert math.gcd(2**40, 6**20) == 2**20
    assert math.isclose(math.fsum([0.1] * 10), 1.0, rel_tol=0, abs_tol=0)


@check("random")
def _():
    import random
    r = random.Random(42)
    assert r.random() == 0.6394267984578837
    assert random.Random(7).randint(1, 10**6) == random.Random(7).randint(1, 10**6)
    xs = list(range(10))
    random.Random(1).shuffle(xs)
    assert sorted(xs) == list(range(10)) and xs != list(range(10))


@check("statistics")
def _():
    import statistics
    data = [2, 4, 4, 4, 5, 5, 7, 9]
    assert statistics.mean(data) == 5 and statistics.median(data) == 4.5
    assert statistics.pstdev(data) == 2.0


@check("fractions")
def _():
    from fractions import Fraction
    assert Fraction(1, 3) + Fraction(1, 6) == Fraction(1, 2)
    assert Fraction("3.1415").limit_denominator(100) == Fraction(311, 99)


@check("struct")
def _():
    import struct
    b = struct.pack("<IhQd", 1, -2, 2**63, 1.5)
    assert struct.unpack("<IhQd", b) == (1, -2, 2**63, 1.5) and len(b) == 22


@check("base64")
def _():
    import base64
    assert base64.b64encode("héllo".encode()) == b"aMOpbGxv"
    assert base64.b32decode(base64.b32encode(b"\x00\xff")) == b"\x00\xff"


@check("binascii")
def _():
    import binascii
    assert binascii.hexlify(b"\x01\xab") == b"01ab"
    assert binascii.crc32(b"hello") == 0x3610A686


@check("textwrap")
def _():
    import textwrap
    assert textwrap.wrap("the quick brown fox jumps", width=10) == ["the quick", "brown fox", "jumps"]
    assert textwrap.dedent("  a\n  b") == "a\nb"


@check("string")
def _():
    import string
    assert string.Template("$who likes $what").substitute(who="tim", what="pie") == "tim likes pie"
    assert string.capwords("hello  world") == "Hello World"


@check("io")
def _():
    import io
    b = io.BytesIO()
    t = io.TextIOWrapper(b, encoding="utf-8", newline="\n")
    t.write("línea\n")
    t.flush()
    assert b.getvalue() == "línea\n".encode()


@check("pathlib")
def _():
    import pathlib
    p = pathlib.PurePosixPath("/a/b/c.tar.gz")
    assert p.suffixes == [".tar", ".gz"] and p.parent.name == "b"
    d = pathlib.Path("/tmp/weft-pathlib")
    d.mkdir(exist_ok=True)
    (d / "f.txt").write_text("x", encoding="utf-8")
    assert [q.name for q in d.iterdir()] == ["f.txt"]
    assert (d / "f.txt").read_text(encoding="utf-8") == "x"


@check("heapq")
def _():
    import heapq
    h = []
    for x in [5, 1, 4, 2]:
        heapq.heappush(h, x)
    assert [heapq.heappop(h) for _ in range(4)] == [1, 2, 4, 5]
    assert heapq.nlargest(2, [3, 9, 1, 7]) == [9, 7]


@check("bisect")
def _():
    import bisect
    a = [1, 3, 5, 7]
    bisect.insort(a, 4)
    assert a == [1, 3, 4, 5, 7] and bisect.bisect_left(a, 5) == 3


@check("array")
def _():
    import array
    a = array.array("d", [1.0, 2.0])
    a.append(3.5)
    assert sum(a) == 6.5 and a.itemsize == 8
    assert array.array("i", a.tobytes()[:0]).tolist() == []


@check("enum")
def _():
    import enum

    class Color(enum.Enum):
        RED = 1
        GREEN = 2

    class Perm(enum.IntFlag):
        R = 4
        W = 2

    assert Color(2) is Color.GREEN and Color["RED"].value == 1
    assert (Perm.R | Perm.W) == 6 and Perm.R in (Perm.R | Perm.W)


@check("copy")
def _():
    import copy
    a = {"x": [1, [2, 3]]}
    b = copy.deepcopy(a)
    b["x"][1].append(4)
    assert a == {"x": [1, [2, 3]]}


@check("pickle")
def _():
    import pickle
    import datetime
    obj = {"a": (1, 2.0, "é"), "b": {1, 2}, "c": datetime.date(2020, 1, 1), "d": b"\x00"}
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(obj, protocol=proto)) == obj


@check("operator")
def _():
    import operator
    rows = [{"n": 2}, {"n": 1}]
    assert sorted(rows, key=operator.itemgetter("n"))[0] == {"n": 1}
    assert operator.methodcaller("upper")("a") == "A"


@check("difflib")
def _():
    import difflib
    diff = list(difflib.unified_diff(["a\n", "b\n"], ["a\n", "c\n"], lineterm="\n"))
    assert "-b\n" in diff and "+c\n" in diff
    assert difflib.SequenceMatcher(None, "abcd", "abed").ratio() == 0.75


@check("html")
def _():
    import html
    from html.parser import HTMLParser
    assert html.escape("<a href='x'>&</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"
    assert html.unescape("&eacute;&#x2713;") == "é✓"
    seen = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            seen.append(tag)

    P().feed("<div><p>hi</p><br></div>")
    assert seen == ["div", "p", "br"]


@check("urllib.parse")
def _():
    from urllib.parse import parse_qs, quote, urlencode, urlsplit
    u = urlsplit("https://user@example.org:8080/a%20b?x=1&y=2#frag")
    assert (u.hostname, u.port, u.fragment) == ("example.org", 8080, "frag")
    assert parse_qs(u.query) == {"x": ["1"], "y": ["2"]}
    assert quote("é/ ") == "%C3%A9/%20" and urlencode({"q": "a b"}) == "q=a+b"


@check("uuid")
def _():
    import uuid
    u = uuid.uuid4()
    assert u.version == 4 and uuid.UUID(str(u)) == u
    assert str(uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")) == "886313e1-3b8a-5372-9b90-0c9aee199e5d"


@check("gzip")
def _():
    import gzip
    data = "gzip ✓\n".encode() * 1000
    assert gzip.decompress(gzip.compress(data)) == data


@check("tarfile")
def _():
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("dir/hello.txt")
        payload = b"hello tar"
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r:gz") as tf:
        assert tf.getnames() == ["dir/hello.txt"]
        assert tf.extractfile("dir/hello.txt").read() == b"hello tar"


@check("zipfile")
def _():
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "zip ✓" * 100)
        zf.writestr("b/c.bin", bytes(300))
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        assert zf.namelist() == ["a.txt", "b/c.bin"]
        assert zf.read("a.txt").decode() == "zip ✓" * 100
        assert zf.testzip() is None


@check("configparser")
def _():
    import configparser
    cp = configparser.ConfigParser()
    cp.read_string("[srv]\nport = 8080\ndebug = yes\n")
    assert cp.getint("srv", "port") == 8080 and cp.getboolean("srv", "debug")


@check("argparse")
def _():
    import argparse
    p = argparse.ArgumentParser(prog="x")
    p.add_argument("--n", type=int, default=1)
    p.add_argument("files", nargs="*")
    a = p.parse_args(["--n", "3", "a", "b"])
    assert a.n == 3 and a.files == ["a", "b"]


@check("logging")
def _():
    import io
    import logging
    stream = io.StringIO()
    log = logging.getLogger("weft.test")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.debug("hidden")
    log.warning("shown %d", 42)
    assert stream.getvalue() == "WARNING:weft.test:shown 42\n"


@check("contextlib")
def _():
    import contextlib
    events = []

    @contextlib.contextmanager
    def cm():
        events.append("enter")
        yield 1
        events.append("exit")

    with contextlib.ExitStack() as stack:
        assert stack.enter_context(cm()) == 1
    with contextlib.suppress(KeyError):
        {}["missing"]
    assert events == ["enter", "exit"]


@check("inspect")
def _():
    import inspect

    def f(a, b=2, *args, c, **kw):
        pass

    sig = inspect.signature(f)
    assert list(sig.parameters) == ["a", "b", "args", "c", "kw"]
    assert sig.parameters["c"].kind is inspect.Parameter.KEYWORD_ONLY


@check("ast")
def _():
    import ast
    tree = ast.parse("x = 1 + 2 * y")
    assert ast.unparse(tree) == "x = 1 + 2 * y"
    assert ast.literal_eval("[1, (2, 'a'), {'k': None}]") == [1, (2, "a"), {"k": None}]


@check("tokenize")
def _():
    import io
    import tokenize
    toks = [t.string for t in tokenize.generate_tokens(io.StringIO("a = b + 1\n").readline) if t.string.strip()]
    assert toks == ["a", "=", "b", "+", "1"]


@check("pprint")
def _():
    import pprint
    assert pprint.pformat({"b": 1, "a": [1, 2]}, width=40) == "{'a': [1, 2], 'b': 1}"


@check("shlex")
def _():
    import shlex
    assert shlex.split("a 'b c' \"d e\"") == ["a", "b c", "d e"]
    assert shlex.quote("it's") == "'it'\"'\"'s'"


@check("fnmatch+glob")
def _():
    import fnmatch
    import glob
    import os
    assert fnmatch.filter(["a.py", "b.txt", "c.py"], "*.py") == ["a.py", "c.py"]
    os.makedirs("/tmp/weft-glob/sub", exist_ok=True)
    for n in ("x.py", "y.txt", "sub/z.py"):
        open(f"/tmp/weft-glob/{n}", "w").close()
    assert sorted(glob.glob("/tmp/weft-glob/**/*.py", recursive=True)) == ["/tmp/weft-glob/sub/z.py", "/tmp/weft-glob/x.py"]


@check("calendar")
def _():
    import calendar
    assert calendar.monthrange(2024, 2) == (3, 29)
    assert calendar.isleap(2000) and not calendar.isleap(1900)


@check("time")
def _():
    import time
    t0, m0 = time.time(), time.monotonic()
    time.sleep(0.05)
    assert time.monotonic() - m0 >= 0.045
    assert 1.7e9 < t0 < 4e9
    assert time.strftime("%Y-%m-%d", time.gmtime(0)) == "1970-01-01"


@check("secrets+os.urandom")
def _():
    import os
    import secrets
    assert len(secrets.token_hex(16)) == 32
    a, b = os.urandom(16), os.urandom(16)
    assert a != b and len(a) == 16


@check("unicodedata")
def _():
    import unicodedata
    assert unicodedata.name("é") == "LATIN SMALL LETTER E WITH ACUTE"
    assert unicodedata.normalize("NFD", "é") == "e\u0301"
    assert unicodedata.category("𝄞") == "So"


@check("codecs")
def _():
    import codecs
    assert "héllo".encode("latin-1") == b"h\xe9llo"
    assert codecs.decode(b"\xff\xfeh\x00i\x00", "utf-16") == "hi"
    assert "Straße".encode("idna") == b"strasse"
    assert codecs.encode("abc", "rot13") == "nop"


@check("queue")
def _():
    import queue
    q = queue.PriorityQueue()
    for x in (3, 1, 2):
        q.put(x)
    assert [q.get_nowait() for _ in range(3)] == [1, 2, 3]


results = {}
for name, fn in CHECKS.items():
    try:
        fn()
        results[name] = "ok"
    except BaseException:
        results[name] = traceback.format_exc()
print("WEFT-RESULTS " + json.dumps(results))
sys.exit(0 if all(v == "ok" for v in results.values()) else 1)
