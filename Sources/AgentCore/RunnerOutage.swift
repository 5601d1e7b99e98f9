import Contracts
import RunnerProtocolClient

/// A runner that crashed or restarts mid-check is an outage of the agent's infrastructure, not a verdict
/// on the patch: the same check is sent again after a pause (a check never writes the checkout, so it is
/// safe to repeat), and only a runner that stays away makes the task a HARD_FAIL "runner unavailable".
struct RunnerOutageRetry: Sendable {
    /// The pauses before each new try; their count is the number of retries.
    var delays: [Duration]

    /// Whether trying again later may succeed: unreachable, busy, or the connection dropped before the
    /// report (the runner was killed or restarted).
    static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as RunnerClientError: error.isRetriable || error.code == .disconnected
        case is RunnerUnavailable: true
        default: false
        }
    }

    /// Runs `check`, trying again after each outage while pauses are left.
    /// - Parameter retried: called with the outage before each new try (for the task's notes).
    func run(
        _ request: CheckRequest, retried: (Int, any Error) -> Void, check: (CheckRequest) async throws -> CheckReport
    ) async throws -> CheckReport {
        var request = request
        let requestID = request.requestID
        for (index, delay) in delays.enumerated() {
            do { return try await check(request) } catch  where Self.isOutage(error) && !Task.isCancelled {
                retried(index + 1, error)
                try await Task.sleep(for: delay)
                // A fresh id: the runner may still be tearing down the job of the dropped connection.
                request.requestID = "\(requestID)-r\(index + 1)"
            }
        }
        return try await check(request)
    }
}
