import Foundation
import GitWorkspace
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension GitWorkspaceTests {
    @Test func mirrorIsCreatedOnceAndReusedWithoutTheServer() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            #expect(try await cache.mirror(for: bed.remote) === mirror)
            #expect(FileManager.default.fileExists(atPath: mirror.path.appendingPathComponent("HEAD").path))
            // Survives only if the mirror is never made again.
            let sentinel = mirror.path.appendingPathComponent("test-sentinel")
            try Data().write(to: sentinel)

            // Server gone: a known commit needs no network, and neither does a checkout of it.
            bed.daemon.stop()
            #expect(try await mirror.ensure(commit: bed.baseCommit) == bed.baseCommit)
            #expect(try await mirror.ensure(commit: String(bed.baseCommit.prefix(12))) == bed.baseCommit)
            let checkout = try await mirror.checkout(commit: bed.baseCommit, taskID: "offline", in: bed.checkouts)
            defer { checkout.remove() }
            #expect(
                FileManager.default.fileExists(
                    atPath: checkout.directory.appendingPathComponent("toolz/__init__.py").path))

            // A second cache object on the same directory (a restarted agent) reuses the same mirror.
            let restarted = MirrorCache(directory: await cache.directory, runner: await cache.runner)
            let again = try await restarted.ensure(commit: bed.baseCommit, in: bed.remote)
            #expect(again.path.standardizedFileURL.path == mirror.path.standardizedFileURL.path)
            #expect(FileManager.default.fileExists(atPath: sentinel.path))
            let entries = try FileManager.default.contentsOfDirectory(atPath: await cache.directory.path)
            #expect(entries.count == 1)
        }
    }

    @Test func commitPushedAfterMirroringIsFetchedOnDemand() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            let upstream = try bed.publish()
            #expect(try run(["git", "-C", mirror.path.path, "cat-file", "-e", upstream], check: false).status != 0)

            #expect(try await mirror.ensure(commit: upstream) == upstream)
            #expect(try run(["git", "-C", mirror.path.path, "cat-file", "-e", upstream], check: false).status == 0)
            let checkout = try await mirror.checkout(commit: upstream, taskID: "t-fetch", in: bed.checkouts)
            defer { checkout.remove() }
            #expect(try FixtureRepo.head(of: checkout.directory) == upstream)
        }
    }

    @Test func unknownCommitIsADistinctErrorNamingIt() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let missing = String(repeating: "deadbeef", count: 5)
            let error = await #expect(throws: GitWorkspaceError.self) {
                try await cache.ensure(commit: missing, in: bed.remote)
            }
            #expect(error?.code == .unknownCommit)
            #expect(error?.commit == missing)
            #expect(error?.description.contains(missing) == true)

            // The remote itself was fine: a real commit still works through the same cache.
            #expect(try await cache.ensure(commit: bed.baseCommit, in: bed.remote).path.path.isEmpty == false)
        }
    }

    @Test func unreachableServerIsADistinctError() async throws {
        try await withTestBed { bed in
            bed.daemon.stop()
            let cache = try bed.makeCache()
            let error = await #expect(throws: GitWorkspaceError.self) {
                try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            }
            #expect(error?.code == .remoteUnreachable)
            #expect(error?.underlying?.status != 0)

            let lookup = await #expect(throws: GitWorkspaceError.self) {
                try await cache.mirror(for: bed.remote).existingAgentCommit(branch: "agt/t1", taskID: "t1")
            }
            #expect(lookup?.code == .remoteUnreachable)

            // Once the server is back the same cache recovers (the failed fetch left a usable mirror).
            try bed.daemon.start()
            #expect(
                try await cache.ensure(commit: bed.baseCommit, in: bed.remote).path.lastPathComponent.hasSuffix(".git"))
        }
    }

    @Test func filePathRemoteWorksEndToEnd() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.serverRepo.path)
            let sha = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "file-1", in: bed.checkouts) {
                checkout in
                try await checkout.commitAndPush(
                    diff: try bed.sampleDiff(),
                    message: AgentCommit.message(kind: "FIX", goal: "by path", taskID: "file-1"),
                    author: bed.author, branch: "agt/file-1")
            }
            #expect(try bed.server(["rev-parse", "refs/heads/agt/file-1"]) == sha)
            #expect(try await mirror.existingAgentCommit(branch: "agt/file-1", taskID: "file-1") == sha)
        }
    }
}

