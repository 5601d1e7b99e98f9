extension Mirror {
    /// The remote's default branch — what its `HEAD` names — and the commit it points to, for a task
    /// without a `base_commit`. Asked of the remote once per call, so the answer is the head right now.
    /// - Returns: the branch name (nil when the server does not say which branch `HEAD` is) and the
    ///   full commit id.
    /// - Throws: `GitWorkspaceError` — `.remoteUnreachable`, `.unknownCommit` when the remote has no `HEAD`
    ///   (an empty repository).
    public func defaultBranchHead() async throws -> (branch: String?, commit: String) {
        let output: SubprocessOutput
        do {
            output = try await runner.run(["ls-remote", "--symref", remote, "HEAD"], in: runner.home, network: true)
        } catch {
            throw GitWorkspaceError(.remoteUnreachable, "cannot list \(displayRemote)", underlying: error)
        }
        var branch: String?
        var commit: String?
        // "ref: refs/heads/main<TAB>HEAD" then "<sha><TAB>HEAD".
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            guard fields.count == 2, fields[1] == "HEAD" else { continue }
            if fields[0].hasPrefix("ref: refs/heads/") {
                branch = String(fields[0].dropFirst("ref: refs/heads/".count))
            } else {
                commit = String(fields[0])
            }
        }
        guard let commit else {
            throw GitWorkspaceError(
                .unknownCommit, "\(displayRemote) has no default branch head (an empty repository?)")
        }
        return (branch, try Validation.commit(commit))
    }
}
