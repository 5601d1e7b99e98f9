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
