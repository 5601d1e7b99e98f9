import Contracts
import Foundation
import Glibc

@testable import RunnerProtocol
@testable import RunnerProtocolClient

/// A hand-driven client socket for sending arbitrary bytes. Reads time out after 5 s so a test
/// cannot hang.
final class RawConnection: Sendable {
    let fd: Int32

    init(socketPath: String) throws {
        fd = try UnixSocket.connect(to: socketPath)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        try UnixSocket.writeAll(fd, bytes)
    }

    func send(_ frame: ClientFrame) throws {
        try send(FrameEncoder.encode(try frame.serializedBytes() as [UInt8]))
    }

    /// Half-closes: the server sees end of stream but can still answer.
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads server frames until the server closes the connection (on a dedicated thread).
    /// - Returns: the frames, and whether the connection was closed (false: the read timed out).
    func readUntilClosed() async throws -> (frames: [ServerFrame], closed: Bool) {
        let fd = self.fd
        let bytes: ([UInt8], Bool) = await onThread {
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    data += buffer[..<count]
                    continue
                }
                return (data, count == 0 || errno == ECONNRESET)
            }
        }
        return (try decodeServerFrames(bytes.0), bytes.1)
    }
}

/// Splits framed bytes into server frames.
func decodeServerFrames(_ bytes: [UInt8]) throws -> [ServerFrame] {
    var decoder = FrameDecoder(maxFrameBytes: 1 << 24)
    decoder.append(bytes)
    var frames: [ServerFrame] = []
    while let payload = try decoder.nextFrame() {
        frames.append(try ServerFrame(serializedBytes: payload))
    }
    try decoder.finish()
    return frames
}

/// Runs blocking work on its own thread, off the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Collects a check's updates; the error that ended the stream, if any.
func collect(_ stream: AsyncThrowingStream<RunnerUpdate, any Error>) async -> (
    updates: [RunnerUpdate], error: (any Error)?
) {
    var updates: [RunnerUpdate] = []
    do {
        for try await update in stream { updates.append(update) }
        return (updates, nil)
    } catch {
        return (updates, error)
    }
}

extension RunnerUpdate {
    var report: CheckReport? {
        if case .report(let report) = self { return report }
        return nil
    }

    var event: CheckEvent? {
        if case .event(let event) = self { return event }
        return nil
    }
}
