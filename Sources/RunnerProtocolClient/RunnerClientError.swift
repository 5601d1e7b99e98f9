import Contracts
import RunnerProtocol

/// Why a `RunnerClient` call failed.
public struct RunnerClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// The runner could not be reached (no socket, refused, permission denied).
        case unavailable
        /// The runner answered with a `ProtocolError`; see `protocolError.code`.
        case protocolError
        /// The connection ended before the report.
        case disconnected
        /// The runner sent something that is not a valid `ServerFrame`.
        case badResponse
        /// The request could not be sent as asked (e.g. the workspace fd is invalid).
        case badRequest
    }

    public var code: Code
    public var message: String
    /// The runner's error frame when `code == .protocolError`.
    public var protocolError: ProtocolError?
    /// The failed socket call, when there was one.
    public var socketError: RunnerSocketError?

    init(_ code: Code, _ message: String, protocolError: ProtocolError? = nil, socketError: RunnerSocketError? = nil) {
        self.code = code
        self.message = message
        self.protocolError = protocolError
        self.socketError = socketError
    }

    init(_ error: ProtocolError) {
        self.init(.protocolError, "runner error \(error.code): \(error.message)", protocolError: error)
    }

    /// The runner's error code (`busy`, `bad_frame`, `cancelled`, …) when it sent one.
    public var serverCode: String? { protocolError?.code }

    /// Whether trying again later may succeed: the runner was unreachable or busy.
    public var isRetriable: Bool { code == .unavailable || serverCode == ProtocolErrorCode.busy.rawValue }

    public var description: String { message }
}
