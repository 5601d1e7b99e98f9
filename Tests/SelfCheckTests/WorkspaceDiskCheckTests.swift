import Contracts
import Foundation
import RunnerProtocol
import RunnerProtocolClient
import TestSupport
import Testing

/// A patch whose test fills the disk, checked by a served runner: the pytest step reports the disk limit,
/// the host's file system under the runner's state folder never holds the data, and the runner goes on
/// serving. A root runner's bound is its workspace's tmpfs (a runner that is not root has only its state
/// folder's size: see the sandbox suite's `nonRootRunnerIsBoundByItsStateFoldersTmpfs`).
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkspaceDiskCheckTests {
    static let limit: UInt64 = 32 << 20

    /// Eighty MiB in ten-MiB files from inside pytest, in the workspace (the check's working directory).
    static let fillingTest = """


        def test_fills_the_workspace():
            block = b"x" * (10 << 20)
            for index in range(8):
                with open(f"fill-{index}.bin", "wb") as handle:
                    handle.write(block)

        """

    @Test(.enabled(if: geteuid() == 0, "a root runner bounds each workspace with a tmpfs"))
    func aTestThatFillsTheDiskHitsTheDiskLimitAndTheRunnerGoesOn() async throws {
        let scratch = try makeTemporaryDirectory("disk-check")
        defer { _ = try? run(["rm", "-rf", scratch.path], check: false) }
        chmod(scratch.path, 0o755)
        let state = scratch.appendingPathComponent("state")
        let server = try RunnerProcess(arguments: ["--state-dir", state.path])
        defer { server.stop() }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let filling = try repo.diff { try append(Self.fillingTest, to: "toolz/tests/test_utils.py", in: $0) }

        // What lands on the state folder's own file system, sampled while the check runs.
        let largest = Sampler()
        let sampling = Task.detached {
            while !Task.isCancelled {
                largest.record(bytesOnTheSameFileSystem(state.path))
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let report = try await check(filling, in: repo, id: "disk-1", limits: .with { $0.diskBytes = Self.limit })
        sampling.cancel()
        _ = await sampling.value

        let pytest = try #require(report.steps.first { $0.name == "pytest" }, "\(report.reason)")
        #expect(pytest.limitHit == .disk, "\(pytest.status) \(pytest.note) \(pytest.outputTail.suffix(800))")
        #expect(pytest.status == .failed)
        #expect(report.verdict == .fail, "\(report.reason)")
        #expect(largest.value < 1 << 20, "\(largest.value) bytes reached the host's file system")
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: state.path)) ?? []).isEmpty,
            "the workspaces and their tmpfs are gone")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(state.path), "no workspace mount is left behind")

        // The same runner, the next check: unaffected.
        let good = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let next = try await check(good, in: repo, id: "disk-2", limits: Limits())
        #expect(next.verdict == .pass, "\(next.reason)")
        #expect(server.process.isRunning)

        func check(_ diff: String, in repo: FixtureRepo, id: String, limits: Limits) async throws -> CheckReport {
            let request = CheckRequest.with {
                $0.requestID = id
                $0.repoPath = repo.root.path
                $0.diff = diff
                $0.limits = limits
            }
            var report: CheckReport?
            for try await update in RunnerClient(socketPath: server.socket).check(request) {
                if case .report(let final) = update { report = final }
            }
            return try #require(report)
        }
    }
}

/// The largest value seen, from another task.
private final class Sampler: @unchecked Sendable {
    private let lock = NSLock()
    private var largest: UInt64 = 0
    func record(_ value: UInt64) { lock.withLock { largest = max(largest, value) } }
    var value: UInt64 { lock.withLock { largest } }
}
