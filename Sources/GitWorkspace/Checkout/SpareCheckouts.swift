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
    func park(_ directory: URL, of mirror: Mirror) {
        let parked: Bool = Self.parking.withLock { _ in
            guard spares(of: mirror).count < limitPerMirror else { return false }
            let folder = folder(for: mirror)
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let spare = folder.appendingPathComponent(UUID().uuidString.prefix(8).lowercased())
            return rename(directory.path, spare.path) == 0
        }
        if !parked { try? FileManager.default.removeItem(at: directory) }
    }

    /// Moves one of `mirror`'s spares to `directory` (which must not exist).
    /// - Returns: false when there was no spare left to take.
    func take(for mirror: Mirror, into directory: URL) -> Bool {
        // Another worker may rename the same spare first: then ours fails with ENOENT and we try the next.
        spares(of: mirror).contains { rename($0.path, directory.path) == 0 }
    }
}
