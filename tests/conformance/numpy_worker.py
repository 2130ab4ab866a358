# Runs one of numpy's test modules with pytest under Weft, for tests/conformance/run.mjs (the
# numpy suites), reporting each test's outcome the way regrtest_worker.py does.
#
#   python numpy_worker.py INI MODULE [--exclude TEST_ID]... [--drop REGEX]... [--dump-after SECONDS]
#                          [--not-wasm] [-- PYTEST_ARG...]
#
# INI is numpy's pytest.ini (guest/numpy-tests.sh; its filterwarnings make warnings errors, as
# in numpy's own CI). MODULE is a dotted module name (numpy._core.tests.test_umath); the test
# bundle puts numpy's tests where an installed numpy has them, inside site-packages/numpy. The
# run is numpy's usual `pytest numpy/...` with what WASI forces:
#   --capture=sys and -p no:faulthandler   pytest's fd capture and its faulthandler plugin dup()
#                                          file descriptors, and WASI has no dup
#   -p no:cacheprovider                    site-packages is read-only
#   --basetemp                             without it, tmp_path's directory is named after the
#                                          user and checked against os.getuid(), neither of
#                                          which WASI has (pytest 7.4 knows only Emscripten)
#   --import-mode=importlib, --rootdir     pytest 7.4's default mode finds packages by their
#                                          __init__.py files, and the bundle's numpy packages have
#                                          only __init__.pyc: with the rootdir at site-packages,
#                                          importlib mode names a test module by its path
#                                          (numpy._core.tests.test_umath), as an installed numpy
#                                          would have it
# A test id is the pytest node id as a dotted name, numpy._core.tests.test_umath.TestLog.test_x[p]
# (whitespace in parameters written as \x20, so that an id is one word of the expectation file).
# --exclude leaves a test out (it hangs, or ends the interpreter); an id without [parameters]
# leaves out every parametrization of that test, a class every test in it. --drop leaves out
# every test whose id matches the regex (re.search; a suite's subset). --dump-after:
# faulthandler prints every thread's stack after that long, before the runner's time limit kills
# a hung run. --not-wasm sets numpy.testing.IS_WASM to False before the tests are imported, so
# that the tests numpy skips under wasm (threads, subprocesses, FP exceptions, small stacks:
# assumptions about Emscripten) run too: exploration, not what the expectation file describes.
# Lines on stderr, as regrtest_worker.py writes them (outcomes: ok FAIL ERROR skipped xfail xpass):
#
#   ##weft-test start <id>
#   ##weft-test <OUTCOME> <id> <reason as JSON>   once per test, after its teardown
#   ##weft-test excluded <id>                     once per test left out by --exclude
#   ##weft-test dropped <count>                   tests left out by --drop
#   ##weft-test module <STATE> <JSON {"reason", "tests_run", "env_changed"}>
#
# STATE: PASSED, FAILED, SKIPPED (the module skips itself when it is collected), DID_NOT_RUN
# (nothing collected), UNCAUGHT_EXC (the module does not load: a collection error), or
# INTERNAL_ERROR / INTERRUPTED / USAGE_ERROR (pytest's exit statuses).
import json
import os
import re
import sys
import tempfile

SITE = "/usr/local/lib/python3.13/site-packages"

ini, module = sys.argv[1], sys.argv[2]
excluded = set()
drops = []
extra = []
not_wasm = False
args = sys.argv[3:]
while args:
    if args[0] == "--exclude" and len(args) > 1:
        excluded.add(args[1])
    elif args[0] == "--drop" and len(args) > 1:
        drops.append(re.compile(args[1]))
    elif args[0] == "--dump-after" and len(args) > 1:
        import faulthandler
        faulthandler.dump_traceback_later(float(args[1]), exit=False)
    elif args[0] == "--not-wasm":
        not_wasm = True
        args = args[1:]
        continue
    elif args[0] == "--":
        extra = args[1:]
        break
    else:
        sys.exit(f"numpy_worker: unexpected argument {args[0]!r}")
    args = args[2:]

# Files tests write relative to the cwd go to the in-memory /tmp, not to the host directory the
# CLI mounted as the cwd. Also keeps a `tests` directory of the cwd off sys.path.
os.chdir(tempfile.mkdtemp(prefix="weft-numpy-"))
sys.path[:] = [p for p in sys.path if p not in ("", os.path.dirname(os.path.abspath(__file__)))]

import pytest  # noqa: E402

if not_wasm:
    import numpy.testing
    import numpy.testing._private.utils

    numpy.testing.IS_WASM = numpy.testing._private.utils.IS_WASM = False

_err = sys.__stderr__


def _mark(*fields):
    # One write of one whole line, starting a fresh line: a test's own output may have left a
    # partial line behind.
    _err.write("\n##weft-test " + " ".join(fields) + "\n")
    _err.flush()


