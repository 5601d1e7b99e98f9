import AgentContracts
import AgentCore
import Foundation
import Kafka
import Logging

/// Clients of the Kafka mock cluster for the worker tests.
extension DevelopmentCluster {
    static let quiet: Logger = {
        var logger = Logger(label: "worker-test")
        logger.logLevel = .critical
        return logger
    }()

    /// A one-broker cluster with the agent's topics, coding-tasks and commit-results.
    static func withAgentTopics() throws -> DevelopmentCluster {
        let cluster = try DevelopmentCluster(brokers: 1, logger: quiet)
        try cluster.createTopic("coding-tasks")
        try cluster.createTopic("commit-results")
        return cluster
    }

    /// Runs a `Worker` in group coding-agent until `count` results arrived, then stops it and returns
    /// them by task id (the first result of each).
    func runWorker(_ processor: TaskProcessor, untilResults count: Int) async throws -> [String: CommitResult] {
        let found = try await runWorkerCollecting(processor, untilResults: count)
        return Dictionary(found.map { ($0.taskID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs a `Worker` in group coding-agent until `count` results arrived, then stops it and returns
    /// them in the order they were published.
    func runWorkerCollecting(_ processor: TaskProcessor, untilResults count: Int) async throws -> [CommitResult] {
        let tasks = try consumer(topic: "coding-tasks", group: "coding-agent")
        let out = try producer()
        let worker = Worker(
            consumer: tasks, producer: out, processor: processor, resultTopic: "commit-results", logger: Self.quiet)
        let running = Task { try await worker.run() }
        let found = try await results(count: count)
        running.cancel()
        _ = await running.result
        await tasks.close()
        await out.close()
        return found
    }

    func consumer(topic: String, group: String) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: [topic])
        configuration.groupID = group
        configuration.sessionTimeout = .seconds(5)
        configuration.heartbeatInterval = .milliseconds(200)
        return try KafkaConsumer(configuration: configuration, logger: Self.quiet)
    }

    func producer() throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers), logger: Self.quiet)
    }

    /// Reads results until `count` arrived or 60 s passed.
    func results(count: Int) async throws -> [CommitResult] {
        try await firstMessages(
            topic: "commit-results", group: "reader-\(UUID().uuidString.prefix(6))", count: count, within: .seconds(60)
        )
        .map { try $0.decode(CommitResult.self) }
    }

    /// The first `count` messages a new member of `group` gets within `time` (fewer if no more come).
    func firstMessages(topic: String, group: String, count: Int, within time: Duration) async throws -> [KafkaMessage] {
        let reader = try consumer(topic: topic, group: group)
        defer { Task { await reader.close() } }
        return try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { tasks in
            tasks.addTask {
                var found: [KafkaMessage] = []
                for try await message in reader.messages {
                    found.append(message)
                    if found.count >= count { break }
                }
                return found
            }
            tasks.addTask {
                try await Task.sleep(for: time)
                return nil
            }
            let first = try await tasks.next() ?? nil
            tasks.cancelAll()
            return first ?? []
        }
    }
}
