import AgentContracts
import Foundation
import Kafka
import TestSupport
import Testing

/// `coding-agent once --publish`, the Kubernetes Job's way to report: the real executable, the Kafka
/// mock cluster, a fixture repository as the remote (a few seconds).
@Suite(.serialized, .timeLimit(.minutes(2))) struct OnceCommandTests {
    /// A base commit the fixture does not have: a HARD_FAIL without the model or the runner.
    static let unknownBase = "0123456789abcdef0123456789abcdef01234567"

    @Test func publishSendsThePrintedResultAndExitsOneForAFailedTask() async throws {
        let cluster = try DevelopmentCluster.withAgentTopics()
        defer { cluster.close() }
        let bed = try OnceBed()
        defer { bed.remove() }

        let output = try bed.once(["--publish", "--bootstrap", cluster.bootstrapServers])

        #expect(output.status == 1, "a task that did not succeed exits 1: \(output.stderr)")
        let printed = try CommitResult(jsonString: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(printed.taskID == "once-1")
        #expect(printed.status == CommitStatus.hardFail.rawValue)
        #expect(printed.notes.contains { $0.contains(Self.unknownBase) }, "\(printed.notes)")
        let published = try await cluster.firstMessages(
            topic: "commit-results", group: "once-reader", count: 1, within: .seconds(30))
        try #require(published.count == 1, "one result on commit-results")
        #expect(published[0].keyString == "once-1", "keyed by the task id")
        #expect(try published[0].decode(CommitResult.self) == printed, "the published result is the printed one")
    }

    @Test func aResultTheBrokerDoesNotTakeIsPrintedNamedAndExits75() throws {
        let bed = try OnceBed()
        defer { bed.remove() }
        let nobody = "127.0.0.1:\(try GitDaemon.freePort())"

        let output = try bed.once(["--publish", "--bootstrap", nobody, "--publish-timeout", "2"])

        #expect(output.status == 75, "not published: worth running again: \(output.stderr)")
        let printed = try CommitResult(jsonString: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(printed.taskID == "once-1" && printed.status == CommitStatus.hardFail.rawValue)
        #expect(
            output.stderr.contains("task once-1: the result was not published to commit-results at \(nobody)"),
            "\(output.stderr)")
    }

    @Test func withoutPublishNothingNeedsKafka() throws {
        let bed = try OnceBed()
        defer { bed.remove() }
        let output = try bed.once([])
        #expect(output.status == 1, "\(output.stderr)")
        #expect(
            try CommitResult(jsonString: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).taskID
                == "once-1")
    }

    @Test func everyCommandsHelpListsItsExitCodes() throws {
        for command in ["run", "once", "submit", "results", "dev-srm", "dev-kafka"] {
            let output = try run([Paths.product("coding-agent").path, command, "--help"], check: false)
            #expect(output.status == 0)
            let help = output.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // unwrapped
            #expect(help.contains("Exit codes:") && help.contains("64 usage"), "\(command): \(help)")
        }
    }
}

/// A task file against the toolz fixture, and `coding-agent once` run on it with the offline model.
private struct OnceBed {
    let folder: URL
    let fixture: FixtureRepo

    init() throws {
        folder = try makeTemporaryDirectory("once")
        fixture = try FixtureRepo.make("toolz")
        let task =
            #"{"id": "once-1", "goal": "add a helper", "path": "toolz/__init__.py", "kind": "FEAT", "base_commit": "\#(OnceCommandTests.unknownBase)"}"#
        try task.write(to: folder.appendingPathComponent("task.json"), atomically: true, encoding: .utf8)
    }

    func once(_ extra: [String]) throws -> ProcessOutput {
        try run(
            [
                Paths.product("coding-agent").path, "once", "--task", folder.appendingPathComponent("task.json").path,
                "--remote-repo", fixture.root.path, "--cache-dir", folder.appendingPathComponent("cache").path,
                "--runner-socket", folder.appendingPathComponent("no-runner.sock").path,
            ] + extra,
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": folder.path,
                "MOCK_LLM": "1",
            ],
            check: false)
    }

    func remove() {
        fixture.remove()
        try? FileManager.default.removeItem(at: folder)
    }
}
