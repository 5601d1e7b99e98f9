/// A piece of read-only context for the prompt: a RAG snippet, or a whole file read from the checkout.
public struct ContextSnippet: Sendable, Hashable, Codable {
    /// Repository-relative path of the file the text comes from.
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// Why an earlier attempt at the same task failed, as the retry prompt tells it.
public struct AttemptFailure: Sendable, Hashable {
    /// The attempt that failed (1-based).
    public var attempt: Int
    /// What went wrong in a few lines: the rejection rule, the failing step, the new failures.
    public var summary: String
    /// The end of the failing tool's output; only its tail is kept.
    public var outputTail: String

    public init(attempt: Int, summary: String, outputTail: String = "") {
        self.attempt = attempt
        self.summary = summary
        self.outputTail = outputTail
    }
}
