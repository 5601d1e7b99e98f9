import CSandbox
import FoundationEssentials
import Glibc

extension Workspace {
    /// Removes the workspaces of runners that died without cleaning up (SIGKILL, OOM kill): their
    /// attached checkout copies and disk tmpfs are detached and their folders deleted. Workspaces of live processes
    /// are left alone, so runners sharing a TMPDIR do not disturb each other.
    ///
    /// The folder may be writable by others (a shared TMPDIR), so nothing found there is trusted: only
    /// real directories this runner's uid owns are touched, `lower` and `disk` are detached only when
    /// each is a real directory that `/proc/self/mountinfo` lists as a mount point at exactly that path
    /// (`disk` only as a tmpfs), and the detach itself never follows a symbolic link.
    /// - Returns: the folders removed.
    @discardableResult
    public static func sweepStale(in directory: URL) -> [URL] {
        var removed: [URL] = []
        let mounts = MountInfo.mounts()
        // TMPDIR is the runner's own setting; mountinfo lists paths with its symbolic links resolved.
        let directory = directory.resolvingSymlinksInPath()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(namePrefix) {
            let parts = name.dropFirst(namePrefix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let folder = directory.appendingPathComponent(name)
            var info = stat()
            guard lstat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid() else {
                continue
            }
            for (name, type) in [("lower", nil), (diskName, "tmpfs")] {
                let path = folder.appendingPathComponent(name).path
                var pathInfo = stat()
                guard lstat(path, &pathInfo) == 0, (pathInfo.st_mode & S_IFMT) == S_IFDIR, let mounted = mounts[path],
                    type == nil || mounted == type
                else { continue }
                _ = csb_detach(path)
            }
            guard (try? removeTree(folder.path, device: info.st_dev)) != nil else { continue }
            removed.append(folder)
        }
        return removed
    }
}

/// The mount points of this process's mount namespace, from `/proc/self/mountinfo`.
enum MountInfo {
    /// Mount point -> file system type (of the topmost mount there).
    static func mounts() -> [String: String] {
        guard let text = text() else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            // ... mount point (5th) ... optional fields, "-", file system type, source, options
            guard fields.count > 4, let dash = fields.dropFirst(5).firstIndex(of: "-"), dash + 1 < fields.count
            else { continue }
            result[unescape(fields[4])] = String(fields[dash + 1])
        }
        return result
    }

    /// The whole file, read to its end: procfs reports a size of 0, and Foundation's readers stopped
    /// after the first 4 KiB here (a host with a few dozen mounts has more).
    static func text(_ path: String = "/proc/self/mountinfo") -> String? { readSmallFile(path) }

    /// mountinfo writes space, tab, newline and backslash as `\ooo` octal escapes.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 4 <= raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
