# Runs one CPython test module under Weft the way `python -m test -jN` runs each module in a
# worker process (test/libregrtest/worker.py): setup_process(), setup_tests() and
# run_single_test() of CPython's own regrtest, for tests/conformance/run.mjs.
#
#   python regrtest_worker.py LIBDIR MODULE [--use RESOURCES] [--exclude TEST_ID]...
#                             [--drop REGEX]... [--dump-after SECONDS]
#
# LIBDIR holds test/ (the dist/ stdlib bundle has none; see guest/test-bundle.sh). MODULE is a
# dotted name as regrtest's findtests gives it (test.test_os, test.test_asyncio.test_tasks).
# --use: regrtest's -u (comma-separated resource names, "all", or empty for none: the default
# of `python -m test`). --exclude removes one test (tests that hang under Weft), --drop every
# test whose id matches the regex (re.search). --dump-after makes faulthandler print every
# thread's stack after that long, before the runner's time limit kills a hung run.
# Verbose like `python -m test -v`: unittest's lines go to stdout. Next to them every test
# start and outcome, and the module's result, are written as single lines on stderr,
#
#   ##weft-test start <id>
#   ##weft-test <OUTCOME> <id> <reason as JSON>     OUTCOME: ok FAIL ERROR skipped xfail xpass
#   ##weft-test excluded <id>         (once per --exclude that matched a test)
#   ##weft-test dropped <count>       (tests removed by --drop)
#   ##weft-test module <STATE> <JSON {"reason", "tests_run", "env_changed"}>
#
# STATE being regrtest's (PASSED, FAILED, SKIPPED, RESOURCE_DENIED, UNCAUGHT_EXC, ENV_CHANGED,
# DID_NOT_RUN, ...), so that the runner knows which test was running when a module hangs and
# never has to untangle unittest's lines from what the tests themselves print.
import json
import os
import re
import sys
import tempfile
import traceback
import unittest

lib, module = sys.argv[1], sys.argv[2]
resources = ""
excluded = set()
drops = []
args = sys.argv[3:]
while args:
    if args[0] == "--exclude" and len(args) > 1:
        excluded.add(args[1])
    elif args[0] == "--use" and len(args) > 1:
        resources = args[1]
    elif args[0] == "--dump-after" and len(args) > 1:
        import faulthandler
        faulthandler.dump_traceback_later(float(args[1]), exit=False)
    elif args[0] == "--drop" and len(args) > 1:
        drops.append(re.compile(args[1]))
    else:
        sys.exit(f"regrtest_worker: unexpected argument {args[0]!r}")
    args = args[2:]

# Files the tests create (support.TESTFN and friends, relative to os_helper.SAVEDCWD) go to the
# in-memory /tmp, not to the host directory holding Lib/test: change directory before the
# first import of test.support.
os.chdir(tempfile.mkdtemp(prefix="weft-conformance-"))
sys.path.insert(0, lib)

from test import support
from test.support import threading_helper

# test.support assumes that wasm32-wasi has no threads (threading_helper._can_start_thread) and
# would skip every threading test; Weft's guest has them.
threading_helper.can_start_thread = True

from test.libregrtest import single, testresult
from test.libregrtest.runtests import RunTests
from test.libregrtest.setup import setup_process
from test.libregrtest.utils import ALL_RESOURCES, RESOURCE_NAMES

if resources == "all":
    use = ALL_RESOURCES
else:
    use = tuple(r for r in resources.split(",") if r)
    unknown = [r for r in use if r not in RESOURCE_NAMES]
    if unknown:
        sys.exit(f"regrtest_worker: unknown resource(s) {unknown}; regrtest knows {RESOURCE_NAMES}")

_err = sys.__stderr__


def _mark(*fields):
    # One write of one whole line, starting a fresh line: a test's own output may have left a
    # partial line behind.
    _err.write("\n##weft-test " + " ".join(fields) + "\n")
    _err.flush()


