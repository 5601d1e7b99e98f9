import AgentCore
import Contracts
import Foundation
import LLM
import TestSupport
import Testing

/// The agent's task pipeline against real parts: a git server on loopback, the sandboxed runner, and a
/// scripted model. Kafka around it is tested in KafkaTests; the worker loop is not built yet.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TaskProcessorTests {
    @Test func successOnFirstAttemptPushesTheBranchAndClaimsTheLeases() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let claimer = RecordingClaimer(refuse: [9])
        let result = try await bed.processor(model, claimer: claimer).process(bed.task("T1", leases: ["7", "9"]))
        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(result.branchName == "agt/T1")
        #expect(try bed.served(["rev-parse", "agt/T1"]) == result.commitSha)
        #expect(
            try bed.served(["rev-parse", "agt/T1^"]) == bed.fixture.baseCommit, "the commit's parent is base_commit")
        #expect(try bed.served(["log", "-1", "--format=%B", "agt/T1"]) == "feat: add total_length\n\n[agent:T1]")
        #expect(claimer.claims.map(\.0) == [7, 9])
        #expect(claimer.claims.allSatisfy { $0.1 == result.commitSha })
        #expect(result.notes.contains { $0.contains("lease 9") && $0.contains("claim failed") })
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty,
            "the per-task checkout is removed")
    }

    @Test func retriesCarryThePreviousFailureAndTheThirdAttemptSucceeds() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let hallucinated =
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -1,2 +1,3 @@\n this line is nowhere\n-in the file\n+at all\n+really\n"
        let model = ScriptedPatchModel(entries: [
            .reply(PatchReply(diff: hallucinated)), .reply(PatchReply(diff: try bed.testBreakingDiff)),
            .reply(PatchReply(diff: try bed.goodDiff)),
        ])
        let result = try await bed.processor(model).process(bed.task("T3"))
        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(model.prompts.count == 3)
        #expect(model.prompts[1].user.contains("refused"), "the second prompt carries the rejection")
        #expect(model.prompts[2].user.contains("test_total_length"), "the third prompt names the failing test")
        #expect(result.notes.contains { $0.hasPrefix("attempt 3 passed") })
    }

    @Test func threeFailingPatchesAreASoftFailAndAStuckModelStopsEarly() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let breaking = try bed.testBreakingDiff
        let model = ScriptedPatchModel(entries: [
            .reply(PatchReply(diff: breaking)), .reply(PatchReply(diff: breaking)), .reply(PatchReply(diff: breaking)),
        ])
        let result = try await bed.processor(model).process(bed.task("T4"))
        #expect(result.status == "SOFT_FAIL")
        #expect(result.commitSha.isEmpty)
        #expect(result.notes.contains { $0.contains("test_total_length") })
        #expect(result.notes.contains { $0.hasPrefix("stopped early") })
        #expect(model.prompts.count == 2, "the second identical failure stops the loop")
        #expect(try bed.served(["branch", "--list", "agt/T4"]).isEmpty)
    }

    @Test func unknownBaseCommitIsAHardFailNamingIt() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [])
        var task = bed.task("T5")
        task.baseCommit = "0123456789abcdef0123456789abcdef01234567"
        let result = try await bed.processor(model).process(task)
        #expect(result.status == "HARD_FAIL")
        #expect(result.notes.contains { $0.contains("0123456789abcdef0123456789abcdef01234567") })
        #expect(model.prompts.isEmpty)
    }

    @Test func modelAuthErrorIsAHardFail() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [.error(LLMError(.auth, status: 401, message: "invalid key"))])
        let result = try await bed.processor(model).process(bed.task("T6"))
        #expect(result.status == "HARD_FAIL")
        #expect(result.notes.contains { $0.contains("invalid key") })
    }

    /// The runner's `inconclusive` (its tests could not run at the base, see ForgeryTests for the real
    /// case) is the check's failure: no second attempt, HARD_FAIL, and the notes say why.
    @Test func inconclusiveCheckIsAHardFailOfTheCheckNotOfThePatch() async throws {
        struct InconclusiveChecker: PatchChecker {
            func check(_ request: CheckRequest) async throws -> CheckReport {
                .with {
                    $0.verdict = .inconclusive
                    $0.reason =
                        "no test could run at the base: the tests cannot import `yaml` (test_conf.py): build or name the project's environment"
                }
            }
        }
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [
            .reply(PatchReply(diff: try bed.goodDiff)), .reply(PatchReply(diff: try bed.goodDiff)),
        ])
        let result = try await bed.processor(model, checker: InconclusiveChecker()).process(bed.task("T8"))
        #expect(result.status == "HARD_FAIL")
        #expect(model.prompts.count == 1, "another model attempt cannot make the tests importable")
        #expect(
            result.notes.contains {
                $0.contains("check inconclusive") && $0.contains("not of the patch") && $0.contains("`yaml`")
            }, "\(result.notes)")
        #expect(try bed.served(["branch", "--list", "agt/T8"]).isEmpty)
    }

    @Test func redeliveredTaskIsAnsweredWithoutNewWork() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let processor = try bed.processor(model)
        let first = await processor.process(bed.task("T7"))
        let second = await processor.process(bed.task("T7"))
        #expect(first.status == "SUCCESS" && second.status == "SUCCESS")
        #expect(first.commitSha == second.commitSha)
        #expect(model.prompts.count == 1, "no second model call")
        #expect(
            try bed.served(["rev-list", "--count", "\(bed.fixture.baseCommit)..agt/T7"]) == "1",
            "one commit on the server")
    }

    /// A delivery that pushed but could not claim (SRM down, or the agent died before claiming) leaves the
    /// leases to the redelivery, which claims them with the pushed commit.
    @Test func aRedeliveredTaskClaimsItsLeasesAgain() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let down = RecordingClaimer(refuse: [7])
        let first = await (try bed.processor(model, claimer: down)).process(bed.task("T8", leases: ["7"]))
        #expect(first.status == "SUCCESS", "\(first.notes)")
        #expect(first.notes.contains { $0.contains("lease 7: claim failed") })
        let up = RecordingClaimer()
        let again = await (try bed.processor(model, claimer: up)).process(bed.task("T8", leases: ["7"]))
        #expect(again.status == "SUCCESS" && again.commitSha == first.commitSha)
        #expect(again.notes.first?.hasPrefix("redelivered") == true)
        #expect(
            up.claims.map(\.0) == [7] && up.claims.allSatisfy { $0.1 == first.commitSha },
            "the redelivery claims with the pushed sha")
        #expect(model.prompts.count == 1)
    }
}
