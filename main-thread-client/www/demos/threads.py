# Threads doing heavy work in parallel: each chunk hashes a large buffer with SHA-256, which
# releases the GIL, so the pool's threads run on several cores at once. Lines starting with "@"
# are for the page, which draws them; the rest is for people.
#
# usage: threads.py THREADS CHUNKS MEGABYTES_PER_CHUNK
import hashlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

threads, chunks, megabytes = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
block = bytes(range(256)) * 4096  # 1 MiB
rounds = max(1, round(megabytes))
print_lock = threading.Lock()


def report(kind, **fields):
    with print_lock:
        sys.stdout.write(f"@{kind} {json.dumps(fields)}\n")
        sys.stdout.flush()


def work(chunk):
    start = time.perf_counter()
    h = hashlib.sha256(str(chunk).encode())
    for _ in range(rounds):
        h.update(block)  # 1 MiB at a time, without the GIL
    seconds = time.perf_counter() - start
    report("chunk", chunk=chunk, thread=threading.current_thread().name,
           seconds=round(seconds, 3), digest=h.hexdigest()[:8])
    return seconds


print(f"Hashing {chunks} chunks of {rounds} MiB on {threads} thread(s).")
# One chunk alone first (twice: the first run also warms the code up): what each chunk takes
# without company, for the speed-up below.
alone = min(work("alone"), work("alone"))
start = time.perf_counter()
with ThreadPoolExecutor(max_workers=threads) as pool:
    for future in as_completed([pool.submit(work, i) for i in range(chunks)]):
        future.result()
wall = time.perf_counter() - start
report("done", seconds=round(wall, 3), sequential=round(alone * chunks, 3),
       speedup=round(alone * chunks / wall, 2), mib_per_second=round(chunks * rounds / wall, 1))
print(f"Done: {chunks * rounds} MiB in {wall:.2f} s, {alone * chunks / wall:.2f}x the speed of one thread.")
