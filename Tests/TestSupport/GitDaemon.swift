import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public struct DaemonError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A real git server on loopback: `git daemon` serving every repository under `basePath`, with push
/// (receive-pack) enabled.
public final class GitDaemon: @unchecked Sendable {
    public let basePath: URL
    public let port: UInt16
    // Only touched by the test that owns the daemon, never concurrently.
    private var process: Process?

    public init(basePath: URL) throws {
        self.basePath = basePath
        self.port = try Self.freePort()
        try start()
    }

    /// `git://127.0.0.1:<port>/<name>`.
    public func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }

    public func start() throws {
        let process = Process()
        // git-daemon itself, not the `git daemon` wrapper: one process to kill.
        process.executableURL = URL(fileURLWithPath: Self.execPath).appendingPathComponent("git-daemon")
        process.arguments = [
            "--reuseaddr", "--base-path=\(basePath.path)", "--export-all",
            "--enable=receive-pack", "--informative-errors", "--port=\(port)", "--listen=127.0.0.1",
            basePath.path,
        ]
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": basePath.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port: port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw DaemonError(message: "git daemon did not start listening on port \(port)")
            }
            usleep(20_000)
        }
    }

    /// Kills the daemon and waits until it is gone (SIGKILL: the test process may ignore SIGTERM,
    /// and children inherit that).
    public func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }  // Not waitUntilExit: it spins.
        self.process = nil
    }

    private static let execPath: String = {
        (try? run(["git", "--exec-path"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "/usr/lib/git-core"
    }()

    deinit { stop() }

    /// A port nobody listens on right now: bind port 0 and read what the kernel chose.
    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    public static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
