import Contracts
import Foundation
import Testing

@testable import SelfCheck

@Suite struct JudgeTests {
    @Test func addedLinesFollowTheNewSideOfEachHunk() {
        let added = AddedLines(
            diff: """
                diff --git a/x.py b/x.py
                --- a/x.py
                +++ b/x.py
                @@ -1,2 +1,3 @@
                 a
                -b
                +B
                +c
                @@ -10,1 +11,2 @@
                 k
                +l
                """)
        #expect(added.byFile["x.py"] == [2, 3, 12])
    }

    @Test func formatJudgeSeparatesThePatchLinesFromTheRest() {
        let added = AddedLines(diff: "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,2 @@\n x\n+y=1\n")
        let blackDiff = """
            --- m.py\t2026-01-01
            +++ m.py\t2026-01-01
            @@ -1,2 +1,2 @@
             x
            -y=1
            +y = 1
            --- n.py\t2026-01-01
            +++ n.py\t2026-01-01
            @@ -5,1 +5,1 @@
            -z=2
            +z = 2
            """
        let judged = FormatJudge.judge(blackDiff: blackDiff, added: added)
        #expect(judged.new.map(\.key) == ["m.py"])
        #expect(judged.preexisting.map(\.key) == ["n.py"])
    }

    @Test func lintFindingsAreKeyedByTextNotLineNumber() {
        let base = [LintFinding(code: "E501", file: "a.py", lineText: "x = 1", row: 3, message: "")]
        let patched = [
            LintFinding(code: "E501", file: "a.py", lineText: "x = 1", row: 9, message: ""),  // moved by the patch
            LintFinding(code: "E501", file: "a.py", lineText: "x = 1", row: 12, message: ""),  // a second copy is new
            LintFinding(code: "F401", file: "a.py", lineText: "import os", row: 1, message: ""),
        ]
        let judged = LintJudge.judge(patched: patched, base: base, diff: DiffLineMap(diff: ""))
        #expect(judged.preexisting.count == 1)
        #expect(judged.new.map(\.key) == ["E501 a.py: x = 1", "F401 a.py: import os"])
    }

