# Python's threading as on Linux, one check per line of output ("ok <name>"); an assertion
# failure raises and ends the run with a traceback. Shared by the Node and Chromium suites.
import concurrent.futures
import os
import queue
import sys
import threading
import time

def check(name):
    print("ok", name, flush=True)

# Threads, daemon and not; join with and without a timeout.
results = []
ts = [threading.Thread(target=lambda i=i: results.append(i * i)) for i in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert sorted(results) == [i * i for i in range(8)], results
slow = threading.Thread(target=time.sleep, args=(0.5,), daemon=True)
slow.start()
slow.join(0.05)
assert slow.is_alive() and slow.daemon
slow.join()
assert not slow.is_alive()
check("thread join timeout daemon")

# Lock, RLock, Condition, Semaphore, Event, Barrier.
counter = 0
lock = threading.Lock()
def add():
    global counter
    for _ in range(2000):
        with lock:
            counter += 1
ts = [threading.Thread(target=add) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
assert counter == 8000, counter
rlock = threading.RLock()
with rlock:
    with rlock:
        assert rlock._is_owned()
cond = threading.Condition()
ready = []
def consumer():
    with cond:
        cond.wait_for(lambda: ready)
        ready.append("seen")
c = threading.Thread(target=consumer)
c.start()
with cond:
    ready.append("go")
    cond.notify_all()
c.join()
assert ready == ["go", "seen"], ready
sem = threading.BoundedSemaphore(2)
inside = []
peak = [0]
def limited():
    with sem:
        inside.append(1)
        peak[0] = max(peak[0], len(inside))
        time.sleep(0.02)
        inside.pop()
ts = [threading.Thread(target=limited) for _ in range(5)]
for t in ts: t.start()
for t in ts: t.join()
assert 1 <= peak[0] <= 2, peak
ev = threading.Event()
waiter = threading.Thread(target=lambda: ev.wait(10))
waiter.start()
ev.set()
waiter.join(10)
assert not waiter.is_alive()
assert not threading.Event().wait(0.01)
barrier = threading.Barrier(3)
order = []
def at_barrier():
    order.append(barrier.wait())
ts = [threading.Thread(target=at_barrier) for _ in range(3)]
for t in ts: t.start()
for t in ts: t.join()
assert sorted(order) == [0, 1, 2], order
check("locks conditions semaphores events barriers")

# queue.Queue between producer and consumer threads.
q = queue.Queue(maxsize=3)
def producer():
    for i in range(50):
        q.put(i)
    q.put(None)
got = []
p = threading.Thread(target=producer)
p.start()
while (item := q.get(timeout=10)) is not None:
    got.append(item)
p.join()
assert got == list(range(50))
check("queue")

# threading.local: each thread sees its own value.
local = threading.local()
local.v = "main"
seen = {}
def use_local(name):
    local.v = name
    time.sleep(0.01)
    seen[name] = local.v
ts = [threading.Thread(target=use_local, args=(f"t{i}",)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
assert seen == {f"t{i}": f"t{i}" for i in range(4)} and local.v == "main", seen
check("local")

# ThreadPoolExecutor, including an exception carried back to the caller.
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
    assert list(ex.map(lambda x: x * 2, range(20))) == [x * 2 for x in range(20)]
    fut = ex.submit(lambda: 1 / 0)
    try:
        fut.result()
        raise AssertionError("no exception")
    except ZeroDivisionError:
        pass
check("executor")

# threading.excepthook sees an uncaught exception; the default one prints the traceback.
hooked = []
threading.excepthook = lambda args: hooked.append((args.exc_type, args.thread.name))
t = threading.Thread(target=lambda: 1 / 0, name="failing")
t.start()
t.join()
assert hooked == [(ZeroDivisionError, "failing")], hooked
threading.excepthook = threading.__excepthook__
t = threading.Thread(target=lambda: int("x"), name="loud")
t.start()
t.join()
check("excepthook")

# print from threads; a file opened in one thread used in another.
def say(i):
    print(f"line from thread {i}", flush=True)
ts = [threading.Thread(target=say, args=(i,)) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
path = "/tmp/threads-shared.txt"
f = open(path, "w")
w = threading.Thread(target=lambda: (f.write("written by a thread\n"), f.flush()))
w.start()
w.join()
f.close()
fd = os.open(path, os.O_RDONLY)
r = []
t = threading.Thread(target=lambda: r.append(os.read(fd, 100)))
t.start()
t.join()
os.close(fd)
assert r == [b"written by a thread\n"], r
check("print and files across threads")

# Many short threads in sequence reuse the pool's workers.
for i in range(300):
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
assert threading.active_count() == 1, threading.enumerate()
check("short threads")

# One monotonic clock for every thread (each runs on its own worker).
marks = []
for _ in range(5):
    before = time.monotonic()
    t = threading.Thread(target=lambda: marks.append(time.monotonic()))
    t.start()
    t.join()
    after = time.monotonic()
    assert before <= marks[-1] <= after, (before, marks[-1], after)
check("monotonic clock shared")
