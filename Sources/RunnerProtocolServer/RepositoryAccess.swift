import CPeerOpen
import Contracts
import Glibc
import RunnerProtocol

/// Which checkout a peer may have checked. The runner may read more than the peer (as root, anything), so
/// a peer only gets what it could open itself:
/// - root and the runner's own uid may name any `repo_path` (they can read whatever the runner can);
/// - any other peer passes the checkout as a directory fd (`SCM_RIGHTS`), or names a `repo_path` below
///   a configured root (`serve --repo-root`) that it may open itself. A root runner lets the kernel judge
///   that: a forked helper takes the peer's uid, gid and supplementary groups and opens the path (so
///   ACLs and groups count as for the peer's own `open`); a non-root runner, which cannot become the
///   peer, judges mode bits and refuses any folder that carries an ACL. The path is opened one component
///   at a time without following symbolic links and handed on as a directory fd, so swapping a
///   directory afterwards changes nothing.
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
        let descriptor: Int32
        switch Self.open(path, as: peer) {
        case .success(let opened): descriptor = opened
        case .failure(let refusal):
            throw ProtocolFailure(
                .forbidden, "uid \(peer.uid) cannot open repo_path itself: \(refusal.reason)",
                requestID: request.requestID)
        }
        return WorkspaceDirectory(fileDescriptor: descriptor)
    }

    /// `path` with symbolic links resolved, nil when it does not exist.
    public static func resolved(_ path: String) -> String? {
        guard path.hasPrefix("/"), let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Why a peer may not open a path.
    struct Refusal: Error, Equatable {
        var reason: String
    }

    /// Opens the directory at `path` (absolute, no symbolic links) as `peer` would: by the kernel's own
    /// judgement when this process can take the peer's ids, else by mode bits (see the type's comment).
    static func open(_ path: String, as peer: PeerCredentials) -> Result<Int32, Refusal> {
        guard geteuid() == 0 else { return openByModeBits(path, as: peer) }
        var step: Int32 = 0
        let result = peer.groups.withUnsafeBufferPointer { groups in
            cpo_open_directory_as(path, peer.uid, peer.gid, groups.baseAddress, groups.count, 5000, &step)
        }
        if result >= 0 { return .success(result) }
        return .failure(Refusal(reason: reason(-result, step: step)))
    }

    static func reason(_ error: Int32, step: Int32) -> String {
        let text = String(cString: strerror(error))
        switch (UInt32(step), error) {
        case (CPO_STEP_OPEN.rawValue, ELOOP), (CPO_STEP_OPEN.rawValue, ENOTDIR):
            return "a symbolic link or a non-directory on the way (\(text))"
        case (CPO_STEP_OPEN.rawValue, _): return text
        case (CPO_STEP_IDENTITY.rawValue, _): return "the runner cannot take the peer's ids (\(text))"
        default: return "the helper that opens it as the peer failed (\(text))"
        }
    }

    /// A non-root runner's judgement: mode bits of every directory on the way, as the kernel picks them
    /// for `peer` (groups included); any POSIX ACL is refused rather than interpreted.
    static func openByModeBits(_ path: String, as peer: PeerCredentials) -> Result<Int32, Refusal> {
        let denied = Refusal(reason: String(cString: strerror(EACCES)))
        var current = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { return .failure(denied) }
        let components = path.split(separator: "/").map(String.init)
        for component in components {
            if let refusal = refusal(current, peer, search: true, read: false) {
                close(current)
                return .failure(refusal)
            }
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let error = errno
            close(current)
            guard next >= 0 else {
                return .failure(Refusal(reason: reason(error, step: Int32(CPO_STEP_OPEN.rawValue))))
            }
            current = next
        }
        if let refusal = refusal(current, peer, search: true, read: true) {
            close(current)
            return .failure(refusal)
        }
        return .success(current)
    }

    /// Nil when the owner, group or other bits that apply to `peer` (as the kernel would pick them) allow
    /// the access and the directory has no ACL.
    static func refusal(_ descriptor: Int32, _ peer: PeerCredentials, search: Bool, read: Bool) -> Refusal? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return Refusal(reason: String(cString: strerror(errno))) }
        if cpo_has_access_acl(descriptor) != 0 {
            return Refusal(reason: "a folder on the way has an ACL, which a non-root runner does not judge")
        }
        let bits: mode_t =
            info.st_uid == peer.uid
            ? (info.st_mode >> 6) & 7
            : (info.st_gid == peer.gid || peer.groups.contains(info.st_gid))
                ? (info.st_mode >> 3) & 7 : info.st_mode & 7
        let allowed = (!search || bits & 1 != 0) && (!read || bits & 4 != 0)
        return allowed ? nil : Refusal(reason: String(cString: strerror(EACCES)))
    }
}
