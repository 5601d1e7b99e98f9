import Foundation

/// A per-task working tree at a task's base commit, borrowing its objects from the mirror.
///
/// Made with `git clone --shared --no-checkout` from the mirror and a detached checkout: no object
/// is copied (`.git/objects/info/alternates` points into the mirror) and the network is not used.
/// The checkout has its own `.git` (refs, index, config), so nothing a task does touches the mirror.
public struct TaskCheckout: Sendable {
    public let taskID: String
    /// The working tree; its `.git` is a small repository of its own.
    public let directory: URL
    /// The full id of the commit checked out.
    public let baseCommit: String
    /// The mirror it borrows from, and whose remote it pushes to.
    public let mirror: Mirror
    /// Whether its index and working tree are still exactly `baseCommit`'s tree.
    let untouched = UntouchedTree()

    var runner: GitRunner { mirror.runner }

    /// Deletes the checkout. Safe to call more than once.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Keeps the checkout as a spare of its mirror for a later task (which resets it fully), or deletes
    /// it when the mirror has `spares.limitPerMirror` spares already. The per-task folder is left either way.
    public func park(in spares: SpareCheckouts) {
        spares.park(directory, of: mirror)
    }

    /// `park(in:)` for a checkout nothing but this library wrote into: when its git steps all succeeded,
    /// the next task's reset writes only what differs between the two bases.
    func parkUntouched(in spares: SpareCheckouts) {
        spares.park(directory, of: mirror, untouchedAt: untouched.isSure ? baseCommit : nil)
    }

    /// Removes every leftover checkout under `root` (from a run that crashed) — call at start-up,
    /// before any task runs. `root` must belong to this process alone.
    /// - Returns: the directories removed.
    @discardableResult
    public static func sweep(root: URL) -> [URL] {
        let files = FileManager.default
        let entries = (try? files.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        return entries.filter { (try? files.removeItem(at: $0)) != nil }
    }
}

extension Mirror {
    /// Checks out `commit` for a task in a fresh directory under `root`, fetching it first if the
    /// mirror lacks it. With `spares`, a spare of this mirror is taken and reset to `commit` when there
    /// is one; otherwise (or when the reset fails) the checkout is a fresh clone.
    /// - Parameters:
    ///   - commit: the task's `base_commit`.
    ///   - taskID: names the directory (`<root>/<taskID>.<random>`: a redelivered task running twice
    ///     gets two directories).
    ///   - root: the checkout area of this process (see `TaskCheckout.sweep`).
    ///   - spares: where finished checkouts are kept for reuse; nil: always a fresh clone.
    /// - Throws: `GitWorkspaceError` (`.unknownCommit`, `.remoteUnreachable`, `.invalidArgument`, `.gitFailed`).
    public func checkout(commit: String, taskID: String, in root: URL, spares: SpareCheckouts? = nil) async throws
        -> TaskCheckout
    {
        let taskID = try Validation.taskID(taskID)
        let base = try await ensure(commit: commit)
        let directory = root.appendingPathComponent("\(taskID).\(UUID().uuidString.prefix(8).lowercased())")
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            if let spares, await reuseSpare(spares, at: base, into: directory) {
                return TaskCheckout(taskID: taskID, directory: directory, baseCommit: base, mirror: self)
            }
            // --single-branch --no-tags: copy at most one ref, however many branches the mirror has.
            try await runner.run(
                [
                    "clone", "--quiet", "--shared", "--no-checkout", "--single-branch", "--no-tags",
                    path.path, directory.path,
                ],
                in: root)
            try await runner.run(["checkout", "--quiet", "--detach", base], in: directory)
        } catch let error as GitCommandError {
            try? FileManager.default.removeItem(at: directory)
            throw GitWorkspaceError(
                .gitFailed, "cannot check out \(base) for task \(taskID)", commit: base, underlying: error)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw GitWorkspaceError(.gitFailed, "cannot check out \(base) for task \(taskID): \(error)", commit: base)
        }
        return TaskCheckout(taskID: taskID, directory: directory, baseCommit: base, mirror: self)
    }

    /// Runs `body` with a checkout and takes the checkout out of `root` afterwards, also when `body`
    /// throws: with `spares` it is parked there for reuse (see `TaskCheckout.park`), otherwise deleted.
    /// A cancelled task's checkout is always deleted.
    /// - Parameter bodyOnlyReads: `body`, and whatever it hands the directory to, never writes into the
    ///   checkout (the agent reads files for the prompt; the runner reads the checkout as the lower
    ///   layer of its overlay; `commitAndPush` writes only a temporary index and objects). Then, when
    ///   `body` returns, the spare is parked as still at its base, and the next task's reset writes only
    ///   what differs between the two bases instead of forcing and cleaning every file. When `body`
    ///   throws, the next task resets it fully anyway.
    /// - Throws: what `checkout(commit:taskID:in:spares:)` or `body` throws.
    public func withCheckout<T>(
        commit: String, taskID: String, in root: URL, spares: SpareCheckouts? = nil, bodyOnlyReads: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TaskCheckout) async throws -> T
    ) async throws -> T {
        let checkout = try await checkout(commit: commit, taskID: taskID, in: root, spares: spares)
        var returned = false
        defer {
            if let spares, !Task.isCancelled {
                if bodyOnlyReads && returned { checkout.parkUntouched(in: spares) } else { checkout.park(in: spares) }
            } else {
                checkout.remove()
            }
        }
        let result = try await body(checkout)
        returned = true
        return result
    }
}
