import Contracts
import Dispatch
import Foundation
import Glibc
import RunnerProtocol
import Synchronization

/// What the reader thread of a connection reports.
enum ConnectionInput: Sendable {
    /// A decoded message; a check may come with the workspace directory passed as an fd.
    case message(ClientMessage, workspace: WorkspaceDirectory?)
    /// A protocol violation; the connection must be answered with this error and closed.
    case failure(ProtocolFailure)
}

/// One accepted client: a reader thread that decodes frames with a deadline, and a serial queue that
/// writes frames, so no blocking call ever runs on the cooperative pool.
///
/// The fd is closed in `deinit`, i.e. only when neither the reader nor a pending write can still use it;
/// "closing" before that is `shutdown(2)`, which wakes the reader and fails later writes.
final class Connection: Sendable {
    let fd: Int32
    let peer: PeerCredentials
    private let writer: DispatchQueue
    private let isClosed = Atomic<Bool>(false)

    init(fd: Int32, peer: PeerCredentials, id: Int) {
        self.fd = fd
        self.peer = peer
        writer = DispatchQueue(label: "runner-connection-\(id)-writer")
    }

    deinit {
        Glibc.close(fd)
    }

    /// Decoded client messages, read on a dedicated thread until end of stream, a protocol violation
    /// (reported as the last element), or `close()`.
    ///
    /// A frame must arrive whole within `readTimeout` of its first byte; before the first frame the clock
    /// starts at connect. Between frames an established connection may stay silent (its job is running).
    func inputs(maxFrameBytes: Int, readTimeout: Duration) -> AsyncStream<ConnectionInput> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConnectionInput.self)
        let thread = Thread { [self] in
            readLoop(FrameDecoder(maxFrameBytes: maxFrameBytes), readTimeout: readTimeout, continuation)
            continuation.finish()
        }
        thread.name = "runner-connection-reader"
        thread.start()
        return stream
    }

    /// Queues a frame for writing; dropped silently once the connection is closed.
    func send(_ frame: ServerFrame) {
        let bytes = frame.framed()
        writer.async { [self] in write(bytes) }
    }

    /// Writes a frame and returns once it is written or dropped, so that a producer of events cannot
    /// run ahead of a slow client (each blocked write is bounded by the send timeout).
    func sendAndWait(_ frame: ServerFrame) async {
        let bytes = frame.framed()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            writer.async { [self] in
                write(bytes)
                continuation.resume()
            }
        }
    }

    /// Runs on `writer` only.
    private func write(_ bytes: [UInt8]) {
        guard !isClosed.load(ordering: .acquiring) else { return }
        do {
            try UnixSocket.writeAll(fd, bytes)
        } catch {
            close()  // the peer is gone or stopped reading (send timeout): treat it as a disconnect
        }
    }

    /// Closes after every queued frame has been written: a "lingering" close. The write side is shut
    /// first (the client reads our frames, then end of stream), and input is drained until the client
    /// closes or one second passes. Closing with unread client bytes would instead reset the
    /// connection, and the client could lose the frames we just sent (e.g. the reason for a refusal).
    func finish() {
        writer.async { [self] in
            guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
            Glibc.shutdown(fd, Int32(SHUT_WR))
            discardInput(for: .seconds(1))
            Glibc.shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    /// Closes now: the reader sees end of stream, queued writes are dropped.
    func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Reads and drops input until end of stream or `limit`.
    private func discardInput(for limit: Duration) {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let remaining = ContinuousClock.now.duration(to: deadline), remaining > .zero {
            guard (try? UnixSocket.waitReadable(fd, timeoutMilliseconds: remaining.pollMilliseconds)) == true else {
                return
            }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return }
        }
    }

    private func readLoop(
        _ decoder: FrameDecoder, readTimeout: Duration, _ continuation: AsyncStream<ConnectionInput>.Continuation
    ) {
        var decoder = decoder
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var receivedFDs: [Int32] = []
        // Received fds are owned here until a check request takes one; the rest are closed on exit.
        var passed: [WorkspaceDirectory] = []
        defer { for fd in receivedFDs { Glibc.close(fd) } }
        let clock = ContinuousClock()
        var deadline: ContinuousClock.Instant? = clock.now + readTimeout
        while true {
            do {
                if let deadline {
                    let remaining = clock.now.duration(to: deadline)
                    guard try UnixSocket.waitReadable(fd, timeoutMilliseconds: remaining.pollMilliseconds) else {
                        continuation.yield(
                            .failure(ProtocolFailure(.badFrame, "no complete frame within \(readTimeout)")))
                        return
                    }
                }
                let count = try UnixSocket.read(fd, into: &buffer, receivedFDs: &receivedFDs)
                passed += receivedFDs.map(WorkspaceDirectory.init(fileDescriptor:))
                receivedFDs.removeAll()
                if count == 0 {
                    try decoder.finish()
                    return
                }
                decoder.append(buffer[..<count])
                while let payload = try decoder.nextFrame() {
                    let message = try ClientMessage(payload: payload)
                    continuation.yield(.message(message, workspace: try Self.workspace(for: message, from: passed)))
                    passed.removeAll()
                }
                if decoder.bufferedByteCount == 0 {
                    deadline = nil
                } else if deadline == nil {
                    deadline = clock.now + readTimeout
                }
            } catch let error as FrameError {
                continuation.yield(.failure(ProtocolFailure(error)))
                return
            } catch let failure as ProtocolFailure {
                continuation.yield(.failure(failure))
                return
            } catch let error as RunnerSocketError where error.errno == EMSGSIZE {
                continuation.yield(.failure(ProtocolFailure(.badFrame, "too many fds passed")))
                return
            } catch {
                return  // a socket error: the peer is gone
            }
        }
    }

    /// The directory passed with a check request: at most one fd, only with a check, only a directory.
    private static func workspace(for message: ClientMessage, from passed: [WorkspaceDirectory]) throws(ProtocolFailure)
        -> WorkspaceDirectory?
    {
        guard let directory = passed.first else { return nil }
        guard passed.count == 1, case .check = message else {
            throw ProtocolFailure(.badFrame, "an fd may only be passed with a check request, and only one")
        }
        guard directory.isDirectory else { throw ProtocolFailure(.badFrame, "the passed fd is not a directory") }
        return directory
    }
}
