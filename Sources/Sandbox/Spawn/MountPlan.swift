import CSandbox
import FoundationEssentials
import Glibc

/// The profile's mounts resolved against this host, as `csb_mount` entries for the child.
struct MountPlan {
    var mounts: [csb_mount] = []

    /// - Throws: `SandboxError` (step `mount plan`) when a required bind source is missing.
    init(profile: SandboxProfile, config: ChildConfig, workspace: Workspace?) throws {
        for mount in profile.mounts {
            let target = mount.target ?? mount.source ?? ""
            guard target.hasPrefix("/") else {
                throw SandboxError(step: "mount plan", message: "mount target must be absolute: \(target)")
            }
            var entry = csb_mount()
            entry.target = config.string(target)
            entry.writable = mount.writable == true ? 1 : 0
            switch mount.type {
            case .bind:
                guard let source = mount.source, source.hasPrefix("/") else {
                    throw SandboxError(step: "mount plan", message: "bind mount of \(target) needs an absolute source")
                }
                var info = stat()
                guard lstat(source, &info) == 0 else {
                    if mount.optional == true { continue }
                    throw SandboxError(step: "mount plan", errno: errno, message: "bind source \(source)")
                }
                if (info.st_mode & S_IFMT) == S_IFLNK {
                    // Merged-/usr hosts: /bin -> usr/bin is recreated, not bound.
                    entry.kind = Int32(CSB_MOUNT_SYMLINK.rawValue)
                    guard let linkTarget = symbolicLinkTarget(source) else {
                        throw SandboxError(step: "mount plan", errno: errno, message: "readlink \(source)")
                    }
                    entry.source = config.string(linkTarget)
                } else {
                    entry.kind = Int32(CSB_MOUNT_BIND.rawValue)
                    entry.source = config.string(source)
                    entry.source_is_dir = (info.st_mode & S_IFMT) == S_IFDIR ? 1 : 0
                }
            case .tmpfs:
                entry.kind = Int32(CSB_MOUNT_TMPFS.rawValue)
                entry.data = config.string("mode=1777,size=\(mount.sizeBytes ?? 64 << 20)")
            case .proc:
                entry.kind = Int32(CSB_MOUNT_PROC.rawValue)
            case .dev:
                entry.kind = Int32(CSB_MOUNT_DEV.rawValue)
                entry.data = config.string("mode=1777,size=\(mount.sizeBytes ?? 64 << 20)")
            case .dir:
                entry.kind = Int32(CSB_MOUNT_DIR.rawValue)
            }
            mounts.append(entry)
        }
        if let workspace {
            var entry = csb_mount()
            entry.kind = Int32(CSB_MOUNT_OVERLAY.rawValue)
            entry.target = config.string(profile.workspaceTarget)
            entry.source = config.string(workspace.overlayLower.path)
            entry.upper = config.string(workspace.upper.path)
            entry.work = config.string(workspace.work.path)
            entry.writable = 1
            mounts.append(entry)
        }
    }

    /// A readable description of mount `index`, for set-up errors.
    func describe(_ index: Int) -> String {
        guard mounts.indices.contains(index) else { return "" }
        let mount = mounts[index]
        let target = mount.target.map { String(cString: $0) } ?? ""
        let source = mount.source.map { String(cString: $0) }
        return source.map { "\($0) -> \(target)" } ?? target
    }
}
