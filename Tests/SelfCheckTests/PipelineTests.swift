import Contracts
import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// The pipeline's judging with the real black, ruff and pytest on the toolz fixture (host stand-in for
/// the sandbox; the sandboxed path is tested through selfcheck-runner).
@Suite(.serialized, .timeLimit(.minutes(5))) struct PipelineTests {
    static let goodFunction = """


        def total_length(seqs):
            \"\"\"Sum of the lengths of the given sequences.\"\"\"
            return sum(len(seq) for seq in seqs)

        """
    static let goodTest = """


        def test_total_length():
            from toolz.itertoolz import total_length

            assert total_length([[1, 2], (3,), ""]) == 3

        """

    func check(
        _ repo: FixtureRepo, _ diff: String, cache: URL? = nil, configure: (inout CheckRequest) -> Void = { _ in }
    )
        async -> (CheckReport, HostRunner)
    {
        let runner = HostRunner()
        let pipeline = CheckPipeline(
            runner: runner, patches: GitCheckResolver(), configuration: .init(cacheDirectory: cache))
        var request = CheckRequest()
        request.requestID = "t"
        request.repoPath = repo.root.path
        request.diff = diff
        configure(&request)
        return (await pipeline.execute(request, events: { _ in }), runner)
    }

    func step(_ report: CheckReport, _ name: String) -> StepResult? { report.steps.first { $0.name == name } }

    @Test func goodPatchToAFileThatWasNotBlackCleanPasses() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append(Self.goodFunction, to: "toolz/itertoolz.py", in: $0)
            try append(Self.goodTest, to: "toolz/tests/test_itertoolz.py", in: $0)
        }
        let (report, _) = await check(repo, patch)
        #expect(report.verdict == .pass, "\(report.reason)")
        #expect(step(report, "black")?.status == .passed)
        // itertoolz.py is not black-clean at the base: listed as pre-existing, not held against the patch.
        #expect(step(report, "black")?.preexistingFailures.map(\.key).contains("toolz/itertoolz.py") == true)
        #expect(step(report, "pytest")?.status == .passed)
        #expect(report.steps.map(\.name) == ["apply", "black", "ruff", "pytest"])
        #expect(
            try String(contentsOf: repo.root.appendingPathComponent("toolz/itertoolz.py"), encoding: .utf8)
                .contains("total_length") == false, "the checkout itself is never written")
    }

    @Test func misformattedOwnLinesFailBlack() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef ugly( a,b ):\n    return  a+b\n", to: "toolz/itertoolz.py", in: $0)
        }
        let (report, _) = await check(repo, patch)
        #expect(report.verdict == .fail)
        let black = try #require(step(report, "black"))
        #expect(black.status == .failed)
        #expect(black.newFailures.map(\.key) == ["toolz/itertoolz.py"])
        #expect(step(report, "pytest")?.status == .skipped, "a failing step stops the later ones")
    }

    @Test func syntaxErrorFailsAndKeepGoingRunsEveryStep() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append("\n\ndef broken(:\n    pass\n", to: "toolz/utils.py", in: $0) }
        let (report, _) = await check(repo, patch) { $0.keepGoing = true }
        #expect(report.verdict == .fail)
        #expect(step(report, "black")?.status == .failed)
        let ruff = try #require(step(report, "ruff"))
        #expect(ruff.status == .failed)
        #expect(
            ruff.newFailures.contains {
                $0.key.hasPrefix("syntax toolz/utils.py") || $0.key.hasPrefix("invalid-syntax")
            })
        let pytest = try #require(step(report, "pytest"))
        #expect(pytest.status == .failed)
        #expect(!pytest.newFailures.isEmpty)
    }

    @Test func newRuffViolationFailsButPreexistingOnesDoNot() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        // toolz has ruff findings at its base; the patch adds one unused import on top of them.
        let patch = try repo.diff {
            try replace("import itertools\n", with: "import itertools\nimport json\n", in: "toolz/itertoolz.py", at: $0)
        }
        let (report, _) = await check(repo, patch) { $0.steps = ["ruff"] }
        let ruff = try #require(step(report, "ruff"))
        #expect(ruff.status == .failed)
        #expect(ruff.newFailures.count == 1)
        #expect(ruff.newFailures.first?.key == "F401 toolz/itertoolz.py: import json")
        #expect(report.verdict == .fail)
    }

    @Test func brokenTestIsANewFailure() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "def remove(predicate, seq):",
                with: "def remove(predicate, seq):\n    return []\n\n\ndef _old_remove(predicate, seq):",
                in: "toolz/itertoolz.py", at: $0)
        }
        let (report, _) = await check(repo, patch) { $0.steps = ["pytest"] }
        let pytest = try #require(step(report, "pytest"))
        #expect(pytest.status == .failed)
        #expect(pytest.newFailures.map(\.key).contains("toolz/tests/test_itertoolz.py::test_remove"))
        #expect(pytest.preexistingFailures.isEmpty)
    }

    @Test func preexistingFailingTestIsListedButDoesNotFail() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        try append("\n\ndef test_already_broken():\n    assert False\n", to: "toolz/tests/test_utils.py", in: repo.root)
        try FixtureRepo.git(["commit", "-qam", "a failing test at the base"], in: repo.root)
        let patch = try repo.diff { try append(Self.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let cache = try makeTemporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let (report, runner) = await check(repo, patch, cache: cache) { $0.steps = ["pytest"] }
        #expect(report.verdict == .pass, "\(report.reason)")
        let pytest = try #require(step(report, "pytest"))
        #expect(pytest.newFailures.isEmpty)
        #expect(pytest.preexistingFailures.map(\.key) == ["toolz/tests/test_utils.py::test_already_broken"])
        #expect(runner.workspacesMade == 2, "the base was looked at because something failed")

        // Same base again: the baseline comes from the cache, no second base workspace.
        let (again, warmRunner) = await check(repo, patch, cache: cache) { $0.steps = ["pytest"] }
        #expect(again.verdict == .pass)
        #expect(warmRunner.workspacesMade == 1)
        #expect(again.notes.contains("pytest baseline from cache"))
    }

    @Test func newTestThatFailsCounts() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef test_new_and_wrong():\n    assert 1 == 2\n", to: "toolz/tests/test_utils.py", in: $0)
        }
        let (report, _) = await check(repo, patch) { $0.steps = ["pytest"] }
        #expect(report.verdict == .fail)
        #expect(step(report, "pytest")?.newFailures.map(\.key) == ["toolz/tests/test_utils.py::test_new_and_wrong"])
    }

    @Test func collectionErrorIntroducedByThePatchCounts() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\nimport module_that_does_not_exist\n", to: "toolz/tests/test_utils.py", in: $0)
        }
        let (report, _) = await check(repo, patch) {
            $0.steps = ["pytest"]
            $0.allowTestRemoval = true
        }
        let failures = step(report, "pytest")?.newFailures ?? []
        #expect(failures.contains { $0.kind == .collection && $0.key == "toolz/tests/test_utils.py" })
        #expect(report.verdict == .fail)
    }

    @Test func deletingOrSkippingATestIsTampering() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "def test_remove():", with: "import pytest\n\n\n@pytest.mark.skip\ndef test_remove():",
                in: "toolz/tests/test_itertoolz.py", at: $0)
        }
        let (report, _) = await check(repo, patch) { $0.steps = ["pytest"] }
        #expect(report.verdict == .fail)
        #expect(report.tamper.map(\.key) == ["toolz/tests/test_itertoolz.py::test_remove"])
        #expect(report.tamper.first?.message.contains("skipped") == true)

        let (allowed, _) = await check(repo, patch) {
            $0.steps = ["pytest"]
            $0.allowTestRemoval = true
        }
        #expect(allowed.verdict == .pass)
        #expect(allowed.tamper.isEmpty)
    }

    @Test func sleepingTestIsStoppedByTheWallTimeLimit() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append(
                "\n\ndef test_sleeps_forever():\n    import time\n\n    time.sleep(3600)\n",
                to: "toolz/tests/test_utils.py", in: $0)
        }
        let (report, _) = await check(repo, patch) {
            $0.steps = ["pytest"]
            $0.stepTimeoutsMs = ["pytest": 3000]
        }
        #expect(report.verdict == .fail)
        #expect(step(report, "pytest")?.limitHit == .wallTime)
    }

    @Test func noTestsCollectedIsNotAFailure() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append(Self.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let (report, _) = await check(repo, patch) {
            $0.steps = ["pytest"]
            $0.pytestArgs = ["-q", "-k", "no_test_has_this_name"]
        }
        #expect(report.verdict == .pass)
        // -k deselects everything: pytest exits 5.
        #expect(step(report, "pytest")?.exitCode == 5)
        #expect(step(report, "pytest")?.note == "no tests collected, at the base either")
    }

    @Test func rejectedPatchRunsNothing() async throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let (report, runner) = await check(repo, "--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n")
        #expect(report.verdict == .rejected)
        #expect(report.patch.rejectionRule == "context-not-found")
        #expect(runner.commands.isEmpty)
    }
}
