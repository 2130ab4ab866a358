"""Recursion: naive fib, Takeuchi, Ackermann(2, n) and tree build/sum (call overhead, frames,
small ints). No direct pyperformance counterpart (coroutines' recursive fib, minus async)."""

FIB_N = 28
TAK_ARGS = (24, 16, 8)
ACK_N = 60          # ackermann(2, n) recurses about 2 * n deep: well below the recursion limit
ACK_ROUNDS = 100
TREE_DEPTH = 13
TREE_ROUNDS = 16


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def tak(x, y, z):
    if y >= x:
        return z
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def build_tree(depth):
    if depth == 0:
        return None
    return (build_tree(depth - 1), depth, build_tree(depth - 1))


def tree_sum(node):
    if node is None:
        return 0
    left, value, right = node
    return tree_sum(left) + value + tree_sum(right)


def bench():
    f = fib(FIB_N)
    t = tak(*TAK_ARGS)
    a = 0
    for i in range(ACK_ROUNDS):
        a += ackermann(2, ACK_N + i % 3)
    s = 0
    for _ in range(TREE_ROUNDS):
        s += tree_sum(build_tree(TREE_DEPTH))
    assert (f, t, a, s) == (317811, 9, 12498, 261904), (f, t, a, s)
