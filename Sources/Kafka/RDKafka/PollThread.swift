import Foundation

/// A dedicated thread that runs a blocking librdkafka call (`rd_kafka_poll`, `rd_kafka_queue_poll`)
/// in a loop, so those waits never occupy the cooperative thread pool.
final class PollThread: Sendable {
    private let stopped = Flag()
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread; `body` should block for a short time (≤100 ms) per call.
    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [stopped, finished] in
            while !stopped.isSet { body() }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for the current `body` call to return (blocks the caller briefly).
    func stop() {
        guard stopped.set() else { return }
        finished.wait()
    }
}
