import AsyncHTTPClient
import Foundation
import NIOCore

/// How responses and failures become completions and ``LLMError``s.
extension ChatCompletionsClient {
    /// Maps a failure to send or receive (no HTTP status) to an error kind.
    func classify(_ error: any Error) -> LLMError {
        let seconds = configuration.requestTimeout.seconds
        if error is TimeoutReached {
            return LLMError(.timeout, message: "no complete response within \(seconds) s from \(endpointForMessages)")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout:
                return LLMError(
                    .timeout, message: "no complete response within \(seconds) s from \(endpointForMessages) (\(error))"
                )
            case .invalidURL, .emptyHost, .emptyScheme:
                return LLMError(
                    .badRequest, message: "cannot send to \(endpointForMessages): \(error); check OPENAI_BASE_URL")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return LLMError(
                .badReply, message: "the server's response is larger than \(configuration.maxResponseBytes) bytes")
        }
        if error is CancellationError || Task.isCancelled {
            return LLMError(.cancelled, message: "cancelled while waiting for \(endpointForMessages)")
        }
        return LLMError(.transport, message: "cannot reach \(endpointForMessages): \(scrub(String(describing: error)))")
    }

    /// Maps an HTTP response to a completion or an error.
    func interpret(_ response: RawResponse) throws(AttemptError) -> Completion {
        let status = response.status
        let body = response.body
        guard (200..<300).contains(status) else {
            let detail = errorDetail(body)
            let retryAfter = response.retryAfter.flatMap { RetryPolicy.parseRetryAfter($0) }
            func fail(_ kind: LLMError.Kind, _ message: String) -> AttemptError {
                AttemptError(error: LLMError(kind, status: status, message: message + detail), retryAfter: retryAfter)
            }
            switch status {
            case 401, 403:
                throw fail(.auth, "the server refused the API key (check OPENAI_API_KEY)")
            case 404:
                throw fail(
                    .notFound,
                    "no model \"\(configuration.model)\" at \(endpointForMessages) (check CODING_MODEL and OPENAI_BASE_URL)"
                )
            case 408:
                throw fail(.timeout, "the server timed out waiting for the request")
            case 429:
                throw fail(.rateLimited, "rate limited")
            case 500...:
                throw fail(.server, "server error")
            default:
                throw fail(.badRequest, "the server refused the request")
            }
        }
        let completion: ChatCompletionsWire.Response
        do {
            completion = try JSONDecoder().decode(ChatCompletionsWire.Response.self, from: body)
        } catch {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            throw AttemptError(
                error: LLMError(
                    .badReply, status: status,
                    message:
                        "the server's response is not a chat completion (invalid JSON): \(scrub(ReplyParser.excerpt(text)))"
                ))
        }
        guard let choice = completion.choices?.first else {
            throw AttemptError(
                error: LLMError(
                    .badReply, status: status,
                    message: "The reply had no choices: return one JSON object {\"diff\": …, \"reasoning\": …}."))
        }
        guard let content = choice.message?.content else {
            let refusal = choice.message?.refusal.map { " (refusal: \(ReplyParser.excerpt($0)))" } ?? ""
            throw AttemptError(
                error: LLMError(
                    .badReply, status: status,
                    message:
                        "The reply had no message content\(refusal): return one JSON object {\"diff\": …, \"reasoning\": …}."
                ))
        }
        let usage = completion.usage.map {
            TokenUsage(
                promptTokens: $0.promptTokens ?? 0, completionTokens: $0.completionTokens ?? 0,
                totalTokens: $0.totalTokens ?? (($0.promptTokens ?? 0) + ($0.completionTokens ?? 0)))
        }
        return Completion(content: content, finishReason: choice.finishReason, usage: usage, attempts: 1)
    }

    /// The server's own explanation, when its body has one, as `: <message>`.
    func errorDetail(_ body: Data) -> String {
        let text: String
        if let message = (try? JSONDecoder().decode(ChatCompletionsWire.ErrorBody.self, from: body))?.error?.message {
            text = message
        } else {
            text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return text.isEmpty ? "" : ": " + scrub(ReplyParser.excerpt(text, limit: 300))
    }

    var endpointForMessages: String { ChatCompletionsConfiguration.withoutUserInfo(configuration.completionsURL) }

    func scrub(_ text: String) -> String { configuration.apiKey?.scrub(text) ?? text }
}
