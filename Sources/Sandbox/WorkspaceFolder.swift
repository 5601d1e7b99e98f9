import FoundationEssentials
import Glibc
import Synchronization

/// Where the runner keeps its overlay workspaces: `--state-dir` when given, otherwise `TMPDIR` when the
/// job can use it, otherwise (a root runner whose `TMPDIR` is private, e.g. below `/root`) a folder of
/// its own, `/var/lib/selfcheck-runner/workspaces`. A root runner's job runs as another uid that must
/// search every folder down to its upper layer, so a folder it cannot reach is refused with the reason,
/// rather than every check failing later as "the patch did not apply".
public enum WorkspaceFolder {
    /// The root runner's own folder when `TMPDIR` cannot be used.
    public static let rootDefault = "/var/lib/selfcheck-runner/workspaces"

    private static let state = Mutex<(configured: String?, resolved: URL?)>((nil, nil))

    /// Sets `--state-dir` (nil: automatic); call before the first workspace is made.
    public static func configure(_ path: String?) {
        state.withLock { $0 = (path, nil) }
    }

    /// The folder to make workspaces in, created when it is the runner's own and missing.
    /// - Throws: `SandboxError` (step `workspace folder`) saying which folder and why.
    public static func resolve() throws -> URL {
        if let resolved = state.withLock({ $0.resolved }) { return resolved }
        let configured = state.withLock { $0.configured }
        let identity = HostIdentity.current(
            unprivilegedUid: SandboxProfile.defaultJobUid, unprivilegedGid: SandboxProfile.defaultJobGid)
        let folder: URL
        if let configured {
            folder = try prepare(configured, identity: identity)
        } else {
            let temporary = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
            if unreachable(temporary, identity: identity) == nil {
                folder = URL(fileURLWithPath: temporary)
            } else {
                folder = try prepare(rootDefault, identity: identity)
            }
        }
        state.withLock { $0.resolved = folder }
        return folder
    }

    /// Creates `path` (mode 0711 for a root runner, whose job must search it; 0700 otherwise) when
    /// missing, and checks that the runner owns it, no one else can write to it, and the job reaches it.
    static func prepare(_ path: String, identity: HostIdentity) throws -> URL {
        guard path.hasPrefix("/") else {
            throw SandboxError(step: "workspace folder", errno: EINVAL, message: "\(path) is not an absolute path")
        }
        let mode: mode_t = identity.isRoot ? 0o711 : 0o700
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, mode) != 0 && errno != EEXIST {
                throw SandboxError(step: "workspace folder", errno: errno, message: "cannot create \(partial)")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SandboxError(
                step: "workspace folder", errno: ENOTDIR,
                message: "\(path) is not a directory (a symbolic link is not accepted)")
        }
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            throw SandboxError(
                step: "workspace folder", errno: EPERM,
                message: "\(path) must belong to the runner's uid \(geteuid()) and be writable by no one else")
        }
        if let reason = unreachable(path, identity: identity) {
            throw SandboxError(step: "workspace folder", errno: EACCES, message: "\(path): \(reason)")
        }
        return URL(fileURLWithPath: path)
    }

    /// Why the job's uid cannot search down to `path` (judged by mode bits), nil when it can. A runner
    /// that is not root runs its jobs as itself, which reaches whatever the runner does.
    static func unreachable(_ path: String, identity: HostIdentity) -> String? {
        guard identity.isRoot else { return nil }
        var partial = ""
        let folders =
            ["/"]
            + path.split(separator: "/").map { component -> String in
                partial += "/" + component
                return partial
            }
        for partial in folders {
            var info = stat()
            guard stat(partial, &info) == 0 else { return "\(partial) does not exist" }
            let bits =
                info.st_uid == identity.outerUid
                ? (info.st_mode >> 6) & 7
                : info.st_gid == identity.outerGid ? (info.st_mode >> 3) & 7 : info.st_mode & 7
            if bits & 1 == 0 {
                return
                    "the job's uid \(identity.outerUid) cannot enter \(partial) (mode \(String(info.st_mode & 0o7777, radix: 8))); "
                    + "give the runner a --state-dir it can reach"
            }
        }
        return nil
    }
}
