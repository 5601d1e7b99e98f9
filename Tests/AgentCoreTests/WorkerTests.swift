import AgentCore
import Contracts
import Foundation
import GitWorkspace
import Kafka
import LLM
import Logging
import TestSupport
import Testing

/// `coding-agent run`'s loop against the Kafka mock cluster over TCP, with the real git server and runner.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerTests {
    static let quiet: Logger = {
        var logger = Logger(label: "worker-test")
        logger.logLevel = .critical
        return logger
    }()

    func consumer(_ cluster: DevelopmentCluster, topic: String, group: String) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, topics: [topic])
        configuration.groupID = group
        configuration.sessionTimeout = .seconds(5)
        configuration.heartbeatInterval = .milliseconds(200)
        return try KafkaConsumer(configuration: configuration, logger: Self.quiet)
    }

    func producer(_ cluster: DevelopmentCluster) throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: Self.quiet)
    }

    /// Reads results until `count` arrived or 60 s passed.
    func results(_ cluster: DevelopmentCluster, count: Int) async throws -> [CommitResult] {
        let reader = try consumer(cluster, topic: "commit-results", group: "reader-\(UUID().uuidString.prefix(6))")
        defer { Task { await reader.close() } }
        return try await withThrowingTaskGroup(of: [CommitResult].self) { group in
            group.addTask {
                var found: [CommitResult] = []
                for try await message in reader.messages {
                    found.append(try message.decode(CommitResult.self))
                    if found.count >= count { break }
                }
                return found
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return []
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
    }

    @Test func bundlesBecomeResultsAndPoisonMessagesAHardFail() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let cluster = try DevelopmentCluster(brokers: 1, logger: Self.quiet)
        try cluster.createTopic("coding-tasks")
        try cluster.createTopic("commit-results")

        var unknown = bed.task("W2")
        unknown.baseCommit = "feedfacefeedfacefeedfacefeedfacefeedface"
        let bundle = TaskBundle.with { $0.bundleID = "B1"; $0.tasks = [bed.task("W1"), unknown] }
        let send = try producer(cluster)
        _ = try await send.send(topic: "coding-tasks", key: Array("B1".utf8), value: try bundle.serializedBytes())
        _ = try await send.send(topic: "coding-tasks", key: "poison-1", value: "this is not a TaskBundle")
        await send.close()

        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let tasks = try consumer(cluster, topic: "coding-tasks", group: "coding-agent")
        let out = try producer(cluster)
        let worker = Worker(consumer: tasks, producer: out, processor: try bed.processor(model), resultTopic: "commit-results", logger: Self.quiet)
        let running = Task { try await worker.run() }

        let results = try await results(cluster, count: 3)
        running.cancel()
        _ = await running.result
        await tasks.close()
        await out.close()

        let byTask = Dictionary(results.map { ($0.taskID, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byTask["W1"]?.status == "SUCCESS")
        #expect(try bed.served(["rev-parse", "agt/W1"]) == byTask["W1"]?.commitSha)
        #expect(byTask["W2"]?.status == "HARD_FAIL")
        #expect(byTask["W2"]?.notes.first?.contains("feedfacefeedface") == true)
        #expect(byTask["poison-1"]?.status == "HARD_FAIL")
        #expect(byTask["poison-1"]?.notes.first?.contains("undecodable TaskBundle at coding-tasks[0]@1") == true)

        // Both offsets were committed: a new worker in the group gets nothing to do.
        let again = try consumer(cluster, topic: "coding-tasks", group: "coding-agent")
        let redelivered = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var count = 0
                for try await _ in again.messages { count += 1 }
                return count
            }
            try await Task.sleep(for: .seconds(8))
            group.cancelAll()
            return try await group.next() ?? 0
        }
        await again.close()
        #expect(redelivered == 0)
    }

    /// A commit the broker refuses (as after a rebalance; here an error answers the first OffsetCommit)
    /// leaves that message to be redelivered; the worker carries on with the next one.
    @Test func aRefusedCommitDoesNotStopTheWorker() async throws {
        let scratch = try makeTemporaryDirectory("worker")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cluster = try DevelopmentCluster(brokers: 1, logger: Self.quiet)
        try cluster.createTopic("coding-tasks")
        try cluster.createTopic("commit-results")
        let send = try producer(cluster)
        for key in ["poison-1", "poison-2"] { _ = try await send.send(topic: "coding-tasks", key: key, value: "not a TaskBundle") }
        await send.close()
        cluster.pushRequestErrors(apiKey: .offsetCommit, errors: [.offsetMetadataTooLarge])

        // Poison messages never reach the processor: it needs no runner, model or repository.
        let git = try GitRunner(home: scratch.appendingPathComponent("home"), credentials: nil, networkTimeout: .seconds(5), logger: Self.quiet)
        let processor = TaskProcessor(
            configuration: AgentConfiguration(remoteRepo: nil, checkoutRoot: scratch.appendingPathComponent("checkouts")),
            mirrors: MirrorCache(directory: scratch.appendingPathComponent("mirrors"), runner: git, logger: Self.quiet),
            model: ScriptedPatchModel(entries: []), checker: SocketPatchChecker(socketPath: scratch.appendingPathComponent("none.sock").path),
            claimer: nil, logger: Self.quiet)
        let tasks = try consumer(cluster, topic: "coding-tasks", group: "coding-agent")
        let out = try producer(cluster)
        let worker = Worker(consumer: tasks, producer: out, processor: processor, resultTopic: "commit-results", logger: Self.quiet)
        let running = Task { try await worker.run() }

        let results = try await results(cluster, count: 2)
        try await Task.sleep(for: .milliseconds(500))
        let outcome = Task { await running.result }
        running.cancel()
        let stoppedBy = await outcome.value
        await tasks.close()
        await out.close()
        #expect(Set(results.map(\.taskID)) == ["poison-1", "poison-2"], "the worker went on after the refused commit")
        #expect(throws: Never.self) { try stoppedBy.get() }
    }
}
