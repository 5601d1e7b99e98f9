// libFuzzer target for the runner protocol's frame decoder (built by scripts/fuzz with
// `swiftc -sanitize=fuzzer` over Sources/RunnerProtocol/Framing/FrameCodec.swift and this file).
// Input: byte 0 picks the frame cap, byte 1 seeds how the rest is split into `append` calls, the rest
// is the byte stream. Checks the decoder's promises: frames within the cap, frames re-encode to exactly
// the bytes consumed, never more than one partial frame buffered, `tooLarge` only for a header that
// does exceed the cap, `truncated` exactly when the stream stops inside a frame.

#if canImport(Glibc)
    import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func frameFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let cap = Int(input[0]) * 4
    var split = UInt32(input[1]) | 1
    let stream = Array(input[2...])

    var decoder = FrameDecoder(maxFrameBytes: cap)
    var consumed: [UInt8] = []
    var offset = 0
    while offset < stream.count {
        split = split &* 1_103_515_245 &+ 12345  // a small LCG: chunk sizes 1...16
        let end = min(stream.count, offset + 1 + Int(split >> 16) % 16)
        decoder.append(stream[offset..<end])
        offset = end
        do {
            while let payload = try decoder.nextFrame() {
                expect(payload.count <= cap, "frame of \(payload.count) bytes over the \(cap)-byte cap")
                consumed += FrameEncoder.encode(payload)
            }
        } catch {
            guard case .tooLarge(let length, let limit) = error else {
                expect(false, "nextFrame threw \(error)")
                return 0
            }
            let header = stream[consumed.count..<consumed.count + FrameDecoder.headerSize].reduce(0) {
                $0 << 8 | Int($1)
            }
            expect(
                limit == cap && length == header && length > cap,
                "tooLarge(\(length), \(limit)) for header \(header), cap \(cap)")
            return 0
        }
        expect(stream[..<consumed.count].elementsEqual(consumed), "frames do not re-encode to the bytes consumed")
        expect(
            decoder.bufferedByteCount == offset - consumed.count,
            "buffered \(decoder.bufferedByteCount), expected \(offset - consumed.count)")
        expect(decoder.bufferedByteCount < FrameDecoder.headerSize + cap, "a whole frame left undecoded")
    }
    do {
        try decoder.finish()
        expect(consumed.count == stream.count, "finish accepted \(stream.count - consumed.count) undecoded bytes")
    } catch {
        expect(error == .truncated(buffered: stream.count - consumed.count), "finish threw \(error)")
    }
    return 0
}

/// Prints why and aborts when `condition` is false: libFuzzer catches SIGABRT and saves the input
/// (precondition's message is lost in -O).
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let line = Array("fuzz property broken: \(message())\n".utf8)
    _ = write(2, line, line.count)
    abort()
}
