import Foundation

/// The agent's naming conventions for branches and commit messages.
public enum AgentCommit {
    /// `agt/<task_id>`.
    public static func branch(taskID: String) -> String { "agt/\(taskID)" }

    /// The marker that identifies the agent's commit for a task: `[agent:<task_id>]`.
    public static func marker(taskID: String) -> String { "[agent:\(taskID)]" }

    /// `"<kind lowercased>: <goal>\n\n[agent:<task_id>]"`.
    public static func message(kind: String, goal: String, taskID: String) -> String {
        "\(kind.lowercased()): \(goal)\n\n\(marker(taskID: taskID))"
    }
}

extension Mirror {
    /// Looks for an earlier delivery's commit: `branch` on the remote holding a commit whose message
    /// carries `[agent:<taskID>]`.
    /// - Returns: that commit's id, or nil when the branch does not exist on the remote.
    /// - Throws: `GitWorkspaceError` — `.branchHeldByForeignCommit` naming the commit when the branch
    ///   holds someone else's commit, `.remoteUnreachable`, `.invalidArgument`.
    public func existingAgentCommit(branch: String, taskID: String) async throws -> String? {
        let branch = try Validation.branch(branch)
        let taskID = try Validation.taskID(taskID)
        guard let tip = try await remoteTip(of: branch) else { return nil }
        if await resolve(tip) == nil {
            // Only that one ref: cheaper than a full fetch, and it is exactly what we need.
            try await fetchLocked(["+refs/heads/\(branch):refs/heads/\(branch)"])
        }
        let message: String
        do {
            message = try await runner.run(["log", "-1", "--format=%B", "--end-of-options", tip], in: path).stdout
        } catch {
            throw GitWorkspaceError(.gitFailed, "cannot read commit \(tip)", commit: tip, underlying: error)
        }
        guard message.contains(AgentCommit.marker(taskID: taskID)) else {
            throw GitWorkspaceError(
                .branchHeldByForeignCommit, "\(branch) on \(displayRemote) holds commit \(tip), not the agent's",
                commit: tip, branch: branch)
        }
        return tip
    }

    /// The commit `refs/heads/<branch>` points to on the remote, nil when there is no such branch.
    /// - Throws: `.remoteUnreachable`.
    func remoteTip(of branch: String) async throws -> String? {
        let ref = "refs/heads/\(branch)"
        let output: SubprocessOutput
        do {
            output = try await runner.run(["ls-remote", remote, ref], in: runner.home, network: true, remote: remote)
        } catch {
            throw GitWorkspaceError(.remoteUnreachable, "cannot list \(displayRemote)", underlying: error)
        }
        // ls-remote matches patterns by their tail; keep the exact ref only.
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2, fields[1] == ref { return String(fields[0]) }
        }
        return nil
    }
}
