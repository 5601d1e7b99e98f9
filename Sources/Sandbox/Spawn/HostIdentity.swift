import Foundation

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
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self)
}
