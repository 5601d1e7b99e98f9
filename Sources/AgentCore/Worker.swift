import AgentContracts
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// `coding-agent run`: TaskBundles from the task topic, one CommitResult per task to the result topic.
/// A message's offset is committed only after every result of its bundle was acknowledged by the
/// broker (at-least-once); a message that does not decode gets a HARD_FAIL result and is committed. A
/// commit the group refuses (after a rebalance) is logged and the message is left to be redelivered.
public final class Worker: Sendable {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let processor: TaskProcessor
    let resultTopic: String
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)

    public init(
        consumer: KafkaConsumer, producer: KafkaProducer, processor: TaskProcessor, resultTopic: String, logger: Logger
    ) {
        self.consumer = consumer
        self.producer = producer
        self.processor = processor
        self.resultTopic = resultTopic
        self.logger = logger
    }

    /// Stop taking new messages; the current one is finished (or abandoned uncommitted if the task
    /// running `run()` is cancelled, so it is redelivered).
    public func stop() { stopping.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a message is being handled right now (when not, a stopping worker can be cancelled at once).
    /// `run()` marks itself busy before it looks at the stop flag, and `stop()` is set before this is read
    /// (both sequentially consistent), so a message is either finished or never started.
    public var isBusy: Bool { busy.load(ordering: .sequentiallyConsistent) }

    /// Runs until `stop()`, cancellation, or a result that could not be delivered (then it throws and
    /// leaves that message uncommitted, so a restarted worker gets it again).
    public func run() async throws {
        defer { logger.info("worker stopped") }
        for try await message in consumer.messages {
            busy.store(true, ordering: .sequentiallyConsistent)
            defer { busy.store(false, ordering: .sequentiallyConsistent) }
            // Arrived after stop(): left uncommitted, so the group hands it to another worker.
            if stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled { break }
            try await handle(message)
            // Stopped while busy: return now instead of waiting for a message that would be left anyway.
            if stopping.load(ordering: .sequentiallyConsistent) { break }
        }
    }

    /// `run()` inside a service group: on graceful shutdown the worker takes no new message; an idle one
    /// returns at once, a busy one finishes its message (unless the group's deadline cancels it first, and
    /// then the message stays uncommitted and is redelivered).
    public func runUntilGracefulShutdown() async throws {
        let loop = Task { try await run() }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await loop.value
            } onGracefulShutdown: { [self] in
                stop()
                if !isBusy {
                    loop.cancel()
                } else {
                    logger.info("finishing the current message before stopping")
                }
            }
        } onCancel: {
            loop.cancel()
        }
    }

    func handle(_ message: KafkaMessage) async throws {
        var results: [CommitResult] = []
        switch Result(catching: { () throws(KafkaDecodeError) -> TaskBundle in try message.decode(TaskBundle.self) }) {
        case .failure(let error):
            logger.error("poison message", metadata: ["at": "\(message.position)", "error": "\(error)"])
            results = [
                .with {
                    $0.taskID = message.keyString ?? ""
                    $0.status = CommitStatus.hardFail.rawValue
                    $0.notes = ["undecodable TaskBundle at \(message.position): \(error.reason)"]
                }
            ]
        case .success(let bundle):
            logger.info(
                "bundle received",
                metadata: [
                    "bundle_id": "\(bundle.bundleID)", "tasks": "\(bundle.tasks.count)", "at": "\(message.position)",
                ])
            for (index, task) in bundle.tasks.enumerated() {
                results.append(await processor.process(task, bundleID: bundle.bundleID, position: index + 1))
                // Abandoned mid-bundle: nothing is sent or committed, the bundle comes again.
                if Task.isCancelled { return }
            }
        }
        for result in results {
            try await producer.publish(result, to: resultTopic)
            AgentMetrics.taskFinished(status: result.status)
            logger.info("result sent", metadata: ["task_id": "\(result.taskID)", "status": "\(result.status)"])
        }
        do { try await consumer.commit(message) } catch {
            guard !error.isFatal, error.code != .destroyed else { throw error }
            // The results are acknowledged; a commit refused because the group rebalanced (the partition
            // moved, the session expired) or the coordinator failed only means the message comes again,
            // and a redelivered task is answered from its branch. Not a reason to stop the worker.
            logger.warning(
                "offset not committed; the message will be delivered again",
                metadata: ["at": "\(message.position)", "error": "\(error)"])
        }
    }
}
