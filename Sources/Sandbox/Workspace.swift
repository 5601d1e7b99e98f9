import CSandbox
import FoundationEssentials
import Glibc

/// A copy-on-write view of a checkout: overlay lower = the checkout (never written), upper = a host
/// directory owned by the workspace. Successive jobs on one workspace see each other's changes.
/// A root runner keeps upper and work on a tmpfs of the workspace's own (`disk/`, `disk_bytes` in
/// size), so the jobs cannot fill the host's disk; a runner that is not root cannot mount one, and its
/// upper layer is bounded only by the state folder's file system (see docs/deploy.md).
/// Run one job at a time on a workspace (overlayfs refuses two mounts sharing an upper directory).
public final class Workspace: Sendable {
    /// The checkout (lower layer); never written.
    public let lower: URL
    /// The private directory holding `upper/`, `work/` and a root runner's `lower/` (mode 0700; 0710 with
    /// the job's group for a root runner).
    public let directory: URL
    /// The size of the tmpfs holding upper and work (a root runner's workspace); nil: no bound of its own.
    public let diskBytes: UInt64?
    /// Where upper and work live: the tmpfs `disk/` when bounded, else the directory itself.
    var layers: URL { diskBytes == nil ? directory : directory.appendingPathComponent(Self.diskName) }
    public var upper: URL { layers.appendingPathComponent("upper") }
    var work: URL { layers.appendingPathComponent("work") }
    /// The lower layer as the sandbox mounts it: the checkout, or its idmapped copy when the runner is root.
    let overlayLower: URL
    private let attachedLower: Bool

    private init(lower: URL, directory: URL, attachedLower: Bool, diskBytes: UInt64?) {
        self.lower = lower
        self.directory = directory
        self.attachedLower = attachedLower
        self.diskBytes = diskBytes
        overlayLower = attachedLower ? directory.appendingPathComponent("lower") : lower
    }

    /// Creates the upper and work directories in a private directory of the `WorkspaceFolder`. O(1) in the
    /// checkout size.
    /// - Parameters:
    ///   - lower: the checkout; must be a directory.
    ///   - jobUid, jobGid: the host ids a root runner's jobs run as (the profile's `unprivileged_uid`/`gid`).
    ///   - diskBytes: the size of a root runner's tmpfs for the upper layer (the profile's `disk_bytes`).
    /// - Throws: `SandboxError` (step `workspace`).
    public static func create(
        lower: URL, jobUid: UInt32 = SandboxProfile.defaultJobUid, jobGid: UInt32 = SandboxProfile.defaultJobGid,
        diskBytes: UInt64? = nil
    ) throws -> Workspace {
        var lowerInfo = stat()
        guard stat(lower.path, &lowerInfo) == 0, (lowerInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw SandboxError(step: "workspace", errno: ENOTDIR, message: lower.path)
        }
        // The creator's pid in the name lets `sweepStale()` tell a dead runner's workspaces from live ones.
        var template = Array((try WorkspaceFolder.resolve().path + "/\(namePrefix)\(getpid())-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SandboxError(step: "workspace", errno: errno, message: "mkdtemp")
        }
        let directory = URL(fileURLWithPath: String(cString: made))
        let identity = HostIdentity.current(unprivilegedUid: jobUid, unprivilegedGid: jobGid)
        let checkout = try checkoutPath(lower, attachesCopy: identity.isRoot)
        let workspace = Workspace(
            lower: checkout, directory: directory, attachedLower: identity.isRoot,
            diskBytes: identity.isRoot && WorkspaceDisk.tmpfsCanHoldUpper
                ? max(diskBytes ?? defaultDiskBytes, minimumDiskBytes) : nil)
        do {
            guard !checkout.path.contains(where: { ",:\\".contains($0) }) else {
                throw SandboxError(
                    step: "workspace", errno: EINVAL,
                    message: "overlayfs cannot take a path with , : or \\: \(checkout.path)")
            }
            // The sandbox's unprivileged user mounts the overlay: it must reach and own upper and work. For
            // a root runner that is the job's group (0710), and no one else: the checkout copy in `lower`
            // must not be readable by other host processes, whatever its files' modes.
            if identity.isRoot, chown(directory.path, geteuid(), identity.outerGid) != 0 {
                throw SandboxError(step: "workspace", errno: errno, message: "chown \(directory.path)")
            }
            chmod(directory.path, identity.isRoot ? 0o710 : 0o700)
            if let size = workspace.diskBytes { try WorkspaceDisk.mount(at: workspace.layers.path, bytes: size) }
            for path in [workspace.upper.path, workspace.work.path] {
                guard mkdir(path, 0o755) == 0 else {
                    throw SandboxError(step: "workspace", errno: errno, message: "mkdir \(path)")
                }
                if identity.isRoot, chown(path, identity.outerUid, identity.outerGid) != 0 {
                    throw SandboxError(step: "workspace", errno: errno, message: "chown \(path)")
                }
            }
            if identity.isRoot {
                guard mkdir(workspace.overlayLower.path, 0o755) == 0 else {
                    throw SandboxError(step: "workspace", errno: errno, message: "mkdir \(workspace.overlayLower.path)")
                }
                try IdmappedLower.attach(lower: checkout.path, at: workspace.overlayLower.path, identity: identity)
            }
        } catch {
            try? workspace.remove()
            throw error
        }
        return workspace
    }

    /// The checkout as the overlay will name it. A directory fd's `/proc/self/fd/N` (a peer's checkout)
    /// stays as it is when a root runner attaches a copy of it (`open_tree` follows the fd, not a path the
    /// peer could swap); the sandbox's own mount needs a real path, which must still be that directory.
    static func checkoutPath(_ lower: URL, attachesCopy: Bool) throws -> URL {
        guard lower.path.hasPrefix("/proc/self/fd/") else { return lower.standardizedFileURL.resolvingSymlinksInPath() }
        if attachesCopy { return lower }
        var passed = stat()
        var named = stat()
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: lower.path),
            stat(lower.path, &passed) == 0, lstat(target, &named) == 0,
            passed.st_dev == named.st_dev, passed.st_ino == named.st_ino
        else {
            throw SandboxError(
                step: "workspace", errno: ESTALE, message: "the passed checkout directory is no longer at its path")
        }
        return URL(fileURLWithPath: target)
    }