def _id(test):
    # A subtest's outcome counts for its test; a setUpClass/setUpModule failure (unittest's
    # _ErrorHolder, "setUpClass (mod.Class)") becomes "mod.Class.setUpClass".
    if isinstance(test, unittest.case._SubTest):
        test = test.test_case
    m = re.fullmatch(r"(\w+) \((\S+)\)", test.id())
    return f"{m[2]}.{m[1]}" if m else test.id()


def _exc_line(err, prefix=""):
    # What the exception says, on one line ("AssertionError: 1 != 2"): the first unindented line
    # of format_exception_only (a SyntaxError's location lines are indented; a long assertion
    # message continues on the next lines).
    lines = "".join(traceback.format_exception_only(err[0], err[1])).splitlines()
    line = prefix + next((l for l in lines if l and not l[0].isspace()), err[0].__name__)
    return line if len(line) <= 300 else line[:297] + "..."


class MarkingResult(testresult.RegressionTestResult):
    def startTest(self, test):
        _mark("start", _id(test))
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        _mark("ok", _id(test), '""')

    def addFailure(self, test, err):
        super().addFailure(test, err)
        _mark("FAIL", _id(test), json.dumps(_exc_line(err)))

    def addError(self, test, err):
        super().addError(test, err)
        _mark("ERROR", _id(test), json.dumps(_exc_line(err)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        _mark("skipped", _id(test), json.dumps(str(reason)))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        _mark("xfail", _id(test), '""')

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        _mark("xpass", _id(test), '""')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            outcome = "FAIL" if issubclass(err[0], test.failureException) else "ERROR"
            # Reported against the test itself: a test with a failing subtest fails.
            reason = _exc_line(err, f"{subtest._subDescription()}: ")
            _mark(outcome, _id(test), json.dumps(reason))


# regrtest builds its runner from this name (testresult.get_test_runner_class).
testresult.RegressionTestResult = MarkingResult

# regrtest filters every loaded test case through single.match_test (its -m/-i patterns);
# --exclude and --drop filter there too.
seen, dropped = set(), []
_regrtest_match = single.match_test


def _match(test):
    tid = test.id()
    if tid in excluded:
        seen.add(tid)
        return False
    if any(d.search(tid) for d in drops):
        dropped.append(tid)
        return False
    return _regrtest_match(test)


single.match_test = _match

# Why a module did not run its tests (SkipTest at import, an import error): regrtest prints it
# but does not keep it in its result.
module_reason = ""
_load_run_test = single._load_run_test


def _load_and_remember(result, runtests):
    global module_reason
    try:
        _load_run_test(result, runtests)
    except unittest.SkipTest as e:
        module_reason = str(e)
        raise
    except (support.TestFailed, support.TestDidNotRun):
        raise  # the tests ran: their own marks say why
    except BaseException:
        module_reason = _exc_line(sys.exc_info())
        raise


single._load_run_test = _load_and_remember

# The RunTests of `python -m test -v -u <use> MODULE` (Regrtest.create_run_tests), minus the
# timeout: the runner enforces it from outside, since faulthandler's exit would kill the
# process before the runner learns which test hung.
runtests = RunTests(
    (module,), fail_fast=False, fail_env_changed=False, match_tests=(), match_tests_dict=None,
    rerun=False, forever=False, pgo=False, pgo_extended=False, output_on_failure=False,
    timeout=None, verbose=1, quiet=False, hunt_refleak=None, test_dir=None, use_junit=False,
    coverage=False, memory_limit=None, gc_threshold=None, use_resources=use, python_cmd=None,
    randomize=False, random_seed=0)

setup_process()
result = single.run_single_test(module, runtests)

for name in sorted(seen):
    _mark("excluded", name)
for name in sorted(excluded - seen):
    print(f"regrtest_worker: excluded test {name} does not exist", file=_err)
if drops:
    _mark("dropped", str(len(dropped)))
stats = result.stats
_mark("module", str(result.state), json.dumps({
    "reason": module_reason,
    "tests_run": stats.tests_run if stats else 0,
    "env_changed": result.state == "ENV_CHANGED",
}))
sys.stdout.flush()
sys.exit(0 if result.state in ("PASSED", "ENV_CHANGED", "SKIPPED", "RESOURCE_DENIED") else 1)
