import Foundation
import GitWorkspace
import TestSupport
import Testing

extension GitWorkspaceTests {
    @Test func checkoutIsAtBaseCommitBorrowsObjectsAndIsRemoved() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let upstream = try bed.publish()  // The base is no longer the tip: the checkout must not follow main.
            let mirror = try await cache.ensure(commit: upstream, in: bed.remote)
            let checkout = try await mirror.checkout(commit: bed.baseCommit, taskID: "t-co", in: bed.checkouts)

            #expect(checkout.baseCommit == bed.baseCommit)
            #expect(try FixtureRepo.head(of: checkout.directory) == bed.baseCommit)
            #expect(!FileManager.default.fileExists(atPath: checkout.directory.appendingPathComponent("NEWS.txt").path))
            #expect(try run(["git", "-C", checkout.directory.path, "status", "--porcelain"]).stdout.isEmpty)

            // Cheap: objects come from the mirror through alternates; the checkout stores none itself.
            let alternates = try String(
                contentsOf: checkout.directory.appendingPathComponent(".git/objects/info/alternates"), encoding: .utf8)
            #expect(
                alternates.trimmingCharacters(in: .whitespacesAndNewlines)
                    == mirror.path.appendingPathComponent("objects").standardizedFileURL.path)
            let counts = try run(["git", "-C", checkout.directory.path, "count-objects", "-v"]).stdout
            #expect(counts.contains("count: 0\n") && counts.contains("in-pack: 0\n"))

            checkout.remove()
            #expect(!FileManager.default.fileExists(atPath: checkout.directory.path))
            checkout.remove()  // Idempotent.
        }
    }

    @Test func withCheckoutRemovesTheCheckoutWhenTheBodyThrows() async throws {
        struct BodyFailed: Error {}
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            var seen: URL?
            await #expect(throws: BodyFailed.self) {
                try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t-throw", in: bed.checkouts) {
                    checkout in
                    seen = checkout.directory
                    #expect(
                        FileManager.default.fileExists(
                            atPath: checkout.directory.appendingPathComponent("toolz/__init__.py").path))
                    throw BodyFailed()
                }
            }
            let directory = try #require(seen)
            #expect(!FileManager.default.fileExists(atPath: directory.path))

            // And on success.
            let kept = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "t-ok", in: bed.checkouts) {
                $0.directory
            }
            #expect(!FileManager.default.fileExists(atPath: kept.path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
        }
    }

    @Test func unknownCommitLeavesNoCheckoutBehind() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().mirror(for: bed.remote)
            let missing = String(repeating: "0123456789", count: 4)
            let error = await #expect(throws: GitWorkspaceError.self) {
                try await mirror.checkout(commit: missing, taskID: "t-missing", in: bed.checkouts)
            }
            #expect(error?.code == .unknownCommit)
            #expect(error?.commit == missing)
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path)) ?? []
            #expect(leftovers.isEmpty)
        }
    }

    @Test func sweepRemovesLeftoversOfACrashedRun() async throws {
        try await withTestBed { bed in
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            // A crashed run: checkouts never removed, one of them half made.
            let first = try await mirror.checkout(commit: bed.baseCommit, taskID: "crashed-1", in: bed.checkouts)
            let second = try await mirror.checkout(commit: bed.baseCommit, taskID: "crashed-2", in: bed.checkouts)
            let partial = bed.checkouts.appendingPathComponent("crashed-3.abcdef12")
            try FileManager.default.createDirectory(
                at: partial.appendingPathComponent(".git"), withIntermediateDirectories: true)

            let removed = TaskCheckout.sweep(root: bed.checkouts)
            #expect(
                Set(removed.map(\.lastPathComponent))
                    == Set([first.directory, second.directory, partial].map(\.lastPathComponent)))
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
            // The mirror is untouched and still serves new checkouts.
            let fresh = try await mirror.checkout(commit: bed.baseCommit, taskID: "after-sweep", in: bed.checkouts)
            defer { fresh.remove() }
            #expect(try FixtureRepo.head(of: fresh.directory) == bed.baseCommit)
        }
    }

    @Test func untrustedIdentifiersAreRejectedBeforeGitSeesThem() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            for commit in ["--upload-pack=touch /tmp/x", "HEAD~1", "main", "abc"] {
                let error = await #expect(throws: GitWorkspaceError.self) { try await mirror.ensure(commit: commit) }
                #expect(error?.code == .invalidArgument)
            }
            for taskID in ["../escape", "-rf", "a b", "x.lock", ".hidden", ""] {
                let error = await #expect(throws: GitWorkspaceError.self) {
                    try await mirror.checkout(commit: bed.baseCommit, taskID: taskID, in: bed.checkouts)
                }
                #expect(error?.code == .invalidArgument)
            }
            let error = await #expect(throws: GitWorkspaceError.self) {
                try await cache.mirror(for: "--upload-pack=evil")
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}
