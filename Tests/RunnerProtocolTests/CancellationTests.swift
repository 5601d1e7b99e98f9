import Contracts
import TestSupport
import Testing

@testable import RunnerProtocolClient
@testable import RunnerProtocolServer

extension RunnerProtocolSuite {
    @Suite struct CancellationTests {
        @Test func clientDisconnectMidJobCancelsTheExecutor() async throws {
            let fixture = try await ServerFixture()
            var sawEvent = false
            for try await update in fixture.client.check(makeRequest("leaver", sleep: .seconds(30))) {
                sawEvent = update.event != nil
                break  // ends the stream: the client closes its connection
            }
            #expect(sawEvent)
            #expect(await fixture.executor.outcome(of: "leaver") == .cancelled)
            try await fixture.stop()
        }

        @Test func cancellingTheConsumingTaskCancelsTheExecutor() async throws {
            let fixture = try await ServerFixture()
            let client = fixture.client
            let consumer = Task { await collect(client.check(makeRequest("abandoned", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("abandoned"))
            consumer.cancel()
            _ = await consumer.value
            #expect(await fixture.executor.outcome(of: "abandoned") == .cancelled)
            try await fixture.stop()
        }

        @Test func aQueuedClientThatLeavesGivesUpItsQueuePlace() async throws {
            let fixture = try await ServerFixture {
                $0.maxConcurrentJobs = 1
                $0.maxQueuedJobs = 1
            }
            let client = fixture.client
            let running = Task { await collect(client.check(makeRequest("running", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("running"))
            for try await update in client.check(makeRequest("impatient")) {
                #expect(update.event?.queued.isEmpty == false)
                break  // leaves while queued
            }
            #expect(
                await eventually(within: .seconds(10), every: .milliseconds(10)) {
                    fixture.server.limiter.counts.waiting == 0
                })

            // The place is free again: the next request is queued, not refused.
            var next = client.check(makeRequest("next")).makeAsyncIterator()
            #expect(try await next.next()?.event?.queued.isEmpty == false)
            #expect(!fixture.executor.hasStarted("impatient"))
            running.cancel()
            try await fixture.stop()
        }

        @Test func cancelByRequestIDFromAnotherConnection() async throws {
            let fixture = try await ServerFixture()
            let client = fixture.client
            let job = Task { await collect(client.check(makeRequest("victim", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("victim"))

            #expect(try await client.cancel(requestID: "victim"))
            let result = await job.value
            let error = try #require(result.error as? RunnerClientError)
            #expect(error.serverCode == "cancelled")
            #expect(error.protocolError?.requestID == "victim")
            #expect(await fixture.executor.outcome(of: "victim") == .cancelled)

            #expect(try await client.cancel(requestID: "victim") == false)  // no longer in progress
            try await fixture.stop()
        }

        @Test func cancelOnTheJobsOwnConnection() async throws {
            let fixture = try await ServerFixture()
            let connection = try RawConnection(socketPath: fixture.socketPath)
            try connection.send(ClientFrame.with { $0.check = makeRequest("self-cancel", sleep: .seconds(30)) })
            #expect(await fixture.executor.waitUntilStarted("self-cancel"))
            try connection.send(ClientFrame.with { $0.cancel.requestID = "self-cancel" })

            let (frames, closed) = try await connection.readUntilClosed()
            #expect(closed)
            #expect(frames.last?.error.code == "cancelled")
            #expect(frames.last?.error.requestID == "self-cancel")
            #expect(await fixture.executor.outcome(of: "self-cancel") == .cancelled)
            try await fixture.stop()
        }
    }
}
