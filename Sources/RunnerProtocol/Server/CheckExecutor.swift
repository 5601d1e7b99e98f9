import Contracts

/// What the server runs for each request; the real implementation is the self-check pipeline.
public protocol CheckExecutor: Sendable {
    /// Runs one check; emits progress through `events`; returns the final report. Must honour Task
    /// cancellation (the server cancels the task when the client cancels or disconnects).
    /// - Parameters:
    ///   - request: the client's request, as received.
    ///   - events: sends one progress event to the client (the server fills in `request_id`).
    func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async -> CheckReport
}
