import AgentContracts
import Foundation
import Kafka
import Logging
import TestSupport

/// The whole pipeline as real parts: the Kafka mock cluster in-process, toolz on a `git daemon`,
/// `selfcheck-runner serve` with its metrics endpoint, and a scripted OpenAI-compatible model server;
/// `coding-agent run` processes are started by the tests.
final class OpsBed: @unchecked Sendable {
    let cluster: DevelopmentCluster
    let server: ServedFixture
    let runner: RunnerProcess
    let runnerMetricsPort: UInt16
    let runnerLog: URL
    let model: ScriptedHTTPServer
    let taskPartitions: Int
    /// The agents' cache (mirrors, per-task checkouts): shared by the agents of one test, as by restarts.
    var cache: URL { server.root.appendingPathComponent("agent-cache") }
    var checkouts: URL { cache.appendingPathComponent("checkouts") }

    static let quiet: Logger = {
        var logger = Logger(label: "ops-test")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` with a fresh bed and stops the bed afterwards, also when `body` throws.
    /// - Parameters:
    ///   - runnerArguments: more `serve` arguments.
    ///   - replies: the model server's scripted replies (built from the served fixture's diffs), then its responder.
    static func with(
        taskPartitions: Int = 3,
        runnerArguments: [String] = [],
        replies: (ServedFixture) throws -> (
            queue: [ScriptedHTTPServer.Response], responder: ScriptedHTTPServer.Responder?
        ),
        _ body: (OpsBed) async throws -> Void
    ) async throws {
        let server = try ServedFixture()
        let (queue, responder) = try replies(server)
        let bed = try OpsBed(
            server: server, model: try await ScriptedHTTPServer.start(queue, responder: responder),
            taskPartitions: taskPartitions, runnerArguments: runnerArguments)
        do {
            try await body(bed)
        } catch {
            await bed.stop()
            throw error
        }
        await bed.stop()
    }

    private init(server: ServedFixture, model: ScriptedHTTPServer, taskPartitions: Int, runnerArguments: [String])
        throws
    {
        self.server = server
        self.taskPartitions = taskPartitions
        cluster = try DevelopmentCluster(brokers: 1, logger: Self.quiet)
        try cluster.createTopic("coding-tasks", partitions: taskPartitions)
        // Same partition count: where a key lands here is where it lands on the task topic.
        try cluster.createTopic("key-probe", partitions: taskPartitions)
        try cluster.createTopic("commit-results")
        runnerMetricsPort = try GitDaemon.freePort()
        runnerLog = server.root.appendingPathComponent("runner.log")
        _ = FileManager.default.createFile(atPath: runnerLog.path, contents: nil)
        runner = try RunnerProcess(
            arguments: ["--metrics-port", "\(runnerMetricsPort)", "--log-format", "json"] + runnerArguments,
            standardError: try FileHandle(forWritingTo: runnerLog))
        self.model = model
    }

    func stop() async {
        runner.stop()
        server.stop()
        await model.shutdown()
        cluster.close()
    }

    /// Starts `coding-agent run` against this bed; its log goes to `<root>/<name>.log`.
    func startAgent(
        _ name: String, metricsPort: UInt16 = 0, arguments: [String] = [], environment: [String: String] = [:]
    ) throws -> AgentProcess {
        let agent = AgentProcess(
            name: name, logDirectory: server.root, cacheDirectory: cache, metricsPort: metricsPort,
            arguments: [
                "--bootstrap", cluster.bootstrapServers, "--remote-repo", server.remote, "--runner-socket",
                runner.socket,
                "--log-format", "json", "--log-level", "info",
                // The mock cluster holds a rejoin for the session timeout less 1 s: keep it short.
                "--session-timeout", "5",
            ] + arguments,
            environment: ["OPENAI_BASE_URL": model.baseURL, "OPENAI_API_KEY": "test-key", "LLM_MAX_RETRIES": "0"]
                .merging(environment) { $1 })
        try agent.start()
        return agent
    }

    /// Waits until the agent's `consumers` consumers hold the task topic's partitions between them, with
    /// no rebalance since. A task submitted earlier can start on a consumer whose partition then moves
    /// to a consumer that joined later, and run twice: at-least-once allows it, exact counts do not.
    /// - Returns: whether the group settled within `time`.
    func groupSettled(_ agent: AgentProcess, consumers: Int, within time: Duration = .seconds(60)) async -> Bool {
        await eventually(within: time) {
            // The rebalance callback's lines, in order: "assigned [coding-tasks[0], …]" or "revoked […]".
            let events = agent.logLines.compactMap { line -> (assigned: Bool, partitions: Set<Int>)? in
                guard let kind = ["assigned [", "revoked [", "lost ["].first(where: line.contains)
                else { return nil }
                let list = line[line.range(of: kind)!.upperBound...].prefix { $0 != "\"" }
                return (
                    kind == "assigned [", Set(list.matches(of: /coding-tasks\[(\d+)\]/).compactMap { Int($0.output.1) })
                )
            }
            let last = events.suffix(consumers)
            guard last.count == consumers, last.allSatisfy({ $0.assigned && !$0.partitions.isEmpty }) else {
                return false
            }
            let held = last.map(\.partitions)
            return held.reduce(0) { $0 + $1.count } == taskPartitions && Set(held.joined()) == Set(0..<taskPartitions)
        }
    }

    func task(_ id: String, goal: String = "add total_length") -> CodingTask {
        .with {
            $0.id = id
            $0.goal = goal
            $0.kind = "FEAT"
            $0.path = "toolz/itertoolz.py"
            $0.baseCommit = server.fixture.baseCommit
        }
    }

    /// Publishes a bundle of one task to the task topic, keyed by `key` (the task id by default).
    /// - Returns: the partition it went to.
    @discardableResult
    func submit(_ task: CodingTask, key: String? = nil) async throws -> Int32 {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: Self.quiet)
        let bundle = TaskBundle.with {
            $0.bundleID = task.id
            $0.tasks = [task]
        }
        let (partition, _) = try await producer.send(
            topic: "coding-tasks", key: Array((key ?? task.id).utf8), value: try bundle.serializedBytes())
        await producer.close()
        return partition
    }

    /// A message key that lands on another partition of the task topic than `partition` (found by
    /// sending candidates to a probe topic with as many partitions).
    func key(avoiding partition: Int32) async throws -> String {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: Self.quiet)
        defer { Task { await producer.close() } }
        for candidate in (0..<64).map({ "key-\($0)" }) {
            let (landed, _) = try await producer.send(topic: "key-probe", key: candidate, value: candidate)
            if landed != partition { return candidate }
        }
        throw TestFailure(description: "no key of 64 avoids partition \(partition)")
    }

    /// Every result on the result topic now (read up to its end offsets with a fresh group), or, with
    /// `waitingFor`, once a result for that task is there (at most `timeout`).
    func results(waitingFor taskID: String? = nil, timeout: Duration = .seconds(120)) async throws -> [CommitResult] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = try await readResults()
            if taskID == nil || found.contains(where: { $0.taskID == taskID }) || ContinuousClock.now > deadline {
                return found
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    private func readResults() async throws -> [CommitResult] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, topics: ["commit-results"])
        configuration.groupID = "reader-\(UUID().uuidString.prefix(8))"
        let reader = try KafkaConsumer(configuration: configuration, logger: Self.quiet)
        var pending = try await reader.endOffsets(topic: "commit-results").filter { $0.value > 0 }
        var found: [CommitResult] = []
        if !pending.isEmpty {
            for try await message in reader.messages {
                found.append(try message.decode(CommitResult.self))
                if let end = pending[message.partition], message.offset + 1 >= end { pending[message.partition] = nil }
                if pending.isEmpty { break }
            }
        }
        await reader.close()
        return found
    }

    /// How many task messages a new member of the agents' group is given within `window` (0 when every
    /// offset was committed).
    func uncommittedTaskMessages(window: Duration = .seconds(8)) async throws -> Int {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, topics: ["coding-tasks"])
        configuration.groupID = "coding-agent"
        configuration.sessionTimeout = .seconds(5)
        configuration.heartbeatInterval = .milliseconds(200)
        let again = try KafkaConsumer(configuration: configuration, logger: Self.quiet)
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var count = 0
                for try await _ in again.messages { count += 1 }
                return count
            }
            try await Task.sleep(for: window)
            group.cancelAll()
            return try await group.next() ?? 0
        }
        await again.close()
        return count
    }
}

/// Each line of a JSON-lines log, parsed; a line that is not a JSON object fails the test's `#require`.
func jsonLines(_ lines: [String]) -> [[String: Any]?] {
    lines.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}
