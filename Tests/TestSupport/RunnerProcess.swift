import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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
    ///   - directory: reuse this folder (socket, cache, TMPDIR) — a runner restarted after a crash serves
    ///     the same socket; a fresh one by default.
    public init(jobs: Int = 2, arguments: [String] = [], standardError: FileHandle = .nullDevice, directory: URL? = nil)
        throws
    {
        self.directory = try directory ?? makeTemporaryDirectory("serve")
        // A killed runner leaves its socket file; wait for the new one, not the stale one.
        unlink(self.directory.appendingPathComponent("run/runner.sock").path)
        let temporary = self.directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        process.executableURL = Paths.product("selfcheck-runner")
        process.arguments =
            [
                "serve", "--socket", self.directory.appendingPathComponent("run/runner.sock").path,
                "--cache-dir", self.directory.appendingPathComponent("cache").path, "--jobs", "\(jobs)",
            ] + arguments
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

    /// SIGKILL, as a crash would: nothing is cleaned up and the folder stays.
    public func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func stop() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
