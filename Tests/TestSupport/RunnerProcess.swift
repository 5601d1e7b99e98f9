import Foundation

/// A running `selfcheck-runner serve` on a socket in a fresh directory, with its own TMPDIR so what it
/// leaves behind can be counted.
public final class RunnerProcess: @unchecked Sendable {
    public let process = Process()
    public let directory: URL
    public var socket: String { directory.appendingPathComponent("run/runner.sock").path }

    /// - Parameters:
    ///   - jobs: `--jobs`.
    ///   - arguments: more `serve` arguments (e.g. `--metrics-port`, `--shutdown-grace`).
    ///   - standardError: where the runner's log goes (discarded by default).
    public init(jobs: Int = 2, arguments: [String] = [], standardError: FileHandle = .nullDevice) throws {
        directory = try makeTemporaryDirectory("serve")
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        process.executableURL = Paths.product("selfcheck-runner")
        process.arguments = ["serve", "--socket", directory.appendingPathComponent("run/runner.sock").path,
                             "--cache-dir", directory.appendingPathComponent("cache").path, "--jobs", "\(jobs)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = standardError
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline { usleep(20_000) }
    }

    /// What the runner left in its TMPDIR (overlay workspaces while checks run).
    public var temporaryEntries: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tmp").path)) ?? []
    }

    /// The processes the runner started (sandboxes) that are still alive.
    public var children: [String] {
        ((try? run(["pgrep", "-P", "\(process.processIdentifier)"], check: false).stdout) ?? "")
            .split(separator: "\n").map(String.init)
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
