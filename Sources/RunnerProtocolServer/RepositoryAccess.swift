import Contracts
import Glibc
import RunnerProtocol

/// Which checkout a peer may have checked. The runner may read more than the peer (as root, anything), so
/// a peer only gets what it could open itself:
/// - root and the runner's own uid may name any `repo_path` (they can read whatever the runner can);
/// - any other peer passes the checkout as a directory fd (`SCM_RIGHTS`), or names a `repo_path` below
///   a configured root (`serve --repo-root`) that its own uid and gid may open, judged by the mode bits
///   of every directory on the way (ACLs and supplementary groups are not consulted, so only ever less
///   is allowed). Such a path is opened here, one component at a time without following symbolic
///   links, and handed on as a directory fd, so swapping a directory afterwards changes nothing.
public struct RepositoryAccess: Sendable {
    /// Absolute, symbolic-link-free folders below which other peers may name checkouts.
    public var roots: [String]
    public var runnerUID: UInt32

    public init(roots: [String], runnerUID: UInt32 = getuid()) {
        self.roots = roots.map { Self.resolved($0) ?? $0 }
        self.runnerUID = runnerUID
    }

    /// The directory the check works on: the passed fd, the opened `repo_path`, or nil for a privileged
    /// peer naming a path. Throws `forbidden` when the peer may not have that path checked.
    func workspace(for request: CheckRequest, passed: WorkspaceDirectory?, peer: PeerCredentials)
        throws(ProtocolFailure) -> WorkspaceDirectory?
    {
        if let passed { return passed }
        if peer.uid == 0 || peer.uid == runnerUID { return nil }
        guard !request.repoPath.isEmpty else {
            throw ProtocolFailure(
                .forbidden, "no checkout: pass its directory fd, or a repo_path below a --repo-root",
                requestID: request.requestID)
        }
        guard let path = Self.resolved(request.repoPath),
            roots.contains(where: { path.hasPrefix($0 == "/" ? "/" : $0 + "/") })
        else {
            throw ProtocolFailure(
                .forbidden,
                "repo_path is not below a --repo-root of this runner; pass the checkout's directory fd instead",
                requestID: request.requestID)
        }
        guard let descriptor = Self.open(path, as: peer) else {
            throw ProtocolFailure(
                .forbidden, "uid \(peer.uid) cannot open repo_path itself", requestID: request.requestID)
        }
        return WorkspaceDirectory(fileDescriptor: descriptor)
    }

    /// `path` with symbolic links resolved, nil when it does not exist.
    public static func resolved(_ path: String) -> String? {
        guard path.hasPrefix("/"), let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Opens the directory at `path` (absolute, no symbolic links) when `peer` may search every directory
    /// on the way and read and search the last one; nil otherwise.
    static func open(_ path: String, as peer: PeerCredentials) -> Int32? {
        var current = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { return nil }
        let components = path.split(separator: "/").map(String.init)
        for component in components {
            guard permits(current, peer, search: true, read: false) else {
                close(current)
                return nil
            }
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(current)
            guard next >= 0 else { return nil }
            current = next
        }
        guard permits(current, peer, search: true, read: true) else {
            close(current)
            return nil
        }
        return current
    }

    /// The owner, group or other bits that apply to `peer`, as the kernel would pick them.
    static func permits(_ descriptor: Int32, _ peer: PeerCredentials, search: Bool, read: Bool) -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        let bits: mode_t =
            info.st_uid == peer.uid
            ? (info.st_mode >> 6) & 7
            : info.st_gid == peer.gid ? (info.st_mode >> 3) & 7 : info.st_mode & 7
        return (!search || bits & 1 != 0) && (!read || bits & 4 != 0)
    }
}
