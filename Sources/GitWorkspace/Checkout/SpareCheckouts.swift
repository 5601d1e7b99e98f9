import Foundation
import Synchronization

/// Where finished checkouts wait for the next task on the same mirror, so that a task resets a kept
/// working tree (cost: what changed) instead of writing every file of a fresh one (cost: repository size).
///
/// Each mirror has its own folder, `<root>/<mirror folder name>/<random>`. A task takes a spare by
/// renaming it into its per-task folder — `rename(2)` is atomic, so two workers never get the same
/// spare — then resets it (see `Mirror.reuseSpare`). `root` belongs to this process alone and must not
/// be the per-task checkout root (`TaskCheckout.sweep` empties that one at start-up; spares survive).
public struct SpareCheckouts: Sendable {
    /// The spare area.
    public let root: URL
    /// Spares kept per mirror; a checkout finished when its mirror already has this many is deleted.
    public let limitPerMirror: Int
    /// The spares known untouched: spare path -> the commit whose tree their index and working tree hold
    /// exactly. In this value's memory only: a restarted agent (a new value) resets every spare fully.
    private let untouched = Box()

    private final class Box: Sendable {
        let commits = Mutex([String: String]())
        func withLock<T>(_ body: (inout [String: String]) -> T) -> T { commits.withLock { body(&$0) } }
    }

    /// - Throws: `GitWorkspaceError.invalidArgument` when `limitPerMirror` is negative.
    public init(root: URL, limitPerMirror: Int = 2) throws {
        guard limitPerMirror >= 0 else {
            throw GitWorkspaceError(.invalidArgument, "spares per mirror must be 0 or more, not \(limitPerMirror)")
        }
        self.root = root
        self.limitPerMirror = limitPerMirror
    }

    /// The spares of `mirror`.
    public func folder(for mirror: Mirror) -> URL {
        root.appendingPathComponent(mirror.path.lastPathComponent)
    }

    /// The spares `mirror` has now.
    public func spares(of mirror: Mirror) -> [URL] {
        let entries = try? FileManager.default.contentsOfDirectory(
            at: folder(for: mirror), includingPropertiesForKeys: nil)
        return (entries ?? []).filter { !$0.lastPathComponent.hasPrefix(".") }
    }

    /// Serializes parking, so that concurrent tasks never park more than `limitPerMirror` spares.
    private static let parking = Mutex(())

    /// Moves `directory` into `mirror`'s spares, or deletes it when the mirror has enough spares.
    /// - Parameter untouchedAt: the commit whose tree the checkout's index and working tree still hold,
    ///   when the agent is sure of it (nothing wrote them since its checkout or reset); nil otherwise.
    func park(_ directory: URL, of mirror: Mirror, untouchedAt: String? = nil) {
        let parked: Bool = Self.parking.withLock { _ in
            guard spares(of: mirror).count < limitPerMirror else { return false }
            let folder = folder(for: mirror)
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let spare = folder.appendingPathComponent(UUID().uuidString.lowercased())
            guard rename(directory.path, spare.path) == 0 else { return false }
            untouched.withLock { $0[spare.path] = untouchedAt }
            return true
        }
        if !parked { try? FileManager.default.removeItem(at: directory) }
    }

    /// A spare taken for a task.
    struct Taken {
        /// The commit whose tree its index and working tree hold untouched, if known (see `park`).
        var untouchedAt: String?
    }

    /// Moves one of `mirror`'s spares to `directory` (which must not exist).
    /// - Returns: nil when there was no spare left to take.
    func take(for mirror: Mirror, into directory: URL) -> Taken? {
        // Another worker may rename the same spare first: then ours fails with ENOENT and we try the next.
        for spare in spares(of: mirror) where rename(spare.path, directory.path) == 0 {
            return Taken(untouchedAt: untouched.withLock { $0.removeValue(forKey: spare.path) })
        }
        return nil
    }
}
