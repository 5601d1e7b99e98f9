import ArgumentParser
import Foundation
import Logging
import RunnerProtocol
import Sandbox
import SelfCheck
import ShutdownSignals

/// `selfcheck-runner serve --socket PATH`: the agent's runner over a Unix socket.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve checks on a Unix socket (length-prefixed protobuf, runner.proto) until SIGTERM or SIGINT.")

    @Option(help: "The socket path (RUNNER_SOCKET).")
    var socket = ProcessInfo.processInfo.environment["RUNNER_SOCKET"] ?? "/run/selfcheck/runner.sock"
    @Option(help: "A uid allowed to connect (repeatable); root and the runner's own uid always are.")
    var allowUid: [UInt32] = []
    @Option(help: "A gid allowed to connect (repeatable).") var allowGid: [UInt32] = []
    @Option(help: "Group that owns the socket and its directory, so its members can reach it.") var socketGroup: UInt32?
    @Option(help: "Checks run at once (default: the number of cores).") var jobs: Int?
    @Option(help: "Checks that may wait; more are refused as busy.") var queue = 16
    @Option(help: "Seconds running checks get to finish on shutdown before they are cancelled.") var shutdownGrace = 10
    @OptionGroup var runner: RunnerOptions

    func run() async throws {
        let logger = Logger(label: "selfcheck-runner")
        var configuration = RunnerServerConfiguration(socketPath: socket)
        configuration.allowedUIDs = Set(allowUid)
        configuration.allowedGIDs = Set(allowGid)
        configuration.socketGroupID = socketGroup
        if let jobs { configuration.maxConcurrentJobs = max(1, jobs) }
        configuration.maxQueuedJobs = max(0, queue)
        configuration.shutdownGrace = .seconds(shutdownGrace)
        for stale in Workspace.sweepStale() { logger.notice("removed a dead runner's workspace", metadata: ["path": "\(stale.path)"]) }
        let server = RunnerServer(configuration: configuration, executor: try runner.pipeline(logger: logger), logger: logger)
        let serving = Task { try await server.run() }
        let signals = ShutdownSignals { _ in serving.cancel() }
        defer { signals.cancel() }
        logger.info("serving checks", metadata: ["socket": "\(socket)"])
        try await serving.value
        logger.info("stopped")
    }
}
