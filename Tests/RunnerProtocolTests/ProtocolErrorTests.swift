import Contracts
import Testing

extension RunnerProtocolSuite {
    @Suite struct ProtocolErrorTests {
        /// Bytes a broken or hostile client might send, and the error code it must get before the close.
        static let cases: [(name: String, bytes: [UInt8], halfClose: Bool, code: String)] = [
            ("garbage", [0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], false, "bad_frame"),
            ("http request", Array("GET / HTTP/1.1\r\n\r\n".utf8), false, "too_large"),
            ("oversized length prefix", [0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3], false, "too_large"),
            ("truncated frame", [0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true, "bad_frame"),
            ("empty oneof", [0, 0, 0, 0], false, "bad_frame"),
            ("unknown message type", [0, 0, 0, 3, 0x3A, 0x01, 0x00], false, "bad_frame"),
        ]

        @Test(arguments: 0..<cases.count)
        func badInputGetsAProtocolErrorAndTheServerKeepsServing(_ index: Int) async throws {
            let (_, bytes, halfClose, code) = Self.cases[index]
            let fixture = try await ServerFixture { $0.maxFrameBytes = 1 << 20 }
            let connection = try RawConnection(socketPath: fixture.socketPath)
            try connection.send(bytes)
            if halfClose { connection.shutdownWrite() }
            let (frames, closed) = try await connection.readUntilClosed()
            #expect(frames.count == 1)
            #expect(frames.first?.error.code == code)
            #expect(closed)

            let next = await collect(fixture.client.check(makeRequest("after-\(index)")))
            #expect(next.updates.last?.report?.reason == "checked after-\(index)")
            try await fixture.stop()
        }

        @Test func aSecondCheckOnTheSameConnectionIsABadFrameAndCancelsTheFirst() async throws {
            let fixture = try await ServerFixture()
            let connection = try RawConnection(socketPath: fixture.socketPath)
            try connection.send(ClientFrame.with { $0.check = makeRequest("first", sleep: .seconds(30)) })
            #expect(await fixture.executor.waitUntilStarted("first"))
            try connection.send(ClientFrame.with { $0.check = makeRequest("second") })
            let (frames, closed) = try await connection.readUntilClosed()
            #expect(closed)
            #expect(frames.last?.error.code == "bad_frame")
            #expect(await fixture.executor.outcome(of: "first") == .cancelled)
            #expect(!fixture.executor.hasStarted("second"))
            try await fixture.stop()
        }
    }
}
