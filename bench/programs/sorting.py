"""Sorting: list.sort and sorted over ints, floats, strings, tuples and objects with key functions,
cmp_to_key, reverse, stable multi-pass sorts and __lt__. No direct pyperformance counterpart."""

import random
from functools import cmp_to_key
from operator import attrgetter, itemgetter

SEED = 7
N = 20000


class Employee:
    __slots__ = ("name", "dept", "salary", "age")

    def __init__(self, name, dept, salary, age):
        self.name = name
        self.dept = dept
        self.salary = salary
        self.age = age

    def __lt__(self, other):
        # Deliberately Python-level comparisons: dept ascending, then salary descending.
        if self.dept != other.dept:
            return self.dept < other.dept
        return self.salary > other.salary


def compare_len_then_text(a, b):
    if len(a) != len(b):
        return len(a) - len(b)
    return (a > b) - (a < b)


def make_data(rng, n):
    ints = [rng.randrange(-10 ** 6, 10 ** 6) for _ in range(n)]
    floats = [rng.random() * rng.random() - 0.25 for _ in range(n)]
    letters = "abcdefghijklmnopqrstuvwxyzAEIOUXYZ"
    strings = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(n)]
    depts = ["eng", "ops", "sales", "legal", "hr", "research"]
    people = [Employee(strings[i], rng.choice(depts), rng.randrange(30000, 200000, 500),
                       rng.randint(20, 65)) for i in range(n // 2)]
    return ints, floats, strings, people


def checksum(seq):
    # Order-sensitive (a polynomial hash), and the same on 32- and 64-bit builds (no hash()).
    total = 0
    for x in seq:
        value = x if isinstance(x, int) else len(x) * 1009 + ord(x[0]) * 31 + ord(x[-1])
        total = (total * 1000003 + value) % 2305843009213693951
    return total


def bench():
    rng = random.Random(SEED)
    ints, floats, strings, people = make_data(rng, N)
    out = []

    a = sorted(ints)
    out.append(checksum(a))
    out.append(checksum(sorted(ints, key=abs, reverse=True)))
    out.append(checksum(sorted(ints, key=lambda x: (x % 1000, -x))))
    f = sorted(floats)
    assert all(f[i] <= f[i + 1] for i in range(len(f) - 1))
    out.append(round(sum(f[:100]), 6))

    s = sorted(strings)
    out.append(checksum(s))
    out.append(checksum(sorted(strings, key=str.lower)))
    out.append(checksum(sorted(strings, key=lambda w: (len(w), w[::-1]))))
    out.append(checksum(sorted(strings[:5000], key=cmp_to_key(compare_len_then_text))))

    pairs = [(w[:2], i % 97, w) for i, w in enumerate(strings)]
    pairs.sort()
    out.append(checksum([p[2] for p in pairs]))
    pairs.sort(key=itemgetter(1))            # stable: keeps the previous order within equal keys
    out.append(checksum([p[2] for p in pairs]))

    by_obj = sorted(people)                   # __lt__ in Python
    out.append(checksum([p.name for p in by_obj]))
    by_attr = sorted(people, key=attrgetter("age", "salary"), reverse=True)
    out.append(checksum([p.name for p in by_attr]))
    staged = sorted(people, key=attrgetter("name"))
    staged.sort(key=attrgetter("dept"))
    out.append(checksum([p.name for p in staged]))

    # Already-sorted, reversed and nearly sorted inputs exercise timsort's runs.
    nearly = a[:]
    for i in range(0, len(nearly), 50):
        nearly[i] = -nearly[i]
    nearly.sort()
    out.append(checksum(nearly))
    out.append(checksum(sorted(a, reverse=True)))
    assert out == [
        2297911795168877185, 1341908758516229423, 1596929399658210161, -24.970708,
        844165977103200201, 569578400838938254, 1448741001218437453, 994754654581167515,
        2251747030159822786, 1619297727797594122, 1409748376940592401, 697012455372998845,
        1835054208376220659, 1342721261335529703, 1022811335487976615], out