    @Test func ruffJSONIsMappedToRepoRelativePaths() throws {
        let json =
            #"[{"code":"F401","filename":"/work/pkg/a.py","location":{"row":2,"column":8},"message":"`os` imported but unused"}]"#
        let findings = try LintJudge.parse(ruffJSON: json, files: ["pkg/a.py"], source: { _ in "x = 1\nimport os\n" })
        #expect(
            findings == [
                LintFinding(
                    code: "F401", file: "pkg/a.py", lineText: "import os", row: 2, message: "`os` imported but unused")
            ])
        #expect(throws: (any Error).self) {
            try LintJudge.parse(ruffJSON: "ruff crashed", files: [], source: { _ in nil })
        }
    }

    @Test func resultChannelTakesRecordsWithItsTokenAndFlagsTheRest() {
        let channel = ResultChannel(token: "t0k")
        func record(_ json: String, token: String = "t0k") -> String { "\n@@selfcheck:\(token) \(json)\n" }
        var visible: [UInt8] = []
        // Chunks split anywhere, records between pytest's progress dots, as the job writes them.
        let stream =
            ".." + record(#"{"e":"start"}"#)
            + record(#"{"e":"collect","id":"tests/test_y.py","error":"ModuleNotFoundError: No module named 'yaml'"}"#)
            + record(
                #"{"e":"test","id":"tests/test_x.py::test_a","when":"call","derived":"passed","reported":"passed"}"#)
            + record(
                #"{"e":"test","id":"tests/test_x.py::test_b","when":"call","derived":"failed","reported":"passed","msg":"boom"}"#
            )
            + record(
                #"{"e":"test","id":"tests/test_x.py::test_c","when":"setup","derived":"skipped","reported":"skipped"}"#)
            + record(
                #"{"e":"test","id":"tests/test_x.py::test_a","when":"call","derived":"passed","reported":"passed"}"#)
            + record(
                #"{"e":"test","id":"tests/test_x.py::test_b","when":"call","derived":"passed","reported":"passed"}"#,
                token: "guess")
            + record(#"{"e":"finish","exitstatus":1,"collected":3}"#) + "1 failed\n"
        let bytes = Array(stream.utf8)
        for start in stride(from: 0, to: bytes.count, by: 7) {
            visible += channel.feed(Array(bytes[start..<min(start + 7, bytes.count)]))
        }
        #expect(!String(decoding: visible, as: UTF8.self).contains("@@selfcheck:t0k"))
        let results = channel.results()
        #expect(results.started)
        #expect(results.finish?.exitStatus == 1)
        #expect(
            results.outcomes.map(\.id) == [
                "tests/test_y.py", "tests/test_x.py::test_a", "tests/test_x.py::test_b", "tests/test_x.py::test_c",
            ])
        #expect(results.outcomes.map(\.status) == [.error, .passed, .failed, .skipped])
        #expect(results.outcomes[0].isCollectionError)
        // The rewritten report, the second result for test_a and the line with a guessed token.
        #expect(
            results.tamper.map(\.key).sorted() == [
                "result-channel", "tests/test_x.py::test_a", "tests/test_x.py::test_b",
            ])
        #expect(ResultChannel.strip("x\n@@selfcheck:t0k {}\ny\n", token: "t0k") == "x\ny\n")
    }

    /// Subtests (pytest's `subtests` fixture, unittest's subTest) report once each during the call phase:
    /// numbered, they are no forgery, and a failing one fails its test even when the test's own call passed.
    @Test func subtestsAreNoForgeryAndAFailingOneFailsItsTest() {
        let channel = ResultChannel(token: "t0k")
        func record(_ json: String) -> String { "\n@@selfcheck:t0k \(json)\n" }
        let stream =
            record(#"{"e":"start"}"#)
            + record(#"{"e":"test","id":"t.py::test_a","when":"subtest 1","derived":"passed","reported":"passed"}"#)
            + record(#"{"e":"test","id":"t.py::test_a","when":"subtest 2","derived":"skipped","reported":"skipped"}"#)
            + record(#"{"e":"test","id":"t.py::test_a","when":"call","derived":"passed","reported":"passed"}"#)
            + record(
                #"{"e":"test","id":"t.py::test_b","when":"subtest 1","derived":"failed","reported":"failed","msg":"sub"}"#
            )
            + record(#"{"e":"test","id":"t.py::test_b","when":"call","derived":"passed","reported":"passed"}"#)
            + record(#"{"e":"finish","exitstatus":1,"collected":2}"#)
        _ = channel.feed(Array(stream.utf8))
        let results = channel.results()
        #expect(results.tamper.isEmpty, "\(results.tamper)")
        #expect(results.outcomes.map(\.status) == [.passed, .failed])
        #expect(results.outcomes.last?.message == "sub")
    }

    @Test func diffScanNamesHooksPluginsAndPackageCodeThatReachesIntoPytest() {
        let diff = """
            --- a/conftest.py
            +++ b/conftest.py
            @@ -1,0 +1,4 @@
            +import pytest
            +pytest_plugins = ["evil"]
            +def pytest_runtest_makereport(item, call):
            +    pass
            --- a/pkg/core.py
            +++ b/pkg/core.py
            @@ -1,0 +1,2 @@
            +from _pytest import reports
            +import atexit
            --- /dev/null
            +++ b/pytest.py
            @@ -0,0 +1 @@
            +raise SystemExit(0)
            --- a/tests/test_core.py
            +++ b/tests/test_core.py
            @@ -1,0 +1 @@
            +import pytest
            """
        let findings = TamperScan.findings(
            diff: diff, files: ["conftest.py", "pkg/core.py", "pytest.py", "tests/test_core.py"])
        #expect(
            findings.map(\.key) == [
                "pytest.py", "conftest.py", "conftest.py::pytest_runtest_makereport", "pkg/core.py", "pkg/core.py",
            ])
        #expect(
            TamperScan.findings(
                diff:
                    "--- a/conftest.py\n+++ b/conftest.py\n@@ -1,0 +1,3 @@\n+@pytest.fixture\n+def answer():\n+    return 42\n",
                files: ["conftest.py"]
            ).isEmpty)
    }

    @Test func inconclusiveWhenNoTestRanAtTheBaseAndTheFixIsNamed() {
        let broken = TestOutcome(
            id: "test_conf.py", status: .error, isCollectionError: true,
            message: "ModuleNotFoundError: No module named 'yaml.loader'")
        let ran = TestsThatRan(patched: [broken], base: [broken])
        let why = ran.inconclusive(touched: ["conf.py"], checkout: URL(fileURLWithPath: "/nonexistent"))
        #expect(
            why
                == "no test could run at the base: the tests cannot import `yaml` (test_conf.py): build or name the project's environment"
        )
        #expect(ran.notes.contains { $0.contains("could not be imported at the base: test_conf.py") })
        #expect(
            TestsThatRan(patched: [], base: []).inconclusive(touched: ["conf.py"], checkout: URL(fileURLWithPath: "/"))
                == nil)
        #expect(TestsThatRan.moduleName("src/pkg/__init__.py") == "pkg")
    }

    @Test func vanishedTestsAreTamperFindings() {
        func outcome(_ id: String, _ status: TestOutcome.Status) -> TestOutcome {
            TestOutcome(id: id, status: status, isCollectionError: false, message: "")
        }
        let base = [
            outcome("t::a", .passed), outcome("t::b", .failed), outcome("t::c", .passed), outcome("t::d", .skipped),
        ]
        let patched = [outcome("t::a", .passed), outcome("t::b", .skipped)]
        let vanished = TestJudge.vanished(patched: patched, base: base)
        #expect(vanished.map(\.key) == ["t::b", "t::c"])
        #expect(vanished[0].message.contains("skipped"))
    }
}
