# Two threads doing GIL-releasing work (sha256, zlib) at once: prints "overlap <kind>" when the
# two calls were in flight at the same time (so on two workers in parallel), else the spans.
# A machine busy with other work may run two short calls one after the other; a few tries tell
# that apart from threads that can never overlap.
import hashlib
import threading
import time
import zlib

data = bytes(range(256)) * (1 << 17)
work = {
    "sha256": lambda: hashlib.sha256(data).digest(),
    "zlib": lambda: zlib.compress(data, 6),
}


def spans_of(f):
    spans = {}

    def run(name):
        t0 = time.perf_counter()
        f()
        spans[name] = (t0, time.perf_counter())

    ts = [threading.Thread(target=run, args=(n,)) for n in "ab"]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return spans


for kind, f in work.items():
    for attempt in range(5):
        spans = spans_of(f)
        (a0, a1), (b0, b1) = spans["a"], spans["b"]
        if max(a0, b0) < min(a1, b1):
            print("overlap", kind)
            break
    else:
        print("serial", kind, spans)
