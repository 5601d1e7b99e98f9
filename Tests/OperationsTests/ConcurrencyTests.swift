import Contracts
import Foundation
import TestSupport
import Testing

/// `coding-agent run --concurrency 2` on a task topic of two partitions. About 25 s here.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConcurrencyTests {
    @Test func aSecondWorkerAnswersATaskWhileTheFirstIsStillBusy() async throws {
        try await OpsBed.with(
            taskPartitions: 2,
            replies: { served in
                // The slow task's model call hangs; the other task's is answered at once.
                let good = ScriptedHTTPServer.Response.patch(diff: try served.goodDiff)
                var hanging = good
                hanging.delay = .seconds(120)
                return (
                    [],
                    { [hanging] request in
                        String(decoding: request.body, as: UTF8.self).contains("slow total_length") ? hanging : good
                    }
                )
            }
        ) { bed in
            let agent = try bed.startAgent("agent", arguments: ["--concurrency", "2", "--shutdown-deadline", "1"])
            defer { agent.kill() }
            #expect(
                await bed.groupSettled(agent, consumers: 2),
                "both workers hold partitions: \(agent.logLines.suffix(20))")
            let slowPartition = try await bed.submit(bed.task("C1", goal: "add slow total_length"))
            #expect(
                await eventually(within: .seconds(90)) { bed.model.requests.count == 1 },
                "the slow task reached the model")

            // On the other partition, which the group gave to the other worker.
            let otherKey = try await bed.key(avoiding: slowPartition)
            #expect(try await bed.submit(bed.task("C2"), key: otherKey) != slowPartition)
            let results = try await bed.results(waitingFor: "C2")
            #expect(results.first { $0.taskID == "C2" }?.status == "SUCCESS")
            #expect(
                !results.contains { $0.taskID == "C1" },
                "C1 is still waiting for its model: C2 ran beside it, not after it")

            agent.terminate()
            try #require(
                await agent.waitForExit(timeout: .seconds(30)), "the busy worker is abandoned after the deadline")
            #expect(agent.exitStatus == 0)
            #expect(try await bed.results().filter { $0.taskID == "C1" }.isEmpty, "the abandoned task sent nothing")
        }
    }
}
