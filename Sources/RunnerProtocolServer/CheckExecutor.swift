import Contracts

/// What the server runs for each request; the real implementation is the self-check pipeline.
public protocol CheckExecutor: Sendable {
    /// Runs one check; emits progress through `events`; returns the final report. Must honour Task
    /// cancellation (the server cancels the task when the client cancels or disconnects).
    /// - Parameters:
    ///   - request: the client's request, as received.
    ///   - events: sends one progress event to the client (the server fills in `request_id`).
    func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async -> CheckReport

    /// The same, with the workspace directory the client passed as an fd (SCM_RIGHTS), if it did.
    /// The default ignores `workspace` and calls `execute(_:events:)`, which uses `request.repoPath`.
    func execute(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, events: @escaping @Sendable (CheckEvent) async -> Void
    ) async -> CheckReport
}

extension CheckExecutor {
    public func execute(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, events: @escaping @Sendable (CheckEvent) async -> Void
    ) async -> CheckReport {
        await execute(request, events: events)
    }
}
