import CRdKafka
import Dispatch
import Logging

/// A consumer-group member with explicit commits: `enable.auto.commit=false` and
/// `enable.auto.offset.store=false`, so an offset moves only when the caller calls `commit(_:)`.
///
/// Delivery is at-least-once: a message whose commit was acknowledged is never delivered again to the
/// group; every other message is delivered again after a restart or a rebalance. Commit messages of a
/// partition in the order they were read (committing a message also commits everything before it).
///
/// librdkafka's blocking calls (`rd_kafka_consumer_poll`, `rd_kafka_consumer_close`) run on a
/// dedicated serial queue, and commit results are served by a dedicated thread.
public final class KafkaConsumer: Sendable {
    let handle: RDKafkaHandle
    /// Serializes poll and close: librdkafka wants one thread at a time in `rd_kafka_consumer_poll`.
    private let pollQueue = DispatchQueue(label: "kafka.consumer.poll")
    private let commits: CommitTable
    private let commitPoller: PollThread
    private let closed = Flag()
    let logger: Logger

    /// Creates the consumer and subscribes to `configuration.topics`; the group is joined on the first
    /// read of `messages`.
    /// - Throws: `KafkaError` for an invalid configuration property or subscription.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger = Logger(label: "kafka.consumer"))
        throws(KafkaError)
    {
        let handle = try RDKafkaHandle(
            kind: RD_KAFKA_CONSUMER, properties: configuration.librdkafkaProperties, logger: logger
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalance)
        }
        rd_kafka_poll_set_consumer(handle.pointer)
        let topics = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(topics) }
        for topic in configuration.topics {
            rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(handle.pointer, topics)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            handle.destroy()
            throw KafkaError(code: KafkaErrorCode(err), context: "subscribe to \(configuration.topics)")
        }
        let commits = CommitTable(queue: rd_kafka_queue_new(handle.pointer))
        self.handle = handle
        self.commits = commits
        self.logger = logger
        self.commitPoller = PollThread(name: "kafka.consumer.commit") { commits.serve(timeoutMs: 100) }
    }

    deinit {
        // `close()` already tore down (and may be the one releasing us, on pollQueue: do not sync then).
        if !closed.isSet { pollQueue.sync { tearDown() } }
    }

    /// The messages of the subscribed topics, in order within each partition. The sequence ends when
    /// the consumer is closed or the reading task is cancelled; it throws only a fatal `KafkaError`.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(consumer: self) }

    /// Commits the offset after `message` (`rd_kafka_commit_queue`) and waits for the broker's answer.
    /// - Throws: `KafkaError` when the commit was not acknowledged, e.g. `ILLEGAL_GENERATION` after the
    ///   partition moved to another member (the message will then be delivered again, there).
    public func commit(_ message: KafkaMessage) async throws(KafkaError) {
        try await commit(topic: message.topic, partition: message.partition, nextOffset: message.offset + 1)
    }

    /// Commits `nextOffset` (the offset of the next message to read) for one partition.
    /// - Throws: `KafkaError` when the broker did not acknowledge the commit.
    public func commit(topic: String, partition: Int32, nextOffset: Int64) async throws(KafkaError) {
        let context = "commit \(topic)[\(partition)]@\(nextOffset)"
        let result: Result<Void, KafkaError> = await withCheckedContinuation { continuation in
            commits.start(
                handle: handle.pointer, topic: topic, partition: partition, offset: nextOffset, context: context,
                continuation: continuation)
        }
        try result.get()
    }

    /// Leaves the group (`rd_kafka_consumer_close`: partitions are revoked and handed over at once)
    /// and releases the consumer. Reads of `messages` end; later commits fail. Safe to call twice.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pollQueue.async { [self] in
                tearDown()
                continuation.resume()
            }
        }
    }

    /// Runs on `pollQueue`.
    private func tearDown() {
        guard closed.set() else { return }
        let err = rd_kafka_consumer_close(handle.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("leaving the group failed: \(String(cString: rd_kafka_err2name(err)))")
        }
        commitPoller.stop()
        commits.close()
        handle.destroy()
    }

    enum PollOutcome {
        case message(KafkaMessage)
        case idle
        case closed
        case failed(KafkaError)
    }

    /// One `rd_kafka_consumer_poll` of up to 100 ms on the poll queue (rebalance callbacks run here too).
    func pollOnce() async -> PollOutcome {
        await withCheckedContinuation { continuation in
            pollQueue.async { [handle, closed, logger] in
                guard !closed.isSet else { return continuation.resume(returning: .closed) }
                guard let message = rd_kafka_consumer_poll(handle.pointer, 100) else {
                    return continuation.resume(returning: .idle)
                }
                defer { rd_kafka_message_destroy(message) }
                let err = message.pointee.err
                if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    return continuation.resume(returning: .message(KafkaMessage(copying: message.pointee)))
                }
                if err == RD_KAFKA_RESP_ERR__FATAL {
                    return continuation.resume(
                        returning: .failed(KafkaError.from(err, handle: handle.pointer, context: "consume")))
                }
                // Other consumer errors are informational: librdkafka keeps retrying on its own.
                if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning(
                        "consumer: \(String(cString: rd_kafka_err2name(err))): \(String(cString: rd_kafka_message_errstr(message)))"
                    )
                }
                continuation.resume(returning: .idle)
            }
        }
    }
}
