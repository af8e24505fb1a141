"""Runs one suite of CPython's own test package and records each test's
outcome, one line per test: "ID OUTCOME" (pass, fail, error, skip, xfail,
xpass), in OUT.  Used by pysuite.sh natively and inside micronos-run.

Usage: python3 pysuite_run.py OUT SUITE [-k PATTERN...]
A PATTERN starting with "!" leaves out the tests whose id contains the
rest (test_socket:!VSOCK: vsock accept() hangs natively in some VMs).
"""
import sys
import unittest


class Recorder(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.outcomes = {}

    def _set(self, test, what):
        tid = test.id() if hasattr(test, "id") else str(test)
        # a setUpClass failure names the class: keep the worst
        self.outcomes[tid] = what

    def addSuccess(self, test):
        super().addSuccess(test)
        self.outcomes.setdefault(test.id(), "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail")

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skip")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "xpass")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._set(test, "fail" if issubclass(err[0],
                      test.failureException) else "error")


def without(suite, excluded):
    """suite with the tests whose id contains an excluded string left out"""
    kept = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            kept.addTest(without(t, excluded))
        elif not any(x in t.id() for x in excluded):
            kept.addTest(t)
    return kept


def main():
    out, suite = sys.argv[1], sys.argv[2]
    patterns = [a for a in sys.argv[3:] if a != "-k"]
    excluded = [p[1:] for p in patterns if p.startswith("!")]
    patterns = [p for p in patterns if not p.startswith("!")]
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p if "*" not in p else p
                                   for p in patterns]
    tests = without(loader.loadTestsFromName("test." + suite), excluded)
    runner = unittest.TextTestRunner(resultclass=Recorder, verbosity=0,
                                     stream=sys.stderr)
    res = runner.run(tests)
    with open(out, "w") as f:
        for tid in sorted(res.outcomes):
            f.write("%s %s\n" % (tid, res.outcomes[tid]))


if __name__ == "__main__":
    main()
