import Foundation
import GitWorkspace

/// What the agent needs to process tasks; every field has the default the README documents.
public struct AgentConfiguration: Sendable {
    /// `REMOTE_REPO`: used when a task has no `repo`.
    public var remoteRepo: String?
    /// Where per-task checkouts are made (removed on every path).
    public var checkoutRoot: URL
    /// Attempts per task: 1 + 2 retries, as in the seed.
    public var maxAttempts = 3
    /// Identity of the agent's commits.
    public var author = GitIdentity(name: "coding-agent", email: "coding-agent@localhost")
    /// Context budget of the prompt, in characters (the seed's 3000).
    public var contextBudget = 3000

    public init(remoteRepo: String?, checkoutRoot: URL) {
        self.remoteRepo = remoteRepo
        self.checkoutRoot = checkoutRoot
    }
}
