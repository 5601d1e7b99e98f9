import Foundation

/// git on the host, for the patch engine's `apply --check` on a copy of the touched files: a scrubbed
/// environment, no system or user configuration, and never inside a repository (the folder's parent is
/// a ceiling, so git finds no `.git` and reads no repository's configuration). Never run it in a
/// checkout: a checkout's `.git/config` can name commands (filters, fsmonitor) that git would run.
public enum HostGit {
    /// Which of git's streams to keep; the other goes to /dev/null, so one blocking read cannot
    /// deadlock against a child filling the other pipe.
    public enum Stream: Sendable {
        case standardOutput, standardError
    }

    public struct Output: Sendable {
        public var status: Int32
        public var text: String
        public var succeeded: Bool { status == 0 }
    }

    /// Runs git in `directory`, which must be in no repository, and waits for it.
    /// - Throws: when git cannot be started.
    public static func run(_ arguments: [String], in directory: URL, capture: Stream) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments =
            ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "safe.bareRepository=explicit"]
            + arguments
        process.currentDirectoryURL = directory
        // git looks for a repository no higher than the folder it runs in.
        process.environment = environment.merging([
            "GIT_CEILING_DIRECTORIES": directory.deletingLastPathComponent().path
        ]) { $1 }
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = capture == .standardOutput ? pipe : FileHandle.nullDevice
        process.standardError = capture == .standardError ? pipe : FileHandle.nullDevice
        try process.run()
        let data = readToEnd(pipe.fileHandleForReading)
        try? pipe.fileHandleForReading.close()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self))
    }

    /// Reads to end of file, retrying a read a signal interrupted: Foundation's `readDataToEndOfFile`
    /// traps on EINTR, which any process with a signal handler and a timer (libFuzzer's) can get.
    public static func readToEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }

    /// Only what git needs; no user or system configuration.
    static let environment: [String: String] = [
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/nonexistent",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
    ]

    static let executable: URL = {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in searchPath.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return URL(fileURLWithPath: "/usr/bin/git")
    }()
}
