import Contracts
import SwiftProtobuf

/// The `ProtocolError.code` values the runner sends.
public enum ProtocolErrorCode: String, Sendable, CaseIterable {
    /// Every job slot and queue place is taken; retry later.
    case busy
    /// Undecodable frame, unknown or empty message, truncated frame, or a frame not allowed here.
    case badFrame = "bad_frame"
    /// A frame larger than the runner's cap.
    case tooLarge = "too_large"
    /// A cancel named a request the runner does not know (finished, never started).
    case unknown
    /// The peer's uid/gid is not allowed.
    case forbidden
    /// The job was cancelled (by request id or by runner shutdown); also the acknowledgement of a cancel.
    case cancelled
}

/// A client frame the server understands.
package enum ClientMessage: Sendable {
    case check(CheckRequest)
    case cancel(CancelRequest)

    /// Decodes and validates one frame payload.
    /// - Throws: `ProtocolFailure` with `bad_frame` for undecodable or empty/unknown frames.
    package init(payload: [UInt8]) throws(ProtocolFailure) {
        let frame: ClientFrame
        do {
            frame = try ClientFrame(serializedBytes: payload)
        } catch {
            throw ProtocolFailure(.badFrame, "undecodable ClientFrame (\(payload.count) bytes)")
        }
        switch frame.kind {
        case .check(let request): self = .check(request)
        case .cancel(let cancel): self = .cancel(cancel)
        case nil: throw ProtocolFailure(.badFrame, "empty or unknown ClientFrame")
        }
    }
}

/// A protocol error the server reports to the peer before closing.
package struct ProtocolFailure: Error, Sendable {
    package var code: ProtocolErrorCode
    package var message: String
    package var requestID = ""

    package init(_ code: ProtocolErrorCode, _ message: String, requestID: String = "") {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    package init(_ error: FrameError) {
        switch error {
        case .tooLarge(let length, let limit):
            self.init(.tooLarge, "frame of \(length) bytes exceeds the \(limit)-byte limit")
        case .truncated(let buffered):
            self.init(.badFrame, "connection closed inside a frame (\(buffered) bytes received)")
        }
    }

    package var frame: ServerFrame {
        var error = ProtocolError()
        error.code = code.rawValue
        error.message = message
        error.requestID = requestID
        return ServerFrame.with { $0.kind = .error(error) }
    }
}

extension SwiftProtobuf.Message {
    /// This message serialized and framed for the socket.
    package func framed() -> [UInt8] {
        // Serializing our own well-formed messages cannot fail (no required fields, no Any types).
        let payload: [UInt8] = (try? serializedBytes()) ?? []
        return FrameEncoder.encode(payload)
    }
}
