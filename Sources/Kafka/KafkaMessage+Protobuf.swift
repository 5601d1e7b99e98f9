import SwiftProtobuf

/// A message whose value is not the protobuf message the caller expected; carries where it was read
/// so the caller can report it (and commit past it).
public struct KafkaDecodeError: Error, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The protobuf message type that was expected, e.g. `coding_agent.TaskBundle`.
    public var expectedType: String
    /// What the protobuf decoder said.
    public var reason: String

    public var description: String {
        "\(topic)[\(partition)]@\(offset) is not a valid \(expectedType): \(reason)"
    }
}

extension KafkaMessage {
    /// Decodes the value as binary protobuf.
    ///
    /// Protobuf's wire format accepts much garbage as "unknown fields", so a value that sets no field
    /// of `M` at all (including an empty value) is rejected too.
    /// - Throws: `KafkaDecodeError` naming this message's topic, partition and offset.
    public func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws(KafkaDecodeError) -> M {
        let decoded: M
        do {
            decoded = try M(serializedBytes: value)
        } catch {
            throw decodeError(M.self, "\(error)")
        }
        var known = decoded
        known.unknownFields = UnknownStorage()
        if known.isEqualTo(message: M()) {
            throw decodeError(M.self, value.isEmpty ? "empty value" : "no field of \(M.protoMessageName) is set")
        }
        return decoded
    }

    private func decodeError<M: SwiftProtobuf.Message>(_ type: M.Type, _ reason: String) -> KafkaDecodeError {
        KafkaDecodeError(
            topic: topic, partition: partition, offset: offset, expectedType: M.protoMessageName, reason: reason)
    }
}
