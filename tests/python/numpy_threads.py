# numpy's loops release the GIL: independent matmuls and large ufuncs on two threads must run
# at the same time. Each thread records when its call started and ended; the two intervals can
# only overlap if both calls were in flight at once, that is on two workers in parallel. Then 4
# and 8 threads do the same work and must finish with the right results (no deadlock).
# Prints "<work> 2 overlap" (or "<work> 2 serial <spans>") and "<work> <n> done" lines.
# Timing ratios are the bench's business (bench/numpy-core.mjs), not this test's.
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

rng = np.random.default_rng(0)
# Each call lasts several ms in wasm (matmul 400: ~8 ms), far longer than a GIL hand-off between
# workers (~0.1 ms), so two calls in parallel overlap even when a busy machine delays one start.
A = rng.standard_normal((400, 400))
X = rng.standard_normal(1_500_000)
MATMUL_REF = float((A @ A).sum())
UFUNC_REF = float(np.sqrt(np.exp(np.sin(X)) + 1.0).sum())


def matmul():
    return float((A @ A).sum())


def ufunc():
    return float(np.sqrt(np.exp(np.sin(X)) + 1.0).sum())


WORK = {"matmul": (matmul, MATMUL_REF), "ufunc": (ufunc, UFUNC_REF)}

for name, (fn, ref) in WORK.items():
    spans = {}
    start = threading.Barrier(2)

    def timed(tag, fn=fn, spans=spans, start=start):
        start.wait()  # both threads exist before either starts its call
        t0 = time.perf_counter()
        value = fn()
        spans[tag] = (t0, time.perf_counter())
        return value

    # Several tries: on a shared 2-core machine one try can be unlucky (the other core busy).
    for attempt in range(5):
        spans.clear()
        start.reset()
        with ThreadPoolExecutor(2) as ex:
            values = list(ex.map(timed, "ab"))
        assert all(abs(v - ref) <= 1e-9 * abs(ref) for v in values), (values, ref)
        (a0, a1), (b0, b1) = spans["a"], spans["b"]
        if max(a0, b0) < min(a1, b1):
            print(f"{name} 2 overlap")
            break
    else:
        print(f"{name} 2 serial {spans}")

    for n in (4, 8):
        with ThreadPoolExecutor(n) as ex:
            values = list(ex.map(lambda _: fn(), range(2 * n)))
        assert all(abs(v - ref) <= 1e-9 * abs(ref) for v in values), (values, ref)
        print(f"{name} {n} done")
