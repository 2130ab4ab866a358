"""Generators: multi-stage pipelines, yield from over a recursive tree, send()-driven coroutines,
generator expressions and itertools glue. Resembles pyperformance's generators."""

import itertools
from collections import deque

N = 60000
TREE_DEPTH = 14
ROUNDS = 4


def numbers(n):
    x = 1
    for i in range(n):
        x = (x * 48271) % 2147483647
        yield i, x


def only_odd(pairs):
    for i, x in pairs:
        if x & 1:
            yield i, x


def scaled(pairs, k):
    for i, x in pairs:
        yield i, (x % 1000) * k


def windows(items, size):
    window = deque(maxlen=size)
    for item in items:
        window.append(item)
        if len(window) == size:
            yield tuple(window)


def chunked(iterable, size):
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def make_tree(depth, start=0):
    if depth == 0:
        return start
    return [make_tree(depth - 1, start * 2), make_tree(depth - 1, start * 2 + 1)]


def leaves(tree):
    if isinstance(tree, list):
        for child in tree:
            yield from leaves(child)
    else:
        yield tree


def running_stats():
    """A coroutine: send values in, get (count, total, max) back."""
    count = total = 0
    biggest = None
    value = yield None
    while True:
        count += 1
        total += value
        if biggest is None or value > biggest:
            biggest = value
        value = yield count, total, biggest


def delegator(inner):
    result = yield from inner
    return result


def bench():
    out = []
    tree = make_tree(TREE_DEPTH)
    for _ in range(ROUNDS):
        pipeline = scaled(only_odd(numbers(N)), 3)
        window_sums = sum(sum(x for _, x in w) for w in windows(pipeline, 4))
        out.append(window_sums)

        chunk_max = [max(c) for c in chunked((x % 9973 for _, x in numbers(N)), 64)]
        out.append((len(chunk_max), sum(chunk_max)))

        leaf_sum = sum(leaves(tree))
        out.append(leaf_sum)

        stats = delegator(running_stats())
        next(stats)
        last = None
        for _, x in itertools.islice(numbers(N), 0, None, 3):
            last = stats.send(x % 100003)
        stats.close()
        out.append(last)

        groups = [(k, sum(1 for _ in g))
                  for k, g in itertools.groupby(sorted(x % 13 for _, x in numbers(N // 4)))]
        acc = list(itertools.accumulate((x % 7 for _, x in numbers(N // 4)),
                                        lambda a, b: (a * 3 + b) % 1000003))
        pairs = sum(a * b for a, b in zip(range(1000), itertools.cycle(range(7))))
        chained = sum(1 for _ in itertools.chain.from_iterable(itertools.repeat(range(10), 500)))
        out.append((groups, acc[-1], pairs, chained))
    assert out[:len(out) // ROUNDS] * ROUNDS == out
    groups = [(0, 1128), (1, 1152), (2, 1170), (3, 1106), (4, 1116), (5, 1134), (6, 1197),
              (7, 1159), (8, 1139), (9, 1227), (10, 1175), (11, 1149), (12, 1148)]
    assert out[:5] == [178805886, (938, 9211655), 134209536, (20000, 1006966356, 100001),
                       (groups, 792735, 1499504, 5000)], out[:5]
