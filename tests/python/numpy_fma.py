# Which float64 tile numpy's products run on (StartOptions.relaxedSimd), seen from Python: a
# product whose exact value is -2**-54 but whose unfused sum rounds to 0. Row 0 of A is
# [1+e, -(1+e), 0, 0] and column 0 of B is [1+e, 1+e, 0, 0], e = 2**-27: the first step
# rounds (1+e)**2 to 1+2e; a fused second step adds -(1+e)**2 exactly, leaving -e**2, where
# an unfused one rounds that product to -(1+2e) first and gets 0. (Fused presumes a CPU with
# FMA, which V8 uses for relaxed SIMD's madd on x64 since Haswell and Zen.)
# Run in the main thread and in a threading.Thread (whose pool worker instantiates the kernel
# of its own), and checked against the definition on sizes that are not multiples of the tile.
# Prints "main <value> thread <value>" and "products ok".
import threading

import numpy as np

e = 2.0**-27
A = np.zeros((4, 4))
A[0, :2] = [1 + e, -(1 + e)]
B = np.zeros((4, 4))
B[:2, 0] = [1 + e, 1 + e]

def corner():
    return float((A @ B)[0, 0])


seen = {}
thread = threading.Thread(target=lambda: seen.setdefault("thread", corner()))
thread.start()
thread.join()
print("main", corner(), "thread", seen["thread"])

rng = np.random.default_rng(7)
for m, k, n in [(37, 29, 41), (4, 300, 8), (130, 257, 9)]:
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    want = np.einsum("ik,kj->ij", a, b)
    for got in (a @ b, np.dot(a, b), (b.T @ a.T).T, a @ np.asfortranarray(b)):
        assert np.allclose(got, want, rtol=1e-13, atol=1e-13 * k), (m, k, n)
x = rng.standard_normal((60, 60)) + 60 * np.eye(60)
y = rng.standard_normal(60)
assert np.allclose(x @ np.linalg.solve(x, y), y, atol=1e-12)
print("products ok")
