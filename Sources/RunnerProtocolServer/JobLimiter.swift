import Synchronization

/// Why a job could not get a slot.
enum AdmissionError: Error, Sendable {
    /// Every slot and queue place is taken.
    case busy
    /// The server is shutting down.
    case shuttingDown
    /// The waiting task was cancelled.
    case cancelled
}

/// Runs at most `maxRunning` jobs; up to `maxQueued` more wait in FIFO order, any further one is refused.
final class JobLimiter: Sendable {
    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
        var nextID = 0
        var isShutDown = false
    }

    private let maxRunning: Int
    private let maxQueued: Int
    private let state = Mutex(State())

    init(maxRunning: Int, maxQueued: Int) {
        self.maxRunning = max(1, maxRunning)
        self.maxQueued = max(0, maxQueued)
        reportDepth()  // the gauges exist (at zero) before the first job
    }

    /// Takes a slot, waiting in the queue when all are in use. Pair every successful return with `release()`.
    /// - Parameter onQueued: called (synchronously) with the number of jobs ahead when the job has to wait.
    /// - Throws: `AdmissionError`.
    func acquire(onQueued: (_ ahead: Int) -> Void) async throws(AdmissionError) {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let queuedBehind: Int? = state.withLock { state in
                        // Checked under the lock: a cancellation that ran its handler before we registered is seen here.
                        if Task.isCancelled {
                            continuation.resume(throwing: AdmissionError.cancelled)
                        } else if state.isShutDown {
                            continuation.resume(throwing: AdmissionError.shuttingDown)
                        } else if state.running < maxRunning {
                            state.running += 1
                            continuation.resume()
                        } else if state.waiting.count < maxQueued {
                            state.waiting.append(Waiter(id: id, continuation: continuation))
                            return state.waiting.count - 1
                        } else {
                            continuation.resume(throwing: AdmissionError.busy)
                        }
                        return nil
                    }
                    reportDepth()
                    if let queuedBehind { onQueued(queuedBehind) }
                }
            } onCancel: {
                resume(id, throwing: .cancelled)
            }
        } catch let error as AdmissionError {
            throw error
        } catch {
            throw .cancelled
        }
    }

    /// Frees a slot: hands it to the first waiter, if any.
    func release() {
        let next: Waiter? = state.withLock { state in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()  // the slot passes to it; `running` stays
        }
        reportDepth()
        next?.continuation.resume()
    }

    /// Refuses new jobs and fails every waiting one with `.shuttingDown`.
    func shutDown() {
        let waiters = state.withLock { state in
            state.isShutDown = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        reportDepth()
        for waiter in waiters { waiter.continuation.resume(throwing: AdmissionError.shuttingDown) }
    }

    /// Jobs running and waiting, for logs and tests.
    var counts: (running: Int, waiting: Int) {
        state.withLock { ($0.running, $0.waiting.count) }
    }

    private func resume(_ id: Int, throwing error: AdmissionError) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index)
        }
        reportDepth()
        waiter?.continuation.resume(throwing: error)
    }

    private func reportDepth() {
        let (running, waiting) = counts
        RunnerMetrics.queueChanged(running: running, waiting: waiting)
    }
}
