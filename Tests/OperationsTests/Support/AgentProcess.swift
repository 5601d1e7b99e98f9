import Foundation
import TestSupport

/// A running `coding-agent run` (the product beside the test bundle), its standard error in a file.
final class AgentProcess: @unchecked Sendable {
    let process = Process()
    let log: URL

    /// - Parameters:
    ///   - arguments: `run`'s arguments.
    ///   - environment: added to this process's environment, from which the model and log settings are removed first.
    ///   - log: the file standard error goes to.
    init(arguments: [String], environment: [String: String], log: URL) throws {
        self.log = log
        process.executableURL = Paths.product("coding-agent")
        process.arguments = ["run"] + arguments
        var inherited = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "MOCK_LLM", "LLM_SCRIPT", "RAG_ADDR", "SRM_ADDR", "METRICS_PORT", "LOG_FORMAT", "LOG_LEVEL"] {
            inherited[name] = nil
        }
        process.environment = inherited.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func terminate() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGTERM) }
    }

    /// Waits until the process exits or `timeout` passes. - Returns: whether it exited.
    func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    /// The log so far, one element per line.
    var logLines: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Kills what a failed test left running.
    func forceStop() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes. - Returns: whether it held.
func eventually(within timeout: Duration, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}
