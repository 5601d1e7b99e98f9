import Foundation
import GitWorkspace
import TestSupport
import Testing

extension GitWorkspaceTests {
    @Test func commitAndPushCreatesTheAgentBranchOnTheServer() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            let message = AgentCommit.message(kind: "FEATURE", goal: "add a greeting", taskID: "t42")
            #expect(message == "feature: add a greeting\n\n[agent:t42]")
            let sha = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t42", in: bed.checkouts) {
                checkout in
                try await checkout.commitAndPush(
                    diff: try bed.sampleDiff(), message: message, author: bed.author,
                    branch: AgentCommit.branch(taskID: "t42"))
            }

            // What the server holds, read with git in its bare repository.
            #expect(try bed.server(["rev-parse", "refs/heads/agt/t42"]) == sha)
            #expect(try bed.server(["rev-parse", "\(sha)^"]) == bed.baseCommit)
            #expect(try bed.server(["log", "-1", "--format=%B", sha]) == message)
            #expect(
                try bed.server(["log", "-1", "--format=%an <%ae>|%cn <%ce>", sha])
                    == "Coding Agent <agent@example.invalid>|Coding Agent <agent@example.invalid>")
            #expect(try bed.server(["diff", "--name-only", bed.baseCommit, sha]) == "toolz/__init__.py")
            #expect(try bed.server(["show", "\(sha):toolz/__init__.py"]).hasPrefix("# touched by the agent\n"))
            #expect(try bed.server(["rev-parse", "refs/heads/main"]) == bed.baseCommit)  // Nothing else moved.
        }
    }

    @Test func redeliveryFindsTheAgentCommit() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            #expect(try await mirror.existingAgentCommit(branch: "agt/t7", taskID: "t7") == nil)
            let sha = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t7", in: bed.checkouts) {
                checkout in
                try await checkout.commitAndPush(
                    diff: try bed.sampleDiff(), message: AgentCommit.message(kind: "fix", goal: "g", taskID: "t7"),
                    author: bed.author, branch: "agt/t7")
            }
            #expect(try await mirror.existingAgentCommit(branch: "agt/t7", taskID: "t7") == sha)

            // A restarted agent with an empty cache: ls-remote, then a fetch of just that branch.
            let restarted = try await bed.makeCache("cache-restarted").mirror(for: bed.remote)
            #expect(try await restarted.existingAgentCommit(branch: "agt/t7", taskID: "t7") == sha)
            #expect(
                try run(["git", "-C", restarted.path.path, "for-each-ref", "--format=%(refname)"]).stdout
                    == "refs/heads/agt/t7\n")
        }
    }

    @Test func foreignCommitOnTheBranchIsADistinctError() async throws {
        try await withTestBed { bed in
            // Someone else's commit already holds agt/t9 on the server.
            let foreign = try bed.publish(
                file: "OTHER.txt", content: "not the agent\n", message: "human work on agt/t9")
            try FixtureRepo.git(["push", "-q", bed.serverRepo.path, "\(foreign):refs/heads/agt/t9"], in: bed.work)
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)

            let lookup = await #expect(throws: GitWorkspaceError.self) {
                try await mirror.existingAgentCommit(branch: "agt/t9", taskID: "t9")
            }
            #expect(lookup?.code == .branchHeldByForeignCommit)
            #expect(lookup?.commit == foreign)
            #expect(lookup?.description.contains(foreign) == true)

            // A commit of another task is foreign too.
            let other = await #expect(throws: GitWorkspaceError.self) {
                try await mirror.existingAgentCommit(branch: "agt/t9", taskID: "t")
            }
            #expect(other?.code == .branchHeldByForeignCommit)

            let push = await #expect(throws: GitWorkspaceError.self) {
                try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t9", in: bed.checkouts) { checkout in
                    try await checkout.commitAndPush(
                        diff: try bed.sampleDiff(), message: AgentCommit.message(kind: "fix", goal: "g", taskID: "t9"),
                        author: bed.author, branch: "agt/t9")
                }
            }
            #expect(push?.code == .branchHeldByForeignCommit)
            #expect(push?.commit == foreign)
            #expect(try bed.server(["rev-parse", "refs/heads/agt/t9"]) == foreign)  // Never overwritten.
        }
    }

    @Test func diffThatDoesNotApplyIsADistinctErrorAndPushesNothing() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            let bad = "--- a/toolz/__init__.py\n+++ b/toolz/__init__.py\n@@ -1,1 +1,1 @@\n-this line is not there\n+x\n"
            let error = await #expect(throws: GitWorkspaceError.self) {
                try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t-bad", in: bed.checkouts) { checkout in
                    try await checkout.commitAndPush(diff: bad, message: "m", author: bed.author, branch: "agt/t-bad")
                }
            }
            #expect(error?.code == .patchDoesNotApply)
            #expect(try run(["git", "-C", bed.serverRepo.path, "show-ref", "agt/t-bad"], check: false).status != 0)
        }
    }

    @Test func twoConcurrentTasksOnOneRemoteBothWork() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let upstream = try bed.publish()
            let diff = try bed.sampleDiff()
            // Both start on an empty cache: one creates and fetches the mirror, the other waits for it.
            async let first = Self.runTask(
                cache: cache, remote: bed.remote, commit: bed.baseCommit, taskID: "c1", diff: diff, bed: bed)
            async let second = Self.runTask(
                cache: cache, remote: bed.remote, commit: upstream, taskID: "c2", diff: diff, bed: bed)
            let (one, two) = try await (first, second)

            #expect(try bed.server(["rev-parse", "refs/heads/agt/c1"]) == one)
            #expect(try bed.server(["rev-parse", "refs/heads/agt/c2"]) == two)
            #expect(try bed.server(["rev-parse", "\(one)^"]) == bed.baseCommit)
            #expect(try bed.server(["rev-parse", "\(two)^"]) == upstream)
            #expect(try FileManager.default.contentsOfDirectory(atPath: await cache.directory.path).count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
        }
    }

    private static func runTask(
        cache: MirrorCache, remote: String, commit: String, taskID: String, diff: String, bed: TestBed
    ) async throws -> String {
        let mirror = try await cache.ensure(commit: commit, in: remote)
        return try await mirror.withCheckout(commit: commit, taskID: taskID, in: bed.checkouts) { checkout in
            try await checkout.commitAndPush(
                diff: diff, message: AgentCommit.message(kind: "fix", goal: "g", taskID: taskID),
                author: bed.author, branch: AgentCommit.branch(taskID: taskID))
        }
    }
}

extension GitWorkspaceTests {
    @Test func secondDeliveryLosingThePushRaceGetsTheFirstDeliverysCommit() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            let message = AgentCommit.message(kind: "fix", goal: "g", taskID: "dup")
            // Both deliveries check out before either pushes (neither saw the branch in its lookup).
            let first = try await mirror.checkout(commit: bed.baseCommit, taskID: "dup", in: bed.checkouts)
            let second = try await mirror.checkout(commit: bed.baseCommit, taskID: "dup", in: bed.checkouts)
            defer {
                first.remove()
                second.remove()
            }
            let winner = try await first.commitAndPush(
                diff: try bed.sampleDiff(), message: message, author: bed.author, branch: "agt/dup")
            let loser = try await second.commitAndPush(
                diff: try bed.sampleDiff(line: "# a different attempt"), message: message, author: bed.author,
                branch: "agt/dup")
            #expect(loser == winner)
            #expect(try bed.server(["rev-parse", "refs/heads/agt/dup"]) == winner)
            #expect(try FixtureRepo.head(of: second.directory) != winner)  // The loser's own commit was not pushed.
        }
    }
}
