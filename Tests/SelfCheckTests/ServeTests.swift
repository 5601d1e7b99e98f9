import Contracts
import Foundation
import RunnerProtocolClient
import TestSupport
import Testing

/// `selfcheck-runner serve` with the real pipeline, driven by the client library the agent uses.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServeTests {
    func request(_ repo: FixtureRepo, _ diff: String, id: String) -> CheckRequest {
        .with {
            $0.requestID = id
            $0.repoPath = repo.root.path
            $0.diff = diff
        }
    }

    @Test func checkOverTheSocketStreamsEventsThenThePassingReport() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        var started: [String] = []
        var finished: [String] = []
        var report: CheckReport?
        for try await update in RunnerClient(socketPath: server.socket).check(request(repo, patch, id: "ok-1")) {
            switch update {
            case .event(let event):
                if case .stepStarted(let step) = event.kind { started.append(step.name) }
                if case .stepFinished(let step) = event.kind { finished.append(step.name) }
            case .report(let final):
                report = final
            }
        }
        let final = try #require(report)
        #expect(final.verdict == .pass, "\(final.reason)")
        #expect(final.requestID == "ok-1")
        // pytest starts alongside black and ruff, so only the set of steps is fixed. toolz declares a
        // test dependency group (pycodestyle): the project environment is a step of its own.
        #expect(started.sorted() == ["black", "environment", "pytest", "ruff"])
        #expect(finished.sorted() == started.sorted())
    }

    /// `CheckRequest.profile` through the real `serve`: an allowed profile is used (strict has no check
    /// tools, so its check cannot pass), any other name is refused naming the allowed set.
    @Test func aRequestNamesOnlyAnAllowedProfile() async throws {
        let server = try RunnerProcess(arguments: ["--allow-profile", "strict"])
        defer { server.stop() }
        let repo = try FixtureRepo.make("inflection")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef shout(word):\n    return word.upper()\n", to: "inflection/__init__.py", in: $0)
        }
        func report(profile: String, id: String) async throws -> CheckReport {
            var checkRequest = request(repo, patch, id: id)
            checkRequest.profile = profile
            for try await update in RunnerClient(socketPath: server.socket).check(checkRequest) {
                if case .report(let final) = update { return final }
            }
            throw RunnerUnavailableInTest()
        }
        let refused = try await report(profile: "/etc/passwd", id: "profile-1")
        #expect(refused.verdict == .error)
        #expect(refused.reason.contains("allowed: python-selfcheck, strict"), "\(refused.reason)")
        #expect(refused.steps.isEmpty, "nothing ran")
        let standard = try await report(profile: "python-selfcheck", id: "profile-2")
        #expect(standard.verdict == .pass, "\(standard.reason)")
        let strict = try await report(profile: "strict", id: "profile-3")
        #expect(strict.verdict != .pass, "strict has no check tools: \(strict.reason)")
        #expect(!strict.steps.isEmpty, "the strict profile ran the steps")
    }

    struct RunnerUnavailableInTest: Error {}

    @Test func disconnectingMidCheckKillsTheSandboxAndLeavesNothing() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.sleepingTestDiff
        // Leave as soon as pytest starts: the sandboxed test is then sleeping.
        for try await update in RunnerClient(socketPath: server.socket).check(request(repo, patch, id: "leave-1")) {
            if case .event(let event) = update, case .stepStarted(let step) = event.kind, step.name == "pytest" {
                try await Task.sleep(for: .milliseconds(500))
                #expect(!server.children.isEmpty, "the sandbox is running")
                #expect(!server.temporaryEntries.isEmpty, "its overlay workspaces exist")
                break
            }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !server.children.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(server.children.isEmpty, "no sandbox process outlives the cancelled check")
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.temporaryEntries.isEmpty, "the overlay directories are removed")
        #expect(server.process.isRunning, "the runner keeps serving")
    }

    @Test func sigtermStopsTheRunnerAndRemovesItsSocket() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        #expect(FileManager.default.fileExists(atPath: server.socket))
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socket))
    }

    /// SIGKILL leaves a running check's overlay folders (and, as root, their attached checkout copies
    /// mounted); the runner started again on the same TMPDIR removes them before serving.
    @Test func aRunnerRestartedAfterSIGKILLRemovesTheDeadRunnersWorkspaces() async throws {
        let killed = try RunnerProcess()
        let repo = try FixtureRepo.make("inflection")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append(
                "\n\ndef test_sleeps_forever():\n    import time\n\n    time.sleep(3600)\n", to: "test_inflection.py",
                in: $0)
        }
        for try await update in RunnerClient(socketPath: killed.socket).check(request(repo, patch, id: "crash-1")) {
            if case .event(let event) = update, case .stepStarted(let step) = event.kind, step.name == "pytest" {
                try await Task.sleep(for: .milliseconds(500))
                killed.kill()
                break
            }
        }
        let left = killed.temporaryEntries
        #expect(!left.isEmpty, "SIGKILL left the check's workspaces")
        let mountsBefore = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let restarted = try RunnerProcess(directory: killed.directory)
        defer { restarted.stop() }
        #expect(restarted.temporaryEntries.isEmpty, "left: \(restarted.temporaryEntries)")
        let mountsAfter = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        for name in left {
            #expect(!mountsAfter.contains(name), "\(name) is still mounted (was: \(mountsBefore.contains(name)))")
        }
        #expect(restarted.process.isRunning)
    }
}
