import Kafka
import Logging
import ServiceLifecycle

/// `coding-agent run --concurrency N` as one service: N workers, each with its own consumer in the
/// group, sharing one producer. Each worker handles one message at a time, so each consumer commits its
/// partitions' offsets in order and never past an unfinished task; a partition belongs to one consumer,
/// so with more workers than partitions the extra ones stay idle.
///
/// On graceful shutdown every worker stops taking messages at once (not one after another); when all
/// have returned, the producer is flushed and closed and the consumers leave the group.
public struct WorkerPool: Service {
    let workers: [Worker]
    let consumers: [KafkaConsumer]
    let producer: KafkaProducer
    let logger: Logger

    /// - Parameters:
    ///   - consumers: one per worker, all in the same group.
    ///   - makeWorker: builds the worker for a consumer.
    public init(
        consumers: [KafkaConsumer], producer: KafkaProducer, logger: Logger, makeWorker: (KafkaConsumer) -> Worker
    ) {
        self.consumers = consumers
        self.producer = producer
        self.logger = logger
        workers = consumers.map(makeWorker)
    }

    public func run() async throws {
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask { try await worker.runUntilGracefulShutdown() }
                }
                try await group.waitForAll()
            }
        } catch {
            failure = error
        }
        logger.info("workers stopped; flushing results and leaving the group")
        await producer.close()
        for consumer in consumers { await consumer.close() }
        if let failure { throw failure }
    }
}
