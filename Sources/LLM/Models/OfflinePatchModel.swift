/// The seed's smoke mode (`MOCK_LLM=1`): a deterministic patch model that needs no network and no key.
///
/// It appends one marker line to the task's file (`README.md` when the task names none), as a unified
/// diff that applies to the current content: a comment in the file's own syntax
/// (`# …` for Python, shell, TOML, YAML; `// …` for C-like languages; plain text for Markdown and
/// the rest). The content comes from `readFile` when given (the agent passes a reader of the checkout),
/// else from a context snippet of that path (whole files when there is no RAG service). When neither
/// knows the file, the diff creates `MOCK_LLM.md` instead, which applies to any tree that lacks it.
public struct OfflinePatchModel: PatchModel, CustomStringConvertible {
    /// The line added; fixed so that runs are reproducible.
    public static let marker = "Coding-Agent offline patch (MOCK_LLM=1)"
    /// The file created when the task's file cannot be read.
    public static let fallbackPath = "MOCK_LLM.md"

    private let readFile: (@Sendable (String) -> String?)?

    /// - Parameter readFile: returns a repository-relative file's current content, nil when unknown.
    public init(readFile: (@Sendable (String) -> String?)? = nil) {
        self.readFile = readFile
    }

    public func proposePatch(_ prompt: PatchPrompt) async throws(LLMError) -> PatchReply {
        let path = Self.normalize(prompt.path.flatMap { $0.isEmpty ? nil : $0 } ?? "README.md")
        let content = readFile?(path) ?? prompt.snippets.first { Self.normalize($0.path) == path }?.text
        guard let content else {
            return PatchReply(
                diff: Self.newFileDiff(path: Self.fallbackPath, line: Self.marker),
                reasoning: "offline patch model (MOCK_LLM=1): \(path) is unknown, so it creates \(Self.fallbackPath)")
        }
        return PatchReply(
            diff: Self.appendLineDiff(path: path, content: content, line: Self.commentLine(for: path)),
            reasoning: "offline patch model (MOCK_LLM=1): appends a marker line to \(path)")
    }

    public var description: String { "OfflinePatchModel(MOCK_LLM=1)" }

    // MARK: Diffs

    /// A diff that appends `line` to a file whose content is `content`, with up to three lines of context.
    static func appendLineDiff(path: String, content: String, line: String) -> String {
        var diff = "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n"
        var lines = content.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsWithNewline = content.hasSuffix("\n")
        if endsWithNewline { lines.removeLast() }  // the empty string after the final newline
        if content.isEmpty {
            // An empty file: the hunk has no context and starts at line 0.
            return diff + "@@ -0,0 +1 @@\n+\(line)\n"
        }
        let contextCount = min(3, lines.count)
        let start = lines.count - contextCount + 1
        diff += "@@ -\(start),\(contextCount) +\(start),\(contextCount + 1) @@\n"
        for (index, text) in lines.suffix(contextCount).enumerated() {
            let isLast = index == contextCount - 1
            if isLast && !endsWithNewline {
                // The old last line loses its "no newline" status: it goes out and comes back with one.
                diff += "-\(text)\n\\ No newline at end of file\n+\(text)\n"
            } else {
                diff += " \(text)\n"
            }
        }
        return diff + "+\(line)\n"
    }

    static func newFileDiff(path: String, line: String) -> String {
        "diff --git a/\(path) b/\(path)\nnew file mode 100644\n--- /dev/null\n+++ b/\(path)\n@@ -0,0 +1 @@\n+\(line)\n"
    }

    /// The marker as a comment in the file's language, so formatters and linters accept it.
    static func commentLine(for path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if ["Makefile", "makefile", "Dockerfile", "Containerfile"].contains(name) { return "# \(marker)" }
        let ext = name.contains(".") ? String(name.split(separator: ".").last!).lowercased() : ""
        switch ext {
        case "py", "pyi", "sh", "bash", "toml", "yaml", "yml", "cfg", "ini", "rb", "pl", "r":
            return "# \(marker)"
        case "swift", "c", "h", "cc", "cpp", "hpp", "js", "ts", "java", "kt", "go", "rs", "cs", "scala":
            return "// \(marker)"
        default:
            return marker
        }
    }

    static func normalize(_ path: String) -> String {
        var path = path
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasPrefix("/") { path.removeFirst() }
        return path
    }
}
