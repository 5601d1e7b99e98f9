import AgentContracts
import AgentCore
import Foundation
import LLM
import TestSupport
import Testing

/// Tasks as the original design sends them — no `base_commit`, no `id` — against a real `git daemon`
/// and the real runner: the default branch's head is the base, the id is derived from the bundle.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TaskDefaultsTests {
    @Test func withoutBaseCommitTheDefaultBranchHeadIsTheParentAndNamedInNotes() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        // Move the served default branch past the fixture's base, so "the head" is a different commit.
        try FixtureRepo.git(["commit", "-q", "--allow-empty", "-m", "later"], in: bed.fixture.root)
        try FixtureRepo.git(["push", "-q", bed.server.bare.path, "HEAD:refs/heads/main"], in: bed.fixture.root)
        let head = try bed.served(["rev-parse", "main"])
        #expect(head != bed.fixture.baseCommit)

        var task = bed.task("D1")
        task.baseCommit = ""
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let result = await (try bed.processor(model)).process(task)

        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(try bed.served(["rev-parse", "agt/D1^"]) == head, "the commit's parent is the default branch's head")
        #expect(
            result.notes.first == "the task has no base_commit: worked on the remote's default branch main at \(head)")
    }

    @Test func withoutIdTheBundleAndPositionNameTheBranchAndARedeliveryFindsIt() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        var task = bed.task("")
        task.baseCommit = ""
        let model = ScriptedPatchModel(entries: [.reply(PatchReply(diff: try bed.goodDiff))])
        let processor = try bed.processor(model)

        let first = await processor.process(task, bundleID: "bundle-9", position: 2)
        #expect(first.status == "SUCCESS", "\(first.notes)")
        #expect(first.taskID == "bundle-9-2")
        #expect(first.branchName == "agt/bundle-9-2")
        #expect(
            first.notes.first?.contains("bundle-9-2 is derived from bundle bundle-9 and the task's position 2") == true,
            "\(first.notes)")
        #expect(try bed.served(["log", "-1", "--format=%B", "agt/bundle-9-2"]).hasSuffix("[agent:bundle-9-2]"))

        // The same bundle delivered again: the same id, answered from the branch without asking the model.
        let again = await processor.process(task, bundleID: "bundle-9", position: 2)
        #expect(again.taskID == "bundle-9-2" && again.commitSha == first.commitSha, "\(again.notes)")
        #expect(again.notes.contains { $0.hasPrefix("redelivered") })
        #expect(model.prompts.count == 1)
    }

    @Test func anEmptyRemoteIsAHardFailSayingSo() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        try run(["git", "init", "-q", "--bare", bed.server.root.appendingPathComponent("served/empty.git").path])
        var task = bed.task("D3")
        task.baseCommit = ""
        task.repo = bed.server.daemon.url("empty.git")
        let result = await (try bed.processor(ScriptedPatchModel(entries: []))).process(task)
        #expect(result.status == "HARD_FAIL")
        #expect(result.notes.contains { $0.contains("no default branch head") }, "\(result.notes)")
    }

    /// The original design's own smoke task through `coding-agent once` with the offline model.
    @Test func onceRunsTheOriginalDesignsSmokeTask() throws {
        let server = try ServedFixture()
        let runner = try RunnerProcess()
        defer {
            runner.stop()
            server.stop()
        }
        let folder = try makeTemporaryDirectory("once-smoke")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("task.json")
        try #"{"goal": "add greet()", "path": "dummy.py"}"#.write(to: file, atomically: true, encoding: .utf8)
        func once() throws -> (ProcessOutput, CommitResult) {
            let output = try run(
                [
                    Paths.product("coding-agent").path, "once", "--task", file.path, "--remote-repo", server.remote,
                    "--cache-dir", folder.appendingPathComponent("cache").path, "--runner-socket", runner.socket,
                ],
                environment: [
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": folder.path,
                    "MOCK_LLM": "1",
                ],
                check: false)
            return (output, try CommitResult(jsonString: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        let (output, result) = try once()
        #expect(output.status == 0, "\(output.stderr)")
        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(result.taskID.hasPrefix("task-") && result.branchName == "agt/\(result.taskID)")
        #expect(result.notes.contains { $0.contains("the task has no id") })
        #expect(result.notes.contains { $0.contains("default branch main at \(server.fixture.baseCommit)") })
        #expect(try server.served(["rev-parse", "\(result.branchName)^"]) == server.fixture.baseCommit)

        let (_, again) = try once()
        #expect(
            again.taskID == result.taskID && again.commitSha == result.commitSha,
            "the same file maps to the same branch")
        #expect(again.notes.contains { $0.hasPrefix("redelivered") }, "\(again.notes)")
    }
}
