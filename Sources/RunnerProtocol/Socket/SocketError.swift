import Glibc

/// A failed socket system call, with the call's name, errno and the socket path.
public struct RunnerSocketError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// A system call failed; `errno` says why.
        case systemCall
        /// The socket path exists and is not a socket; the runner never replaces other files.
        case notASocket
        /// Another process is already listening on the socket path.
        case inUse
        /// The path does not fit in `sockaddr_un.sun_path`.
        case pathTooLong
    }

    public var code: Code
    public var call: String
    public var errno: Int32
    public var path: String

    public init(_ code: Code = .systemCall, call: String, errno: Int32 = 0, path: String = "") {
        self.code = code
        self.call = call
        self.errno = errno
        self.path = path
    }

    public var description: String {
        let target = path.isEmpty ? "" : " \(path)"
        switch code {
        case .systemCall: return "\(call)\(target): \(String(cString: strerror(errno)))"
        case .notASocket: return "\(path) exists and is not a socket; refusing to replace it"
        case .inUse: return "another process is listening on \(path)"
        case .pathTooLong: return "socket path too long (\(path.utf8.count) bytes): \(path)"
        }
    }
}
