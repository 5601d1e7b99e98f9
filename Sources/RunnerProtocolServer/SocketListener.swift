import Foundation
import Glibc
import RunnerProtocol

/// A listening Unix socket whose `accept` loop runs on a dedicated thread.
///
/// The socket file gets mode 0660 inside a directory created with 0750 when missing. An existing path is
/// replaced only when it is a stale socket (nobody listening); any other file is left alone.
final class SocketListener: Sendable {
    let path: String
    private let fd: Int32
    /// A pipe whose read end the accept loop polls, so `stop()` can wake it.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Identity of the file we bound, so shutdown removes only our own socket.
    private let boundFile: (device: UInt64, inode: UInt64)

    /// Creates the directory if needed, binds and listens.
    /// - Throws: `RunnerSocketError` when the path is taken by a live runner or a non-socket file, or a call fails.
    init(path: String, groupID: UInt32?, backlog: Int32 = 64) throws(RunnerSocketError) {
        self.path = path
        try Self.prepareDirectory(of: path, groupID: groupID)
        try Self.removeStaleSocket(at: path)
        let fd = try UnixSocket.make()
        var isBound = false
        do throws(RunnerSocketError) {
            let bound = try UnixSocket.withAddress(path) { bind(fd, $0, $1) }
            guard bound == 0 else { throw RunnerSocketError(call: "bind", errno: errno, path: path) }
            isBound = true
            guard chmod(path, 0o660) == 0 else { throw RunnerSocketError(call: "chmod", errno: errno, path: path) }
            if let groupID, chown(path, UInt32.max, groupID) != 0 {
                throw RunnerSocketError(call: "chown", errno: errno, path: path)
            }
            guard listen(fd, backlog) == 0 else { throw RunnerSocketError(call: "listen", errno: errno, path: path) }
            var info = stat()
            guard lstat(path, &info) == 0 else { throw RunnerSocketError(call: "lstat", errno: errno, path: path) }
            boundFile = (UInt64(info.st_dev), UInt64(info.st_ino))
            var pipeFDs: [Int32] = [0, 0]
            guard pipe(&pipeFDs) == 0 else { throw RunnerSocketError(call: "pipe", errno: errno) }
            (wakeRead, wakeWrite) = (pipeFDs[0], pipeFDs[1])
            UnixSocket.setCloseOnExec(wakeRead)
            UnixSocket.setCloseOnExec(wakeWrite)
        } catch {
            close(fd)
            if isBound { unlink(path) }
            throw error
        }
        self.fd = fd
    }

    deinit {
        close(fd)
        close(wakeRead)
        close(wakeWrite)
    }

    /// Accepted connection fds, until `stop()`; accepting runs on its own thread.
    func connections() -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let thread = Thread { [self] in
            acceptLoop(continuation)
        }
        thread.name = "runner-accept"
        thread.start()
        return stream
    }

    /// Stops accepting (the stream finishes) and removes the socket file if it is still ours.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        var info = stat()
        if lstat(path, &info) == 0, (UInt64(info.st_dev), UInt64(info.st_ino)) == boundFile {
            unlink(path)
        }
    }

    private func acceptLoop(_ continuation: AsyncStream<Int32>.Continuation) {
        defer { continuation.finish() }
        var pollFDs = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = UnixSocket.retryingEINTR { poll(&pollFDs, 2, -1) }
            if ready < 0 || pollFDs[1].revents != 0 { return }
            guard pollFDs[0].revents != 0 else { continue }
            // accept4 is hidden without _GNU_SOURCE; the sandbox closes inherited fds in its children anyway.
            let client = UnixSocket.retryingEINTR { Glibc.accept(fd, nil, nil) }
            if client >= 0 {
                UnixSocket.setCloseOnExec(client)
                continuation.yield(client)
            } else if errno == EMFILE || errno == ENFILE {
                usleep(50_000)  // out of fds: back off instead of spinning on a pending connection
            }
        }
    }

    /// Creates the socket's directory with mode 0750 (and the group) when it does not exist.
    private static func prepareDirectory(of path: String, groupID: UInt32?) throws(RunnerSocketError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var info = stat()
        if stat(directory, &info) == 0 { return }
        guard mkdir(directory, 0o750) == 0 || errno == EEXIST else {
            throw RunnerSocketError(call: "mkdir", errno: errno, path: directory)
        }
        // mkdir's mode is filtered by the umask; set it exactly.
        guard chmod(directory, 0o750) == 0 else {
            throw RunnerSocketError(call: "chmod", errno: errno, path: directory)
        }
        if let groupID, chown(directory, UInt32.max, groupID) != 0 {
            throw RunnerSocketError(call: "chown", errno: errno, path: directory)
        }
    }

    /// Unlinks a socket nobody listens on; refuses a live socket or a file of another type.
    private static func removeStaleSocket(at path: String) throws(RunnerSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw RunnerSocketError(.notASocket, call: "lstat", path: path) }
        if let probe = try? UnixSocket.connect(to: path) {
            close(probe)
            throw RunnerSocketError(.inUse, call: "connect", path: path)
        }
        guard unlink(path) == 0 else { throw RunnerSocketError(call: "unlink", errno: errno, path: path) }
    }
}
