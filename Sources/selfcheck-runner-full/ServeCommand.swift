import ArgumentParser
import Foundation
import Logging
import Logs
import Patch
import RunnerProtocolServer
import Sandbox
import SelfCheck
import ServiceLifecycle
import Telemetry

/// `selfcheck-runner serve --socket PATH`: the agent's runner over a Unix socket.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve checks on a Unix socket (length-prefixed protobuf, runner.proto) until SIGTERM or SIGINT.",
        discussion: """
            Exit codes: 0 stopped by SIGTERM or SIGINT, 3 the runner could not serve (e.g. the socket \
            cannot be created), 64 usage (bad options, a profile that does not load).
            """)

    @Option(help: "The socket path (RUNNER_SOCKET).")
    var socket = ProcessInfo.processInfo.environment["RUNNER_SOCKET"] ?? "/run/selfcheck/runner.sock"
    @Option(help: "A uid allowed to connect (repeatable); root and the runner's own uid always are.")
    var allowUid: [UInt32] = []
    @Option(help: "A gid allowed to connect (repeatable).") var allowGid: [UInt32] = []
    @Option(help: "Group that owns the socket and its directory, so its members can reach it.") var socketGroup: UInt32?
    @Option(
        help: ArgumentHelp(
            "A folder below which other allowed peers may name a repo_path they can open themselves (repeatable).",
            discussion:
                "Root and the runner's own uid may name any path. Other peers pass the checkout as a directory fd, or name a path below one of these folders."
        ))
    var repoRoot: [String] = []
    @Option(help: "Checks run at once (default: the number of cores).") var jobs: Int?
    @Option(help: "Checks that may wait; more are refused as busy.") var queue = 16
    @Option(help: "Seconds running checks get to finish on shutdown before they are cancelled.") var shutdownGrace = 10
    @Option(help: "Port of the Prometheus /metrics endpoint (env RUNNER_METRICS_PORT); off when not given or 0.")
    var metricsPort: Int = ProcessInfo.processInfo.environment["RUNNER_METRICS_PORT"].map { Int($0) ?? -1 } ?? 0
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
    @Option(help: "Log lines as human (for a terminal) or json (one object per line) (env LOG_FORMAT).")
    var logFormat: LogFormat = .fromEnvironment
    @Option(
        help:
            "Another sandbox profile a CheckRequest may name in its profile field (repeatable); by default only --profile."
    )
    var allowProfile: [String] = []
    @OptionGroup var runner: RunnerOptions

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        for root in repoRoot where !root.hasPrefix("/") || RepositoryAccess.resolved(root) == nil {
            throw ValidationError("--repo-root \(root) is not an absolute path to an existing folder")
        }
        guard (0...65535).contains(metricsPort) else {
            throw ValidationError("--metrics-port (or RUNNER_METRICS_PORT) must be 0 (off) or a TCP port")
        }
    }

    func run() async throws {
        LogSetup.bootstrapOnce(level: Logger.Level(rawValue: logLevel) ?? .info, format: logFormat)
        let logger = Logger(label: "selfcheck-runner")
        var configuration = RunnerServerConfiguration(socketPath: socket)
        configuration.allowedUIDs = Set(allowUid)
        configuration.allowedGIDs = Set(allowGid)
        configuration.socketGroupID = socketGroup
        configuration.repoRoots = repoRoot
        if let jobs { configuration.maxConcurrentJobs = max(1, jobs) }
        configuration.maxQueuedJobs = max(0, queue)
        configuration.shutdownGrace = .seconds(shutdownGrace)
        let workspaces: URL
        do { workspaces = try runner.workspaceFolder() } catch {
            logger.critical("refusing to start: no usable workspace folder: \(error)")
            throw ExitCode.failure
        }
        for stale in Workspace.sweepStale(in: workspaces) {
            logger.notice("removed a dead runner's workspace", metadata: ["path": "\(stale.path)"])
        }
        for stale in PatchScratch.sweepStale() {
            logger.notice("removed a dead runner's patch scratch folder", metadata: ["path": "\(stale.path)"])
        }
        // Every allowed profile is loaded now: a bad one stops the runner at start, not a request later.
        var pipelines: [String: any CheckExecutor] = [:]
        // One background mapping of an unmapped base at a time for the whole runner (docs/selfcheck.md).
        let baseMapper = BaseMapper()
        for name in [runner.profile] + allowProfile {
            pipelines[name] = try runner.pipeline(profile: name, logger: logger, baseMapper: baseMapper)
        }
        let executor = ProfileSelectingExecutor(executors: pipelines, defaultProfile: runner.profile)
        let server = RunnerServer(configuration: configuration, executor: executor, logger: logger)
        var services: [any Service] = []
        if metricsPort != 0 { services.append(MetricsEndpoint.bootstrap(port: metricsPort, logger: logger)) }
        // Shut down in reverse order: the server first (its own grace period), the metrics endpoint last.
        services.append(RunnerService(server: server, baseMapper: baseMapper))
        logger.info(
            "serving checks",
            metadata: ["socket": "\(socket)", "profiles": "\(executor.allowedProfiles.joined(separator: ","))"])
        do {
            try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                .run()
        } catch {
            logger.critical("the runner stopped", metadata: ["error": "\(error)"])
            throw ExitCode(3)
        }
        logger.info("stopped")
    }
}

/// The server as a service: graceful shutdown cancels `run()`, which stops accepting, removes the socket,
/// refuses queued checks, lets running ones finish within the grace period and cancels the rest.
struct RunnerService: Service {
    let server: RunnerServer
    let baseMapper: BaseMapper

    /// A background mapping is no one's check: shutdown cancels it at once, and none starts afterwards.
    func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                try await cancelWhenGracefulShutdown { try await server.run() }
            } onGracefulShutdown: {
                Task { await baseMapper.shutdown() }
            }
        } catch {
            await baseMapper.shutdown()
            throw error
        }
        await baseMapper.shutdown()
    }
}
