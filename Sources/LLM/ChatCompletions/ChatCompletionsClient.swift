import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore

/// An OpenAI-compatible chat-completions client that asks for a patch in JSON mode.
///
/// Each ``proposePatch(_:)`` sends `POST <base>/chat/completions` with the system and user messages,
/// retrying 429, 5xx, timeouts and connection errors (see ``RetryPolicy``), and parses the reply
/// contract with ``ReplyParser``. The key is sent only in the `Authorization` header: it is never
/// logged, never in a description, and scrubbed from server messages quoted in errors.
public struct ChatCompletionsClient: PatchModel, CustomStringConvertible, CustomReflectable {
    public let configuration: ChatCompletionsConfiguration
    private let httpClient: HTTPClient
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: endpoint, key, model and retry settings.
    ///   - httpClient: the client to send with; the process-wide shared one by default (it needs no shutdown).
    ///   - logger: receives one line per retry and the token usage; never the key.
    public init(
        configuration: ChatCompletionsConfiguration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "coding-agent.llm")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    public func proposePatch(_ prompt: PatchPrompt) async throws(LLMError) -> PatchReply {
        let completion = try await complete(prompt)
        var reply = try ReplyParser.parse(content: completion.content, finishReason: completion.finishReason)
        reply.usage = completion.usage
        return reply
    }

    /// The assistant message of one chat completion, before the reply contract is checked.
    public struct Completion: Sendable, Equatable {
        public var content: String
        public var finishReason: String?
        public var usage: TokenUsage?
        /// Requests sent, retries included.
        public var attempts: Int
    }

    /// Sends the prompt, retrying what is retriable.
    /// - Throws: ``LLMError``: the last error once retries are exhausted, at once for one that is not retriable.
    public func complete(_ prompt: PatchPrompt) async throws(LLMError) -> Completion {
        let body = requestBody(for: prompt)
        let policy = RetryPolicy(configuration)
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            do throws(AttemptError) {
                var completion = try await send(body)
                completion.attempts = attempt
                if let usage = completion.usage {
                    logger.info(
                        "chat completion",
                        metadata: [
                            "model": "\(configuration.model)", "attempt": "\(attempt)",
                            "prompt_tokens": "\(usage.promptTokens)", "completion_tokens": "\(usage.completionTokens)",
                        ])
                }
                return completion
            } catch {
                var failure = error.error
                failure.attempts = attempt
                guard failure.isRetriable, attempt <= policy.maxRetries else { throw failure }
                let delay = policy.delay(beforeRetry: attempt, retryAfter: error.retryAfter, using: &generator)
                // The failures the retries hid from the agent (those it sees are ca_llm_errors_total).
                Counter(label: "ca_llm_retries_total", dimensions: [("kind", failure.kind.rawValue)]).increment()
                logger.warning(
                    "chat completion failed, retrying",
                    metadata: [
                        "kind": "\(failure.kind.rawValue)", "status": "\(failure.status.map(String.init) ?? "-")",
                        "attempt": "\(attempt)", "delay": "\(delay)", "message": "\(failure.message)",
                    ])
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw LLMError(
                        .cancelled, message: "cancelled while waiting to retry after: \(failure.message)",
                        attempts: attempt)
                }
            }
        }
    }

    public var description: String { "ChatCompletionsClient(\(configuration))" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration], displayStyle: .struct) }

    // MARK: One request

    /// An error of one request, with the server's `Retry-After` when it sent one.
    struct AttemptError: Error {
        var error: LLMError
        var retryAfter: Duration?
    }

    func requestBody(for prompt: PatchPrompt) -> Data {
        let request = ChatCompletionsWire.Request(
            model: configuration.model,
            messages: [.init(role: "system", content: prompt.system), .init(role: "user", content: prompt.user)],
            temperature: configuration.temperature,
            responseFormat: configuration.jsonMode ? .init(type: "json_object") : nil,
            maxTokens: configuration.maxTokens)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain strings and numbers cannot fail.
        return (try? encoder.encode(request)) ?? Data()
    }

    /// One request under the request timeout. The timeout covers the whole exchange, the body
    /// included: a server that sends headers and then stalls is a timeout too.
    private func send(_ body: Data) async throws(AttemptError) -> Completion {
        let timeout = configuration.requestTimeout
        let outcome: Result<RawResponse, any Error>
        do {
            outcome = .success(
                try await withThrowingTaskGroup(of: RawResponse?.self) { group in
                    group.addTask { try await exchange(body) }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        return nil
                    }
                    defer { group.cancelAll() }
                    // The first child to finish decides; nil means the timer won.
                    guard let first = try await group.next(), let response = first else {
                        throw TimeoutReached()
                    }
                    return response
                })
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let response):
            return try interpret(response)
        case .failure(let error):
            throw AttemptError(error: classify(error))
        }
    }

    struct TimeoutReached: Error {}

    /// What we keep of an HTTP response.
    struct RawResponse: Sendable {
        var status: Int
        var retryAfter: String?
        var body: Data
    }

    private func exchange(_ body: Data) async throws -> RawResponse {
        var request = HTTPClientRequest(url: configuration.completionsURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey {
            request.headers.add(name: "Authorization", value: "Bearer \(key.value)")
        }
        request.body = .bytes(body)
        // The deadline is a backstop; the task group in `send` enforces the timeout.
        let response = try await httpClient.execute(
            request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds + 1_000_000_000))
        let buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
        return RawResponse(
            status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
            body: Data(buffer.readableBytesView))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        return whole * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
