import AgentCore
import Foundation
import LLM
import TestSupport
import Testing

/// A runner that crashed and is restarted by its supervisor is an outage, not a verdict: the agent
/// checks the same patch again instead of answering HARD_FAIL at once.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RunnerOutageTests {
    @Test func aRunnerRestartedAfterACrashChecksThePatchAndTheTaskSucceeds() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let crashed = try RunnerProcess()
        crashed.kill()  // its socket file stays, nobody listens: connections are refused
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let processor = try bed.processor(model, runnerSocket: crashed.socket)
        let processing = Task { await processor.process(bed.task("R1")) }
        try await Task.sleep(for: .seconds(1))
        let restarted = try RunnerProcess(directory: crashed.directory)
        defer { restarted.stop() }
        let result = await processing.value
        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(
            result.notes.contains { $0.hasPrefix("attempt 1: runner unavailable") && $0.hasSuffix("checked again") })
        #expect(model.prompts.count == 1, "the same patch is checked again, not a new one asked for")
        #expect(try bed.served(["rev-parse", "agt/R1"]) == result.commitSha)
    }

    @Test func aRunnerThatStaysAwayIsAHardFailAfterTheRetries() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let missing = bed.root.appendingPathComponent("no-runner.sock").path
        let processor = try bed.processor(
            model, runnerSocket: missing, runnerRetryDelays: [.milliseconds(50), .milliseconds(50)])
        let result = await processor.process(bed.task("R2"))
        #expect(result.status == "HARD_FAIL")
        #expect(result.notes.filter { $0.contains("checked again") }.count == 2)
        #expect(result.notes.last?.hasPrefix("runner unavailable") == true, "\(result.notes)")
        #expect(try bed.served(["branch", "--list", "agt/R2"]).isEmpty)
    }
}
