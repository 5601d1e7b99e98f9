/// Anything that turns a prompt into a proposed patch: the HTTP client, the offline model, a script.
public protocol PatchModel: Sendable {
    /// Asks for one patch.
    /// - Throws: ``LLMError``; ``LLMError/Kind/badReply`` when the answer is not a usable patch reply.
    func proposePatch(_ prompt: PatchPrompt) async throws(LLMError) -> PatchReply
}

/// One request to a patch model, as built by ``PromptBuilder``.
public struct PatchPrompt: Sendable, Equatable {
    /// The system message.
    public var system: String
    /// The user message: goal, path, context and the previous failure, if any.
    public var user: String
    /// 1 for the first attempt at a task, 2 for its first retry, and so on.
    public var attempt: Int
    /// The task's file, when it names one. Models that do not read the text (offline) use it.
    public var path: String?
    /// The context as given to the builder, uncut. Models that do not read the text (offline) use it.
    public var snippets: [ContextSnippet]

    public init(system: String, user: String, attempt: Int = 1, path: String? = nil, snippets: [ContextSnippet] = []) {
        self.system = system
        self.user = user
        self.attempt = attempt
        self.path = path
        self.snippets = snippets
    }
}

/// What a model proposes: the seed's `{"diff": …, "reasoning": …}`.
public struct PatchReply: Sendable, Equatable {
    /// A unified diff, not yet validated: the Patch module parses, repairs and checks it.
    public var diff: String
    public var reasoning: String?
    /// Token counts, when the server reported them.
    public var usage: TokenUsage?

    public init(diff: String, reasoning: String? = nil, usage: TokenUsage? = nil) {
        self.diff = diff
        self.reasoning = reasoning
        self.usage = usage
    }
}

/// The `usage` object of a chat completion.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }
}