def _id(nodeid):
    path, _, rest = nodeid.partition("::")
    if path.endswith(".py"):
        path = path[:-3]
    dotted = path.replace("/", ".") + ("." + rest.replace("::", ".") if rest else "")
    return re.sub(r"\s", lambda m: "\\x%02x" % ord(m[0]), dotted)


def _groups(tid):
    # The ids that can name this test, most specific first: itself, without its [parameters],
    # then its class(es), down to (not including) the module.
    yield tid
    key = tid.partition("[")[0]
    while len(key) > len(module):
        if key != tid:
            yield key
        key = key.rpartition(".")[0]


def _line(text):
    # The first non-empty line, at most 300 characters.
    line = next((l.strip() for l in str(text).splitlines() if l.strip()), "")
    return line if len(line) <= 300 else line[:297] + "..."


def _why(report):
    # What a failure says in one line ("AssertionError: ..."): pytest keeps the exception's
    # message in reprcrash; a report that is only text (a module that does not import) ends
    # with the exception, on the last line starting "E ".
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return _line(crash.message)
    text = str(report.longrepr)
    errors = [l[1:] for l in text.splitlines() if l.startswith("E ")]
    return _line(errors[-1] if errors else text)


RANK = {"ERROR": 0, "FAIL": 1, "xpass": 2, "xfail": 3, "skipped": 4, "ok": 5}


def _phase(report):
    """This phase's outcome (setup, call, teardown), or None when it adds nothing."""
    if report.passed:
        if report.when != "call":
            return None
        return ("xpass", report.wasxfail) if hasattr(report, "wasxfail") else ("ok", "")
    if report.skipped:
        if hasattr(report, "wasxfail"):
            return "xfail", report.wasxfail
        lr = report.longrepr
        reason = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
        return "skipped", _line(reason.removeprefix("Skipped: "))
    if report.when == "call":
        lr = report.longrepr
        if isinstance(lr, str) and lr.startswith("[XPASS(strict)]"):
            return "xpass", _line(lr)
        return "FAIL", _why(report)
    return "ERROR", f"{report.when}: {_why(report)}"


class Marks:
    def __init__(self):
        self.outcomes = {}
        self.collect_error = ""
        self.module_skip = ""
        self.ran = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep, left_out, seen, matched, dropped = [], [], [], set(), 0
        for item in items:
            tid = _id(item.nodeid)
            hit = next((g for g in _groups(tid) if g in excluded), None)
            if hit:
                left_out.append(item)
                seen.append(tid)
                matched.add(hit)
            elif any(d.search(tid) for d in drops):
                left_out.append(item)
                dropped += 1
            else:
                keep.append(item)
        items[:] = keep
        if left_out:
            config.hook.pytest_deselected(items=left_out)
        for tid in seen:
            _mark("excluded", tid)
        if drops:
            _mark("dropped", str(dropped))
        for t in sorted(excluded - matched):
            print(f"numpy_worker: excluded test {t} does not exist", file=_err)

    def pytest_collectreport(self, report):
        if report.failed and not self.collect_error:
            self.collect_error = f"{report.nodeid or module}: {_why(report)}"
        elif report.skipped and report.nodeid.endswith(".py"):
            lr = report.longrepr
            self.module_skip = _line(lr[2] if isinstance(lr, tuple) and len(lr) == 3 else lr)

    def pytest_runtest_logstart(self, nodeid, location):
        _mark("start", _id(nodeid))

    def pytest_runtest_logreport(self, report):
        got = _phase(report)
        if got is None:
            return
        prev = self.outcomes.get(report.nodeid)
        if prev is None or RANK[got[0]] < RANK[prev[0]]:
            self.outcomes[report.nodeid] = got

    def pytest_runtest_logfinish(self, nodeid, location):
        outcome, reason = self.outcomes.pop(nodeid, ("ERROR", "no outcome reported"))
        self.ran += 1
        _mark(outcome, _id(nodeid), json.dumps(str(reason)))


marks = Marks()
path = os.path.join(SITE, *module.split(".")) + ".py"
status = pytest.main([
    "-c", ini, "--rootdir", SITE, "--import-mode=importlib",
    "-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys", "--basetemp", os.path.abspath("basetemp"),
    "-q", "-rfEX", "--tb=short", *extra, path,
], plugins=[marks])

status = int(status)
if marks.collect_error:
    state, reason = "UNCAUGHT_EXC", marks.collect_error
elif status == pytest.ExitCode.NO_TESTS_COLLECTED:
    state, reason = ("SKIPPED", marks.module_skip) if marks.module_skip else ("DID_NOT_RUN", "no tests collected")
else:
    state = {0: "PASSED", 1: "FAILED", 2: "INTERRUPTED", 3: "INTERNAL_ERROR", 4: "USAGE_ERROR"}.get(status, f"EXIT_{status}")
    reason = "" if status in (0, 1) else f"pytest exit status {status}"
sys.stdout.flush()
_mark("module", state, json.dumps({"reason": reason, "tests_run": marks.ran, "env_changed": False}))
sys.exit(0 if state in ("PASSED", "SKIPPED") else 1)
