import CRdKafka
import Synchronization

/// Commits in flight: each `rd_kafka_commit_queue` call carries an id as its opaque, and the result
/// event on `queue` resumes the caller waiting under that id.
///
/// `@unchecked Sendable`: `queue` is a thread-safe librdkafka queue; everything else is in the Mutex.
final class CommitTable: @unchecked Sendable {
    typealias Waiter = CheckedContinuation<Result<Void, KafkaError>, Never>
    private struct State {
        var closed = false
        var nextID = 1
        var waiters: [Int: (waiter: Waiter, context: String)] = [:]
    }
    private let queue: OpaquePointer
    private let state = Mutex(State())

    init(queue: OpaquePointer) { self.queue = queue }

    /// Sends the commit; `continuation` is resumed by `serve` or `close`.
    func start(
        handle: OpaquePointer, topic: String, partition: Int32, offset: Int64, context: String, continuation: Waiter
    ) {
        let refused: KafkaError? = state.withLock { state in
            guard !state.closed else {
                return KafkaError(
                    code: .destroyed, message: "the consumer is closed", isRetriable: false, context: context)
            }
            let id = state.nextID
            state.nextID += 1
            state.waiters[id] = (continuation, context)
            let list = rd_kafka_topic_partition_list_new(1)!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = offset
            // Holding the lock keeps `close()` from destroying the handle during this call.
            let err = rd_kafka_commit_queue(handle, list, queue, nil, UnsafeMutableRawPointer(bitPattern: id))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                state.waiters[id] = nil
                return KafkaError.from(err, handle: handle, context: context)
            }
            return nil
        }
        if let refused { continuation.resume(returning: .failure(refused)) }
    }

    /// Waits up to `timeoutMs` for one commit result and resumes its caller.
    /// - Returns: whether an event was taken from the queue.
    @discardableResult
    func serve(timeoutMs: Int32) -> Bool {
        guard let event = rd_kafka_queue_poll(queue, timeoutMs) else { return false }
        defer { rd_kafka_event_destroy(event) }
        guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT else { return true }
        let id = Int(bitPattern: rd_kafka_event_opaque(event))
        guard let (waiter, context) = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return true }
        waiter.resume(returning: Self.outcome(of: event, context: context))
        return true
    }

    /// The commit failed as a whole, or for its one partition.
    private static func outcome(of event: OpaquePointer, context: String) -> Result<Void, KafkaError> {
        var err = rd_kafka_event_error(event)
        if err == RD_KAFKA_RESP_ERR_NO_ERROR, let list = rd_kafka_event_topic_partition_list(event),
            list.pointee.cnt > 0
        {
            err = list.pointee.elems[0].err
        }
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return .success(()) }
        let message = rd_kafka_event_error_string(event).map { String(cString: $0) }
        return .failure(KafkaError(code: KafkaErrorCode(err), message: message, context: context))
    }

    /// Serves the results already there, fails the rest, and frees the queue; run before the handle
    /// is destroyed and after the serving thread stopped.
    func close() {
        state.withLock { $0.closed = true }
        while serve(timeoutMs: 0) {}
        let remaining = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.values
        }
        for (waiter, context) in remaining {
            waiter.resume(
                returning: .failure(
                    KafkaError(
                        code: .destroyed, message: "the consumer closed before the commit was acknowledged",
                        isRetriable: false, context: context)))
        }
        rd_kafka_queue_destroy(queue)
    }
}
