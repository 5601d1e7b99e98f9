import Contracts
import Foundation
import SwiftProtobuf
import TestSupport
import Testing

/// `selfcheck-runner check` end to end: the real patch engine, the real sandbox, the real tools.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RunnerCLITests {
    static let runner = Paths.product("selfcheck-runner").path

    struct Outcome {
        var status: Int32
        var report: CheckReport
        var stderr: String
    }

    /// Runs `check --format json` on a diff and decodes the report.
    func check(_ repo: FixtureRepo, _ diff: String, _ extra: [String] = []) throws -> Outcome {
        let cache = try makeTemporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let output = try run(
            [
                Self.runner, "check", "--repo", repo.root.path, "--diff", "-", "--format", "json",
                "--cache-dir", cache.path,
            ] + extra, input: Data(diff.utf8), check: false)
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        let report = try CheckReport(jsonString: output.stdout, options: options)
        return Outcome(status: output.status, report: report, stderr: output.stderr)
    }

    func step(_ report: CheckReport, _ name: String) -> StepResult? { report.steps.first { $0.name == name } }

    @Test func goodPatchPassesInTheSandboxAndLeavesTheCheckoutAlone() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let before = try run(["git", "status", "--porcelain", "--ignored"], in: repo.root).stdout
        let patch = try repo.diff {
            try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0)
            try append(PipelineTests.goodTest, to: "toolz/tests/test_itertoolz.py", in: $0)
        }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 0, "\(outcome.report.reason) \(outcome.stderr)")
        #expect(outcome.report.verdict == .pass)
        // apply, environment (toolz declares a test group: pycodestyle), black, ruff, pytest.
        #expect(outcome.report.steps.map(\.name) == ["apply", "environment", "black", "ruff", "pytest"])
        #expect(outcome.report.steps.map(\.status) == [.passed, .passed, .passed, .passed, .passed])
        #expect(outcome.report.isolation.contains { $0.hasPrefix("seccomp") })
        #expect(outcome.report.notes.contains { $0.hasPrefix("pytest: 193 passed") })
        #expect(try run(["git", "status", "--porcelain", "--ignored"], in: repo.root).stdout == before)
    }

    @Test func repairableModelDiffPassesAndSaysItWasRepaired() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let exact = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        // What a model writes: prose, a fence, no a/ b/ prefixes, wrong line numbers and counts.
        let body = exact.split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("---") }
            .map { line -> String in
                if line.hasPrefix("--- a/") { return "--- " + line.dropFirst(6) }
                if line.hasPrefix("+++ b/") { return "+++ " + line.dropFirst(6) }
                if line.hasPrefix("@@") { return "@@ -1000,3 +1000,9 @@" }
                return String(line)
            }.joined(separator: "\n")
        let outcome = try check(repo, "Here is the patch:\n\n```diff\n\(body)\n```\nIt adds total_length.\n")
        #expect(outcome.status == 0, "\(outcome.report.reason)")
        #expect(outcome.report.patch.repaired)
        #expect(!outcome.report.patch.repairs.isEmpty)
    }

    @Test func unsafeDiffIsRefusedBeforeAnythingRuns() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let outcome = try check(repo, "--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-root\n+owned\n")
        #expect(outcome.status == 2)
        #expect(outcome.report.verdict == .rejected)
        #expect(outcome.report.patch.rejectionRule == "dot-dot")
        #expect(outcome.report.steps.isEmpty)
    }

    @Test func brokenTestFailsWithTheTestNamed() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "def remove(predicate, seq):",
                with: "def remove(predicate, seq):\n    return []\n\n\ndef _old_remove(predicate, seq):",
                in: "toolz/itertoolz.py", at: $0)
        }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 1)
        let pytest = try #require(step(outcome.report, "pytest"))
        #expect(pytest.status == .failed)
        #expect(pytest.newFailures.map(\.key).contains("toolz/tests/test_itertoolz.py::test_remove"))
    }

    @Test func syntaxErrorFailsAtBlack() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append("\n\ndef broken(:\n    pass\n", to: "toolz/utils.py", in: $0) }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 1)
        #expect(step(outcome.report, "black")?.status == .failed)
        #expect(step(outcome.report, "black")?.newFailures.first?.key == "toolz/utils.py")
        #expect(step(outcome.report, "pytest")?.status == .skipped)
    }

    @Test func newRuffViolationFails() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace("import itertools\n", with: "import itertools\nimport json\n", in: "toolz/itertoolz.py", at: $0)
        }
        let outcome = try check(repo, patch, ["--steps", "ruff"])
        #expect(outcome.status == 1)
        #expect(step(outcome.report, "ruff")?.newFailures.map(\.key) == ["F401 toolz/itertoolz.py: import json"])
        #expect(step(outcome.report, "ruff")?.preexistingFailures.isEmpty == false)
    }

    @Test func misformattedOwnLinesFail() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef ugly( a,b ):\n    return  a+b\n", to: "toolz/itertoolz.py", in: $0)
        }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 1)
        #expect(step(outcome.report, "black")?.newFailures.map(\.key) == ["toolz/itertoolz.py"])
    }

    @Test func preexistingFailureIsReportedButDoesNotFail() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        try append("\n\ndef test_already_broken():\n    assert False\n", to: "toolz/tests/test_utils.py", in: repo.root)
        try FixtureRepo.git(["commit", "-qam", "a failing test at the base"], in: repo.root)
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 0, "\(outcome.report.reason)")
        #expect(
            step(outcome.report, "pytest")?.preexistingFailures.map(\.key) == [
                "toolz/tests/test_utils.py::test_already_broken"
            ])
    }

    @Test func testThatSleepsForeverIsStoppedByTheWallTimeLimit() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append(
                "\n\ndef test_sleeps_forever():\n    import time\n\n    time.sleep(3600)\n",
                to: "toolz/tests/test_utils.py", in: $0)
        }
        let start = ContinuousClock.now
        let outcome = try check(repo, patch, ["--step-timeout", "pytest=4"])
        #expect(outcome.status == 1)
        #expect(step(outcome.report, "pytest")?.limitHit == .wallTime)
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test func humanReportAndJUnitFile() throws {
        let repo = try FixtureRepo.make("inflection")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef shout(word):\n    return word.upper()\n", to: "inflection/__init__.py", in: $0)
        }
        let junit = repo.root.deletingLastPathComponent().appendingPathComponent("report.xml")
        let output = try run(
            [Self.runner, "check", "--repo", repo.root.path, "--diff", "-", "--junit", junit.path, "--no-cache"],
            input: Data(patch.utf8), check: false)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(output.stdout.contains("verdict: PASS"))
        let xml = try String(contentsOf: junit, encoding: .utf8)
        #expect(xml.contains(#"<testcase classname="selfcheck" name="pytest""#))
        #expect(!xml.contains("<failure"))
    }

    @Test func usageErrorsExit64() throws {
        let output = try run([Self.runner, "check", "--repo", "/nonexistent", "--diff", "-"], check: false)
        #expect(output.status == 64)
    }

    /// The form the README prints: a value starting with `-` is pytest's, not an option of ours.
    @Test func pytestArgsInTheDocumentedForm() throws {
        let repo = try FixtureRepo.make("inflection")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef shout(word):\n    return word.upper()\n", to: "inflection/__init__.py", in: $0)
        }
        let outcome = try check(repo, patch, ["--pytest-args", "-q -k test_pluralize_plurals", "--no-cache"])
        #expect(outcome.status == 0, "\(outcome.report.reason) \(outcome.stderr)")
        let counts = outcome.report.notes.first { $0.hasPrefix("pytest: ") && $0.contains(" passed, ") } ?? ""
        // -k selected a few tests of the fixture's ~500: the arguments reached pytest.
        let passed = Int(counts.dropFirst("pytest: ".count).prefix { $0.isNumber }) ?? 0
        #expect((1..<50).contains(passed), "\(outcome.report.notes)")
    }

    /// Bad input is a usage error (64), never 1 ("a check failed").
    @Test func unreadableDiffOrUnwritableJUnitExit64() throws {
        let repo = try FixtureRepo.make("inflection")
        defer { repo.remove() }
        let folder = try makeTemporaryDirectory("bad-input")
        defer { try? FileManager.default.removeItem(at: folder) }
        let latin1 = folder.appendingPathComponent("latin1.diff")
        // "café" in Latin-1: 0xE9 alone is not UTF-8.
        try (Data("--- a/x.py\n+++ b/x.py\n@@ -0,0 +1 @@\n+# caf".utf8) + [0xE9, 0x0A]).write(to: latin1)
        let good = folder.appendingPathComponent("good.diff")
        try "--- a/x.py\n+++ b/x.py\n".write(to: good, atomically: true, encoding: .utf8)
        let cases: [(String, [String], Data?)] = [
            ("missing diff", ["--diff", folder.appendingPathComponent("nothing.diff").path], nil),
            ("diff is a folder", ["--diff", folder.path], nil),
            ("non-UTF-8 diff file", ["--diff", latin1.path], nil),
            ("non-UTF-8 standard input", ["--diff", "-"], Data([0x2B, 0xFF, 0xFE, 0x0A])),
            (
                "junit folder missing",
                ["--diff", good.path, "--junit", folder.appendingPathComponent("no/such/report.xml").path], nil
            ),
            ("junit is a folder", ["--diff", good.path, "--junit", folder.path], nil),
        ]
        for (name, arguments, input) in cases {
            let output = try run(
                [Self.runner, "check", "--repo", repo.root.path, "--no-cache"] + arguments, input: input, check: false)
            #expect(output.status == 64, "\(name): \(output.status) \(output.stderr)")
            #expect(!output.stderr.isEmpty, "\(name) says why")
        }
    }

    @Test func everyCommandsHelpListsItsExitCodes() throws {
        for command in ["check", "serve", "exec", "doctor"] {
            let output = try run([Self.runner, command, "--help"], check: false)
            #expect(output.status == 0)
            let help = output.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // unwrapped
            #expect(help.contains("Exit codes:") && help.contains("64 usage"), "\(command): \(help)")
        }
    }
}
