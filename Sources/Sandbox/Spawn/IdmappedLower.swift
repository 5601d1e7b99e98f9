import CSandbox
import Foundation
import Synchronization

/// When the runner is root, the job's user (65534) does not own the checkout, so overlayfs would refuse
/// every write to an existing file. An idmapped copy of the checkout's mount shows the checkout owner's
/// files as owned by the job's user; the checkout itself is untouched (overlay never writes the lower layer).
enum IdmappedLower {
    /// User namespaces describing owner -> job user, kept per owner (an fd keeps a namespace alive).
    private static let namespaces = Mutex<[String: Int32]>([:])

    /// A detached idmapped mount of `lower`, or nil when the checkout is already owned by the job's user.
    /// - Throws: `SandboxError` (step `idmapped lower`).
    static func make(lower: String, identity: HostIdentity) throws -> Int32? {
        var info = stat()
        guard stat(lower, &info) == 0 else { throw SandboxError(step: "idmapped lower", errno: errno, message: lower) }
        if info.st_uid == identity.outerUid { return nil }
        let userns = try namespace(ownerUid: info.st_uid, ownerGid: info.st_gid, identity: identity)
        let fd = csb_idmapped_tree(lower, userns)
        guard fd >= 0 else { throw SandboxError(step: "idmapped lower", errno: -fd, message: "open_tree/mount_setattr(MOUNT_ATTR_IDMAP) \(lower)") }
        return fd
    }

    private static func namespace(ownerUid: UInt32, ownerGid: UInt32, identity: HostIdentity) throws -> Int32 {
        let key = "\(ownerUid):\(ownerGid)->\(identity.outerUid):\(identity.outerGid)"
        return try namespaces.withLock { cache in
            if let fd = cache[key] { return fd }
            var release: Int32 = -1
            let pid = csb_userns_helper(&release)
            guard pid > 0 else { throw SandboxError(step: "idmapped lower", errno: -pid, message: "clone(CLONE_NEWUSER)") }
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
