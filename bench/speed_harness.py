# Times a benchmark program's bench() inside Python, the same way on every side (native CPython,
# Weft, Pyodide). `measure(name, source, reps)` execs the program in a fresh namespace (defining
# only), then returns the seconds of `reps` calls of bench(), by time.perf_counter().
# As a script: `python -c <this> NAME REPS SOURCE` prints `WEFT-SPEED <json list>`.
import json
import sys
import time


def measure(name, source, reps):
    ns = {"__name__": "bench_" + name}
    exec(compile(source, name + ".py", "exec"), ns)
    bench = ns["bench"]
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        bench()
        out.append(time.perf_counter() - t0)
    return out


if __name__ == "__main__" and len(sys.argv) == 4:
    print("WEFT-SPEED " + json.dumps(measure(sys.argv[1], sys.argv[3], int(sys.argv[2]))))
