import Foundation
import Glibc
import TestSupport

/// One `coding-agent run` process (the test bundle's sibling executable) with its own cache folder and
/// log file; restartable, so the suite can SIGKILL it and start it again as a supervisor would.
final class AgentProcess: @unchecked Sendable {
    let name: String
    let cacheDirectory: URL
    let logFile: URL
    private let arguments: [String]
    private let environment: [String: String]
    // Only touched by the suite's supervising task, one call at a time.
    private var process: Process?
    private(set) var starts = 0

    /// Its Prometheus endpoint (kept across restarts; two agents cannot share the default 9600).
    let metricsPort: UInt16

    init(name: String, root: URL, arguments: [String], environment: [String: String]) throws {
        self.name = name
        cacheDirectory = root.appendingPathComponent("\(name)-cache")
        logFile = root.appendingPathComponent("\(name).log")
        metricsPort = try GitDaemon.freePort()
        self.arguments = arguments
        self.environment = environment.merging(["AGENT_CACHE_DIR": cacheDirectory.path, "METRICS_PORT": "\(metricsPort)"]) { _, new in new }
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
    }

    var pid: Int32? { process.map(\.processIdentifier) }
    var isRunning: Bool { process?.isRunning ?? false }
    var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }

    /// The per-task checkouts that exist right now (non-empty while a task is being worked on).
    var checkouts: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory.appendingPathComponent("checkouts").path)) ?? []
    }

    /// The endpoint's `ca_` sample lines starting with one of `prefixes` (counted since the last start).
    func metrics(_ prefixes: [String]) -> [String] {
        let text = (try? run(["curl", "-sf", "--max-time", "5", "http://127.0.0.1:\(metricsPort)/metrics"], check: false).stdout) ?? ""
        return text.split(separator: "\n").map(String.init).filter { line in prefixes.contains { line.hasPrefix($0) } }
    }

    func start() throws {
        let process = Process()
        process.executableURL = Paths.product("coding-agent")
        process.arguments = ["run"] + arguments
        process.environment = environment
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
        self.process = process
        starts += 1
    }

    /// SIGKILL, as a crash would, and wait until it is gone.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait up to `deadline`, then SIGKILL.
    func stop(deadline: Duration = .seconds(20)) {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGTERM)
        let end = ContinuousClock.now + deadline
        while process.isRunning, ContinuousClock.now < end { usleep(50_000) }
        kill()
    }
}