extension GitWorkspaceTests {
    @Test func sweepClearsWhatACrashedFetchLeftInTheCache() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            // A run killed mid-fetch: ref locks held forever, and a mirror that was never renamed into place.
            let directory = await cache.directory
            let locks = [
                mirror.path.appendingPathComponent("refs/heads/main.lock"),
                mirror.path.appendingPathComponent("packed-refs.lock"),
            ]
            for lock in locks { try Data().write(to: lock) }
            let staging = directory.appendingPathComponent(".staging-0000")
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            let upstream = try bed.publish()
            let blocked = await #expect(throws: GitWorkspaceError.self) { try await mirror.ensure(commit: upstream) }
            #expect(blocked?.code == .gitFailed)  // Not blamed on the remote.
            #expect(blocked?.underlying?.stderrTail.contains(".lock") == true)

            let removed = MirrorCache.sweep(directory: directory)
            #expect(Set(removed.map(\.lastPathComponent)) == ["main.lock", "packed-refs.lock", ".staging-0000"])
            #expect(try await mirror.ensure(commit: upstream) == upstream)
        }
    }
}

extension GitWorkspaceTests {
    /// A TCP port that accepts connections (the kernel's backlog) but never answers: git hangs on it.
    static func withSilentServer<T>(_ body: (UInt16) async throws -> T) async throws -> T {
        let port = try GitDaemon.freePort()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(fd, 8) == 0)
        return try await body(port)
    }

    @Test func hungRemoteTimesOutAsUnreachable() async throws {
        try await withTestBed { bed in
            try await Self.withSilentServer { port in
                let runner = try GitRunner(
                    home: bed.root.appendingPathComponent("home"), credentials: nil, networkTimeout: .seconds(1))
                let cache = MirrorCache(directory: bed.root.appendingPathComponent("hung"), runner: runner)
                let started = ContinuousClock.now
                let error = await #expect(throws: GitWorkspaceError.self) {
                    try await cache.ensure(commit: bed.baseCommit, in: "git://127.0.0.1:\(port)/toolz.git")
                }
                #expect(error?.code == .remoteUnreachable)
                #expect(error?.underlying?.timedOut == true)
                #expect(ContinuousClock.now - started < .seconds(10))
            }
        }
    }

    @Test func cancellingATaskStopsItsFetch() async throws {
        try await withTestBed { bed in
            try await Self.withSilentServer { port in
                let cache = try bed.makeCache()  // Network timeout 20 s: only cancellation can end it early.
                let started = ContinuousClock.now
                let task = Task {
                    try await cache.ensure(commit: bed.baseCommit, in: "git://127.0.0.1:\(port)/toolz.git")
                }
                try await Task.sleep(for: .milliseconds(300))
                task.cancel()
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(ContinuousClock.now - started < .seconds(10))
            }
        }
    }
}

extension GitWorkspaceTests {
    @Test func commitOnNoBranchIsFetchedById() async throws {
        try await withTestBed { bed in
            let cache = try bed.makeCache()
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            // Only a forge-style pull-request ref holds it: the branch-and-tag fetch does not bring it.
            let hidden = try bed.publish(file: "PR.txt", content: "pull request\n", message: "pr")
            try bed.server(["update-ref", "refs/pull/1/head", hidden])
            try bed.server(["update-ref", "refs/heads/main", bed.baseCommit])
            #expect(try await mirror.ensure(commit: hidden) == hidden)
            #expect(try run(["git", "-C", mirror.path.path, "for-each-ref", "refs/pull"]).stdout.isEmpty)
        }
    }
}
