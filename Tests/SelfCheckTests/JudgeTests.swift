import Contracts
import Foundation
@testable import SelfCheck
import Testing

@Suite struct JudgeTests {
    @Test func addedLinesFollowTheNewSideOfEachHunk() {
        let added = AddedLines(diff: """
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
        let json = #"[{"code":"F401","filename":"/work/pkg/a.py","location":{"row":2,"column":8},"message":"`os` imported but unused"}]"#
        let findings = try LintJudge.parse(ruffJSON: json, files: ["pkg/a.py"], source: { _ in "x = 1\nimport os\n" })
        #expect(findings == [LintFinding(code: "F401", file: "pkg/a.py", lineText: "import os", row: 2, message: "`os` imported but unused")])
        #expect(throws: (any Error).self) { try LintJudge.parse(ruffJSON: "ruff crashed", files: [], source: { _ in nil }) }
    }

    @Test func junitTestIDsMatchPytestNodeIDs() throws {
        let xml = """
            <?xml version="1.0"?><testsuites><testsuite>
            <testcase classname="" name="tests.test_y" file="tests/test_y.py"><error message="collection failure">x</error></testcase>
            <testcase classname="tests.test_x" name="test_a" file="tests/test_x.py"/>
            <testcase classname="tests.test_x.TestK" name="test_m[1]" file="tests/test_x.py"><failure message="boom">x</failure></testcase>
            <testcase classname="tests.test_x" name="test_c" file="tests/test_x.py"><skipped message="skip"/></testcase>
            </testsuite></testsuites>
            """
        let outcomes = try #require(TestJudge.parse(junitXML: Data(xml.utf8)))
        #expect(outcomes.map(\.id) == ["tests/test_y.py", "tests/test_x.py::test_a", "tests/test_x.py::TestK::test_m[1]", "tests/test_x.py::test_c"])
        #expect(outcomes.map(\.status) == [.error, .passed, .failed, .skipped])
        #expect(outcomes[0].isCollectionError)
        #expect(TestJudge.parse(junitXML: Data("<not xml".utf8)) == nil)
    }

    @Test func vanishedTestsAreTamperFindings() {
        func outcome(_ id: String, _ status: TestOutcome.Status) -> TestOutcome {
            TestOutcome(id: id, status: status, isCollectionError: false, message: "")
        }
        let base = [outcome("t::a", .passed), outcome("t::b", .failed), outcome("t::c", .passed), outcome("t::d", .skipped)]
        let patched = [outcome("t::a", .passed), outcome("t::b", .skipped)]
        let vanished = TestJudge.vanished(patched: patched, base: base)
        #expect(vanished.map(\.key) == ["t::b", "t::c"])
        #expect(vanished[0].message.contains("skipped"))
    }
}
