# Compares every file under argv[1] (an extracted copy of the stdlib bundle) with the same file as
# the bundle serves it at /usr/local/lib/python3.13, and prints how many matched.
import os
import sys

root, lib = sys.argv[1], "/usr/local/lib/python3.13"
n = 0
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        with open(p, "rb") as a, open(lib + p[len(root):], "rb") as b:
            assert a.read() == b.read(), p
        n += 1
print(n, "files identical")
