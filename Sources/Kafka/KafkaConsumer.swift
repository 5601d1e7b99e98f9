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
    private let handle: RDKafkaHandle
    /// Serializes poll and close: librdkafka wants one thread at a time in `rd_kafka_consumer_poll`.
    private let pollQueue = DispatchQueue(label: "kafka.consumer.poll")
    private let commits: CommitTable
    private let commitPoller: PollThread
    private let closed = Flag()
    let logger: Logger

    /// Creates the consumer and subscribes to `configuration.topics`; the group is joined on the first
    /// read of `messages`.
    /// - Throws: `KafkaError` for an invalid configuration property or subscription.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger = Logger(label: "kafka.consumer")) throws(KafkaError) {
        let handle = try RDKafkaHandle(kind: RD_KAFKA_CONSUMER, properties: configuration.librdkafkaProperties, logger: logger) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalance)
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
            commits.start(handle: handle.pointer, topic: topic, partition: partition, offset: nextOffset, context: context, continuation: continuation)
        }
        try result.get()
    }

    /// The offset after the last message of each partition of `topic` (its high watermark).
    /// - Throws: `KafkaError` when the broker does not answer within `timeout`.
    public func endOffsets(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [Int32: Int64] {
        let handle = self.handle
        let result: Result<[Int32: Int64], KafkaError> = await withCheckedContinuation { continuation in
            // Metadata and watermark queries block; they are thread-safe, so any plain thread will do.
            DispatchQueue.global().async {
                continuation.resume(returning: Self.queryEndOffsets(handle.pointer, topic: topic, timeoutMs: Int32(clamping: timeout.milliseconds)))
            }
        }
        return try result.get()
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
                    return continuation.resume(returning: .failed(KafkaError.from(err, handle: handle.pointer, context: "consume")))
                }
                // Other consumer errors are informational: librdkafka keeps retrying on its own.
                if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning("consumer: \(String(cString: rd_kafka_err2name(err))): \(String(cString: rd_kafka_message_errstr(message)))")
                }
                continuation.resume(returning: .idle)
            }
        }
    }

    private static func queryEndOffsets(_ handle: OpaquePointer, topic: String, timeoutMs: Int32) -> Result<[Int32: Int64], KafkaError> {
        let context = "end offsets of \(topic)"
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            return .failure(KafkaError(code: KafkaErrorCode(rd_kafka_last_error()), context: context))
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(KafkaError(code: KafkaErrorCode(err), context: context))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let topicErr = metadata.pointee.topic_cnt == 1 ? metadata.pointee.topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
            return .failure(KafkaError(code: KafkaErrorCode(topicErr), context: context))
        }
        let topicMetadata = metadata.pointee.topics[0]
        var result: [Int32: Int64] = [:]
        for index in 0..<Int(topicMetadata.partition_cnt) {
            let partition = topicMetadata.partitions[index].id
            var low: Int64 = 0, high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(KafkaError(code: KafkaErrorCode(err), context: "\(context)[\(partition)]"))
            }
            result[partition] = high
        }
        return .success(result)
    }
}

/// The `AsyncSequence` of a consumer's messages.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer

        /// The next message; `nil` once the consumer is closed or the task is cancelled.
        /// - Throws: a fatal `KafkaError`.
        public mutating func next() async throws -> KafkaMessage? {
            while !Task.isCancelled {
                switch await consumer.pollOnce() {
                case .message(let message): return message
                case .idle: continue
                case .closed: return nil
                case .failed(let error): throw error
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}

/// Called inside `rd_kafka_consumer_poll` when the group hands out or takes back partitions.
/// Commits are synchronous for the caller, so nothing is pending here: revoking just stops fetching,
/// and the next owner starts at the last acknowledged commit.
private let rebalance: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { handle, err, partitions, _ in
    guard let handle else { return }
    let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
    let logger = RDKafkaContext.of(handle)?.logger
    let names = describe(partitions)
    if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
        logger?.info("assigned \(names)")
        if cooperative {
            if let error = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(error) }
        } else {
            _ = rd_kafka_assign(handle, partitions)
        }
    } else {
        let lost = rd_kafka_assignment_lost(handle) != 0
        logger?.info("\(lost ? "lost" : "revoked") \(names)")
        if cooperative {
            if let error = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(error) }
        } else {
            _ = rd_kafka_assign(handle, nil)
        }
    }
}

private func describe(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> String {
    guard let list else { return "[]" }
    let items = (0..<Int(list.pointee.cnt)).map { index in
        let element = list.pointee.elems[index]
        return "\(String(cString: element.topic))[\(element.partition)]"
    }
    return "[\(items.joined(separator: ", "))]"
}
