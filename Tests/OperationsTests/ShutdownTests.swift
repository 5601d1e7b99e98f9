import Contracts
import Foundation
import RunnerProtocolClient
import TestSupport
import Testing

/// SIGTERM to the real processes in the middle of their work. About 50 s here, most of it the Kafka
/// mock cluster's group joins and the checks for uncommitted messages.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ShutdownTests {
    @Test func agentStoppedMidTaskAbandonsItAndTheRestartedAgentAnswersItOnce() async throws {
        try await OpsBed.with(replies: { served in
            // The first model call hangs (SIGTERM comes while it waits); later ones answer at once.
            var slow = ScriptedHTTPServer.Response.patch(diff: try served.goodDiff)
            slow.delay = .seconds(120)
            let good = ScriptedHTTPServer.Response.patch(diff: try served.goodDiff)
            return ([slow], { _ in good })
        }) { bed in
            let first = try bed.startAgent("first", arguments: ["--shutdown-deadline", "2"])
            defer { first.kill() }
            try await bed.submit(bed.task("S1"))
            #expect(await eventually(within: .seconds(90)) { bed.model.requests.count == 1 }, "the model was asked")
            first.terminate()
            try #require(await first.waitForExit(timeout: .seconds(30)), "the deadline abandons the task")
            #expect(first.logLines.contains { $0.contains("finishing the current message") })
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty,
                "no per-task checkout is left")
            #expect(try await bed.results().isEmpty, "the abandoned task sent no result")

            let second = try bed.startAgent("second")
            defer { second.kill() }
            let results = try await bed.results(waitingFor: "S1")
            second.terminate()
            try #require(await second.waitForExit(timeout: .seconds(30)))
            #expect(second.exitStatus == 0)

            let answers = results.filter { $0.taskID == "S1" }
            #expect(answers.count == 1, "redelivered and answered exactly once: \(answers)")
            #expect(answers.first?.status == "SUCCESS", "\(answers.first?.notes ?? [])")
            #expect(try bed.server.served(["rev-parse", "agt/S1"]) == answers.first?.commitSha)
            #expect(bed.model.requests.count == 2, "one abandoned call, one answered")
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
            #expect(try await bed.uncommittedTaskMessages() == 0, "the task's offset is committed")
        }
    }

    @Test func agentStoppedMidTaskFinishesItWithinTheDeadlineAndExits() async throws {
        try await OpsBed.with(replies: { served in
            var slow = ScriptedHTTPServer.Response.patch(diff: try served.goodDiff)
            slow.delay = .seconds(3)
            return ([slow], nil)
        }) { bed in
            let agent = try bed.startAgent("agent", arguments: ["--shutdown-deadline", "120"])
            defer { agent.kill() }
            try await bed.submit(bed.task("S2"))
            #expect(await eventually(within: .seconds(90)) { bed.model.requests.count == 1 }, "the model was asked")
            agent.terminate()
            try #require(await agent.waitForExit(timeout: .seconds(120)))
            #expect(agent.exitStatus == 0)

            let answers = try await bed.results().filter { $0.taskID == "S2" }
            #expect(answers.count == 1, "the current task was finished before the agent stopped")
            #expect(answers.first?.status == "SUCCESS", "\(answers.first?.notes ?? [])")
            #expect(try FileManager.default.contentsOfDirectory(atPath: bed.checkouts.path).isEmpty)
            #expect(try await bed.uncommittedTaskMessages() == 0, "and its offset committed")
        }
    }

    @Test func runnerStoppedMidCheckFailsTheClientRemovesItsSocketAndLeavesNoSandbox() async throws {
        let server = try RunnerProcess(arguments: ["--shutdown-grace", "1"])
        defer { server.stop() }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.sleepingTestDiff
        let request = CheckRequest.with {
            $0.requestID = "term-1"
            $0.repoPath = repo.root.path
            $0.diff = patch
        }
        var sandboxes: [Int32] = []
        var report: CheckReport?
        var failure: (any Error)?
        do {
            for try await update in RunnerClient(socketPath: server.socket).check(request) {
                switch update {
                case .event(let event):
                    if case .stepStarted(let step) = event.kind, step.name == "pytest", sandboxes.isEmpty {
                        // pytest starts beside black and ruff; wait until the sleeping test runs.
                        try await Task.sleep(for: .seconds(1))
                        sandboxes = server.children.compactMap { Int32($0) }
                        kill(server.process.processIdentifier, SIGTERM)
                    }
                case .report(let final):
                    report = final
                }
            }
        } catch {
            failure = error
        }
        #expect(!sandboxes.isEmpty, "sandboxes were running at SIGTERM")
        #expect(
            report == nil && failure != nil, "the client gets an error, not a report: \(String(describing: failure))")
        #expect("\(failure.map { "\($0)" } ?? "")".contains("shutting down"), "\(String(describing: failure))")
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socket), "the socket file is removed")
        #expect(sandboxes.allSatisfy { kill($0, 0) != 0 }, "no sandbox process outlives the runner")
        #expect(server.temporaryEntries.isEmpty, "the overlay workspaces are removed")
    }
}
