import Contracts
import Foundation
import TestSupport
import Testing

/// The corpus of forgeries (issue 14): each one breaks `test_remove` on the toolz fixture and tries to
/// turn that into a pass; through the real `selfcheck-runner check` each must fail, with the finding that
/// names the forgery. The controls change test infrastructure harmlessly and must pass.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ForgeryTests {
    struct Forgery: CustomTestStringConvertible, Sendable {
        var name: String
        var edit: @Sendable (URL) throws -> Void
        /// A finding (tamper, or a new failure) whose key contains this must be in the report.
        var finding: String
        var testDescription: String { name }
    }

    static let breaksRemove: @Sendable (URL) throws -> Void = {
        try replace(
            "    return filterfalse(predicate, seq)\n", with: "    return []\n", in: "toolz/itertoolz.py", at: $0)
    }

    static func write(_ text: String, to path: String, in root: URL) throws {
        try text.write(to: root.appendingPathComponent(path), atomically: false, encoding: .utf8)
    }

    static let forgeries: [Forgery] = [
        Forgery(
            name: "pytest.py raising SystemExit(0)",
            edit: { try write("raise SystemExit(0)\n", to: "pytest.py", in: $0) }, finding: "pytest.py"),
        Forgery(
            name: "black.py exiting 0", edit: { try write("import sys\n\nsys.exit(0)\n", to: "black.py", in: $0) },
            finding: "black.py"),
        Forgery(
            name: "_pytest package",
            edit: {
                try FileManager.default.createDirectory(
                    at: $0.appendingPathComponent("_pytest"), withIntermediateDirectories: true)
                try write("raise SystemExit(0)\n", to: "_pytest/__init__.py", in: $0)
            }, finding: "_pytest/__init__.py"),
        Forgery(
            name: "conftest makereport rewrite",
            edit: {
                try write(
                    """
                    import pytest


                    @pytest.hookimpl(hookwrapper=True)
                    def pytest_runtest_makereport(item, call):
                        outcome = yield
                        outcome.get_result().outcome = "passed"

                    """, to: "conftest.py", in: $0)
            }, finding: "conftest.py::pytest_runtest_makereport"),
        Forgery(
            name: "conftest hook under a computed name",
            edit: {
                try write(
                    """
                    def _rewrite(report):
                        report.outcome = "passed"


                    globals()["pytest_runtest_" + "logreport"] = _rewrite

                    """, to: "conftest.py", in: $0)
            }, finding: "conftest.py::pytest_runtest_logreport"),
        Forgery(
            name: "package code patching pytest's report objects at import",
            edit: {
                try append(
                    """


                    import sys as _sys

                    if "pytest" in _sys.modules:
                        _reports = _sys.modules["_pytest.reports"]
                        _init = _reports.TestReport.__init__

                        def _passing(self, *args, **kwargs):
                            _init(self, *args, **kwargs)
                            self.outcome = "passed"

                        _reports.TestReport.__init__ = _passing

                    """, to: "toolz/__init__.py", in: $0)
            }, finding: "_pytest.reports.TestReport.__init__"),
        Forgery(
            name: "atexit hook rewriting the JUnit file and exiting 0",
            edit: {
                try append(
                    """


                    import atexit as _atexit
                    import os as _os


                    def _clean_report():
                        path = ".selfcheck/junit.xml"
                        if _os.path.exists(path):
                            with open(path, "w") as report:
                                report.write('<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>')
                        _os._exit(0)


                    _atexit.register(_clean_report)

                    """, to: "toolz/__init__.py", in: $0)
            }, finding: "pytest-exit"),
        Forgery(
            name: "test code ending the process with os._exit(0)",
            edit: {
                try append(
                    "\n\ndef test_a_hasty_exit():\n    import os\n\n    os._exit(0)\n", to: "toolz/tests/test_utils.py",
                    in: $0)
            }, finding: "pytest-session"),
        Forgery(
            name: "test code replacing the entry point's writer",
            edit: {
                try append(
                    """


                    def test_a_quiet_helper():
                        main = __import__("sys").modules["__main__"]
                        main._send = lambda record: None

                    """, to: "toolz/tests/test_utils.py", in: $0)
            }, finding: "selfcheck _send"),
        Forgery(
            name: "test writing forged records to the job's output",
            edit: {
                try append(
                    """


                    def test_a_loud_helper():
                        import os
                        import stat

                        for fd in range(3, 64):
                            try:
                                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                                    os.write(fd, b'\\n@@selfcheck:guess {"e":"finish","exitstatus":0,"collected":1}\\n')
                            except OSError:
                                pass

                    """, to: "toolz/tests/test_utils.py", in: $0)
            }, finding: "result-channel"),
    ]

    @Test(arguments: forgeries) func forgeryFailsWithItsFindingNamed(_ forgery: Forgery) throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try Self.breaksRemove($0)
            try forgery.edit($0)
        }
        let outcome = try RunnerCLITests().check(repo, patch, ["--keep-going"])
        let report = outcome.report
        #expect(outcome.status != 0, "\(report.reason)")
        #expect(report.verdict == .fail, "\(report.reason)")
        let keys = report.tamper.map(\.key) + report.steps.flatMap(\.newFailures).map(\.key)
        #expect(keys.contains { $0.contains(forgery.finding) }, "\(keys)")
        // However the forgery tried, the broken test is reported as failing.
        let pytest = report.steps.first { $0.name == "pytest" }
        #expect(
            pytest?.newFailures.map(\.key).contains("toolz/tests/test_itertoolz.py::test_remove") == true, "\(report)")
    }

    @Test func conftestThatOnlyAddsAFixturePasses() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try Self.write(
                "import pytest\n\n\n@pytest.fixture\ndef numbers():\n    return [1, 2, 3, 4]\n",
                to: "toolz/tests/conftest.py", in: $0)
            try append(
                "\n\ndef test_remove_with_fixture(numbers):\n    assert list(remove(lambda x: x % 2 == 0, numbers)) == [1, 3]\n",
                to: "toolz/tests/test_itertoolz.py", in: $0)
        }
        let outcome = try RunnerCLITests().check(repo, patch)
        #expect(outcome.status == 0, "\(outcome.report.reason) \(outcome.report.tamper)")
        #expect(outcome.report.verdict == .pass)
        #expect(
            outcome.report.notes.contains { $0 == "pytest: tests run: 193 after the patch, 192 at the base" },
            "\(outcome.report.notes)")
    }

    @Test func pyprojectChangeOutsideEveryToolSectionPasses() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "  \"functional\",\n", with: "  \"functional\",\n  \"toolkit\",\n", in: "pyproject.toml", at: $0)
        }
        let outcome = try RunnerCLITests().check(repo, patch)
        #expect(outcome.status == 0, "\(outcome.report.reason) \(outcome.report.tamper)")
        #expect(outcome.report.verdict == .pass)
    }

    /// Issue 17's repository: a module that imports `yaml`, which nothing provides, and one test.
    @Test func testsThatCannotImportAtTheBaseAreInconclusiveNotAPass() throws {
        let parent = try makeTemporaryDirectory("yaml-repo")
        defer { try? FileManager.default.removeItem(at: parent) }
        let root = parent.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Self.write("import yaml\n\n\ndef load(text):\n    return yaml.safe_load(text)\n", to: "conf.py", in: root)
        try Self.write(
            "from conf import load\n\n\ndef test_load():\n    assert load(\"a: 1\") == {\"a\": 1}\n",
            to: "test_conf.py", in: root)
        try FixtureRepo.initializeRepository(at: root)
        let repo = FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
        let patch = try repo.diff {
            try replace(
                "return yaml.safe_load(text)", with: "return yaml.safe_load(text + \"\\nb: 2\")", in: "conf.py", at: $0)
        }
        let outcome = try RunnerCLITests().check(repo, patch)
        #expect(outcome.status == 4, "\(outcome.report.reason)")
        #expect(outcome.report.verdict == .inconclusive)
        #expect(outcome.report.reason.contains("the tests cannot import `yaml`"), "\(outcome.report.reason)")
        #expect(outcome.report.reason.contains("build or name the project's environment"))
        #expect(
            outcome.report.notes.contains { $0.contains("could not be imported at the base: test_conf.py") },
            "\(outcome.report.notes)")
        #expect(
            outcome.report.notes.contains("pytest: tests run: 0 after the patch, 0 at the base"),
            "\(outcome.report.notes)")
    }
}
