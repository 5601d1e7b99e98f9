import Foundation
import GitWorkspace
import TestSupport

/// One test's world: the toolz fixture as a bare repository served by `git daemon`, an empty mirror
/// cache and checkout area, all in one temporary directory removed by `cleanUp()`.
final class TestBed: @unchecked Sendable {
    let root: URL
    /// A clone of the fixture to make upstream commits in (`publish()` pushes them to the server).
    let work: URL
    /// The shared, never modified fixture at the base commit.
    private let source: FixtureRepo
    /// The server's bare repository (`<root>/server/toolz.git`).
    let serverRepo: URL
    let daemon: GitDaemon
    let baseCommit: String
    let checkouts: URL
    let author = GitIdentity(name: "Coding Agent", email: "agent@example.invalid")

    init() throws {
        root = try makeTemporaryDirectory("gitws")
        do {
            source = try SharedFixture.toolz.get()
            baseCommit = source.baseCommit
            work = root.appendingPathComponent("work")
            try run(["git", "clone", "--quiet", source.root.path, work.path])
            let serverBase = root.appendingPathComponent("server")
            serverRepo = serverBase.appendingPathComponent("toolz.git")
            try FileManager.default.createDirectory(at: serverBase, withIntermediateDirectories: true)
            try run(["git", "clone", "--quiet", "--bare", source.root.path, serverRepo.path])
            daemon = try GitDaemon(basePath: serverBase)
            checkouts = root.appendingPathComponent("checkouts")
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw error
        }
    }

    /// The daemon's URL for the fixture.
    var remote: String { daemon.url("toolz.git") }

    /// A fresh mirror cache (a new agent process, as far as the cache knows).
    func makeCache(_ name: String = "cache", credentials: GitCredentials? = nil) throws -> MirrorCache {
        let runner = try GitRunner(
            home: root.appendingPathComponent("\(name)-home"), credentials: credentials, networkTimeout: .seconds(20))
        return MirrorCache(directory: root.appendingPathComponent(name), runner: runner)
    }

    /// A spare checkout area of this bed.
    func makeSpares(limit: Int = 2, name: String = "spares") throws -> SpareCheckouts {
        try SpareCheckouts(root: root.appendingPathComponent(name), limitPerMirror: limit)
    }

    /// Commits a change to `file` in the fixture and pushes it to the server's `main`.
    /// - Returns: the new commit.
    @discardableResult
    func publish(file: String = "NEWS.txt", content: String = "news\n", message: String = "upstream change") throws
        -> String
    {
        try Data(content.utf8).write(to: work.appendingPathComponent(file))
        try FixtureRepo.git(["add", "-A"], in: work)
        try FixtureRepo.git(["commit", "-q", "-m", message], in: work)
        try FixtureRepo.git(["push", "-q", serverRepo.path, "HEAD:refs/heads/main"], in: work)
        return try FixtureRepo.head(of: work)
    }

    /// Runs git in the server's bare repository (what the server really holds).
    @discardableResult
    func server(_ arguments: [String]) throws -> String {
        try FixtureRepo.git(arguments, in: serverRepo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A unified diff adding a line at the top of `toolz/__init__.py` at the base commit.
    func sampleDiff(line: String = "# touched by the agent") throws -> String {
        let path = "toolz/__init__.py"
        let original = try String(contentsOf: source.root.appendingPathComponent(path), encoding: .utf8)
        let firstLines = original.split(separator: "\n", omittingEmptySubsequences: false).prefix(3)
        let context = firstLines.map { " \($0)" }.joined(separator: "\n")
        return "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n@@ -1,3 +1,4 @@\n+\(line)\n\(context)\n"
    }

    func cleanUp() {
        daemon.stop()
        try? FileManager.default.removeItem(at: root)
    }
}

/// The toolz fixture, extracted and committed once per test process and removed at exit; test beds
/// clone it.
enum SharedFixture {
    static let toolz: Result<FixtureRepo, any Error> = {
        let result = Result { try FixtureRepo.make("toolz") }
        atexit { if case .success(let repo) = SharedFixture.toolz { repo.remove() } }
        return result
    }()
}

/// Runs `body` with a fresh test bed and removes it afterwards, also when `body` throws.
func withTestBed<T>(_ body: (TestBed) async throws -> T) async throws -> T {
    let bed = try TestBed()
    defer { bed.cleanUp() }
    return try await body(bed)
}
