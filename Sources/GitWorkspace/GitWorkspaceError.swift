/// A workspace operation that failed, with a code the agent maps to a result status.
///
/// `unknownCommit`, `remoteUnreachable`, `branchHeldByForeignCommit` and `pushRejected` are the
/// HARD_FAIL cases of docs/architecture.md; `patchDoesNotApply` means the canonical diff no longer applies.
public struct GitWorkspaceError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The commit is not in the remote, even after fetching. `commit` names it.
        case unknownCommit
        /// The remote could not be reached (network, DNS, repository not found, authentication).
        case remoteUnreachable
        /// The branch on the remote holds a commit that is not ours. `commit` names it.
        case branchHeldByForeignCommit
        /// The remote refused the push for another reason (e.g. a server-side hook).
        case pushRejected
        /// `git apply --index` refused the diff.
        case patchDoesNotApply
        /// A commit id, task id or remote URL that is not acceptable.
        case invalidArgument
        /// Any other git failure; `underlying` says which command.
        case gitFailed
    }

    public var code: Code
    /// The commit the error is about (the unknown one, or the one holding the branch).
    public var commit: String?
    /// The branch the error is about.
    public var branch: String?
    /// A human sentence, redacted.
    public var message: String
    /// The git command behind the error, when there is one.
    public var underlying: GitCommandError?

    public init(
        _ code: Code, _ message: String, commit: String? = nil, branch: String? = nil,
        underlying: GitCommandError? = nil
    ) {
        self.code = code
        self.message = message
        self.commit = commit
        self.branch = branch
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
