/// Why a patch model could not produce a usable reply.
///
/// The agent decides the task's status from `kind`: ``isHardFailure`` errors (bad key, unknown model, a
/// request the server refuses) mean the task cannot be attempted at all; ``Kind/badReply`` is a failed
/// attempt whose ``message`` is written to be fed back to the model on the next attempt.
public struct LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// 401 or 403: the key is missing, wrong or lacks access.
        case auth
        /// 404: unknown model or wrong base URL.
        case notFound
        /// 400 and other client errors: the server refuses the request as built.
        case badRequest
        /// 429: too many requests or tokens.
        case rateLimited
        /// 5xx.
        case server
        /// No complete response within the request timeout.
        case timeout
        /// Connection refused, reset or closed early.
        case transport
        /// The server answered, but the answer is not a usable patch reply.
        case badReply
        /// The calling task was cancelled while waiting.
        case cancelled
    }

    public var kind: Kind
    /// The HTTP status of the response this error comes from, when there was one.
    public var status: Int?
    /// Human-readable; never contains the API key.
    public var message: String
    /// How many requests were sent before giving up (1 when the error was not retried).
    public var attempts: Int

    public init(_ kind: Kind, status: Int? = nil, message: String, attempts: Int = 1) {
        self.kind = kind
        self.status = status
        self.message = message
        self.attempts = attempts
    }

    /// Whether sending the same request again may succeed.
    public var isRetriable: Bool {
        switch kind {
        case .rateLimited, .server, .timeout, .transport: true
        case .auth, .notFound, .badRequest, .badReply, .cancelled: false
        }
    }

    /// Whether the error is one of configuration (key, model, endpoint) that no retry or new prompt can fix.
    public var isHardFailure: Bool {
        switch kind {
        case .auth, .notFound, .badRequest: true
        default: false
        }
    }

    public var description: String {
        var text = "LLM error \(kind.rawValue)"
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        if attempts > 1 { text += " [after \(attempts) attempts]" }
        return text
    }
}

/// The environment does not describe a usable patch model (no key, conflicting modes, bad values).
public struct LLMConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "LLM configuration error: \(message)" }
}
