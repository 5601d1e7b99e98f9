import Contracts
import Foundation
import Glibc
import RunnerProtocol
import Synchronization

/// One step of a check as the client sees it: progress events, then the report.
public enum RunnerUpdate: Sendable {
    case event(CheckEvent)
    case report(CheckReport)
}

/// The agent's side of the runner protocol (docs/runner-protocol.md). Socket calls run on dedicated
/// threads, never on the cooperative pool.
public struct RunnerClient: Sendable {
    public var socketPath: String
    /// The largest server frame accepted (reports carry output tails). Default: 64 MiB.
    public var maxFrameBytes = 64 << 20

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Sends the request and yields each event, then the report; the stream then finishes.
    ///
    /// Ending the iteration early (or cancelling the consuming task) closes the connection, which
    /// cancels the job in the runner.
    /// - Throws (from the stream): `RunnerClientError` on protocol errors, refusals and disconnects.
    public func check(_ request: CheckRequest) -> AsyncThrowingStream<RunnerUpdate, any Error> {
        check(request, passing: nil)
    }

    /// `check(_:)`, passing the workspace as an open directory fd (`SCM_RIGHTS`) instead of by
    /// `repo_path`: the runner then needs no path access to the checkout. The fd is duplicated at once;
    /// the caller keeps (and closes) its own.
    public func check(_ request: CheckRequest, workspaceDirectory: Int32) -> AsyncThrowingStream<
        RunnerUpdate, any Error
    > {
        let copy = fcntl(workspaceDirectory, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else {
            let error = RunnerSocketError(call: "fcntl(F_DUPFD_CLOEXEC)", errno: errno)
            return AsyncThrowingStream {
                $0.finish(
                    throwing: RunnerClientError(
                        .badRequest, "cannot pass the workspace fd: \(error)", socketError: error))
            }
        }
        return check(request, passing: copy)
    }

    /// Runs a check on its own thread; `passedFD` is owned by the session, which closes it when done.
    private func check(_ request: CheckRequest, passing passedFD: Int32?) -> AsyncThrowingStream<
        RunnerUpdate, any Error
    > {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RunnerUpdate.self)
        let session = ClientSession(socketPath: socketPath, maxFrameBytes: maxFrameBytes, passing: passedFD)
        continuation.onTermination = { _ in session.close() }
        let frame = ClientFrame.with { $0.kind = .check(request) }
        let thread = Thread {
            do {
                try session.exchange(frame) { server throws(RunnerClientError) in
                    switch server.kind {
                    case .event(let event):
                        continuation.yield(.event(event))
                        return true
                    case .report(let report):
                        continuation.yield(.report(report))
                        return false
                    case .error(let error): throw RunnerClientError(error)
                    case nil: throw RunnerClientError(.badResponse, "empty or unknown ServerFrame")
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "runner-client"
        thread.start()
        return stream
    }

    /// Asks the runner to cancel a job (from any connection). The job's own stream then ends with a
    /// `cancelled` protocol error.
    /// - Returns: false when the runner has no job with this id (already finished, or never started).
    /// - Throws: `RunnerClientError` when the runner cannot be reached or answers otherwise.
    @discardableResult
    public func cancel(requestID: String) async throws -> Bool {
        // The runner answers a cancel at once; a runner that does not is treated as gone.
        let session = ClientSession(socketPath: socketPath, maxFrameBytes: maxFrameBytes, receiveTimeout: .seconds(10))
        let frame = ClientFrame.with { $0.kind = .cancel(CancelRequest.with { $0.requestID = requestID }) }
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let found = Mutex<Bool?>(nil)
                do {
                    try session.exchange(frame) { server throws(RunnerClientError) in
                        guard case .error(let answer) = server.kind else {
                            throw RunnerClientError(.badResponse, "expected an acknowledgement, got \(server)")
                        }
                        switch answer.code {
                        case ProtocolErrorCode.cancelled.rawValue: found.withLock { $0 = true }
                        case ProtocolErrorCode.unknown.rawValue: found.withLock { $0 = false }
                        default: throw RunnerClientError(answer)
                        }
                        return false
                    }
                    guard let found = found.withLock({ $0 }) else {
                        throw RunnerClientError(.disconnected, "no acknowledgement")
                    }
                    continuation.resume(returning: found)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "runner-client-cancel"
            thread.start()
        }
    }
}
