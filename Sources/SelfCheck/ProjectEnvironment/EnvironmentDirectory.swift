import Foundation
import Sandbox

/// Where environments can live: the sandbox's unprivileged user bind-mounts them, so every directory
/// above them must be searchable by others (a cache under a 0700 home is not).
public enum EnvironmentDirectory {
    /// The first directory on the way to `path` that others cannot search, nil when there is none.
    public static func blockedAncestor(of path: URL) -> String? {
        var current = path.standardizedFileURL
        var ancestors: [String] = []
        while current.path != "/" {
            ancestors.append(current.path)
            current = current.deletingLastPathComponent()
        }
        for ancestor in ancestors.reversed() {
            var info = stat()
            guard stat(ancestor, &info) == 0 else { return nil }  // not created yet: made 0755 below
            if info.st_mode & S_IXOTH == 0 { return ancestor }
        }
        return nil
    }

    /// `preferred` when the jobs can reach it; otherwise a directory of this uid's in the runner's
    /// workspace folder (which the jobs reach by construction, whatever TMPDIR is: `WorkspaceFolder`),
    /// refused when someone else made it, or it is a symlink or writable by others.
    public static func choose(preferred: URL) throws -> (URL, note: String?) {
        guard let blocked = blockedAncestor(of: preferred) else { return (preferred, nil) }
        // Without a usable workspace folder no check can run; the check stops there and says why.
        guard let folder = try? WorkspaceFolder.resolve() else { return (preferred, nil) }
        let fallback = folder.appendingPathComponent("selfcheck-runner-environments-\(getuid())")
        if mkdir(fallback.path, 0o755) != 0 && errno != EEXIST {
            throw EnvironmentError("cannot create \(fallback.path): errno \(errno)")
        }
        var info = stat()
        guard lstat(fallback.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(),
            info.st_mode & (S_IWGRP | S_IWOTH) == 0
        else {
            throw EnvironmentError(
                "\(fallback.path) is not a directory of this user's that only it can write; remove it or pass --cache-dir"
            )
        }
        return (
            fallback, "\(blocked) is not searchable by the sandbox's user: environments are kept in \(fallback.path)"
        )
    }
}
