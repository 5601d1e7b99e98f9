import Foundation

/// What a finished git process printed and how it exited.
struct SubprocessOutput: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
}

/// Runs one child process to completion on a dedicated queue, so the blocking pipe reads and
/// `waitUntilExit` never occupy a thread of Swift's cooperative pool.
enum Subprocess {
    /// Concurrent: several tasks may run git at once; each blocking wait holds one of these threads.
    private static let queue = DispatchQueue(label: "git-workspace.subprocess", attributes: .concurrent)

    /// - Parameters:
    ///   - executable: the program to run.
    ///   - arguments: its arguments (never a shell).
    ///   - environment: the complete environment of the child.
    ///   - directory: its working directory.
    ///   - timeout: the child is terminated when it runs longer.
    /// - Throws: when the process cannot be started.
    static func run(
        executable: URL,
        arguments: [String],
        environment: [String: String],
        directory: URL?,
        timeout: Duration?
    ) async throws -> SubprocessOutput {
        let box = ProcessBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(
                        with: Result {
                            try runBlocking(executable, arguments, environment, directory, timeout, box)
                        })
                }
            }
        } onCancel: {
            box.terminate()
        }
    }

    private static func runBlocking(
        _ executable: URL, _ arguments: [String], _ environment: [String: String], _ directory: URL?,
        _ timeout: Duration?, _ box: ProcessBox
    ) throws -> SubprocessOutput {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        // Foundation's waitUntilExit spins a run loop on Linux; a semaphore sleeps.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try box.start(process)

        var timer: DispatchWorkItem?
        if let timeout {
            // A cancelled work item stays queued until its deadline: holding the box weakly keeps it
            // from holding the process and its pipes for the whole timeout after git has exited.
            let item = DispatchWorkItem { [weak box] in box?.terminate(timedOut: true) }
            let (seconds, attoseconds) = timeout.components
            queue.asyncAfter(deadline: .now() + Double(seconds) + Double(attoseconds) / 1e18, execute: item)
            timer = item
        }
        // Drain stderr on another thread so a chatty child cannot block on a full pipe.
        let errorData = DataBox()
        let group = DispatchGroup()
        queue.async(group: group) { errorData.data = stderr.fileHandleForReading.readDataToEndOfFile() }
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        exited.wait()
        timer?.cancel()
        // Close the read ends now rather than whenever the last reference to the pipes goes.
        try? stdout.fileHandleForReading.close()
        try? stderr.fileHandleForReading.close()
        return SubprocessOutput(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errorData.data, as: UTF8.self),
            timedOut: box.timedOut
        )
    }
}

/// The running process, shared with the cancellation handler and the timeout timer.
/// `@unchecked Sendable`: every access to `process` and `timedOut` holds `lock`.
private final class ProcessBox: @unchecked Sendable {
    private let lock = NSLock()
    private var process: Process?
    private var cancelled = false
    private var didTimeOut = false

    var timedOut: Bool { lock.withLock { didTimeOut } }

    func start(_ process: Process) throws {
        try lock.withLock {
            if cancelled { throw CancellationError() }
            try process.run()
            self.process = process
        }
    }

    /// SIGTERM lets git remove its lock files; SIGKILL follows for a child that ignores SIGTERM
    /// (signal dispositions set to "ignore" are inherited across exec).
    func terminate(timedOut: Bool = false) {
        lock.withLock {
            cancelled = true
            if timedOut { didTimeOut = true }
            guard let process, process.isRunning else { return }
            let pid = process.processIdentifier
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
    }
}

/// Written by one thread before `DispatchGroup.wait` returns, read after: the group orders the accesses.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
