import Foundation

/// How to reach an OpenAI-compatible chat-completions endpoint and how patiently.
///
/// Every field has a default; ``fromEnvironment(_:)`` reads the seed's variables. The key never
/// appears in ``description``.
public struct ChatCompletionsConfiguration: Sendable, CustomStringConvertible, CustomReflectable {
    /// The API root; requests go to `<baseURL>/chat/completions`. Default `https://api.openai.com/v1`
    /// (`OPENAI_BASE_URL`). vLLM, Ollama and llama.cpp servers serve the same path under their `/v1`.
    public var baseURL: String = "https://api.openai.com/v1"
    /// Sent as `Authorization: Bearer …` when present (`OPENAI_API_KEY`).
    public var apiKey: APIKey?
    /// Default `gpt-4o-mini-code-30k` (`CODING_MODEL`).
    public var model: String = "gpt-4o-mini-code-30k"
    /// Default 0.1, as in the seed.
    public var temperature: Double = 0.1
    /// Ask for `response_format: {"type": "json_object"}` (JSON mode). Default true.
    public var jsonMode: Bool = true
    /// Optional `max_tokens`; nil leaves it to the server.
    public var maxTokens: Int?
    /// Time allowed for one request, from sending to the last byte of the response. Default 120 s
    /// (`LLM_TIMEOUT_SECONDS`).
    public var requestTimeout: Duration = .seconds(120)
    /// Retries after the first request for 429, 5xx, timeouts and connection errors. Default 4, so at
    /// most 5 requests (`LLM_MAX_RETRIES`).
    public var maxRetries: Int = 4
    /// Backoff before retry n is a uniform random delay in [0, min(backoffCap, backoffBase · 2^(n-1))]
    /// ("full jitter"). Defaults 0.5 s and 20 s.
    public var backoffBase: Duration = .milliseconds(500)
    public var backoffCap: Duration = .seconds(20)
    /// A server's `Retry-After` is obeyed up to this long. Default 60 s.
    public var maxRetryAfter: Duration = .seconds(60)
    /// Responses larger than this are refused (a patch reply is a few KB). Default 8 MiB.
    public var maxResponseBytes: Int = 8 << 20

    public init(
        baseURL: String = "https://api.openai.com/v1", apiKey: String? = nil, model: String = "gpt-4o-mini-code-30k"
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : APIKey($0) }
        self.model = model
    }

    /// `POST` target: the base URL with `/chat/completions` appended (one slash between them).
    public var completionsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }

    /// Reads `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `CODING_MODEL`, `LLM_TIMEOUT_SECONDS` and
    /// `LLM_MAX_RETRIES`; unset or empty variables keep their defaults.
    /// - Throws: ``LLMConfigurationError`` for a base URL that is not http(s) or a number that does not parse.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(LLMConfigurationError) -> ChatCompletionsConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
                return nil
            }
            return raw
        }
        var configuration = ChatCompletionsConfiguration(apiKey: value("OPENAI_API_KEY"))
        if let baseURL = value("OPENAI_BASE_URL") {
            guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else {
                throw LLMConfigurationError(
                    "OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1, not \"\(baseURL)\"")
            }
            configuration.baseURL = baseURL
        }
        if let model = value("CODING_MODEL") { configuration.model = model }
        if let timeout = value("LLM_TIMEOUT_SECONDS") {
            guard let seconds = Double(timeout), seconds > 0, seconds <= 86_400 else {
                throw LLMConfigurationError(
                    "LLM_TIMEOUT_SECONDS must be a number of seconds in (0, 86400], not \"\(timeout)\"")
            }
            configuration.requestTimeout = .milliseconds(Int64(seconds * 1000))
        }
        if let retries = value("LLM_MAX_RETRIES") {
            guard let count = Int(retries), count >= 0 else {
                throw LLMConfigurationError("LLM_MAX_RETRIES must be a whole number ≥ 0, not \"\(retries)\"")
            }
            configuration.maxRetries = count
        }
        return configuration
    }

    public var description: String {
        "ChatCompletionsConfiguration(url: \(Self.withoutUserInfo(completionsURL)), model: \(model), "
            + "apiKey: \(apiKey == nil ? "<none>" : "<redacted>"), temperature: \(temperature), jsonMode: \(jsonMode), "
            + "timeout: \(requestTimeout), maxRetries: \(maxRetries))"
    }

    /// Mirrors print the description, so `dump` shows nothing secret either.
    public var customMirror: Mirror { Mirror(self, children: ["description": description], displayStyle: .struct) }

    /// Credentials written into a URL (`https://user:secret@host`) are as secret as the key.
    static func withoutUserInfo(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else {
            return url
        }
        components.user = nil
        components.password = nil
        return components.string ?? "<url>"
    }
}
