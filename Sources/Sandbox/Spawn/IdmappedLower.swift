import CSandbox
import FoundationEssentials
import Glibc
import Synchronization

/// When the runner is root, the job's user (65534) does not own the checkout, so overlayfs would refuse
/// every write to an existing file, and the checkout's path may not even be traversable by that user. So a
/// root runner attaches an idmapped, read-only copy of the checkout's mount inside the workspace's private
/// directory: the owner's files appear as the job user's. The checkout itself is untouched.
enum IdmappedLower {
    /// User namespaces describing owner -> job user, kept per owner (an fd keeps a namespace alive).
    private static let namespaces = Mutex<[String: Int32]>([:])

    /// Attaches the checkout at `target`, read-only, with the checkout owner's ids shown as the job's.
    /// - Throws: `SandboxError` (step `idmapped lower`).
    static func attach(lower: String, at target: String, identity: HostIdentity) throws {
        var info = stat()
        guard stat(lower, &info) == 0 else { throw SandboxError(step: "idmapped lower", errno: errno, message: lower) }
        let userns =
            info.st_uid == identity.outerUid && info.st_gid == identity.outerGid
            ? -1 : try namespace(ownerUid: info.st_uid, ownerGid: info.st_gid, identity: identity)
        let result = csb_attach_tree(lower, target, userns)
        guard result == 0 else {
            throw SandboxError(
                step: "idmapped lower", errno: -result,
                message: "open_tree/mount_setattr(MOUNT_ATTR_IDMAP)/move_mount \(lower)")
        }
    }

    private static func namespace(ownerUid: UInt32, ownerGid: UInt32, identity: HostIdentity) throws -> Int32 {
        let key = "\(ownerUid):\(ownerGid)->\(identity.outerUid):\(identity.outerGid)"
        return try namespaces.withLock { cache in
            if let fd = cache[key] { return fd }
            var release: Int32 = -1
            let pid = csb_userns_helper(&release)
            guard pid > 0 else {
                throw SandboxError(step: "idmapped lower", errno: -pid, message: "clone(CLONE_NEWUSER)")
            }
            defer { csb_userns_helper_release(pid, release) }
            try write("\(ownerUid) \(identity.outerUid) 1\n", to: "/proc/\(pid)/uid_map", step: "idmapped lower")
            try write("\(ownerGid) \(identity.outerGid) 1\n", to: "/proc/\(pid)/gid_map", step: "idmapped lower")
            let fd = open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SandboxError(step: "idmapped lower", errno: errno, message: "open ns/user") }
            cache[key] = fd
            return fd
        }
    }
}
