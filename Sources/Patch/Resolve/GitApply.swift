import Foundation

/// Runs `git apply --check` on a diff in the base tree: git reads the tree and writes nothing to it.
/// The environment is scrubbed and hooks disabled, so neither the caller's nor the user's git
/// configuration changes the verdict.
enum GitApply {
    struct Outcome {
        var succeeded: Bool
        var errors: String
    }

    static func check(_ diff: String, in tree: URL) -> Outcome {
        // The diff goes through a temporary file rather than a pipe: a git that exits early cannot then
        // kill us with SIGPIPE.
        let patchFile = FileManager.default.temporaryDirectory.appendingPathComponent("patch-check-\(UUID().uuidString).diff")
        defer { try? FileManager.default.removeItem(at: patchFile) }
        do {
            try Data(diff.utf8).write(to: patchFile)
        } catch {
            return Outcome(succeeded: false, errors: "cannot write a temporary file: \(error)")
        }
        return run(["apply", "--check", patchFile.path], in: tree)
    }

    static func run(_ arguments: [String], in directory: URL) -> Outcome {
        let process = Process()
        process.executableURL = gitExecutable
        process.arguments = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"] + arguments
        process.currentDirectoryURL = directory
        process.environment = cleanEnvironment
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return Outcome(succeeded: false, errors: "cannot run git: \(error)")
        }
        let output = readToEnd(errors.fileHandleForReading)
        process.waitUntilExit()
        return Outcome(succeeded: process.terminationStatus == 0, errors: String(decoding: output, as: UTF8.self))
    }

    /// Reads to end of file, retrying a read a signal interrupted: Foundation's `readDataToEndOfFile`
    /// traps on EINTR, which any process with a signal handler and a timer (libFuzzer's) can get.
    static func readToEnd(_ handle: FileHandle) -> Data {
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
    static let cleanEnvironment: [String: String] = [
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/nonexistent",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
    ]

    static let gitExecutable: URL = {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in searchPath.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return URL(fileURLWithPath: "/usr/bin/git")
    }()
}
