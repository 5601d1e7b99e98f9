import Synchronization

/// The open connections, each with its job once it has one; lets shutdown close idle connections and
/// wait (with a deadline) until every connection is gone.
final class ConnectionTracker: Sendable {
    private struct Entry {
        var connection: Connection
        var job: JobHandle?
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 0
        var isShuttingDown = false
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    private let maxConnections: Int
    private let state = Mutex(State())

    init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    /// Registers a connection. - Returns: its id, or nil when at capacity or shutting down.
    func open(_ connection: Connection) -> Int? {
        state.withLock { state in
            guard !state.isShuttingDown, state.entries.count < maxConnections else { return nil }
            defer { state.nextID += 1 }
            state.entries[state.nextID] = Entry(connection: connection)
            return state.nextID
        }
    }

    /// Marks the connection as carrying a job, so shutdown gives it time instead of closing it.
    func setJob(_ job: JobHandle, for id: Int) {
        state.withLock { $0.entries[id]?.job = job }
    }

    func close(_ id: Int) {
        let waiters: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.entries[id] = nil
            guard state.entries.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Refuses new connections and closes those without a job.
    func beginShutdown() {
        let idle = state.withLock { state in
            state.isShuttingDown = true
            return state.entries.values.filter { $0.job == nil }.map(\.connection)
        }
        for connection in idle { connection.close() }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Waits until no connection is open. - Returns: false when `timeout` passed first.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return await withCheckedContinuation { continuation in
            let isEmpty = state.withLock { state in
                if state.entries.isEmpty { return true }
                state.waiters[id] = continuation
                return false
            }
            if isEmpty {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }
}
