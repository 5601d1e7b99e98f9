import AgentContracts
import Kafka

extension KafkaProducer {
    /// Publishes `result` keyed by its task id (so every answer to a task lands on one partition, in
    /// order) and returns once the broker acknowledged it.
    /// - Throws: `KafkaError` when the broker did not acknowledge it within the delivery timeout.
    public func publish(_ result: CommitResult, to topic: String) async throws {
        _ = try await send(topic: topic, key: Array(result.taskID.utf8), value: try result.serializedBytes() as [UInt8])
    }
}
