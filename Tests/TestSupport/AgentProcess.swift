import Foundation
import Glibc

/// A `coding-agent run` process (the test bundle's sibling executable) with its output in a log file.
/// It can be started again after it exits or is killed, as a supervisor would.
public final class AgentProcess: @unchecked Sendable {
    public let name: String
    /// Standard output and standard error, appended across restarts.
    public let log: URL
    /// Mirrors and per-task checkouts (`--cache-dir`).
    public let cacheDirectory: URL
    /// The Prometheus endpoint (`--metrics-port`; 0 is off), kept across restarts.
    public let metricsPort: UInt16
    private let arguments: [String]
    private let environment: [String: String]
    // Started, signalled and read by one test task at a time.
    private var process: Process?
    public private(set) var starts = 0

    /// The agent's own settings: the host's are removed so they cannot leak into a test.
    static let agentSettings = [
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "CODING_MODEL", "MOCK_LLM", "LLM_SCRIPT", "RAG_ADDR", "SRM_ADDR",
        "REMOTE_REPO", "METRICS_PORT", "LOG_FORMAT", "LOG_LEVEL", "AGENT_CACHE_DIR",
    ]

    /// - Parameters:
    ///   - name: names the log file, `<logDirectory>/<name>.log`.
    ///   - arguments: `run`'s arguments besides the cache folder and the metrics port.
    ///   - environment: added to this process's environment, from which the agent's settings are removed first.
    public init(
        name: String, logDirectory: URL, cacheDirectory: URL, metricsPort: UInt16 = 0,
        arguments: [String], environment: [String: String]
    ) {
        self.name = name
        log = logDirectory.appendingPathComponent("\(name).log")
        self.cacheDirectory = cacheDirectory
        self.metricsPort = metricsPort
        self.arguments = ["run", "--cache-dir", cacheDirectory.path, "--metrics-port", "\(metricsPort)"] + arguments
        var inherited = ProcessInfo.processInfo.environment
        for setting in Self.agentSettings { inherited[setting] = nil }
        self.environment = inherited.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    public var pid: Int32? { process.map(\.processIdentifier) }
    public var isRunning: Bool { process?.isRunning ?? false }
    /// The exit status once the process has exited.
    public var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }

    /// The per-task checkouts that exist right now (none unless a task is being worked on).
    public var checkouts: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory.appendingPathComponent("checkouts").path))
            ?? []
    }

    /// The log so far, one element per line.
    public var logLines: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Starts the agent, or starts it again after it exited.
    public func start() throws {
        let process = Process()
        process.executableURL = Paths.product("coding-agent")
        process.arguments = arguments
        process.environment = environment
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()
        self.process = process
        starts += 1
    }

    /// SIGTERM: the graceful stop.
    public func terminate() {
        if let process, process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
    }

    /// Waits until the process exits or `timeout` passes. - Returns: whether it exited.
    public func waitForExit(timeout: Duration) async -> Bool {
        await eventually(within: timeout) { !isRunning }
    }

    /// SIGKILL, as a crash would (or to clean up after a failed test), and waits until it is gone.
    public func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if it has not exited within `deadline`.
    public func stop(deadline: Duration = .seconds(20)) async {
        terminate()
        _ = await waitForExit(timeout: deadline)
        kill()
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; a cancelled caller gets the
/// condition's value at once. - Returns: whether it held.
public func eventually(
    within timeout: Duration, every interval: Duration = .milliseconds(50), _ condition: () throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        do { try await Task.sleep(for: interval) } catch { break }
    }
    return try condition()
}
