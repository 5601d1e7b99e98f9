import Foundation
import Logging

/// Who a commit is by: used as both author and committer.
public struct GitIdentity: Sendable, Equatable {
    public var name: String
    public var email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    var environment: [String: String] {
        ["GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email]
    }
}

extension TaskCheckout {
    /// Commits `diff` on top of `baseCommit` with `author` as author and committer, and pushes the
    /// commit to `branch` on the mirror's remote (never forced).
    ///
    /// The checkout's index and working tree are left as they are: the diff is applied to a temporary
    /// copy of the index, and the commit is made from that and pushed by its id, without a local branch.
    /// So none of these steps reads or writes the working tree, whose every file `git commit` and
    /// `git checkout -b` would stat, and the checkout stays at its base for the next task (see
    /// `Mirror.withCheckout(bodyOnlyReads:)`).
    /// - Parameters:
    ///   - diff: a canonical unified diff (the runner's), applied with `git apply --cached`.
    ///   - message: the whole commit message; trailing spaces, repeated and surrounding blank lines are
    ///     removed, as `git commit --cleanup=whitespace` does.
    ///   - author: author and committer.
    ///   - branch: e.g. `AgentCommit.branch(taskID:)`.
    /// - Returns: the id of the pushed commit (its parent is `baseCommit`) — or, when a concurrent
    ///   delivery of the same task pushed `branch` first, that delivery's commit (it carries this
    ///   task's `[agent:<task_id>]` marker).
    /// - Throws: `GitWorkspaceError` — `.patchDoesNotApply`; `.branchHeldByForeignCommit` naming the
    ///   commit that holds `branch` on the remote; `.pushRejected`; `.remoteUnreachable`; `.gitFailed`
    ///   (also for a diff that changes nothing, or an empty message).
    public func commitAndPush(diff: String, message: String, author: GitIdentity, branch: String) async throws -> String
    {
        do {
            return try await commitFromTemporaryIndex(diff: diff, message: message, author: author, branch: branch)
        } catch {
            // When in doubt (a step failed half-way), the next task resets this checkout fully.
            untouched.giveUp()
            throw error
        }
    }

    private func commitFromTemporaryIndex(diff: String, message: String, author: GitIdentity, branch: String)
        async throws -> String
    {
        let branch = try Validation.branch(branch)
        let message = CommitMessage.cleanedUp(message)
        guard !message.isEmpty else { throw GitWorkspaceError(.gitFailed, "the commit message is empty") }
        // Inputs go through files in .git: outside the working tree, so never committed, and no pipes.
        let gitDirectory = directory.appendingPathComponent(".git")
        let diffFile = gitDirectory.appendingPathComponent("agent-change.diff")
        let messageFile = gitDirectory.appendingPathComponent("agent-message.txt")
        let index = gitDirectory.appendingPathComponent("agent-index")
        defer {
            for file in [diffFile, messageFile, index] { try? FileManager.default.removeItem(at: file) }
        }
        do {
            try Data(diff.utf8).write(to: diffFile)
            try Data(message.utf8).write(to: messageFile)
            try? FileManager.default.removeItem(at: index)
            try FileManager.default.copyItem(at: gitDirectory.appendingPathComponent("index"), to: index)
        } catch {
            throw GitWorkspaceError(.gitFailed, "cannot write the change into \(gitDirectory.path): \(error)")
        }
        let temporaryIndex = ["GIT_INDEX_FILE": index.path]
        do {
            try await runner.run(
                ["apply", "--cached", "--whitespace=nowarn", diffFile.path], in: directory, environment: temporaryIndex)
        } catch {
            throw GitWorkspaceError(.patchDoesNotApply, "the diff does not apply at \(baseCommit)", underlying: error)
        }
        let commit: String
        do {
            let tree = try await runner.run(["write-tree"], in: directory, environment: temporaryIndex).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let baseTree = try await runner.run(
                ["rev-parse", "--verify", "--end-of-options", "\(baseCommit)^{tree}"], in: directory
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard tree != baseTree else {
                throw GitWorkspaceError(.gitFailed, "the diff changes nothing at \(baseCommit)")
            }
            commit = try await runner.run(
                ["commit-tree", "-p", baseCommit, "-F", messageFile.path, tree], in: directory,
                environment: author.environment
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as GitCommandError {
            throw GitWorkspaceError(.gitFailed, "cannot commit the change for task \(taskID)", underlying: error)
        }
        return try await push(commit, to: branch) ?? commit
    }

    /// Pushes `commit` to `refs/heads/<branch>` at the remote without force and classifies a refusal.
    /// - Returns: nil when our commit was pushed; the commit of a concurrent delivery of the same task
    ///   that got there first.
    private func push(_ commit: String, to branch: String) async throws -> String? {
        let arguments = ["push", "--porcelain", mirror.remote, "\(commit):refs/heads/\(branch)"]
        let output = await runner.runUnchecked(arguments, in: directory, network: true, remote: mirror.remote)
        if output.status == 0, !output.timedOut { return nil }
        let failure = runner.commandError(arguments, output)
        // `--porcelain` prints "To <url>" once it has talked to the remote; without it the remote was
        // never reached.
        guard output.stdout.contains("To ") else {
            throw GitWorkspaceError(
                .remoteUnreachable, "cannot push to \(mirror.displayRemote)", branch: branch, underlying: failure)
        }
        let refused = output.stdout.split(separator: "\n").contains { $0.hasPrefix("!") && $0.contains("[rejected]") }
        guard refused else {
            throw GitWorkspaceError(
                .pushRejected, "\(mirror.displayRemote) refused \(branch)", branch: branch, underlying: failure)
        }
        // Not a fast-forward: the branch holds a commit we do not descend from. If it is this task's
        // agent commit, a concurrent delivery won the race and its commit is the answer; otherwise
        // `existingAgentCommit` throws `.branchHeldByForeignCommit` naming the holder.
        if let winner = try await mirror.existingAgentCommit(branch: branch, taskID: taskID) {
            mirror.logger.info(
                "push lost to a concurrent delivery", metadata: ["branch": "\(branch)", "commit": "\(winner)"])
            return winner
        }
        throw GitWorkspaceError(
            .pushRejected, "\(branch) on \(mirror.displayRemote) changed during the push", branch: branch,
            underlying: failure)
    }
}
