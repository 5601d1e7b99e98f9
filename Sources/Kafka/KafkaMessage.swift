import CRdKafka

/// One message read by a `KafkaConsumer`; pass it back to `KafkaConsumer.commit(_:)` when done.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
    }

    /// Copies a message out of librdkafka's buffer (the caller still destroys it).
    init(copying message: rd_kafka_message_t) {
        self.topic = String(cString: rd_kafka_topic_name(message.rkt))
        self.partition = message.partition
        self.offset = message.offset
        self.key = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
        self.value = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
    }

    /// The key as UTF-8 text, if any.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    /// The value as UTF-8 text.
    public var valueString: String { String(decoding: value, as: UTF8.self) }
    /// `topic[partition]@offset`, for logs and errors.
    public var position: String { "\(topic)[\(partition)]@\(offset)" }
}
