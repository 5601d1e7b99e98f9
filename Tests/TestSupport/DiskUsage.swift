import Foundation

/// Bytes of regular files below `root` on the file system of `root` itself, entering no mount point
/// (like `du -x`, and stricter about bind mounts of the same device): what the host's disk holds, not
/// what a tmpfs or a copy attached below it holds.
public func bytesOnTheSameFileSystem(_ root: String) -> UInt64 {
    var top = stat()
    guard lstat(root, &top) == 0 else { return 0 }
    let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    let mountPoints = Set(
        table.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(4).first }.map(String.init))
    var total: UInt64 = 0
    func walk(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == top.st_dev, !mountPoints.contains(path) else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { walk(path + "/" + name) }
        } else if (info.st_mode & S_IFMT) == S_IFREG {
            total += UInt64(info.st_blocks) * 512
        }
    }
    walk(root)
    return total
}