    /// Checkout-relative paths the jobs changed, added or deleted, read from the upper layer (whiteouts
    /// are deletions). Sorted.
    public var changedFiles: [String] {
        get throws {
            var result: [String] = []
            try collect(upper.path, prefix: "", into: &result)
            return result.sorted()
        }
    }

    private func collect(_ path: String, prefix: String, into result: inout [String]) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw SandboxError(step: "workspace", message: "cannot list \(path): \(describeFileError(error))")
        }
        for name in names {
            let full = path + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let before = result.count
                try collect(full, prefix: relative, into: &result)
                // A new empty directory is a change too; a copied-up parent of a change is not.
                let inLower = FileManager.default.fileExists(atPath: lower.appendingPathComponent(relative).path)
                if result.count == before && !inLower { result.append(relative) }
            } else {
                result.append(relative)  // a file, symlink, or a whiteout (char device 0:0) for a deletion
            }
        }
    }

    /// Size of the largest regular file in the upper layer (to tell a file-size limit from other failures).
    func largestChangedFile() -> UInt64 {
        // The job wrote this tree: lstat only, so its symlinks are never followed, and a list of folders
        // still to read rather than recursion, so its depth cannot exhaust this thread's stack.
        var largest: UInt64 = 0
        var folders = [upper.path]
        while let folder = folders.popLast() {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                var info = stat()
                let path = folder + "/" + name
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFREG: largest = max(largest, UInt64(info.st_size))
                case S_IFDIR: folders.append(path)
                default: break
                }
            }
        }
        return largest
    }

    /// Detaches the checkout copy a root runner attached, keeping the upper layer for inspection; the
    /// workspace cannot run jobs afterwards. `remove()` still deletes everything.
    public func keepChangesOnly() {
        if attachedLower { _ = csb_detach(overlayLower.path) }
    }

    /// Deletes the upper and work directories; nothing is left behind.
    /// - Throws: `SandboxError` (step `workspace`) when something could not be removed.
    public func remove() throws {
        if attachedLower {
            _ = csb_detach(overlayLower.path)
        }
        if diskBytes != nil { _ = csb_detach(layers.path) }
        var info = stat()
        guard lstat(directory.path, &info) == 0 else { return }
        try Self.removeTree(directory.path, device: info.st_dev)
    }

    static let namePrefix = "selfcheck-ws-"
    /// The tmpfs mount point below `directory`.
    static let diskName = "disk"
    /// A root runner's tmpfs size when none is given: the default profile's `disk_bytes`.
    public static let defaultDiskBytes: UInt64 = 1 << 30
    /// Room for an applied patch's copied-up files at the very least.
    static let minimumDiskBytes: UInt64 = 1 << 20

    /// rm -rf that also enters directories without permissions (overlayfs leaves `work/work` at mode 000)
    /// and never crosses into a mount (the attached checkout or the disk tmpfs, should a detach have
    /// failed): not into another file system, nor into any mount point, which a bind mount of the same
    /// file system would only be by mountinfo.
    static func removeTree(_ path: String, device: dev_t, mounts: Set<String>? = nil) throws {
        let mounts = mounts ?? Set(MountInfo.mounts().keys)
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard info.st_dev == device, !mounts.contains(path) else {
                throw SandboxError(step: "workspace", errno: EBUSY, message: "\(path) is still a mount; not removed")
            }
            chmod(path, 0o700)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                try removeTree(path + "/" + name, device: device, mounts: mounts)
            }
            guard rmdir(path) == 0 else {
                throw SandboxError(step: "workspace", errno: errno, message: "rmdir \(path)")
            }
        } else {
            guard unlink(path) == 0 else {
                throw SandboxError(step: "workspace", errno: errno, message: "unlink \(path)")
            }
        }
    }
}
