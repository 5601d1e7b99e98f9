import Contracts
import Foundation
import Glibc
import RunnerProtocolClient
import TestSupport
import Testing

extension RunnerProtocolSuite {
    /// Passing the workspace as a directory fd with SCM_RIGHTS.
    @Suite struct WorkspaceFDTests {
        /// How many of this process's fds point at `path`.
        static func openFDs(to path: String) -> Int {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return entries.filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
            }.count
        }

        @Test func aPassedDirectoryReachesTheExecutorAndIsClosedAfterTheJob() async throws {
            let fixture = try await ServerFixture()
            let workspace = try makeTemporaryDirectory("workspace")
            defer { try? FileManager.default.removeItem(at: workspace) }
            let fd = open(workspace.path, O_RDONLY | O_DIRECTORY)
            try #require(fd >= 0)

            var request = makeRequest("with-fd")
            request.repoPath = ""
            let result = await collect(fixture.client.check(request, workspaceDirectory: fd))
            close(fd)

            #expect(result.error == nil)
            #expect(result.updates.last?.report?.verdict == .pass)
            #expect(fixture.executor.workspace(of: "with-fd") == workspace.path)
            // Neither the client's copy nor the runner's received fd stays open.
            #expect(
                await eventually(within: .seconds(5), every: .milliseconds(10)) {
                    Self.openFDs(to: workspace.path) == 0
                })
            try await fixture.stop()
        }

        @Test func aCheckWithoutAnFDHasNoWorkspace() async throws {
            let fixture = try await ServerFixture()
            let result = await collect(fixture.client.check(makeRequest("no-fd")))
            #expect(result.updates.last?.report?.verdict == .pass)
            #expect(fixture.executor.hasStarted("no-fd"))
            #expect(fixture.executor.workspace(of: "no-fd") == nil)
            try await fixture.stop()
        }

        @Test func aPassedFDThatIsNotADirectoryIsABadFrame() async throws {
            let fixture = try await ServerFixture()
            let directory = try makeTemporaryDirectory("workspace")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("file").path
            try Data("x".utf8).write(to: URL(fileURLWithPath: file))
            let fd = open(file, O_RDONLY)
            try #require(fd >= 0)
            defer { close(fd) }

            let result = await collect(fixture.client.check(makeRequest("file-fd"), workspaceDirectory: fd))
            let error = try #require(result.error as? RunnerClientError)
            #expect(error.serverCode == "bad_frame")
            #expect(error.message.contains("not a directory"))
            #expect(!fixture.executor.hasStarted("file-fd"))
            try await fixture.stop()
        }

        @Test func anInvalidFDFailsInTheClient() async throws {
            let result = await collect(
                RunnerClient(socketPath: "/nonexistent/runner.sock").check(makeRequest("bad"), workspaceDirectory: -1))
            #expect((result.error as? RunnerClientError)?.code == .badRequest)
        }
    }
}
