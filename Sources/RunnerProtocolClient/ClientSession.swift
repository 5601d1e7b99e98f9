import Contracts
import Glibc
import RunnerProtocol
import Synchronization

/// One client connection, driven by a single thread; `close()` may come from any thread and wakes it.
final class ClientSession: Sendable {
    private let socketPath: String
    private let maxFrameBytes: Int
    /// An fd sent with the request (SCM_RIGHTS); owned, closed when the exchange ends.
    private let passedFD: Int32?
    /// Bounds each read; nil waits as long as the runner takes (a check's events can be minutes apart).
    private let receiveTimeout: Duration?
    /// The connected fd while the exchange runs; `isClosed` once the consumer gave up.
    private let state = Mutex<(fd: Int32?, isClosed: Bool)>((nil, false))

    init(socketPath: String, maxFrameBytes: Int, passing passedFD: Int32? = nil, receiveTimeout: Duration? = nil) {
        self.socketPath = socketPath
        self.maxFrameBytes = maxFrameBytes
        self.passedFD = passedFD
        self.receiveTimeout = receiveTimeout
    }

    deinit {
        if let passedFD { Glibc.close(passedFD) }
    }

    /// Connects, sends `frame`, then hands each server frame to `handle` until it returns false.
    /// Blocks the calling thread.
    /// - Throws: `RunnerClientError`, or whatever `handle` throws.
    func exchange(_ frame: ClientFrame, handle: (ServerFrame) throws(RunnerClientError) -> Bool)
        throws(RunnerClientError)
    {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(to: socketPath)
        } catch {
            throw RunnerClientError(.unavailable, "runner unavailable: \(error)", socketError: error)
        }
        let proceed = state.withLock { state in
            if state.isClosed { return false }
            state.fd = fd
            return true
        }
        defer {
            state.withLock { $0.fd = nil }
            Glibc.close(fd)
        }
        guard proceed else { throw RunnerClientError(.disconnected, "closed by the caller") }
        if let receiveTimeout { UnixSocket.setTimeout(fd, SO_RCVTIMEO, receiveTimeout) }
        do {
            if let passedFD {
                try UnixSocket.writeAll(fd, frame.framed(), passing: passedFD)
            } else {
                try UnixSocket.writeAll(fd, frame.framed())
            }
        } catch {
            throw RunnerClientError(.disconnected, "sending the request failed: \(error)", socketError: error)
        }
        var decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count: Int
            do {
                count = try UnixSocket.read(fd, into: &buffer)
            } catch {
                throw RunnerClientError(.disconnected, "reading from the runner failed: \(error)", socketError: error)
            }
            if count == 0 {
                let closedByCaller = state.withLock { $0.isClosed }
                throw RunnerClientError(
                    .disconnected, closedByCaller ? "closed by the caller" : "the runner closed the connection")
            }
            decoder.append(buffer[..<count])
            do {
                while let payload = try decoder.nextFrame() {
                    let server: ServerFrame
                    do {
                        server = try ServerFrame(serializedBytes: payload)
                    } catch {
                        throw RunnerClientError(.badResponse, "undecodable ServerFrame (\(payload.count) bytes)")
                    }
                    if try !handle(server) { return }
                }
            } catch let error as FrameError {
                throw RunnerClientError(.badResponse, "bad frame from the runner: \(error)")
            } catch let error as RunnerClientError {
                throw error
            } catch {
                throw RunnerClientError(.badResponse, "\(error)")
            }
        }
    }

    /// Ends the exchange: wakes a blocked read, so the runner sees the connection close.
    func close() {
        state.withLock { state in
            state.isClosed = true
            if let fd = state.fd { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
}
