import AgentContracts
import AgentCore
import Foundation
import GitWorkspace
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
        let bundle = TaskBundle.with {
            $0.bundleID = "B1"
            $0.tasks = [bed.task("W1"), unknown]
        }
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
        let redelivered = try await cluster.firstMessages(
            topic: "coding-tasks", group: "coding-agent", count: 1, within: .seconds(8))
        #expect(redelivered.isEmpty)
    }

    /// The original design's bundle: tasks without id or base_commit. The worker derives each id from the
    /// bundle and the position, and works on the default branch's head.
    @Test func aBundleOfTasksWithoutIdOrBaseGetsDerivedIdsOnTheDefaultBranch() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let cluster = try DevelopmentCluster.withAgentTopics()
        var bare = bed.task("")
        bare.baseCommit = ""
        var second = bare
        second.repo = "not a usable remote -"
        let bundle = TaskBundle.with {
            $0.bundleID = "smoke"
            $0.tasks = [bare, second]
        }
        let send = try cluster.producer()
        _ = try await send.send(topic: "coding-tasks", key: Array("smoke".utf8), value: try bundle.serializedBytes())
        await send.close()

        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let byTask = try await cluster.runWorker(try bed.processor(model), untilResults: 2)
        #expect(Set(byTask.keys) == ["smoke-1", "smoke-2"])
        let first = try #require(byTask["smoke-1"])
        #expect(first.status == "SUCCESS", "\(first.notes)")
        #expect(first.branchName == "agt/smoke-1")
        #expect(try bed.served(["rev-parse", "agt/smoke-1^"]) == bed.fixture.baseCommit)
        #expect(first.notes.contains { $0.contains("default branch main at \(bed.fixture.baseCommit)") })
        #expect(byTask["smoke-2"]?.status == "HARD_FAIL", "\(byTask["smoke-2"]?.notes ?? [])")
        #expect(byTask["smoke-2"]?.notes.first?.contains("smoke-2 is derived from bundle smoke") == true)
    }

    /// A commit the broker refuses (as after a rebalance; here an error answers the first OffsetCommit)
    /// leaves that message to be redelivered; the worker carries on with the next one.
    @Test func aRefusedCommitDoesNotStopTheWorker() async throws {
        let scratch = try makeTemporaryDirectory("worker")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cluster = try DevelopmentCluster.withAgentTopics()
        let send = try cluster.producer()
        for key in ["poison-1", "poison-2"] {
            _ = try await send.send(topic: "coding-tasks", key: key, value: "not a TaskBundle")
        }
        await send.close()
        cluster.pushRequestErrors(apiKey: .offsetCommit, errors: [.offsetMetadataTooLarge])

        // Poison messages never reach the processor: it needs no runner, model or repository.
        let git = try GitRunner(
            home: scratch.appendingPathComponent("home"), credentials: nil, networkTimeout: .seconds(5),
            logger: DevelopmentCluster.quiet)
        let processor = TaskProcessor(
            configuration: AgentConfiguration(
                remoteRepo: nil, checkoutRoot: scratch.appendingPathComponent("checkouts")),
            mirrors: MirrorCache(
                directory: scratch.appendingPathComponent("mirrors"), runner: git, logger: DevelopmentCluster.quiet),
            model: ScriptedPatchModel(entries: []),
            checker: SocketPatchChecker(socketPath: scratch.appendingPathComponent("none.sock").path),
            claimer: nil, logger: DevelopmentCluster.quiet)
        let byTask = try await cluster.runWorker(processor, untilResults: 2)
        #expect(Set(byTask.keys) == ["poison-1", "poison-2"], "the worker went on after the refused commit")
    }
}
