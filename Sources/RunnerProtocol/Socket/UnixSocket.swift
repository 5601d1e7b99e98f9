import Glibc

/// Thin wrappers over the POSIX calls on a Unix stream socket: EINTR retried, failures as
/// `RunnerSocketError`. All of them may block; callers run them on dedicated threads.
enum UnixSocket {
    /// A new `AF_UNIX` stream socket, close-on-exec so sandboxed children never inherit it.
    static func make() throws(RunnerSocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RunnerSocketError(call: "socket", errno: errno) }
        return fd
    }

    /// Calls `body` with `path` as a `sockaddr_un`.
    static func withAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) throws(RunnerSocketError) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw RunnerSocketError(.pathTooLong, call: "bind", path: path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// A socket connected to `path`.
    static func connect(to path: String) throws(RunnerSocketError) -> Int32 {
        let fd = try make()
        let result = try withAddress(path) { address, length in
            retryingEINTR { Glibc.connect(fd, address, length) }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw RunnerSocketError(call: "connect", errno: error, path: path)
        }
        return fd
    }

    /// Writes all of `bytes`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(RunnerSocketError) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a vanished peer is an EPIPE error, not a process-killing SIGPIPE.
            let written = bytes.withUnsafeBytes { raw in
                retryingEINTR { send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) }
            }
            guard written > 0 else { throw RunnerSocketError(call: "send", errno: written == 0 ? EPIPE : errno) }
            offset += written
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of stream.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(RunnerSocketError) -> Int {
        let count = buffer.withUnsafeMutableBytes { raw in
            retryingEINTR { recv(fd, raw.baseAddress, raw.count, 0) }
        }
        guard count >= 0 else { throw RunnerSocketError(call: "recv", errno: errno) }
        return count
    }

    /// Waits until `fd` is readable or `timeoutMilliseconds` passes (-1: forever).
    /// - Returns: false on timeout.
    static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int32) throws(RunnerSocketError) -> Bool {
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = retryingEINTR { poll(&pollFD, 1, timeoutMilliseconds) }
        guard ready >= 0 else { throw RunnerSocketError(call: "poll", errno: errno) }
        return ready > 0
    }

    /// Bounds each blocking send (`SO_SNDTIMEO`) or receive (`SO_RCVTIMEO`); a timed-out call fails with EAGAIN.
    static func setTimeout(_ fd: Int32, _ option: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // zero would mean "no timeout"
        _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

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

    static func setCloseOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    /// Repeats `call` while it fails with EINTR.
    static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}

extension Duration {
    /// This duration as a poll(2) timeout: whole milliseconds rounded up (so a wait never spins at 0),
    /// 0 when already past.
    var pollMilliseconds: Int32 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// `struct ucred` from <sys/socket.h> (pid_t, uid_t, gid_t), which Glibc only exports with _GNU_SOURCE.
private struct PeerCredentialsC {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
