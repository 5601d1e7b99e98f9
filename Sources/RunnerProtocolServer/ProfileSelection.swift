import Contracts

/// `CheckRequest.profile`: the request names one of the sandbox profiles the runner was started with
/// (`serve --profile`, plus each `--allow-profile`); an empty name is the runner's own. Any other name is
/// an error report naming the allowed set — a peer cannot make the runner load a file or a profile its
/// operator did not choose.
public struct ProfileSelectingExecutor: CheckExecutor {
    let executors: [String: any CheckExecutor]
    let defaultProfile: String

    /// - Parameters:
    ///   - executors: one per allowed profile name; must contain `defaultProfile`.
    ///   - defaultProfile: used when a request names none.
    public init(executors: [String: any CheckExecutor], defaultProfile: String) {
        precondition(executors[defaultProfile] != nil, "the default profile must be allowed")
        self.executors = executors
        self.defaultProfile = defaultProfile
    }

    public var allowedProfiles: [String] { executors.keys.sorted() }

    public func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async
        -> CheckReport
    {
        await execute(request, workspace: nil, events: events)
    }

    public func execute(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, events: @escaping @Sendable (CheckEvent) async -> Void
    ) async -> CheckReport {
        let name = request.profile.isEmpty ? defaultProfile : request.profile
        guard let executor = executors[name] else {
            return .with {
                $0.requestID = request.requestID
                $0.verdict = .error
                $0.reason =
                    "sandbox profile \"\(name.prefix(100))\" is not allowed here; allowed: \(allowedProfiles.joined(separator: ", "))"
            }
        }
        return await executor.execute(request, workspace: workspace, events: events)
    }
}
