import Contracts
import Testing

@testable import RunnerProtocol

extension RunnerProtocolSuite {
    @Suite struct FrameCodecTests {
        @Test func framesSplitAcrossReadsAreReassembledByteByByte() throws {
            let payloads: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 300)]
            let stream = payloads.flatMap { FrameEncoder.encode($0) }
            var decoder = FrameDecoder(maxFrameBytes: 1024)
            var decoded: [[UInt8]] = []
            for byte in stream {
                decoder.append([byte])
                while let frame = try decoder.nextFrame() { decoded.append(frame) }
            }
            #expect(decoded == payloads)
            #expect(decoder.bufferedByteCount == 0)
            try decoder.finish()
        }

        @Test func severalFramesInOneReadAreAllReturned() throws {
            var decoder = FrameDecoder(maxFrameBytes: 16)
            decoder.append(FrameEncoder.encode([1]) + FrameEncoder.encode([2, 2]) + [0, 0])
            #expect(try decoder.nextFrame() == [1])
            #expect(try decoder.nextFrame() == [2, 2])
            #expect(try decoder.nextFrame() == nil)
            #expect(decoder.bufferedByteCount == 2)
        }

        @Test func lengthOverTheCapIsRejectedFromTheHeaderAlone() {
            var decoder = FrameDecoder(maxFrameBytes: 8)
            decoder.append([0, 0, 0, 9])
            #expect(throws: FrameError.tooLarge(length: 9, limit: 8)) { try decoder.nextFrame() }
            var huge = FrameDecoder(maxFrameBytes: 8 << 20)
            huge.append([0xFF, 0xFF, 0xFF, 0xFF])
            #expect(throws: FrameError.tooLarge(length: 0xFFFF_FFFF, limit: 8 << 20)) { try huge.nextFrame() }
        }

        @Test func endOfStreamInsideAFrameIsTruncated() throws {
            var decoder = FrameDecoder(maxFrameBytes: 64)
            decoder.append([0, 0, 0, 10, 1, 2])
            #expect(try decoder.nextFrame() == nil)
            #expect(throws: FrameError.truncated(buffered: 6)) { try decoder.finish() }
        }

        @Test func clientFramesDecodeOnlyWithAKnownMessage() throws {
            let check = ClientFrame.with { $0.check = makeRequest("r1") }
            guard case .check(let request) = try ClientMessage(payload: try check.serializedBytes()) else {
                Issue.record("not a check")
                return
            }
            #expect(request.requestID == "r1")
            let empty: [UInt8] = try ClientFrame().serializedBytes()
            #expect(throws: ProtocolFailure.self) { try ClientMessage(payload: empty) }
            // Field 7 does not exist in ClientFrame: decodes as an unknown field with no oneof set.
            #expect(throws: ProtocolFailure.self) { try ClientMessage(payload: [0x3A, 0x01, 0x00]) }
            #expect(throws: ProtocolFailure.self) { try ClientMessage(payload: [0xFF, 0xFF, 0xFF]) }
        }
    }
}
