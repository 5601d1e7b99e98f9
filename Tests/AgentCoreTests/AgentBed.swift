import AgentContracts
import AgentCore
import Foundation
import GitWorkspace
import LLM
import Logging
import TestSupport

/// Real parts for the agent: toolz on a `git daemon` on loopback, `selfcheck-runner serve`, and the
/// agent's mirror cache and checkout folders.
final class AgentBed: @unchecked Sendable {
    let server: ServedFixture
    let runner: RunnerProcess
    var fixture: FixtureRepo { server.fixture }
    var root: URL { server.root }
    var remote: String { server.remote }
    var checkouts: URL { root.appendingPathComponent("checkouts") }

    init() throws {
        server = try ServedFixture()
        runner = try RunnerProcess()
    }

    static let quiet: Logger = {
        var logger = Logger(label: "agent-test")
        logger.logLevel = .critical
        return logger
    }()

    /// - Parameters:
    ///   - runnerSocket: another runner's socket than the bed's.
    ///   - runnerRetryDelays: the pauses before checking again when the runner is away.
    ///   - progressLogger: where the runner's progress is logged (not logged by default).
    func processor(
        _ model: any PatchModel, context: any ContextSource = CheckoutFiles(), claimer: (any LeaseClaimer)? = nil,
        runnerSocket: String? = nil, runnerRetryDelays: [Duration]? = nil, progressLogger: Logger? = nil,
        checker: (any PatchChecker)? = nil
    ) throws -> TaskProcessor {
        let git = try GitRunner(
            home: root.appendingPathComponent("home"), credentials: nil, networkTimeout: .seconds(30),
            logger: Self.quiet)
        // Spares on, as in `coding-agent`: tasks of one bed reuse each other's checkouts.
        var configuration = AgentConfiguration(
            remoteRepo: remote, checkoutRoot: checkouts,
            spareCheckouts: try SpareCheckouts(root: root.appendingPathComponent("spare-checkouts")))
        if let runnerRetryDelays { configuration.runnerRetryDelays = runnerRetryDelays }
        return TaskProcessor(
            configuration: configuration,
            mirrors: MirrorCache(directory: root.appendingPathComponent("mirrors"), runner: git, logger: Self.quiet),
            model: model,
            checker: checker ?? SocketPatchChecker(socketPath: runnerSocket ?? runner.socket, logger: progressLogger),
            context: context, claimer: claimer,
            logger: Self.quiet)
    }

    func task(_ id: String, goal: String = "add total_length", leases: [String] = []) -> CodingTask {
        .with {
            $0.id = id
            $0.goal = goal
            $0.kind = "FEAT"
            $0.path = "toolz/itertoolz.py"
            $0.baseCommit = fixture.baseCommit
            $0.reservedLeaseIds = leases
        }
    }

    /// `git` against the server's bare repository.
    func served(_ arguments: [String]) throws -> String { try server.served(arguments) }

    func stop() {
        runner.stop()
        server.stop()
    }

    var goodDiff: String { get throws { try server.goodDiff } }
    var testBreakingDiff: String { get throws { try server.testBreakingDiff } }
}

/// Records claims; fails the ones it is told to.
final class RecordingClaimer: LeaseClaimer, @unchecked Sendable {
    private let lock = NSLock()
    private var _claims: [(Int64, String)] = []
    var claims: [(Int64, String)] { lock.withLock { _claims } }
    let refuse: Set<Int64>
    init(refuse: Set<Int64> = []) { self.refuse = refuse }

    func claim(leaseID: Int64, commitSHA: String) async throws -> ClaimReply {
        lock.withLock { _claims.append((leaseID, commitSHA)) }
        if refuse.contains(leaseID) { throw ClaimError() }
        return .with { $0.ok = true }
    }
}

struct ClaimError: Error, CustomStringConvertible {
    var description: String { "SRM unavailable" }
}
