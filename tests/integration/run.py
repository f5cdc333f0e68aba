#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Runs every tests/integration/test_*.py module (or the ones named on the
command line, e.g. `run.py test_login test_refresh`), prints one line per
test, `ok <name>` or `FAIL <name>` followed by the failure detail, and ends
with exactly one line `integration: N passed, M failed`. Exit status 1 when
anything failed.

Run with Debian's interpreter: /usr/bin/python3 tests/integration/run.py
KEEP_TMP=1 keeps each server's temp dir (database, the rendered lighttpd.conf
or apache2.conf, run/error.log).

PTL_DB=postgres runs every Server() on PostgreSQL: one throw-away cluster
(tests/tools/pgcluster) is started here before the first test, named to
the harness by PTL_PG_DIR, and stopped after the last, even when the run
fails or is interrupted. A test marked @sqlite_only (harness) is then
reported `skip <name> (sqlite only: why)`, counted neither way.
"""

import glob
import os
import signal
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class LineResult(unittest.TestResult):
    """One line per test: ok, or FAIL with the detail indented. A test
    whose subtests failed is reported through them, once, not again as ok
    at the end; a skip counts as a failure."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.passed = 0
        self.failed = 0
        self.engine_skipped = 0
        self._failed_ids = set()
        self._subtest_failed = set()

    def _line(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        if test.id() in self._subtest_failed:
            return
        self.passed += 1
        self._line("ok %s" % test.id())

    def _fail(self, test, err, owner=None):
        key = (owner or test).id()
        if key not in self._failed_ids:   # a test counts once, whatever its subtests
            self._failed_ids.add(key)
            self.failed += 1
        detail = self._exc_info_to_string(err, test)
        self._line("FAIL %s" % test.id())
        for l in detail.rstrip().splitlines():
            self._line("    " + l)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        # A failing subTest fails its test once; passing subtests are silent.
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._fail(subtest, err, owner=test)
            self._subtest_failed.add(test.id())

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if reason.startswith("sqlite only:"):   # harness.sqlite_only
            self.engine_skipped += 1
            self._line("skip %s (%s)" % (test.id(), reason))
            return
        self.failed += 1
        self._line("FAIL %s (skipped: %s)" % (test.id(), reason))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.passed += 1
        self._line("ok %s" % test.id())

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1
        self._line("ok %s (expected failure)" % test.id())


def _start_cluster():
    """PTL_DB=postgres: the suite's cluster (see the module doc), or None."""
    if os.environ.get("PTL_DB") not in ("postgres", "pg", "postgresql"):
        return None
    import harness
    c = harness.PgCluster(tempfile.mkdtemp(prefix="ptl-pg-"))
    c.owned = True
    os.environ["PTL_PG_DIR"] = c.dir
    c.start()
    sys.stdout.write("# engine: postgres (%s)\n" % c.sock)
    return c


def _on_term(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv):
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    cluster = None
    try:
        cluster = _start_cluster()
        return _run(argv)
    finally:
        import harness
        if harness._shared_cluster is not None and harness._shared_cluster is not cluster:
            harness._shared_cluster.remove()
        if cluster is not None:
            cluster.remove()


def _run(argv):
    names = argv[1:]
    if not names:
        names = sorted(os.path.splitext(os.path.basename(p))[0]
                       for p in glob.glob(os.path.join(HERE, "test_*.py")))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    result = LineResult(sys.stdout)
    for name in names:
        name = os.path.splitext(os.path.basename(name))[0]
        try:
            suite.addTests(loader.loadTestsFromName(name))
        except Exception as e:  # import error: count it as a failure
            result.failed += 1
            result._line("FAIL %s (import: %s: %s)" % (name, type(e).__name__, e))
    t0 = time.monotonic()
    suite.run(result)
    sys.stdout.write("# %.1fs\n" % (time.monotonic() - t0))
    if result.engine_skipped:
        sys.stdout.write("# %d sqlite-only tests skipped on postgres\n"
                         % result.engine_skipped)
    sys.stdout.write("integration: %d passed, %d failed\n" % (result.passed, result.failed))
    sys.stdout.flush()
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
