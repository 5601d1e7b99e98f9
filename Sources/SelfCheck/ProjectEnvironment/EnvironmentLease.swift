import Foundation

/// A check's hold on a cached environment while its jobs have it mounted: a shared `flock` on the
/// environment's directory, kept until the lease is released (deinit closes the fd). The cache trim
/// takes an exclusive, non-blocking lock before it removes a directory, so it skips one in use; flock
/// locks conflict between open files, so this holds across processes (`check`, `serve`) and within one.
public final class EnvironmentLease: Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// A lease on the directory at `path`, nil when it is gone. Waits while a trim holds it (only for a
    /// rename), then checks the directory is still the one at `path`: a trim that won moved it away.
    static func acquire(_ path: URL) -> EnvironmentLease? {
        let descriptor = open(path.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        let lease = EnvironmentLease(descriptor: descriptor)
        while flock(descriptor, LOCK_SH) != 0 {
            guard errno == EINTR else { return nil }
        }
        var held = stat()
        var current = stat()
        guard fstat(descriptor, &held) == 0, lstat(path.path, &current) == 0,
            held.st_dev == current.st_dev, held.st_ino == current.st_ino
        else { return nil }
        return lease
    }

    /// Takes `path` out of the cache unless a check holds it: under an exclusive lock it is renamed to a
    /// hidden name beside it (which listings skip), then deleted. False when it is in use.
    static func removeUnlessInUse(_ path: URL) -> Bool {
        let descriptor = open(path.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return false }
        let trash = path.deletingLastPathComponent().appendingPathComponent(
            ".trash-\(path.lastPathComponent.prefix(16))-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        guard rename(path.path, trash.path) == 0 else { return false }
        try? FileManager.default.removeItem(at: trash)
        return true
    }
}
