import FoundationEssentials
import Glibc

/// Who the job is on the host. Started as root, the job runs as an unprivileged id (65534 by default);
/// started as an ordinary user, as that user. Inside, the job always sees uid/gid 65534 (nobody).
struct HostIdentity: Sendable {
    static let insideUid: UInt32 = 65534
    static let insideGid: UInt32 = 65534

    var isRoot: Bool
    var outerUid: UInt32
    var outerGid: UInt32

    static func current(unprivilegedUid: UInt32, unprivilegedGid: UInt32) -> HostIdentity {
        if geteuid() == 0 {
            return HostIdentity(isRoot: true, outerUid: unprivilegedUid, outerGid: unprivilegedGid)
        }
        return HostIdentity(isRoot: false, outerUid: geteuid(), outerGid: getegid())
    }

    /// Writes the child's uid_map, setgroups and gid_map (the parent may map any id only when root).
    func writeMaps(pid: Int32) throws {
        let base = "/proc/\(pid)/"
        if !isRoot { try write("deny", to: base + "setgroups", step: "setgroups") }
        try write("\(Self.insideUid) \(outerUid) 1\n", to: base + "uid_map", step: "uid_map")
        try write("\(Self.insideGid) \(outerGid) 1\n", to: base + "gid_map", step: "gid_map")
    }
}

/// Writes a small control file (proc, cgroupfs) in one write(2).
func write(_ text: String, to path: String, step: String) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SandboxError(step: step, errno: errno, message: "open \(path)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw SandboxError(step: step, errno: errno, message: "write \(path)") }
}

/// Reads a small control file, nil when it cannot be read.
func readSmallFile(_ path: String) -> String? {
    readWholeFile(path).map { String(decoding: $0, as: UTF8.self) }
}

/// The whole file, read to its end with read(2) (procfs and cgroupfs report a size of 0); nil with errno
/// set when it cannot be opened or read. Plain system calls: this runs at every `exec`'s start.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    // A regular file is read into one buffer of its size (plus a byte to see the end); procfs says 0.
    let size = fstat(fd, &info) == 0 && info.st_size > 0 ? Int(info.st_size) + 1 : 4096
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: size)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return n == 0 ? bytes : nil }
        if bytes.isEmpty && n < chunk.count {
            chunk.removeLast(chunk.count - n)
            bytes = chunk
            chunk = [UInt8](repeating: 0, count: 4096)
        } else {
            bytes += chunk[..<n]
        }
    }
}
