import AgentServices
import Contracts
import Foundation
import Kafka
import Logging
import Synchronization
import TestSupport

/// The real parts of the suite: the Kafka mock cluster in this process, inflection on a `git daemon`,
/// `selfcheck-runner serve`, the scripted model server, and two `coding-agent run` processes in one
/// consumer group.
final class FaultBed: @unchecked Sendable {
    static let taskTopic = "coding-tasks"
    static let resultTopic = "commit-results"
    /// Seconds; the agents' LLM_TIMEOUT_SECONDS, below the scripted slow reply.
    static let modelTimeout = 1.5

    /// inflection on a `git daemon`; agents' folders and logs go in its root too.
    let server: ServedFixture
    var root: URL { server.root }
    var fixture: FixtureRepo { server.fixture }
    let cluster: DevelopmentCluster
    let plan: TaskPlan
    let model: ScriptedModel
    let modelServer: ScriptedHTTPServer
    let runnerDirectory: URL
    /// Replaced when the suite kills and restarts the runner (same socket).
    var runner: RunnerProcess
    var agents: [AgentProcess] = []
    /// Replaced when the suite takes the SRM down and brings it back (same port).
    var srm: DevelopmentSRM
    let srmPort: Int
    /// Every claim any SRM instance answered.
    let claims = ClaimLog()

    static let quiet: Logger = {
        var logger = Logger(label: "fault-suite")
        logger.logLevel = .critical
        return logger
    }()

    init() async throws {
        // inflection: one module and one test file, so a full check (black, ruff, pytest) is the
        // cheapest of the fixtures.
        server = try ServedFixture("inflection")

        cluster = try DevelopmentCluster(brokers: 1, logger: Self.quiet)
        try cluster.createTopic(Self.taskTopic, partitions: 4)
        try cluster.createTopic(Self.resultTopic)

        plan = TaskPlan(baseCommit: server.fixture.baseCommit)
        let goodDiff = try server.fixture.diff {
            try append(
                "\n\ndef pluralize_all(words):\n    \"\"\"The plural of each word.\"\"\"\n    return [pluralize(word) for word in words]\n",
                to: "inflection/__init__.py", in: $0)
        }
        let refusedDiff =
            "--- a/inflection/__init__.py\n+++ b/inflection/__init__.py\n@@ -1,2 +1,3 @@\n this line is nowhere\n-in the file\n+at all\n+really\n"
        let model = ScriptedModel(
            plan: plan.byID, goodDiff: goodDiff, refusedDiff: refusedDiff, slowDelay: .seconds(Self.modelTimeout + 1.5))
        self.model = model
        modelServer = try await ScriptedHTTPServer.start([], responder: { model.respond($0) })
        srm = try await DevelopmentSRM.start(onClaim: claims.record)
        srmPort = srm.address.port
        runnerDirectory = try makeTemporaryDirectory("fault-runner")
        runner = try RunnerProcess(jobs: 2, directory: runnerDirectory)
    }

