import CRdKafka
import Dispatch
import Logging
import Synchronization

/// An idempotent producer (`enable.idempotence=true`, `acks=all`) whose `send` returns only when the
/// broker acknowledged the message or librdkafka gave up on it.
///
/// Delivery reports are served by a dedicated thread (`rd_kafka_poll`), never on the cooperative pool.
public final class KafkaProducer: Sendable {
    private let handle: RDKafkaHandle
    private let poller: PollThread
    /// `rd_kafka_topic_t` handles by name, created on first use and destroyed by `close()`.
    private let topics = Mutex<[String: SendablePointer]>([:])
    private let closed = Flag()
    private let logger: Logger

    /// Creates the producer; it connects lazily, on the first `send`.
    /// - Throws: `KafkaError` for an invalid configuration property.
    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "kafka.producer"))
        throws(KafkaError)
    {
        let handle = try RDKafkaHandle(
            kind: RD_KAFKA_PRODUCER, properties: configuration.librdkafkaProperties, logger: logger
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        }
        self.handle = handle
        self.logger = logger
        self.poller = PollThread(name: "kafka.producer.poll") { _ = rd_kafka_poll(handle.pointer, 100) }
    }

    deinit {
        if !closed.isSet { shutDown(flushTimeout: .zero) }
    }

    /// Publishes one message and waits for its delivery report (`rd_kafka_produce`, `dr_msg_cb`).
    /// - Parameters:
    ///   - topic: the topic; the partition is chosen from the key (librdkafka's default partitioner).
    ///   - key: the message key, or `nil`.
    ///   - value: the message value.
    /// - Returns: the partition and offset the broker stored the message at.
    /// - Throws: `KafkaError` when the message was not delivered within `deliveryTimeout`, was rejected,
    ///   or the producer is closed. Once enqueued, a send is not cancellable.
    public func send(topic: String, key: [UInt8]?, value: [UInt8]) async throws(KafkaError) -> (
        partition: Int32, offset: Int64
    ) {
        while true {
            let result: Result<(partition: Int32, offset: Int64), KafkaError> = await withCheckedContinuation {
                continuation in
                let box = Unmanaged.passRetained(DeliveryBox(continuation))
                if let error = enqueue(topic: topic, key: key, value: value, opaque: box.toOpaque()) {
                    box.release()
                    continuation.resume(returning: .failure(error))
                }
            }
            // A full local queue only means we produce faster than the broker takes: wait, not fail.
            if case .failure(let error) = result, error.code == .queueFull {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            return try result.get()
        }
    }

    /// `send` with UTF-8 text.
    public func send(topic: String, key: String?, value: String) async throws(KafkaError) -> (
        partition: Int32, offset: Int64
    ) {
        try await send(topic: topic, key: key.map { Array($0.utf8) }, value: Array(value.utf8))
    }

    /// Waits up to `timeout` for queued messages, fails the rest with `_PURGE_QUEUE`, and releases the
    /// producer. Safe to call more than once.
    public func close(timeout: Duration = .seconds(10)) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // flush and destroy block: run them on a plain thread, not the cooperative pool.
            DispatchQueue.global().async { [self] in
                shutDown(flushTimeout: timeout)
                continuation.resume()
            }
        }
    }

    private func shutDown(flushTimeout: Duration) {
        guard closed.set() else { return }
        _ = rd_kafka_flush(handle.pointer, Int32(clamping: flushTimeout.milliseconds))
        _ = rd_kafka_purge(handle.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        poller.stop()
        // Serve the purged messages' delivery reports so every waiting `send` resumes.
        var rounds = 0
        repeat {
            _ = rd_kafka_poll(handle.pointer, 10)
            rounds += 1
        } while rd_kafka_outq_len(handle.pointer) > 0 && rounds < 100
        topics.withLock { topics in
            for topic in topics.values { rd_kafka_topic_destroy(topic.pointer) }
            topics.removeAll()
        }
        handle.destroy()
    }

    /// Hands the message to librdkafka; returns the error when it refused it.
    private func enqueue(topic: String, key: [UInt8]?, value: [UInt8], opaque: UnsafeMutableRawPointer) -> KafkaError? {
        let context = "produce to \(topic)"
        guard !closed.isSet else {
            return KafkaError(code: .destroyed, message: "the producer is closed", isRetriable: false, context: context)
        }
        let topicHandle = topics.withLock { topics -> OpaquePointer? in
            if let existing = topics[topic] { return existing.pointer }
            guard let created = rd_kafka_topic_new(handle.pointer, topic, nil) else { return nil }
            topics[topic] = SendablePointer(pointer: created)
            return created
        }
        guard let topicHandle else {
            return KafkaError(code: KafkaErrorCode(rd_kafka_last_error()), context: context)
        }
        var mutableValue = value
        var mutableKey = key ?? []
        // F_COPY: librdkafka copies the bytes, so our arrays may go away when this returns.
        let status = mutableValue.withUnsafeMutableBytes { valueBytes in
            mutableKey.withUnsafeMutableBytes { keyBytes in
                rd_kafka_produce(
                    topicHandle, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                    valueBytes.baseAddress, valueBytes.count,
                    key == nil ? nil : UnsafeRawPointer(keyBytes.baseAddress), keyBytes.count,
                    opaque)
            }
        }
        guard status != 0 else { return nil }
        return KafkaError.from(rd_kafka_last_error(), handle: handle.pointer, context: context)
    }
}

/// An `rd_kafka_topic_t` (thread-safe in librdkafka) kept in a `Mutex`-protected table.
struct SendablePointer: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The continuation of one `send`, passed to librdkafka as the message's opaque.
private final class DeliveryBox {
    let continuation: CheckedContinuation<Result<(partition: Int32, offset: Int64), KafkaError>, Never>
    init(_ continuation: CheckedContinuation<Result<(partition: Int32, offset: Int64), KafkaError>, Never>) {
        self.continuation = continuation
    }
}

/// Called by `rd_kafka_poll` on the poll thread, once per message: success or final failure.
private let deliveryReport:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        handle, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
        let report = message.pointee
        if report.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            box.continuation.resume(returning: .success((report.partition, report.offset)))
        } else {
            let topic = report.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            box.continuation.resume(
                returning: .failure(KafkaError.from(report.err, handle: handle, context: "deliver to \(topic)")))
        }
    }
