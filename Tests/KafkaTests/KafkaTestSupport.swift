import Foundation
import Kafka
import Logging
import Synchronization
import Testing

/// Quiet by default; set KAFKA_TEST_LOG=debug to see librdkafka's lines.
let testLogger: Logger = {
    var logger = Logger(label: "kafka.test")
    logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] ?? "") ?? .critical
    return logger
}()

/// A mock cluster with one topic of `partitions` partitions.
func makeCluster(brokers: Int = 1, topic: String = "tasks", partitions: Int = 1) throws -> DevelopmentCluster {
    let cluster = try DevelopmentCluster(brokers: brokers, logger: testLogger)
    try cluster.createTopic(topic, partitions: partitions)
    return cluster
}

/// Short group timers. The mock cluster holds the first JoinGroup for 3 s and later ones for
/// session.timeout - 1 s, and drops a member whose session expires while it waits: keep it above 3 s.
func consumerConfiguration(_ cluster: DevelopmentCluster, topic: String = "tasks", group: String = "test-group")
    -> KafkaConsumerConfiguration
{
    var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, topics: [topic])
    configuration.groupID = group
    configuration.sessionTimeout = .seconds(5)
    configuration.heartbeatInterval = .milliseconds(200)
    configuration.properties["topic.metadata.refresh.interval.ms"] = "1000"
    configuration.properties["reconnect.backoff.max.ms"] = "200"
    if let debug = ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"] { configuration.properties["debug"] = debug }
    return configuration
}

func producerConfiguration(_ cluster: DevelopmentCluster) -> KafkaProducerConfiguration {
    var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
    configuration.deliveryTimeout = .seconds(20)
    configuration.linger = .milliseconds(1)
    configuration.properties["reconnect.backoff.max.ms"] = "200"
    return configuration
}

/// Sends `values` one after another (each waits for its delivery report).
func produce(_ values: [String], to topic: String = "tasks", cluster: DevelopmentCluster) async throws {
    let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
    for value in values {
        _ = try await producer.send(topic: topic, key: value, value: value)
    }
    await producer.close()
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Reads from `consumer` until `until` returns true for everything read so far, or `timeout` passes.
/// `handle` runs for each message (e.g. to commit it).
func read(
    from consumer: KafkaConsumer, timeout: Duration = .seconds(20),
    handle: @escaping @Sendable (KafkaMessage) async throws -> Void = { _ in },
    until done: @escaping @Sendable ([KafkaMessage]) -> Bool
) async throws -> [KafkaMessage] {
    try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
        group.addTask {
            var seen: [KafkaMessage] = []
            for try await message in consumer.messages {
                seen.append(message)
                try await handle(message)
                if done(seen) { return seen }
            }
            return seen
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next()!, done(result) else {
            throw TimedOut(description: "did not read enough within \(timeout)")
        }
        return result
    }
}

/// Reads whatever arrives within `duration` (for checking that nothing more comes).
func readFor(_ duration: Duration, from consumer: KafkaConsumer) async throws -> [KafkaMessage] {
    try await withThrowingTaskGroup(of: Void.self) { group in
        let collected = Collected()
        group.addTask {
            for try await message in consumer.messages { collected.append(message) }
        }
        try await Task.sleep(for: duration)
        group.cancelAll()
        try await group.waitForAll()
        return collected.messages
    }
}

/// Messages gathered by a concurrent reader.
final class Collected: Sendable {
    private let storage = Mutex<[KafkaMessage]>([])
    func append(_ message: KafkaMessage) { storage.withLock { $0.append(message) } }
    var messages: [KafkaMessage] { storage.withLock { $0 } }
    var values: [String] { messages.map(\.valueString) }
}

/// A value shared between test tasks.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
    var value: Value { storage.withLock { $0 } }
}
