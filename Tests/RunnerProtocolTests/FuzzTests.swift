import Contracts
import TestSupport
import Testing

@testable import RunnerProtocol

extension RunnerProtocolSuite {
    @Suite struct FuzzTests {
        /// Random bytes, fed in random splits, only ever produce frames within the cap or a FrameError.
        @Test func randomInputNeverCrashesTheDecoder() {
            var random = SplitMix64(state: 6)
            var outcomes = (frames: 0, errors: 0)
            for _ in 0..<2000 {
                var decoder = FrameDecoder(maxFrameBytes: 64)
                // Small length prefixes half of the time, so payloads reach the protobuf decoder too.
                var bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                if Bool.random(using: &random), bytes.count >= 4 {
                    bytes[0...2] = [0, 0, 0]
                    bytes[3] %= 40
                }
                var offset = 0
                do {
                    while offset < bytes.count {
                        let end = min(bytes.count, offset + Int.random(in: 1...9, using: &random))
                        decoder.append(bytes[offset..<end])
                        offset = end
                        while let payload = try decoder.nextFrame() {
                            #expect(payload.count <= 64)
                            _ = try? ClientMessage(payload: payload)
                            outcomes.frames += 1
                        }
                    }
                    try decoder.finish()
                } catch {
                    outcomes.errors += 1
                }
            }
            #expect(outcomes.frames > 0)
            #expect(outcomes.errors > 0)
        }

        /// Connections sending random bytes are answered or closed; the server keeps serving.
        @Test func randomBytesOnManyConnectionsLeaveTheServerServing() async throws {
            let fixture = try await ServerFixture {
                $0.readTimeout = .milliseconds(300)
                $0.maxFrameBytes = 1024
            }
            var random = SplitMix64(state: 42)
            for _ in 0..<20 {
                let connection = try RawConnection(socketPath: fixture.socketPath)
                try connection.send(
                    (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
                let (frames, closed) = try await connection.readUntilClosed()
                #expect(closed)
                #expect(frames.allSatisfy { $0.error.code == "bad_frame" || $0.error.code == "too_large" })
            }
            let result = await collect(fixture.client.check(makeRequest("survivor")))
            #expect(result.updates.last?.report?.reason == "checked survivor")
            try await fixture.stop()
        }
    }
}
