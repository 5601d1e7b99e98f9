import AgentCore
import Contracts
import Foundation
import Kafka
import LLM
import Logging
import TestSupport
import Testing

/// `coding-agent run`'s loop against the Kafka mock cluster over TCP, with the real git server and runner.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerTests {
    @Test func bundlesBecomeResultsAndPoisonMessagesAHardFail() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let cluster = try DevelopmentCluster.withAgentTopics()

        var unknown = bed.task("W2")
        unknown.baseCommit = "feedfacefeedfacefeedfacefeedfacefeedface"
        let bundle = TaskBundle.with { $0.bundleID = "B1"; $0.tasks = [bed.task("W1"), unknown] }
        let send = try cluster.producer()
        _ = try await send.send(topic: "coding-tasks", key: Array("B1".utf8), value: try bundle.serializedBytes())
        _ = try await send.send(topic: "coding-tasks", key: "poison-1", value: "this is not a TaskBundle")
        await send.close()

        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let byTask = try await cluster.runWorker(try bed.processor(model), untilResults: 3)
        #expect(byTask["W1"]?.status == "SUCCESS")
        #expect(try bed.served(["rev-parse", "agt/W1"]) == byTask["W1"]?.commitSha)
        #expect(byTask["W2"]?.status == "HARD_FAIL")
        #expect(byTask["W2"]?.notes.first?.contains("feedfacefeedface") == true)
        #expect(byTask["poison-1"]?.status == "HARD_FAIL")
        #expect(byTask["poison-1"]?.notes.first?.contains("undecodable TaskBundle at coding-tasks[0]@1") == true)

        // Both offsets were committed: a new worker in the group gets nothing to do.
        let redelivered = try await cluster.firstMessages(topic: "coding-tasks", group: "coding-agent", count: 1, within: .seconds(8))
        #expect(redelivered.isEmpty)
    }
}
