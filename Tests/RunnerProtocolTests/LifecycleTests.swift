import Contracts
import Foundation
import Logging
import TestSupport
import Testing

@testable import RunnerProtocol
@testable import RunnerProtocolClient
@testable import RunnerProtocolServer

extension RunnerProtocolSuite {
    @Suite struct LifecycleTests {
        @Test func aSilentClientIsDroppedAfterTheReadTimeout() async throws {
            let fixture = try await ServerFixture { $0.readTimeout = .milliseconds(300) }
            let silent = try RawConnection(socketPath: fixture.socketPath)
            let started = ContinuousClock.now
            let (frames, closed) = try await silent.readUntilClosed()
            let waited = ContinuousClock.now - started
            #expect(closed)
            #expect(frames.first?.error.code == "bad_frame")
            #expect(waited >= .milliseconds(250) && waited < .seconds(4))
            try await fixture.stop()
        }

        @Test func aClientSendingHalfAFrameIsDroppedAfterTheReadTimeout() async throws {
            let fixture = try await ServerFixture { $0.readTimeout = .milliseconds(300) }
            let slow = try RawConnection(socketPath: fixture.socketPath)
            try slow.send([0, 0, 0, 50, 1, 2])
            let (frames, closed) = try await slow.readUntilClosed()
            #expect(closed)
            #expect(frames.first?.error.code == "bad_frame")
            try await fixture.stop()
        }

        @Test func aClientThatStopsReadingIsDisconnectedAndItsJobCancelled() async throws {
            let fixture = try await ServerFixture { $0.readTimeout = .milliseconds(300) }
            let connection = try RawConnection(socketPath: fixture.socketPath)
            try connection.send(ClientFrame.with { $0.check = makeRequest("deaf", steps: ["flood"]) })
            #expect(await fixture.executor.waitUntilStarted("deaf"))
            #expect(await fixture.executor.outcome(of: "deaf") == .cancelled)
            try await fixture.stop()
        }

        @Test func aRunningJobOutlivesTheReadTimeout() async throws {
            let fixture = try await ServerFixture { $0.readTimeout = .milliseconds(200) }
            let result = await collect(fixture.client.check(makeRequest("patient", sleep: .milliseconds(600))))
            #expect(result.error == nil)
            #expect(result.updates.last?.report?.verdict == .pass)
            try await fixture.stop()
        }

        @Test func socketFileIs0660InA0750Directory() async throws {
            let fixture = try await ServerFixture()
            let file = try FileManager.default.attributesOfItem(atPath: fixture.socketPath)
            let directory = try FileManager.default.attributesOfItem(
                atPath: (fixture.socketPath as NSString).deletingLastPathComponent)
            #expect(file[.type] as? FileAttributeType == .typeSocket)
            #expect((file[.posixPermissions] as? Int) == 0o660)
            #expect((directory[.posixPermissions] as? Int) == 0o750)
            try await fixture.stop()
        }

        @Test func refusesToReplaceAFileThatIsNotASocket() async throws {
            let directory = try makeTemporaryDirectory("runner")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("runner.sock").path
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
            let server = RunnerServer(
                configuration: RunnerServerConfiguration(socketPath: path), executor: TestExecutor(),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            await #expect(throws: RunnerSocketError.self) { try await server.run() }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
        }

        @Test func aStaleSocketIsReplacedButALiveRunnerIsNot() async throws {
            let fixture = try await ServerFixture()
            // A second server on the same path must not steal the live one's socket.
            let second = RunnerServer(
                configuration: RunnerServerConfiguration(socketPath: fixture.socketPath), executor: TestExecutor(),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            await #expect(throws: RunnerSocketError.self) { try await second.run() }
            let stillServed = await collect(fixture.client.check(makeRequest("first-owner")))
            #expect(stillServed.updates.last?.report?.verdict == .pass)
            try await fixture.stop()

            // A socket file nobody listens on (a crashed runner's) is replaced.
            let directory = try makeTemporaryDirectory("runner")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("runner.sock").path
            let stale = try UnixSocket.make()
            #expect(try UnixSocket.withAddress(path) { bind(stale, $0, $1) } == 0)
            close(stale)
            let restarted = try await ServerFixture { $0.socketPath = path }
            let served = await collect(restarted.client.check(makeRequest("after-crash")))
            #expect(served.updates.last?.report?.verdict == .pass)
            try await restarted.stop()
        }

        @Test func gracefulShutdownCancelsRunningJobsAndRemovesTheSocket() async throws {
            let fixture = try await ServerFixture { $0.shutdownGrace = .milliseconds(200) }
            let client = fixture.client
            let job = Task { await collect(client.check(makeRequest("long", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("long"))

            let started = ContinuousClock.now
            try await fixture.stop()
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(!FileManager.default.fileExists(atPath: fixture.socketPath))
            #expect(await fixture.executor.outcome(of: "long") == .cancelled)
            let error = try #require(await job.value.error as? RunnerClientError)
            #expect(error.serverCode == "cancelled")
        }

        @Test func gracefulShutdownRefusesQueuedJobs() async throws {
            let fixture = try await ServerFixture {
                $0.maxConcurrentJobs = 1
                $0.shutdownGrace = .milliseconds(200)
            }
            let client = fixture.client
            let running = Task { await collect(client.check(makeRequest("running", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("running"))
            let queued = Task { await collect(client.check(makeRequest("waiting"))) }
            #expect(
                await eventually(within: .seconds(10), every: .milliseconds(10)) {
                    fixture.server.limiter.counts.waiting == 1
                })

            try await fixture.stop()
            let queuedResult = await queued.value
            #expect((queuedResult.error as? RunnerClientError)?.serverCode == "cancelled")
            #expect(queuedResult.updates.compactMap(\.event).map(\.queued).count == 1)
            #expect(!fixture.executor.hasStarted("waiting"))
            #expect((await running.value.error as? RunnerClientError)?.serverCode == "cancelled")
        }

        @Test func gracefulShutdownLetsShortJobsFinish() async throws {
            let fixture = try await ServerFixture { $0.shutdownGrace = .seconds(5) }
            let client = fixture.client
            let job = Task { await collect(client.check(makeRequest("short", sleep: .milliseconds(300)))) }
            #expect(await fixture.executor.waitUntilStarted("short"))
            try await fixture.stop()
            #expect(await job.value.updates.last?.report?.verdict == .pass)
            #expect(await fixture.executor.outcome(of: "short") == .finished)
        }

        @Test func aClientOfAStoppedRunnerGetsUnavailable() async throws {
            let fixture = try await ServerFixture()
            try await fixture.stop()
            let result = await collect(fixture.client.check(makeRequest("late")))
            let error = try #require(result.error as? RunnerClientError)
            #expect(error.code == .unavailable)
            #expect(error.isRetriable)
        }
    }
}
