import Foundation
import GitWorkspace
import TestSupport
import Testing

extension GitWorkspaceTests {
    @Test func aReusedCheckoutIsAtTheNewBaseWithNoTraceOfThePreviousTask() async throws {
        try await withTestBed { bed in
            let ignoring = try bed.publish(file: ".gitignore", content: "*.log\n", message: "ignore logs")
            let newBase = try bed.publish()  // Adds NEWS.txt.
            let spares = try bed.makeSpares()
            let mirror = try await bed.makeCache().ensure(commit: newBase, in: bed.remote)
            // The previous task leaves a modified, a staged, an untracked and an ignored file, and a
            // commit on its local branch agt/first.
            let (used, pushed) = try await mirror.withCheckout(
                commit: ignoring, taskID: "first", in: bed.checkouts, spares: spares
            ) { checkout in
                let tree = checkout.directory
                let pushed = try await checkout.commitAndPush(
                    diff: try bed.sampleDiff(), message: "first\n\n[agent:first]", author: bed.author,
                    branch: "agt/first")
                try append("# left behind\n", to: "README.rst", in: tree)
                for name in ["untracked.txt", "debug.log", "staged.txt"] {
                    try Data("\(name)\n".utf8).write(to: tree.appendingPathComponent(name))
                }
                try run(["git", "-C", tree.path, "add", "staged.txt"])
                return (try inode(of: tree), pushed)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
            #expect(spares.spares(of: mirror).count == 1)

            let reused = try await mirror.checkout(commit: newBase, taskID: "second", in: bed.checkouts, spares: spares)
            defer { reused.remove() }
            #expect(try inode(of: reused.directory) == used, "the spare itself, renamed")
            #expect(spares.spares(of: mirror).isEmpty)
            #expect(reused.baseCommit == newBase)
            func git(_ arguments: [String]) throws -> String {
                try run(["git", "-C", reused.directory.path] + arguments).stdout
            }
            #expect(try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines) == newBase)
            #expect(
                try git(["status", "--porcelain", "--ignored"]).isEmpty,
                "no modified, staged, untracked or ignored file")
            #expect(FileManager.default.fileExists(atPath: reused.directory.appendingPathComponent("NEWS.txt").path))
            #expect(try git(["for-each-ref", "refs/heads/", "refs/tags/"]).isEmpty, "no local branch")
            #expect(try git(["reflog", "--all"]).isEmpty)
            #expect(
                try run(["git", "-C", reused.directory.path, "cat-file", "-e", pushed], check: false).status != 0,
                "no commit")
            let counts = try git(["count-objects", "-v"])
            #expect(counts.contains("count: 0\n") && counts.contains("in-pack: 0\n"), "no object of the previous task")
            let gitFiles = try FileManager.default.contentsOfDirectory(
                atPath: reused.directory.appendingPathComponent(".git").path)
            #expect(
                !gitFiles.contains {
                    $0.hasPrefix("agent-") || $0 == "ORIG_HEAD" || $0 == "logs" || $0.hasSuffix(".lock")
                })

            // It works as a fresh checkout does.
            let sha = try await reused.commitAndPush(
                diff: try bed.sampleDiff(), message: "second\n\n[agent:second]", author: bed.author,
                branch: "agt/second")
            #expect(try bed.server(["rev-parse", "\(sha)^"]) == newBase)
        }
    }

    @Test func concurrentTasksNeverShareACheckoutAndSparesAreCapped() async throws {
        try await withTestBed { bed in
            let spares = try bed.makeSpares()
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            let spare = try await mirror.withCheckout(
                commit: bed.baseCommit, taskID: "warm", in: bed.checkouts, spares: spares
            ) {
                try inode(of: $0.directory)
            }
            let checkouts = try await withThrowingTaskGroup(of: TaskCheckout.self) { group in
                for number in 0..<4 {
                    group.addTask {
                        try await mirror.checkout(
                            commit: bed.baseCommit, taskID: "c\(number)", in: bed.checkouts, spares: spares)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(checkouts.map(\.directory.path)).count == 4)
            #expect(
                try checkouts.filter { try inode(of: $0.directory) == spare }.count == 1,
                "one task got the spare, the others clones")
            for checkout in checkouts { #expect(try FixtureRepo.head(of: checkout.directory) == bed.baseCommit) }

            for checkout in checkouts { checkout.park(in: spares) }
            #expect(spares.spares(of: mirror).count == 2, "at most limitPerMirror spares; the rest deleted")
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)

            let none = try bed.makeSpares(limit: 0, name: "none")
            try await mirror.withCheckout(commit: bed.baseCommit, taskID: "no-spares", in: bed.checkouts, spares: none)
            { _ in }
            #expect(none.spares(of: mirror).isEmpty)
            let error = #expect(throws: GitWorkspaceError.self) { try bed.makeSpares(limit: -1) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func aBrokenSpareIsDeletedAndTheTaskGetsAFreshClone() async throws {
        try await withTestBed { bed in
            let spares = try bed.makeSpares()
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            try await mirror.withCheckout(commit: bed.baseCommit, taskID: "old", in: bed.checkouts, spares: spares) {
                try Data("not an index".utf8).write(to: $0.directory.appendingPathComponent(".git/index"))
            }
            #expect(spares.spares(of: mirror).count == 1)

            let fresh = try await mirror.checkout(
                commit: bed.baseCommit, taskID: "new", in: bed.checkouts, spares: spares)
            defer { fresh.remove() }
            // (Not compared by inode: the broken spare's, freed, may go to the clone.) A readable index and
            // a clean status: not the broken spare.
            #expect(try FixtureRepo.head(of: fresh.directory) == bed.baseCommit)
            #expect(try run(["git", "-C", fresh.directory.path, "status", "--porcelain"]).stdout.isEmpty)
            #expect(spares.spares(of: mirror).isEmpty)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path) == [
                    fresh.directory.lastPathComponent
                ],
                "the broken spare is gone")
        }
    }
}

/// The inode of `url`: a renamed directory keeps it, a new clone has another.
private func inode(of url: URL) throws -> UInt64 {
    var info = stat()
    guard stat(url.path, &info) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
    return UInt64(info.st_ino)
}
