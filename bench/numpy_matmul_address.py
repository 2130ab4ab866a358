# How the speed of one 200x200 float64 matmul depends on where its output lies in memory:
# np.matmul(A, A, out=C) with C placed at 64 different addresses, 128 bytes apart (one 8 KiB
# sweep), each timed as the mean of 24 calls. Prints one line per placement, sorted by the
# output's address modulo 4096, then the spread.
#
#   cargo xtask run -- --packages numpy bench/numpy_matmul_address.py   (Weft, Node)
#   python3 bench/numpy_matmul_address.py                                (native numpy)
#
# In Weft the allocator places each new result array differently as the heap changes, so a
# spread here shows up as run-to-run and phase-to-phase differences in the numpy benchmark.
import time

import numpy as np

N, CALLS, PLACEMENTS, STEP = 200, 24, 64, 16  # STEP in float64 elements: 128 bytes

A = np.random.default_rng(0).standard_normal((N, N))
buf = np.empty(N * N + PLACEMENTS * STEP)


def mean_ms(C):
    np.matmul(A, A, out=C)
    t0 = time.perf_counter()
    for _ in range(CALLS):
        np.matmul(A, A, out=C)
    return (time.perf_counter() - t0) / CALLS * 1e3


def out_at(k):
    return buf[k:k + N * N].reshape(N, N)


# Warm-up: V8 optimises the kernels while they run.
for _ in range(30):
    mean_ms(out_at(0))
rows = sorted(((out_at(k).ctypes.data % 4096, mean_ms(out_at(k))) for k in range(0, PLACEMENTS * STEP, STEP)))
for offset, ms in rows:
    print(f"output at {offset:4d} mod 4096: {ms:.3f} ms")
times = [ms for _, ms in rows]
print(f"fastest {min(times):.3f} ms, slowest {max(times):.3f} ms ({max(times) / min(times):.2f}x)")