    /// Publishes every planned message, in the plan's shuffled order.
    func publishPlan() async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: Self.quiet)
        for message in plan.messages {
            _ = try await producer.send(
                topic: Self.taskTopic, key: Array(message.id.utf8), value: try plan.payload(message))
        }
        await producer.close()
    }

    func startAgents(_ names: [String]) throws {
        var environment: [String: String] = [:]
        environment["SRM_ADDR"] = "127.0.0.1:\(srmPort)"
        environment["OPENAI_BASE_URL"] = modelServer.baseURL
        environment["OPENAI_API_KEY"] = "fault-suite-key"
        environment["CODING_MODEL"] = "fault-suite-model"
        environment["LLM_TIMEOUT_SECONDS"] = "\(Self.modelTimeout)"
        environment["LOG_LEVEL"] = "info"
        let arguments = [
            "--bootstrap", cluster.bootstrapServers, "--task-topic", Self.taskTopic, "--result-topic", Self.resultTopic,
            "--group", "fault-suite", "--remote-repo", server.remote, "--runner-socket", runner.socket,
            // The mock cluster holds a rejoin for session.timeout - 1 s: a short session keeps the
            // rebalance after a killed agent short.
            "--session-timeout", "6", "--shutdown-deadline", "10",
        ]
        for name in names {
            // Each its own cache and metrics port (two agents cannot share the default 9600).
            let agent = AgentProcess(
                name: name, logDirectory: root, cacheDirectory: root.appendingPathComponent("\(name)-cache"),
                metricsPort: try GitDaemon.freePort(), arguments: arguments, environment: environment)
            try agent.start()
            agents.append(agent)
        }
    }

    /// SIGKILLs the runner while a check runs (a sandbox is alive), then starts it again on the same socket.
    /// - Returns: whether a sandbox was running when it was killed.
    func killRunnerMidCheck(waitingUpTo limit: Duration = .seconds(30)) async throws -> Bool {
        let end = ContinuousClock.now + limit
        var midCheck = false
        while ContinuousClock.now < end {
            if !ProcessTable.descendants(of: runner.process.processIdentifier).isEmpty {
                midCheck = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        runner.kill()
        try await Task.sleep(for: .seconds(1))
        runner = try RunnerProcess(jobs: 2, directory: runnerDirectory)
        return midCheck
    }

    /// SIGKILLs `agent` while it holds a per-task checkout, then starts it again.
    /// - Returns: whether it was mid-task when killed.
    func killAgentMidTask(_ agent: AgentProcess, waitingUpTo limit: Duration = .seconds(30)) async throws -> Bool {
        let end = ContinuousClock.now + limit
        var midTask = false
        while ContinuousClock.now < end {
            if !agent.checkouts.isEmpty {
                midTask = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        agent.kill()
        try await Task.sleep(for: .seconds(1))
        try agent.start()
        return midTask
    }

    /// Stops the SRM for `outage`, then serves it again on the same port.
    func takeSRMDown(for outage: Duration) async throws {
        await srm.stop()
        try await Task.sleep(for: outage)
        var attempts = 0
        while true {
            do {
                srm = try await DevelopmentSRM.start(port: srmPort, onClaim: claims.record)
                return
            } catch  where attempts < 20 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(250))  // the port may linger a moment
            }
        }
    }

    /// `git` in the served bare repository.
    func servedGit(_ arguments: [String]) throws -> String {
        try run(["git"] + arguments, in: server.bare).stdout
    }

    /// Every commit on the server carrying an `[agent:<id>]` line, by id, with its parent.
    func agentCommits() throws -> [String: [(sha: String, parent: String)]] {
        var commits: [String: [(sha: String, parent: String)]] = [:]
        for entry in try servedGit(["log", "--all", "--format=%H %P%n%B%x00"]).split(separator: "\0") {
            let lines = entry.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
            guard let head = lines.first?.split(separator: " "), head.count >= 2 else { continue }
            for line in lines where line.hasPrefix("[agent:") && line.hasSuffix("]") {
                commits[String(line.dropFirst("[agent:".count).dropLast()), default: []].append(
                    (String(head[0]), String(head[1])))
            }
        }
        return commits
    }

    /// `agt/<id>` branches on the server: id → commit.
    func agentBranches() throws -> [String: String] {
        let lines = try servedGit(["for-each-ref", "--format=%(refname:lstrip=3) %(objectname)", "refs/heads/agt/"])
            .split(separator: "\n")
        return Dictionary(
            lines.compactMap { line in
                let parts = line.split(separator: " ")
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
    }

    func stop() async {
        for agent in agents { await agent.stop() }
        runner.stop()
        await srm.stop()
        await modelServer.shutdown()
        cluster.close()
        server.stop()
    }
}

typealias DevelopmentSRMClaim = DevelopmentSRM.Claim

/// The claims the development SRM answered, across its restarts.
final class ClaimLog: Sendable {
    private let claims = Mutex<[DevelopmentSRMClaim]>([])
    var all: [DevelopmentSRMClaim] { claims.withLock { $0 } }
    @Sendable func record(_ claim: DevelopmentSRMClaim) { claims.withLock { $0.append(claim) } }
}
