import Foundation

extension Mirror {
    /// What a fresh `git clone --shared --no-checkout` has in `.git` and a reset spare keeps: everything
    /// else there (reflogs, `ORIG_HEAD`, the commit message and diff files, stale `*.lock` files of a
    /// killed git) is the previous task's and is deleted.
    static let keptInGitDirectory: Set<String> = [
        "HEAD", "config", "description", "hooks", "info", "objects", "refs", "packed-refs", "index", "branches",
    ]

    /// Takes a spare of this mirror into `directory` and resets it to `base`, leaving no trace of the
    /// task that used it before. A spare that cannot be reset is deleted.
    /// - Returns: false when there was no spare or the reset failed (the caller clones instead).
    func reuseSpare(_ spares: SpareCheckouts, at base: String, into directory: URL) async -> Bool {
        guard spares.take(for: self, into: directory) else { return false }
        do {
            try await resetSpare(directory, to: base)
            return true
        } catch {
            logger.warning(
                "cannot reset a spare checkout; deleting it and cloning instead",
                metadata: ["directory": "\(directory.path)", "error": "\(error)"])
            try? FileManager.default.removeItem(at: directory)
            return false
        }
    }

    /// Brings a used checkout to the state of a fresh one at `base`.
    private func resetSpare(_ directory: URL, to base: String) async throws {
        let files = FileManager.default
        let gitDirectory = directory.appendingPathComponent(".git")
        guard files.fileExists(atPath: gitDirectory.appendingPathComponent("objects/info/alternates").path) else {
            throw GitWorkspaceError(.gitFailed, "\(directory.path) is not a shared clone")
        }
        // First the stale `index.lock` a killed git may have left, which would fail every command.
        try removeEntries(of: gitDirectory, except: Self.keptInGitDirectory)
        // Tracked files back to `base` (staged or not), then untracked and ignored ones; `-ff` also
        // removes nested repositories. Only what differs is written, not the whole tree.
        try await runner.run(["checkout", "--quiet", "--force", "--detach", base], in: directory)
        try await runner.run(["clean", "-ffdxq"], in: directory)
        // The previous task's `agt/<id>` (and the clone's branch): HEAD is detached, no branch is needed.
        let refs = try await runner.run(
            ["for-each-ref", "--format=%(refname)", "refs/heads/", "refs/tags/"], in: directory
        ).stdout
        for ref in refs.split(separator: "\n") {
            try await runner.run(["update-ref", "-d", String(ref)], in: directory)
        }
        // The clone itself stores no object (they come from the mirror through alternates): every local
        // object is one the previous task wrote (its blobs, trees and commit), unreachable now.
        let objects = gitDirectory.appendingPathComponent("objects")
        try removeEntries(of: objects, except: ["info"])
        try removeEntries(of: objects.appendingPathComponent("info"), except: ["alternates"])
        // Again: the checkout above logged "moving from <previous branch>" in a fresh reflog.
        try removeEntries(of: gitDirectory, except: Self.keptInGitDirectory)
    }

    private func removeEntries(of directory: URL, except kept: Set<String>) throws {
        let files = FileManager.default
        for name in try files.contentsOfDirectory(atPath: directory.path) where !kept.contains(name) {
            try files.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
