/// Where a consumer starts reading a partition that has no committed offset in its group.
public enum KafkaAutoOffsetReset: String, Sendable {
    /// From the oldest message still in the partition (the seed's choice: no task is skipped).
    case earliest
    /// Only messages produced after the consumer joined.
    case latest
}

/// Settings of a `KafkaConsumer`. Auto-commit is always off: the caller commits each message it is
/// done with (`KafkaConsumer.commit(_:)`).
public struct KafkaConsumerConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// Topics to subscribe to.
    public var topics: [String]
    /// `group.id`; default `coding-agent`, as in the original design.
    public var groupID: String = "coding-agent"
    /// `auto.offset.reset`; default `.earliest`.
    public var autoOffsetReset: KafkaAutoOffsetReset = .earliest
    /// `session.timeout.ms`: a member that sends no heartbeat for this long leaves the group.
    /// Default 45 s (librdkafka's default).
    public var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`; default 3 s (librdkafka's default). Keep it well below `sessionTimeout`.
    public var heartbeatInterval: Duration = .seconds(3)
    /// `max.poll.interval.ms`: longest time between two reads of `messages` before this member is
    /// considered stuck and its partitions move. Default 5 min (librdkafka's default); raise it if one
    /// message can take longer to process.
    public var maxPollInterval: Duration = .seconds(300)
    /// `client.id`; default `coding-agent`.
    public var clientID: String = "coding-agent"
    /// Any other librdkafka property (`security.protocol`, `sasl.*`, `ssl.*`, …). Applied last, so it
    /// also overrides the settings above.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.topics = topics
    }

    /// Every property handed to librdkafka.
    var librdkafkaProperties: [String: String] {
        var result = [
            "bootstrap.servers": bootstrapServers,
            "group.id": groupID,
            "client.id": clientID,
            "auto.offset.reset": autoOffsetReset.rawValue,
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "false",
            "session.timeout.ms": String(sessionTimeout.milliseconds),
            "heartbeat.interval.ms": String(heartbeatInterval.milliseconds),
            "max.poll.interval.ms": String(maxPollInterval.milliseconds),
        ]
        result.merge(properties) { _, new in new }
        return result
    }
}

/// Settings of a `KafkaProducer`. The producer is idempotent (`enable.idempotence=true`, `acks=all`):
/// retries never duplicate or reorder a message within a partition.
public struct KafkaProducerConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `message.timeout.ms`: how long librdkafka keeps retrying one message before `send` fails for
    /// good with `_MSG_TIMED_OUT`. Default 30 s (librdkafka's own default is 5 min, too long for a
    /// worker that should report a failure).
    public var deliveryTimeout: Duration = .seconds(30)
    /// `linger.ms`: how long to wait to batch messages. Default 5 ms (librdkafka's default).
    public var linger: Duration = .milliseconds(5)
    /// `client.id`; default `coding-agent`.
    public var clientID: String = "coding-agent"
    /// Any other librdkafka property (`security.protocol`, `sasl.*`, `ssl.*`, …). Applied last, so it
    /// also overrides the settings above.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// Every property handed to librdkafka.
    var librdkafkaProperties: [String: String] {
        var result = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "enable.idempotence": "true",
            "acks": "all",
            "message.timeout.ms": String(deliveryTimeout.milliseconds),
            "linger.ms": String(linger.milliseconds),
        ]
        result.merge(properties) { _, new in new }
        return result
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; at least 1 for any positive duration.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return ms == 0 && self > .zero ? 1 : ms
    }
}
