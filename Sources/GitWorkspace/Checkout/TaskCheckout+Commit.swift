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
    /// Applies `diff` to the index, commits it on the new local branch `branch` with `author` as author
    /// and committer, and pushes the branch to the mirror's remote (never forced).
    /// - Parameters:
    ///   - diff: a canonical unified diff (the runner's), applied with `git apply --index`.
    ///   - message: the whole commit message, kept verbatim except surrounding blank lines.
    ///   - author: author and committer.
    ///   - branch: e.g. `AgentCommit.branch(taskID:)`.
    /// - Returns: the id of the pushed commit (its parent is `baseCommit`) — or, when a concurrent
    ///   delivery of the same task pushed `branch` first, that delivery's commit (it carries this
    ///   task's `[agent:<task_id>]` marker).
    /// - Throws: `GitWorkspaceError` — `.patchDoesNotApply`; `.branchHeldByForeignCommit` naming the
    ///   commit that holds `branch` on the remote; `.pushRejected`; `.remoteUnreachable`; `.gitFailed`.
    public func commitAndPush(diff: String, message: String, author: GitIdentity, branch: String) async throws -> String
    {
        let branch = try Validation.branch(branch)
        // Inputs go through files in .git: outside the working tree, so never committed, and no pipes.
        let gitDirectory = directory.appendingPathComponent(".git")
        let diffFile = gitDirectory.appendingPathComponent("agent-change.diff")
        let messageFile = gitDirectory.appendingPathComponent("agent-message.txt")
        defer {
            try? FileManager.default.removeItem(at: diffFile)
            try? FileManager.default.removeItem(at: messageFile)
        }
        do {
            try Data(diff.utf8).write(to: diffFile)
            try Data(message.utf8).write(to: messageFile)
        } catch {
            throw GitWorkspaceError(.gitFailed, "cannot write the change into \(gitDirectory.path): \(error)")
        }
        do {
            try await runner.run(["apply", "--index", "--whitespace=nowarn", diffFile.path], in: directory)
        } catch {
            throw GitWorkspaceError(.patchDoesNotApply, "the diff does not apply at \(baseCommit)", underlying: error)
        }
        let commit: String
        do {
            try await runner.run(["checkout", "--quiet", "-b", branch], in: directory)
            try await runner.run(
                ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "--cleanup=whitespace", "-F", messageFile.path],
                in: directory, environment: author.environment)
            commit = try await runner.run(["rev-parse", "HEAD"], in: directory).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw GitWorkspaceError(.gitFailed, "cannot commit the change for task \(taskID)", underlying: error)
        }
        return try await push(branch: branch) ?? commit
    }

    /// Pushes `refs/heads/<branch>` to the remote without force and classifies a refusal.
    /// - Returns: nil when our commit was pushed; the commit of a concurrent delivery of the same task
    ///   that got there first.
    private func push(branch: String) async throws -> String? {
        let ref = "refs/heads/\(branch)"
        let arguments = ["push", "--porcelain", mirror.remote, "\(ref):\(ref)"]
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
