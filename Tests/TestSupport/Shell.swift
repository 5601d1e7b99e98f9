import Foundation

/// The outcome of a finished child process.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }
}

public struct ShellError: Error, CustomStringConvertible {
    public var command: [String]
    public var output: ProcessOutput
    public var description: String {
        "\(command.joined(separator: " ")) exited \(output.status): \(output.stderr)\(output.stdout)"
    }
}

/// Runs a program to completion and captures its output (tests only: blocks the calling thread).
/// - Parameters:
///   - arguments: the program (looked up in PATH when it has no slash) and its arguments.
///   - directory: working directory.
///   - input: bytes for standard input.
///   - environment: replaces the environment when given.
@discardableResult
public func run(
    _ arguments: [String],
    in directory: URL? = nil,
    input: Data? = nil,
    environment: [String: String]? = nil,
    check: Bool = true
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let errThread = Thread { errData = stderr.fileHandleForReading.readDataToEndOfFile() }
    errThread.start()
    if let input { stdin.fileHandleForWriting.write(input) }
    try? stdin.fileHandleForWriting.close()
    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errThread.isFinished { usleep(1000) }
    let output = ProcessOutput(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
    if check && !output.succeeded { throw ShellError(command: arguments, output: output) }
    return output
}

/// A fresh directory under the system temporary folder; the caller removes it.
public func makeTemporaryDirectory(_ prefix: String = "test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// How many file descriptors process `pid` has open (entries of /proc/PID/fd), nil when it is gone.
public func openFileCount(of pid: Int32) -> Int? {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
}
