import FoundationEssentials
import Glibc

/// The bound on what a workspace's jobs may write: a root runner's upper layer lives on a tmpfs of the
/// workspace's own, mounted inside its private 0710 directory (so no other host user reaches it) and
/// outliving every job of the check. Its pages are charged to the job that writes them (memory cgroup).
enum WorkspaceDisk {
    /// overlayfs in the job's user namespace keeps its metadata in `user.*` extended attributes of the
    /// upper layer, which tmpfs has since Linux 6.6; before that, a root runner's upper layer stays in
    /// its folder, unbounded (doctor says so).
    static let tmpfsCanHoldUpper: Bool = {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (6, 6)
    }()

    /// One inode per 16 KiB (at least 4096): many empty files cannot pin unbounded kernel memory either.
    static func inodes(for bytes: UInt64) -> UInt64 { max(bytes / 16384, 4096) }

    static func options(bytes: UInt64) -> String { "size=\(bytes),nr_inodes=\(inodes(for: bytes))" }

    /// Mounts the tmpfs at `path` (created here, in a directory only the runner writes to).
    static func mount(at path: String, bytes: UInt64) throws {
        guard mkdir(path, 0o755) == 0 else {
            throw SandboxError(step: "workspace", errno: errno, message: "mkdir \(path)")
        }
        let flags = UInt(MS_NOSUID | MS_NODEV)
        guard Glibc.mount("tmpfs", path, "tmpfs", flags, options(bytes: bytes) + ",mode=0755") == 0 else {
            throw SandboxError(step: "workspace", errno: errno, message: "mount a tmpfs of \(bytes) bytes at \(path)")
        }
    }

    /// Resizes the tmpfs for one job (a request may lower the profile's `disk_bytes`). The kernel refuses
    /// a size below what is already used; the workspace then keeps its size, which is no larger than
    /// the profile's.
    static func resize(_ path: String, bytes: UInt64) {
        let flags = UInt(MS_REMOUNT | MS_NOSUID | MS_NODEV)
        _ = Glibc.mount("tmpfs", path, "tmpfs", flags, options(bytes: bytes))
    }

    /// No block or no inode left on the file system holding `path`: a write there failed with ENOSPC.
    static func isFull(_ path: String) -> Bool {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return false }
        return info.f_bavail == 0 || (info.f_files > 0 && info.f_favail == 0)
    }

    /// The size and type of the file system holding `path` (the mount with the longest matching path).
    static func fileSystem(of path: String) -> (bytes: UInt64, type: String)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let mount = MountInfo.mounts().filter { point, _ in
            point == "/" || resolved == point || resolved.hasPrefix(point + "/")
        }.max { $0.key.count < $1.key.count }
        return (UInt64(info.f_blocks) * UInt64(info.f_frsize), mount?.value ?? "unknown")
    }
}

extension Workspace {
    /// Sizes the workspace's tmpfs for the next job, when it has one.
    func limitDisk(to bytes: UInt64?) {
        guard let own = diskBytes else { return }
        WorkspaceDisk.resize(layers.path, bytes: max(min(bytes ?? own, own), Self.minimumDiskBytes))
    }

    /// The upper layer's file system is full: the last job hit the disk limit.
    var diskIsFull: Bool { WorkspaceDisk.isFull(upper.path) }

    /// How the upper layer is bounded, for the job's isolation list.
    func diskDescription(for bytes: UInt64?) -> String {
        if let own = diskBytes {
            return "workspace changes on a tmpfs of \(max(min(bytes ?? own, own), Self.minimumDiskBytes)) bytes"
        }
        return "workspace changes on the state folder's file system (no disk limit of its own)"
    }
}
