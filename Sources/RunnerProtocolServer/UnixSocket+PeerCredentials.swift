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
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

/// `struct ucred` from <sys/socket.h> (pid_t, uid_t, gid_t), which Glibc only exports with _GNU_SOURCE.
private struct PeerCredentialsC {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
