# Whether this machine's CPUs slow down in phases, and how much more when two run at once: a
# pure-Python loop timed in 50 ms windows, in one process on each CPU alone, then in one
# process per CPU at once (pinned where os.sched_setaffinity exists). Run it natively, next to
# `cargo xtask bench`:
#
#   python3 bench/host_phases.py
#
# On the 2-vCPU VMs this project is measured on, the loop runs up to 2x slower in phases of
# 0.1 s to several seconds, in 0-100% of the windows from one run to the next, and more often
# when both vCPUs are busy. A native C loop does the same, so it is the host (its vCPUs
# evidently share physical cores, with each other or with other tenants), not Python or Weft.
# Code that retires many instructions a cycle slows the most: this loop, V8's wasm SIMD128
# kernels; native numpy's OpenBLAS (AVX-512, far fewer instructions for the same work) much
# less. Such phases are what spreads the 2-thread numpy ratios of bench/numpy.mjs from run to
# run.
import os
import statistics
import subprocess
import sys
import time

WINDOW_S, SECONDS = 0.05, 4.0


def work():
    x = 0
    for i in range(20000):
        x += i * i
    return x


def probe(cpu):
    """One process: the median time of `work()` in each window, as lines of numbers."""
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    windows = []
    end = time.perf_counter() + SECONDS
    while time.perf_counter() < end:
        times, stop = [], time.perf_counter() + WINDOW_S
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            work()
            times.append(time.perf_counter() - t0)
        windows.append(statistics.median(times) * 1e3)
    print(" ".join(f"{w:.4f}" for w in windows[4:]))  # the first windows warm up


def run(cpus):
    """`probe` in one process per CPU of `cpus`, at once: each process's windows."""
    procs = [subprocess.Popen([sys.executable, __file__, "--probe", str(c)], stdout=subprocess.PIPE, text=True)
             for c in cpus]
    return [[float(w) for w in p.communicate()[0].split()] for p in procs]


def main():
    cpus = sorted(os.sched_getaffinity(0))[:2] if hasattr(os, "sched_getaffinity") else [-1, -1]
    alone = {cpu: run([cpu])[0] for cpu in cpus}
    together = dict(zip(cpus, run(cpus))) if len(cpus) > 1 else {}
    # The fast time: the fastest window of all (if every window was slowed, the absolute times
    # still show it against another run).
    fast = min(min(w) for w in [*alone.values(), *together.values()])
    def line(name, windows):
        slow = sum(w > 1.2 * fast for w in windows) / len(windows)
        print(f"{name}: median {statistics.median(windows):.3f} ms, slowest {max(windows):.3f} ms, "
              f"{slow:.0%} of windows over 1.2x the fast time ({fast:.3f} ms)")
    for cpu, windows in alone.items():
        line(f"cpu {cpu} alone", windows)
    for cpu, windows in together.items():
        line(f"cpu {cpu}, both at once", windows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        probe(int(sys.argv[2]))
    else:
        main()
