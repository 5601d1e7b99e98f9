import Contracts
import TestSupport
import Testing

@testable import RunnerProtocolClient
@testable import RunnerProtocolServer

extension RunnerProtocolSuite {
    @Suite struct CheckTests {
        @Test func requestStreamsEventsThenTheReport() async throws {
            let fixture = try await ServerFixture()
            let result = await collect(
                fixture.client.check(makeRequest("round-trip", steps: ["apply", "black", "ruff"])))
            try await fixture.stop()

            #expect(result.error == nil)
            let events = result.updates.compactMap(\.event)
            #expect(events.map(\.stepStarted.name) == ["apply", "black", "ruff"])
            #expect(events.allSatisfy { $0.requestID == "round-trip" })
            #expect(result.updates.count == 4)
            let report = try #require(result.updates.last?.report)
            #expect(report.requestID == "round-trip")
            #expect(report.verdict == .pass)
            #expect(report.reason == "checked round-trip")
        }

        @Test func sixteenConcurrentClientsEachGetTheirOwnReport() async throws {
            let fixture = try await ServerFixture {
                $0.maxConcurrentJobs = 4
                $0.maxQueuedJobs = 16
            }
            let reasons = await withTaskGroup(of: (String, String?).self) { group in
                for index in 0..<16 {
                    let id = "client-\(index)"
                    group.addTask {
                        let result = await collect(fixture.client.check(makeRequest(id, sleep: .milliseconds(50))))
                        return (id, result.updates.last?.report?.reason)
                    }
                }
                var reasons: [String: String?] = [:]
                for await (id, reason) in group { reasons[id] = reason }
                return reasons
            }
            try await fixture.stop()

            #expect(reasons.count == 16)
            for (id, reason) in reasons {
                #expect(reason == "checked \(id)")
            }
        }

        @Test func aRequestBeyondTheRunningJobAndTheQueueIsBusy() async throws {
            let fixture = try await ServerFixture {
                $0.maxConcurrentJobs = 1
                $0.maxQueuedJobs = 1
            }
            let client = fixture.client
            let running = Task { await collect(client.check(makeRequest("running", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("running"))
            // The second waits in the queue; its first update says so.
            let queuedStream = client.check(makeRequest("queued", sleep: .seconds(30)))
            var queuedIterator = queuedStream.makeAsyncIterator()
            let queuedEvent = try await queuedIterator.next()?.event
            #expect(queuedEvent?.queued.isEmpty == false)
            #expect(queuedEvent?.requestID == "queued")

            let third = await collect(client.check(makeRequest("third")))
            let error = try #require(third.error as? RunnerClientError)
            #expect(error.serverCode == "busy")
            #expect(error.isRetriable)
            #expect(third.updates.isEmpty)
            #expect(!fixture.executor.hasStarted("third"))

            running.cancel()
            try await fixture.stop()
            _ = queuedIterator
        }

        @Test func aRequestWithoutAnIDIsRefused() async throws {
            let fixture = try await ServerFixture()
            let result = await collect(fixture.client.check(makeRequest("")))
            let error = try #require(result.error as? RunnerClientError)
            #expect(error.serverCode == "bad_frame")
            #expect(error.message.contains("request_id"))
            try await fixture.stop()
        }

        @Test func connectionsBeyondTheCapAreBusy() async throws {
            let fixture = try await ServerFixture { $0.maxConnections = 2 }
            // One at a time, so the fixture's readiness probe cannot take a place.
            var idle: [RawConnection] = []
            for open in 1...2 {
                #expect(
                    await eventually(within: .seconds(10), every: .milliseconds(10)) {
                        fixture.server.tracker.count == open - 1
                    })
                idle.append(try RawConnection(socketPath: fixture.socketPath))
            }
            #expect(
                await eventually(within: .seconds(10), every: .milliseconds(10)) { fixture.server.tracker.count == 2 })
            let third = await collect(fixture.client.check(makeRequest("crowded")))
            #expect((third.error as? RunnerClientError)?.serverCode == "busy")
            #expect(idle.count == 2)
            try await fixture.stop()
        }

        @Test func aRequestIDAlreadyInProgressIsRefused() async throws {
            let fixture = try await ServerFixture()
            let first = Task { await collect(fixture.client.check(makeRequest("same", sleep: .seconds(30)))) }
            #expect(await fixture.executor.waitUntilStarted("same"))
            let second = await collect(fixture.client.check(makeRequest("same")))
            #expect((second.error as? RunnerClientError)?.serverCode == "bad_frame")
            first.cancel()
            try await fixture.stop()
        }
    }
}
