/// Why a byte stream is not a valid sequence of frames.
public enum FrameError: Error, Equatable, Sendable {
    /// The length prefix announces more than the cap allows.
    case tooLarge(length: Int, limit: Int)
    /// The stream ended inside a frame (`buffered` bytes of it were received).
    case truncated(buffered: Int)
}

/// Incremental decoder for the runner's framing: each frame is a 4-byte big-endian length followed by
/// that many payload bytes. Pure and allocation-bounded (never buffers more than one frame plus the
/// bytes of one `append`), so it can be fed arbitrary input, byte by byte, and fuzzed.
public struct FrameDecoder: Sendable {
    public static let headerSize = 4

    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0

    /// - Parameter maxFrameBytes: the largest payload accepted; a larger length prefix is an error.
    public init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes received but not yet returned as a frame (a partial frame when non-zero).
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes; call `nextFrame()` until it returns nil.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, nil when more bytes are needed.
    /// - Throws: `FrameError.tooLarge` as soon as a header announces more than `maxFrameBytes`.
    public mutating func nextFrame() throws(FrameError) -> [UInt8]? {
        guard bufferedByteCount >= Self.headerSize else { return nil }
        var length = 0
        for byte in buffer[start..<start + Self.headerSize] {
            length = length << 8 | Int(byte)
        }
        guard length <= maxFrameBytes else { throw .tooLarge(length: length, limit: maxFrameBytes) }
        let end = start + Self.headerSize + length
        guard buffer.count >= end else { return nil }
        let payload = Array(buffer[(start + Self.headerSize)..<end])
        start = end
        return payload
    }

    /// Call at end of stream.
    /// - Throws: `FrameError.truncated` when the stream stopped inside a frame.
    public func finish() throws(FrameError) {
        if bufferedByteCount > 0 { throw .truncated(buffered: bufferedByteCount) }
    }

    /// Drops consumed bytes so the buffer holds at most one partial frame.
    private mutating func compact() {
        guard start > 0 else { return }
        buffer.removeSubrange(0..<start)
        start = 0
    }
}

/// Encodes payloads for the runner's framing.
public enum FrameEncoder {
    /// The 4-byte big-endian length of `payload` followed by `payload`.
    public static func encode(_ payload: some Collection<UInt8>) -> [UInt8] {
        let length = UInt32(payload.count)
        var frame: [UInt8] = [
            UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
        frame.reserveCapacity(4 + payload.count)
        frame.append(contentsOf: payload)
        return frame
    }
}
