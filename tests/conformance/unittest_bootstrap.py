# Runs CPython test modules under Weft with unittest, for tests/conformance/*.mjs.
#
#   python unittest_bootstrap.py LIBDIR MODULE [--exclude TEST_ID]... [--drop REGEX]...
#                                [--dump-after SECONDS]
#
# LIBDIR is CPython's Lib/ directory holding test/ (the dist/ stdlib bundle has no Lib/test). The
# module's tests are loaded, the excluded ones (tests that hang under Weft) and those whose id
# matches a --drop regex (re.search) are removed, and the rest run with unittest's verbose text
# runner. --dump-after makes faulthandler print every thread's stack after that long (before the
# runner's time limit kills a hung run). Next to unittest's own output, every test start
# and outcome is also written as one machine-readable line on stderr,
#
#   ##weft-test start <id>
#   ##weft-test <OUTCOME> <id> <reason as JSON>
#   ##weft-test excluded <id>         (once per --exclude that matched a test)
#   ##weft-test dropped <count>       (tests removed by --drop)
#
# with OUTCOME one of ok FAIL ERROR skipped xfail xpass, so that the runner can tell which test
# was running when a module hangs, and never has to untangle the verbose lines from what the
# tests themselves print.
import json
import os
import re
import sys
import tempfile
import unittest

lib, module = sys.argv[1], sys.argv[2]
excluded = set()
drops = []
args = sys.argv[3:]
while args:
    if args[0] == "--exclude" and len(args) > 1:
        excluded.add(args[1])
        args = args[2:]
    elif args[0] == "--dump-after" and len(args) > 1:
        import faulthandler
        faulthandler.dump_traceback_later(float(args[1]), exit=False)
        args = args[2:]
    elif args[0] == "--drop" and len(args) > 1:
        drops.append(re.compile(args[1]))
        args = args[2:]
    else:
        sys.exit(f"unittest_bootstrap: unexpected argument {args[0]!r}")

sys.path.insert(0, lib)

from test import support
from test.support import threading_helper

# test.support assumes that wasm32-wasi has no threads (threading_helper._can_start_thread) and
# skips every threading test; Weft's guest has them.
threading_helper.can_start_thread = True

# Files the tests create (support.TESTFN and friends) go to the in-memory /tmp, not the host.
os.chdir(tempfile.mkdtemp(prefix="weft-conformance-"))

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


def _reason(traceback, prefix=""):
    # The exception line of a formatted traceback.
    lines = str(traceback).strip().splitlines()
    return json.dumps(prefix + (lines[-1] if lines else ""))


class MarkingResult(unittest.TextTestResult):
    def startTest(self, test):
        _mark("start", _id(test))
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        _mark("ok", _id(test), '""')

    def addFailure(self, test, err):
        super().addFailure(test, err)
        _mark("FAIL", _id(test), _reason(self._exc_info_to_string(err, test)))

    def addError(self, test, err):
        super().addError(test, err)
        _mark("ERROR", _id(test), _reason(self._exc_info_to_string(err, test)))

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
            _mark(outcome, _id(test), _reason(self._exc_info_to_string(err, test),
                                              f"{subtest._subDescription()}: "))


def _without(suite, seen, dropped):
    kept = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            kept.addTest(_without(t, seen, dropped))
        elif t.id() in excluded:
            seen.add(t.id())
        elif any(d.search(t.id()) for d in drops):
            dropped.append(t.id())
        else:
            kept.addTest(t)
    return kept


loader = unittest.TestLoader()
try:
    suite = loader.loadTestsFromName(module)
except unittest.SkipTest as e:
    _mark("skipped", module, json.dumps(str(e)))
    sys.exit(0)
seen, dropped = set(), []
suite = _without(suite, seen, dropped)
for name in sorted(seen):
    _mark("excluded", name)
for name in sorted(excluded - seen):
    print(f"unittest_bootstrap: excluded test {name} does not exist", file=_err)
if drops:
    _mark("dropped", str(len(dropped)))

runner = unittest.TextTestRunner(stream=_err, verbosity=2, resultclass=MarkingResult)
result = runner.run(suite)
_err.flush()
sys.stdout.flush()
sys.exit(0 if result.wasSuccessful() else 1)
