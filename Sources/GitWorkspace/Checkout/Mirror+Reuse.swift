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
        guard let spare = spares.take(for: self, into: directory) else { return false }
        if let previous = spare.untouchedAt {
            do {
                try await resetUntouchedSpare(directory, from: previous, to: base)
                return true
            } catch {
                logger.info(
                    "cannot move an untouched spare to the new base; resetting it fully",
                    metadata: ["directory": "\(directory.path)", "error": "\(error)"])
            }
        }
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

    /// Brings a spare whose index and working tree hold exactly `previous`'s tree (the agent is sure
    /// nothing wrote them, see `UntouchedTree`) to the state of a fresh checkout at `base`, writing only
    /// the entries that differ between the two trees: no file is stat'ed or read otherwise, so the cost
    /// follows the change between the bases, not the size of the repository.
    private func resetUntouchedSpare(_ directory: URL, from previous: String, to base: String) async throws {
        let gitDirectory = directory.appendingPathComponent(".git")
        guard
            FileManager.default.fileExists(atPath: gitDirectory.appendingPathComponent("objects/info/alternates").path)
        else {
            throw GitWorkspaceError(.gitFailed, "\(directory.path) is not a shared clone")
        }
        // The task's temporary index and files, and its objects (see `resetSpare`).
        try removeEntries(of: gitDirectory, except: Self.keptInGitDirectory)
        try removeLocalObjects(in: gitDirectory)
        if previous != base {
            // A two-way merge: entries equal in both trees are kept as they are; the others are written
            // (or removed, with their emptied directories) after git checked that each still matches the
            // index. HEAD follows; no reflog.
            try await runner.run(["read-tree", "-m", "-u", previous, base], in: directory)
            try await runner.run(
                ["-c", "core.logAllRefUpdates=false", "update-ref", "--no-deref", "HEAD", base], in: directory)
        }
        // A fresh clone's branch, if this spare was one (the agent's tasks create no ref).
        if try hasBranchesOrTags(gitDirectory) { try await deleteBranchesAndTags(in: directory) }
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
        try await deleteBranchesAndTags(in: directory)
        try removeLocalObjects(in: gitDirectory)
        // Again: the checkout above logged "moving from <previous branch>" in a fresh reflog.
        try removeEntries(of: gitDirectory, except: Self.keptInGitDirectory)
    }

    /// Deletes every `refs/heads/*` and `refs/tags/*`.
    private func deleteBranchesAndTags(in directory: URL) async throws {
        let refs = try await runner.run(
            ["for-each-ref", "--format=%(refname)", "refs/heads/", "refs/tags/"], in: directory
        ).stdout
        for ref in refs.split(separator: "\n") {
            try await runner.run(["update-ref", "-d", String(ref)], in: directory)
        }
    }

    /// Whether `.git` holds any branch or tag, loose or packed: a look at the files, no git process.
    private func hasBranchesOrTags(_ gitDirectory: URL) throws -> Bool {
        let files = FileManager.default
        for folder in ["refs/heads", "refs/tags"] {
            let path = gitDirectory.appendingPathComponent(folder).path
            guard files.fileExists(atPath: path) else { continue }
            if try !files.subpathsOfDirectory(atPath: path).isEmpty { return true }
        }
        let packed = gitDirectory.appendingPathComponent("packed-refs")
        guard files.fileExists(atPath: packed.path) else { return false }
        let text = try String(contentsOf: packed, encoding: .utf8)
        return text.contains(" refs/heads/") || text.contains(" refs/tags/")
    }

    /// The clone itself stores no object (they come from the mirror through alternates): every local
    /// object is one the previous task wrote (its blobs, trees and commit), unreachable now.
    private func removeLocalObjects(in gitDirectory: URL) throws {
        let objects = gitDirectory.appendingPathComponent("objects")
        try removeEntries(of: objects, except: ["info"])
        try removeEntries(of: objects.appendingPathComponent("info"), except: ["alternates"])
    }

    private func removeEntries(of directory: URL, except kept: Set<String>) throws {
        let files = FileManager.default
        for name in try files.contentsOfDirectory(atPath: directory.path) where !kept.contains(name) {
            try files.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
