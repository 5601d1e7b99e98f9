import Synchronization

/// Why a job's task was cancelled; decides what its client is told.
enum CancelReason: Sendable {
    /// A CancelRequest named it: the client gets a `cancelled` error instead of the report.
    case request
    /// The client disconnected or broke the protocol: nobody to tell.
    case disconnect
    /// The runner is shutting down: the client gets a `cancelled` error.
    case shutdown
}

/// One accepted check: its task, once started, and the first reason it was cancelled for.
final class JobHandle: Sendable {
    let requestID: String
    private let state = Mutex<(task: Task<Void, Never>?, reason: CancelReason?)>((nil, nil))

    init(requestID: String) {
        self.requestID = requestID
    }

    /// Attaches the job's task; cancels it at once if a cancellation came first.
    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.reason != nil
        }
        if cancelled { task.cancel() }
    }

    /// Cancels the job's task; the first reason wins.
    func cancel(_ reason: CancelReason) {
        let task = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            return state.task
        }
        task?.cancel()
    }

    var cancelReason: CancelReason? { state.withLock { $0.reason } }
}

/// The jobs in progress (queued or running) by request id, so a cancel can reach them from any connection.
final class JobRegistry: Sendable {
    private let jobs = Mutex<[String: JobHandle]>([:])

    /// Registers `job`. - Returns: false when its request id is already in progress.
    func insert(_ job: JobHandle) -> Bool {
        jobs.withLock { jobs in
            guard jobs[job.requestID] == nil else { return false }
            jobs[job.requestID] = job
            return true
        }
    }

    func remove(_ job: JobHandle) {
        jobs.withLock { jobs in
            if jobs[job.requestID] === job { jobs[job.requestID] = nil }
        }
    }

    /// Cancels the job with this request id. - Returns: false when there is none.
    func cancel(requestID: String, reason: CancelReason) -> Bool {
        guard let job = jobs.withLock({ $0[requestID] }) else { return false }
        job.cancel(reason)
        return true
    }

    /// Cancels every job.
    func cancelAll(_ reason: CancelReason) {
        for job in jobs.withLock({ Array($0.values) }) { job.cancel(reason) }
    }

    var count: Int { jobs.withLock { $0.count } }
}
