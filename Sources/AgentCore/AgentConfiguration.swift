import Foundation
import GitWorkspace
import Patch

/// What the agent needs to process tasks; every field has the default the README documents.
public struct AgentConfiguration: Sendable {
    /// `REMOTE_REPO`: used when a task has no `repo`.
    public var remoteRepo: String?
    /// Where per-task checkouts are made (taken out of it on every path).
    public var checkoutRoot: URL
    /// Where finished checkouts are kept and reset for the next task on the same repository, instead of
    /// a fresh clone each time (a sibling of `checkoutRoot`, never inside it); nil: always a fresh clone.
    public var spareCheckouts: SpareCheckouts?
    /// Attempts per task: 1 + 2 retries, as in the seed.
    public var maxAttempts = 3
    /// The patch policy the runner's canonical diff is checked against again before it is committed: the
    /// runner is a separate process behind a socket, and what it returns is not trusted further than that.
    public var patchPolicy = PatchPolicy()
    /// Identity of the agent's commits.
    public var author = GitIdentity(name: "coding-agent", email: "coding-agent@localhost")
    /// Context budget of the prompt, in characters (the seed's 3000).
    public var contextBudget = 3000
    /// Pauses before checking again when the runner is unreachable, busy or dropped the connection
    /// (killed or restarting); about 15 s in all before the task is a HARD_FAIL "runner unavailable".
    public var runnerRetryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8)]

    public init(remoteRepo: String?, checkoutRoot: URL, spareCheckouts: SpareCheckouts? = nil) {
        self.remoteRepo = remoteRepo
        self.checkoutRoot = checkoutRoot
        self.spareCheckouts = spareCheckouts
    }
}
