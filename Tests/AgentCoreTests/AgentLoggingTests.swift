import AgentCore
import Contracts
import Foundation
import Kafka
import LLM
import Logging
import TestSupport
import Testing

/// A worker you can watch: the runner's progress in the agent's log, and what `run` says on start.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AgentLoggingTests {
    @Test func theRunnersProgressIsLoggedWithTheTaskId() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let lines = RecordedLines()
        var logger = Logger(label: "progress") { _ in RecordingLogHandler(lines: lines) }
        logger.logLevel = .debug
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let result = await (try bed.processor(model, progressLogger: logger)).process(bed.task("W1"))
        #expect(result.status == "SUCCESS", "\(result.notes)")

        let recorded = lines.all
        for step in ["black", "ruff", "pytest"] {
            for message in ["step started", "step finished"] {
                let line = recorded.first { $0.message == message && $0.metadata["step"] == step }
                #expect(line?.level == .info, "\(message) \(step): \(recorded.map(\.message))")
                #expect(line?.metadata["task_id"] == "W1" && line?.metadata["request_id"] == "W1-1")
            }
        }
        #expect(
            recorded.first { $0.message == "step finished" && $0.metadata["step"] == "pytest" }?.metadata["status"]
                == "passed")
        let output = recorded.filter { $0.message == "step output" }
        #expect(!output.isEmpty && output.allSatisfy { $0.level == .debug && $0.metadata["task_id"] == "W1" })
        #expect(
            output.contains { $0.metadata["output"]?.contains("passed") == true },
            "pytest's summary line is in the output chunks")
    }

    /// `coding-agent run` at its default level names, on start, what it consumes, where it reports,
    /// its model and its runner socket.
    @Test func runSaysOnStartWhatItConsumesAndWhereItReports() async throws {
        let cluster = try DevelopmentCluster.withAgentTopics()
        defer { cluster.close() }
        let folder = try makeTemporaryDirectory("run-start")
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = folder.appendingPathComponent("runner.sock").path
        let agent = AgentProcess(
            name: "agent", logDirectory: folder, cacheDirectory: folder.appendingPathComponent("cache"),
            arguments: [
                "--bootstrap", cluster.bootstrapServers, "--group", "watchers", "--runner-socket", socket,
                "--log-format", "json",
            ],
            environment: ["MOCK_LLM": "1", "REMOTE_REPO": "https://user:secret@git.example.com/r.git"])
        try agent.start()
        let started = await eventually(within: .seconds(20)) {
            agent.logLines.contains { $0.contains("worker started") }
        }
        await agent.stop()
        try #require(started, "\(agent.logLines)")
        let line = try #require(agent.logLines.first { $0.contains("worker started") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["level"] as? String == "notice")
        #expect(fields["bootstrap"] as? String == cluster.bootstrapServers)
        #expect(fields["task_topic"] as? String == "coding-tasks")
        #expect(fields["group"] as? String == "watchers")
        #expect(fields["result_topic"] as? String == "commit-results")
        #expect(fields["runner_socket"] as? String == socket)
        #expect((fields["model"] as? String)?.contains("MOCK_LLM=1") == true, "\(line)")
        #expect(fields["remote_repo"] as? String == "https://***@git.example.com/r.git", "no credentials in the log")
        #expect(!line.contains("secret"))
    }
}

/// Log lines kept for a test to look at.
final class RecordedLines: @unchecked Sendable {
    struct Line {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }
    private let lock = NSLock()
    private var lines: [Line] = []
    var all: [Line] { lock.withLock { lines } }
    func append(_ line: Line) { lock.withLock { lines.append(line) } }
}

struct RecordingLogHandler: LogHandler {
    let lines: RecordedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? = TaskLogContext.metadataProvider

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadataProvider?.get() ?? [:]
        merged.merge(metadata) { $1 }
        merged.merge(event.metadata ?? [:]) { $1 }
        lines.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
