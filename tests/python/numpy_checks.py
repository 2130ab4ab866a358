# Exercises numpy as users expect it to work (issue 8, point 2); prints one line
# "WEFT-RESULTS <json>" mapping each check's name to "ok" or the traceback that made it fail.
# Runs natively as well (a reference): the expected values are numpy 2.3.5's own results.
import io
import json
import os
import sys
import tempfile
import traceback

import numpy as np

CHECKS = {}


def check(name):
    def register(fn):
        CHECKS[name] = fn
        return fn
    return register


def close(a, b, tol=1e-9):
    assert np.allclose(a, b, rtol=tol, atol=tol), f"{a!r} != {b!r}"


@check("version and build")
def _():
    assert np.__version__ == "2.3.5", np.__version__
    from importlib.metadata import version
    assert version("numpy") == "2.3.5"
    # Every extension module imports (they are built-ins of python-numpy.wasm under Weft).
    import numpy._core._multiarray_umath  # noqa: F401
    import numpy.fft._pocketfft_umath  # noqa: F401
    import numpy.linalg._umath_linalg  # noqa: F401
    import numpy.random.mtrand  # noqa: F401


@check("creation and arithmetic")
def _():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert a.shape == (3, 4) and a.dtype == np.int64 and a[2, 3] == 11
    assert (a * 2 + 1)[1].tolist() == [9, 11, 13, 15]
    assert np.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.zeros((2, 2)).sum() == 0 and np.ones(3, dtype=np.uint8).tolist() == [1, 1, 1]
    assert np.eye(3)[1].tolist() == [0.0, 1.0, 0.0]
    assert (a // 3 % 2).tolist()[2] == [0, 1, 1, 1]
    assert a.T.flags["F_CONTIGUOUS"] and a[:, ::2].tolist() == [[0, 2], [4, 6], [8, 10]]
    assert np.concatenate([a, a]).shape == (6, 4) and np.stack([a, a]).shape == (2, 3, 4)
    b = a.astype(np.float32) / 4
    assert b.dtype == np.float32 and b[0, 1] == np.float32(0.25)
    assert np.where(a > 5, a, -1).tolist()[1] == [-1, -1, 6, 7]
    assert np.sort(np.array([3, 1, 2]))[::-1].tolist() == [3, 2, 1]
    assert np.unique(np.array([3, 1, 3, 2, 1])).tolist() == [1, 2, 3]
    assert np.argsort(np.array([0.5, -1.0, 2.0])).tolist() == [1, 0, 2]
    assert np.iinfo(np.int64).max == 2**63 - 1 and np.int32(2**31 - 1) + np.int32(0) == 2**31 - 1


@check("broadcasting")
def _():
    col = np.arange(3).reshape(3, 1)
    row = np.arange(4)
    m = col * 10 + row
    assert m.shape == (3, 4) and m[2].tolist() == [20, 21, 22, 23]
    assert np.broadcast_shapes((5, 1, 3), (4, 1)) == (5, 4, 3)
    x = np.ones((2, 3, 4))
    assert (x + np.arange(4)).sum() == 2 * 3 * (4 + 6)
    try:
        np.ones((2, 3)) + np.ones((3, 2))
    except ValueError as e:
        assert "broadcast" in str(e)
    else:
        raise AssertionError("mismatched shapes broadcast")


@check("ufuncs")
def _():
    x = np.linspace(0, np.pi, 7)
    close(np.sin(x) ** 2 + np.cos(x) ** 2, np.ones(7))
    close(np.exp(np.log(np.array([1.0, 2.5, 10.0]))), [1.0, 2.5, 10.0])
    close(np.sqrt(np.array([4.0, 9.0])), [2.0, 3.0])
    assert np.add.reduce(np.arange(5)) == 10
    assert np.add.accumulate(np.arange(5)).tolist() == [0, 1, 3, 6, 10]
    assert np.multiply.outer(np.arange(3), np.arange(3))[2].tolist() == [0, 2, 4]
    out = np.empty(3)
    np.add(np.arange(3), 1, out=out)
    assert out.tolist() == [1.0, 2.0, 3.0]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.array([1.0, -1.0, 0.0]) / 0.0
    assert np.isinf(r[0]) and r[0] > 0 and np.isinf(r[1]) and r[1] < 0 and np.isnan(r[2])
    assert np.maximum(np.array([1, 5]), np.array([3, 2])).tolist() == [3, 5]
    assert np.bitwise_and(np.array([12]), 10).tolist() == [8]
    assert np.isclose(np.hypot(3.0, 4.0), 5.0)


@check("reductions")
def _():
    a = np.arange(1, 13, dtype=np.float64).reshape(3, 4)
    assert a.sum() == 78 and a.sum(axis=0).tolist() == [15, 18, 21, 24]
    assert a.prod(axis=1)[0] == 24 and a.max() == 12 and a.argmin() == 0
    close(a.mean(), 6.5)
    close(a.std(), np.sqrt(143 / 12))
    close(np.median(a), 6.5)
    close(np.percentile(a, 25), 3.75)
    assert np.cumsum(a, axis=1)[2].tolist() == [9, 19, 30, 42]
    assert np.any(a > 11) and not np.all(a > 1)
    assert np.count_nonzero(a % 2 == 0) == 6
    close(np.nansum(np.array([1.0, np.nan, 2.0])), 3.0)
    big = np.ones(1_000_001, dtype=np.float32)
    assert big.sum() == 1_000_001  # pairwise summation keeps float32 exact here


@check("sorting and selection")
def _():
    # np.sort, np.argsort and single-kth np.partition of 32/64-bit keys run on highway under Weft
    # (numpy-patches/wasm-simd-sort.patch), the rest on numpy's own code: both must agree with
    # the stable merge sort, NaNs last, on sizes past the SIMD base cases.
    rng = np.random.default_rng(5)
    for dtype in (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64, np.int16):
        for n in (1, 7, 100, 5000):
            if np.issubdtype(dtype, np.integer):
                info = np.iinfo(dtype)
                x = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
            else:
                x = (rng.standard_normal(n) * 1000).astype(dtype)
            if np.issubdtype(dtype, np.floating) and n > 1:
                x[rng.integers(0, n, n // 10 + 1)] = np.nan
                x[0] = -0.0
            want = np.sort(x, kind="stable")
            assert np.array_equal(np.sort(x), want, equal_nan=True), (dtype, n)
            for k in {0, n // 2, n - 1}:
                p = np.partition(x, k)
                assert np.array_equal(p[k], want[k], equal_nan=True), (dtype, n, k)
                assert np.array_equal(np.sort(p[:k]), want[:k], equal_nan=True), (dtype, n, k)
                assert np.array_equal(np.sort(p[k + 1:]), want[k + 1:], equal_nan=True), (dtype, n, k)
            assert np.array_equal(x[np.argsort(x)], want, equal_nan=True), (dtype, n)
            m = x[: n - n % 4].reshape(-1, 4)  # columns: strided, copied before sorting
            got = np.take_along_axis(m, np.argsort(m, axis=0), axis=0)
            assert np.array_equal(got, np.sort(m, axis=0, kind="stable"), equal_nan=True), (dtype, n)
    assert np.isnan(np.partition(np.array([3.0, np.nan, 1.0, 2.0]), 3)[3])


@check("matmul and dot")
def _():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    expected = [[20.0, 23.0, 26.0, 29.0], [56.0, 68.0, 80.0, 92.0]]
    assert (a @ b).tolist() == expected
    assert np.dot(a, b).tolist() == expected
    assert np.matmul(np.ones((5, 2, 3)), np.ones((3, 4))).shape == (5, 2, 4)
    assert np.dot(np.arange(3), np.arange(3)) == 5
    assert np.vdot(np.array([1j, 2]), np.array([1j, 2])) == 5
    assert np.einsum("ij,jk->ik", a, b).tolist() == expected
    assert np.tensordot(a, a, axes=([1], [1])).tolist() == [[5.0, 14.0], [14.0, 50.0]]
    m = np.random.default_rng(7).standard_normal((120, 80))
    close(m @ m.T, np.einsum("ik,jk->ij", m, m), 1e-8)


@check("linalg")
def _():
    a = np.array([[3.0, 1.0, 2.0], [1.0, 4.0, 0.5], [2.0, 0.5, 5.0]])
    b = np.array([1.0, 2.0, 3.0])
    x = np.linalg.solve(a, b)
    close(a @ x, b)
    close(np.linalg.inv(a) @ a, np.eye(3))
    close(np.linalg.det(np.array([[1.0, 2.0], [3.0, 4.0]])), -2.0)
    u, s, vt = np.linalg.svd(a)
    close(u @ np.diag(s) @ vt, a)
    assert np.all(s[:-1] >= s[1:])
    w, v = np.linalg.eig(np.array([[2.0, 0.0], [0.0, 3.0]]))
    close(np.sort(w), [2.0, 3.0])
    w, v = np.linalg.eigh(a)
    close(a @ v, v * w)
    wc = np.linalg.eigvals(np.array([[0.0, -1.0], [1.0, 0.0]]))
    close(np.sort_complex(wc), [-1j, 1j])
    q, r = np.linalg.qr(a)
    close(q @ r, a)
    close(np.linalg.cholesky(a) @ np.linalg.cholesky(a).T, a)
    close(np.linalg.norm(np.array([3.0, 4.0])), 5.0)
    assert np.linalg.matrix_rank(np.ones((3, 3))) == 1
    sol, *_ = np.linalg.lstsq(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 3.0, 5.0]))
    close(sol, [1.0, 2.0])
    try:
        np.linalg.inv(np.zeros((2, 2)))
    except np.linalg.LinAlgError:
        pass
    else:
        raise AssertionError("singular matrix inverted")
    rng = np.random.default_rng(3)
    m = rng.standard_normal((60, 60))
    close(np.linalg.solve(m, m @ np.arange(60.0)), np.arange(60.0), 1e-7)


@check("fft")
def _():
    x = np.array([1.0, 2.0, 0.0, -1.0])
    f = np.fft.fft(x)
    close(f, [2.0, 1 - 3j, 0.0, 1 + 3j])
    close(np.fft.ifft(f).real, x)
    close(np.fft.rfft(x), [2.0, 1 - 3j, 0.0])
    close(np.fft.irfft(np.fft.rfft(x), n=4), x)
    t = np.arange(256)
    sig = np.sin(2 * np.pi * 10 * t / 256)
    assert np.argmax(np.abs(np.fft.rfft(sig))) == 10
    img = np.random.default_rng(5).standard_normal((16, 12))
    close(np.fft.ifft2(np.fft.fft2(img)).real, img)
    close(np.fft.fftfreq(4, d=0.5), [0.0, 0.5, -1.0, -0.5])
    n = 1000  # not a power of two: pocketfft's Bluestein/mixed-radix paths
    y = np.random.default_rng(9).standard_normal(n)
    close(np.fft.ifft(np.fft.fft(y)).real, y, 1e-9)


@check("random")
def _():
    assert np.random.default_rng(42).random() == 0.7739560485559633
    assert np.random.default_rng(42).integers(0, 10, 5).tolist() == [0, 7, 6, 4, 4]
    assert np.random.default_rng(0).standard_normal() == 0.1257302210933933
    g = np.random.default_rng(1)
    assert g.poisson(5.0, 4).tolist() == [7, 3, 4, 4]
    assert g.binomial(10, 0.3, 4).tolist() == [3, 6, 6, 4]
    # The legacy RandomState (mtrand) has its own copy of the distributions: both must give
    # their documented streams side by side.
    rs = np.random.RandomState(42)
    assert rs.random_sample() == 0.3745401188473625
    assert rs.randint(0, 100, 3).tolist() == [92, 14, 71]
    assert rs.standard_normal() == -1.1118801180469204
    assert rs.poisson(5.0, 4).tolist() == [3, 4, 3, 4]
    assert rs.binomial(10, 0.3, 4).tolist() == [2, 3, 4, 2]
    np.random.seed(42)
    assert np.random.rand() == 0.3745401188473625
    s = np.random.default_rng(2).normal(3.0, 2.0, 200_000)
    assert abs(s.mean() - 3.0) < 0.02 and abs(s.std() - 2.0) < 0.02
    for bg in (np.random.PCG64, np.random.Philox, np.random.SFC64, np.random.MT19937):
        v = np.random.Generator(bg(11)).random(3)
        assert v.shape == (3,) and np.all((v >= 0) & (v < 1))
    assert sorted(np.random.default_rng(4).permutation(10).tolist()) == list(range(10))
    assert np.random.default_rng(4).choice(5, 3, replace=False).size == 3


@check("dtypes")
def _():
    h = np.array([1.5, 65504.0, 1e-4], dtype=np.float16)
    with np.errstate(over="ignore"):
        assert h.dtype.itemsize == 2 and h[1] == 65504.0 and np.isinf(np.float16(1e5))
    c = np.array([1 + 2j, 3 - 1j])
    assert (c * c.conj()).real.tolist() == [5.0, 10.0] and np.abs(np.complex64(3 + 4j)) == 5
    assert np.angle(1j) == np.pi / 2
    d = np.arange("2024-02-27", "2024-03-02", dtype="datetime64[D]")
    assert d.size == 4 and str(d[2]) == "2024-02-29"
    assert (np.datetime64("2024-03-01T12:00") - np.datetime64("2024-03-01T10:30")) == np.timedelta64(90, "m")
    assert np.busday_count("2024-03-01", "2024-03-08") == 5
    st = np.dtype([("name", "U8"), ("age", np.int32), ("pos", np.float64, (2,))])
    people = np.array([("ada", 36, (1.0, 2.0)), ("bob", 41, (3.0, 4.0))], dtype=st)
    assert people["age"].sum() == 77 and people[1]["name"] == "bob"
    assert people["pos"][:, 1].tolist() == [2.0, 4.0] and st.itemsize == 8 * 4 + 4 + 16
    rec = people.view(np.recarray)
    assert rec.age.tolist() == [36, 41]
    ld = np.array([1, 3], dtype=np.longdouble)
    assert ld.dtype.itemsize == 16 and float((ld / 3)[1]) == 1.0
    assert np.longdouble("0.25") == 0.25  # parsed with strtold
    assert np.array([True, False]).astype(np.int8).tolist() == [1, 0]
    assert np.array([300]).astype(np.uint8)[0] == 44
    assert np.result_type(np.int8, np.float32) == np.float32
    assert np.finfo(np.float64).eps == 2.0**-52


@check("string dtype")
def _():
    from numpy.dtypes import StringDType
    s = np.array(["apple", "banana", "kiwi", "ü✓"], dtype=StringDType())
    assert s.dtype == StringDType() and np.strings.str_len(s).tolist() == [5, 6, 4, 2]
    assert np.strings.upper(s)[1] == "BANANA"
    assert np.strings.startswith(s, "b").tolist() == [False, True, False, False]
    assert sorted(s.tolist()) == ["apple", "banana", "kiwi", "ü✓"]
    assert (s + "!")[2] == "kiwi!"
    assert np.array(["1.5", "2.25"], dtype=StringDType()).astype(np.float64).tolist() == [1.5, 2.25]
    u = np.array(["ab", "cde"])
    assert u.dtype == np.dtype("<U3") and np.char.add(u, "x").tolist() == ["abx", "cdex"]
    b = np.array([b"x", b"yz"])
    assert b.dtype == np.dtype("S2")


@check("save and load")
def _():
    d = tempfile.mkdtemp()
    a = np.arange(20, dtype=np.float64).reshape(4, 5)
    path = os.path.join(d, "a.npy")
    np.save(path, a)
    with open(path, "rb") as f:
        assert f.read(6) == b"\x93NUMPY"
    assert np.array_equal(np.load(path), a)
    np.savez_compressed(os.path.join(d, "b.npz"), a=a, b=np.array(["x", "yy"]))
    with np.load(os.path.join(d, "b.npz")) as z:
        assert np.array_equal(z["a"], a) and z["b"].tolist() == ["x", "yy"]
    buf = io.BytesIO()
    np.save(buf, a.astype(np.int16))
    buf.seek(0)
    assert np.load(buf).dtype == np.int16
    np.savetxt(os.path.join(d, "a.csv"), a[:2], delimiter=",", fmt="%g")
    assert np.loadtxt(os.path.join(d, "a.csv"), delimiter=",").tolist() == a[:2].tolist()
    obj = np.array([{"k": 1}, None], dtype=object)
    np.save(os.path.join(d, "o.npy"), obj, allow_pickle=True)
    assert np.load(os.path.join(d, "o.npy"), allow_pickle=True)[0] == {"k": 1}
    big = np.random.default_rng(0).random(300_000)
    np.save(os.path.join(d, "big.npy"), big)
    assert np.array_equal(np.load(os.path.join(d, "big.npy")), big)


@check("printing")
def _():
    assert repr(np.array([1.0, 2.5])) == "array([1. , 2.5])"
    assert str(np.arange(4).reshape(2, 2)) == "[[0 1]\n [2 3]]"
    assert repr(np.float32(0.1)) == "np.float32(0.1)"
    assert str(np.float64(1) / 3) == "0.3333333333333333"
    assert repr(np.array([1 + 2j])) == "array([1.+2.j])"
    assert "..." in str(np.arange(10_000))
    with np.printoptions(precision=3, suppress=True):
        assert str(np.array([np.pi, 1e-10])) == "[3.142 0.   ]"
    assert np.format_float_scientific(np.float16(1.5), precision=2, unique=False) == "1.50e+00"
    assert repr(np.datetime64("2024-01-02")) == "np.datetime64('2024-01-02')"
    assert str(np.array([1, 3], dtype=np.longdouble) / 3)[:12] == "[0.33333333 "


@check("errors")
def _():
    try:
        np.arange(6).reshape(4, 2)
    except ValueError as e:
        assert "reshape" in str(e)
    else:
        raise AssertionError("bad reshape accepted")
    try:
        np.zeros(3)[5]
    except IndexError:
        pass
    else:
        raise AssertionError("index out of range accepted")
    # Flags numpy raises itself reach errstate (on WASI through numpy-patches' software word).
    with np.errstate(divide="raise"):
        try:
            np.array([1, 2]) // np.array([1, 0])
        except FloatingPointError as e:
            assert "divide by zero" in str(e)
        else:
            raise AssertionError("integer division by zero not reported")
    with np.errstate(divide="ignore"):
        assert (np.array([7]) // np.array([0])).tolist() == [0]


results = {}
for name, fn in CHECKS.items():
    try:
        fn()
        results[name] = "ok"
    except BaseException:
        results[name] = traceback.format_exc()
print("WEFT-RESULTS " + json.dumps(results))
sys.exit(0 if all(v == "ok" for v in results.values()) else 1)
