import Foundation
import Logging

/// A bare mirror of one remote, kept in the cache directory and shared by every task on that remote.
///
/// Reads (is this commit here?) run concurrently; everything that writes to the mirror — creating
/// it, fetching — holds `lock`, so two tasks never fetch into it at the same time.
public final class Mirror: Sendable {
    /// The remote as configured (may hold user info; use `displayRemote` for messages).
    let remote: String
    /// The bare repository.
    public let path: URL
    let runner: GitRunner
    let logger: Logger
    private let lock = AsyncLock()

    /// Branches and tags: what a task's `base_commit` lives on. Not `refs/*`, which on forges drags in
    /// every pull request.
    static let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]

    init(remote: String, path: URL, runner: GitRunner, logger: Logger) {
        self.remote = remote
        self.path = path
        self.runner = runner
        self.logger = logger
    }

    /// The remote URL without credentials.
    public var displayRemote: String { runner.redact(remote) }

    /// Makes sure `commit` is in the mirror, fetching from the remote only when it is missing.
    /// - Parameter commit: a commit id (full, or an abbreviation the mirror already knows).
    /// - Returns: the full commit id.
    /// - Throws: `GitWorkspaceError` — `.unknownCommit` naming the commit when the remote does not
    ///   have it either, `.remoteUnreachable` when the fetch fails, `.invalidArgument` for a non-hex id.
    @discardableResult
    public func ensure(commit: String) async throws -> String {
        let wanted = try Validation.commit(commit)
        if let found = await resolve(wanted) { return found }
        return try await lock.withLock {
            try await self.createIfNeeded()
            // Another task may have fetched while we waited for the lock.
            if let found = await self.resolve(wanted) { return found }
            try await self.fetch(Self.refspecs)
            if let found = await self.resolve(wanted) { return found }
            // A commit on no branch: servers that allow fetching by id (protocol v2 usually) still give it.
            if wanted.count == 40 || wanted.count == 64 {
                _ = await self.runner.runUnchecked(
                    ["fetch", "--quiet", "--no-write-fetch-head", self.remote, wanted], in: self.path, network: true,
                    remote: self.remote)
                if let found = await self.resolve(wanted) { return found }
            }
            throw GitWorkspaceError(
                .unknownCommit, "commit \(commit) is not in \(self.displayRemote)", commit: commit)
        }
    }

    /// The full id of `commit` if the mirror has it as a commit object.
    func resolve(_ commit: String) async -> String? {
        guard FileManager.default.fileExists(atPath: path.appendingPathComponent("HEAD").path) else { return nil }
        let output = await runner.runUnchecked(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", "\(commit)^{commit}"], in: path)
        let id = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return output.status == 0 && !id.isEmpty ? id : nil
    }

    /// Fetches `refspecs` from the remote into the mirror. Caller holds `lock`.
    /// - Throws: `.remoteUnreachable` with the git error (also when `networkTimeout` ends the fetch),
    ///   `CancellationError` when the task was cancelled (git is terminated).
    func fetch(_ refspecs: [String]) async throws {
        let started = ContinuousClock.now
        do {
            try await runner.run(
                ["fetch", "--quiet", "--prune", "--no-write-fetch-head", remote] + refspecs, in: path, network: true,
                remote: remote)
        } catch  where Task.isCancelled {
            throw CancellationError()
        } catch  where error.stderrTail.contains(".lock': File exists") {
            // A local problem, not the remote's: a killed git left its lock behind.
            throw GitWorkspaceError(
                .gitFailed, "the mirror \(path.path) holds a stale lock (see MirrorCache.sweep)", underlying: error)
        } catch {
            throw GitWorkspaceError(
                .remoteUnreachable, "cannot fetch from \(displayRemote)", underlying: error)
        }
        logger.info(
            "fetched", metadata: ["remote": "\(displayRemote)", "duration": "\(ContinuousClock.now - started)"])
    }

    /// Fetches refspecs while holding the lock (for callers outside `ensure`).
    func fetchLocked(_ refspecs: [String]) async throws {
        try await lock.withLock {
            try await self.createIfNeeded()
            try await self.fetch(refspecs)
        }
    }

    /// Creates the bare repository if it does not exist yet: `git init --bare` in a temporary
    /// directory, renamed into place, so a crash never leaves a half-made mirror. Caller holds `lock`.
    private func createIfNeeded() async throws {
        let files = FileManager.default
        if files.fileExists(atPath: path.appendingPathComponent("HEAD").path) { return }
        let parent = path.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".staging-\(UUID().uuidString)")
        do {
            try files.createDirectory(at: parent, withIntermediateDirectories: true)
            try await runner.run(["init", "--quiet", "--bare", staging.path])
            // A leftover from a crash at this very step would block the rename.
            try? files.removeItem(at: path)
            try files.moveItem(at: staging, to: path)
        } catch let error as GitCommandError {
            try? files.removeItem(at: staging)
            throw GitWorkspaceError(.gitFailed, "cannot create the mirror at \(path.path)", underlying: error)
        } catch {
            try? files.removeItem(at: staging)
            throw GitWorkspaceError(.gitFailed, "cannot create the mirror at \(path.path): \(error)")
        }
        logger.info("created mirror", metadata: ["remote": "\(displayRemote)", "path": "\(path.path)"])
    }
}
