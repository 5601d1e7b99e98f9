import Glibc
import RunnerProtocol

extension UnixSocket {
    /// The connected peer's process credentials (`getsockopt(SO_PEERCRED)`), taken by the kernel at connect.
    static func peerCredentials(_ fd: Int32) throws(RunnerSocketError) -> PeerCredentials {
        var credentials = PeerCredentialsC()
        var length = socklen_t(MemoryLayout<PeerCredentialsC>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else {
            throw RunnerSocketError(call: "getsockopt(SO_PEERCRED)", errno: errno)
        }
        return PeerCredentials(
            pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: try peerGroups(fd))
    }

    /// The connected peer's supplementary groups (`getsockopt(SO_PEERGROUPS)`, Linux 4.13), recorded at connect.
    static func peerGroups(_ fd: Int32) throws(RunnerSocketError) -> [UInt32] {
        let soPeerGroups: Int32 = 59  // <asm-generic/socket.h>; Glibc does not export it
        var groups = [UInt32](repeating: 0, count: 64)
        while true {
            var length = socklen_t(groups.count * MemoryLayout<UInt32>.size)
            if getsockopt(fd, SOL_SOCKET, soPeerGroups, &groups, &length) == 0 {
                return Array(groups.prefix(Int(length) / MemoryLayout<UInt32>.size))
            }
            // A kernel without it: no supplementary groups, so a peer is only ever allowed less.
            if errno == ENOPROTOOPT { return [] }
            // ERANGE: `length` now says how much room the list needs.
            guard errno == ERANGE, Int(length) > groups.count * MemoryLayout<UInt32>.size else {
                throw RunnerSocketError(call: "getsockopt(SO_PEERGROUPS)", errno: errno)
            }
            groups = [UInt32](repeating: 0, count: Int(length) / MemoryLayout<UInt32>.size)
        }
    }
}

/// `struct ucred` from <sys/socket.h> (pid_t, uid_t, gid_t), which Glibc only exports with _GNU_SOURCE.
private struct PeerCredentialsC {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
