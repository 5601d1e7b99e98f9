/// Builds the seed's prompt within a character budget.
///
/// The user message is the seed's `TASK GOAL` / `FILE PATH` / `CONTEXT (read-only)` sections, followed on
/// a retry by the previous failures. Context is cut on snippet boundaries, never mid-snippet, with the
/// snippets of the task's own file first; only that file, when it alone exceeds the budget, is cut
/// (on a line boundary). All functions are pure.
public struct PromptBuilder: Sendable {
    /// The seed's system message, with the format spelled out.
    public static let systemPrompt = """
        You are Coding-Agent. Return JSON {diff, reasoning}.
        "diff" is a unified diff (paths a/<path> and b/<path>, relative to the repository root) against \
        the files as they are now; "reasoning" says briefly why the change is right.
        """

    /// Characters of rendered context (snippet headers included); the seed cut at 3000.
    public var contextBudget: Int
    /// Characters of the retry section.
    public var failureBudget: Int

    public init(contextBudget: Int = 3000, failureBudget: Int = 1500) {
        self.contextBudget = contextBudget
        self.failureBudget = failureBudget
    }

    /// The prompt for one attempt.
    /// - Parameters:
    ///   - goal: the task's goal.
    ///   - path: the task's file, if it names one.
    ///   - snippets: context in relevance order.
    ///   - previousFailures: earlier failed attempts at this task, oldest first; the prompt's attempt
    ///     number follows the last one.
    public func build(goal: String, path: String?, snippets: [ContextSnippet], previousFailures: [AttemptFailure] = [])
        -> PatchPrompt
    {
        var user = """
            TASK GOAL:
            \(goal)

            FILE PATH:
            \(path.flatMap { $0.isEmpty ? nil : $0 } ?? "N/A")

            CONTEXT (read-only):
            \(renderContext(snippets, taskPath: path))
            """
        if !previousFailures.isEmpty {
            user += "\n\n" + retrySection(previousFailures)
        }
        return PatchPrompt(
            system: Self.systemPrompt, user: user, attempt: (previousFailures.last?.attempt ?? 0) + 1, path: path,
            snippets: snippets)
    }

    // MARK: Context

    /// The snippets that fit the budget, task's file first, each whole except possibly that first one.
    public func selectContext(_ snippets: [ContextSnippet], taskPath: String?) -> [ContextSnippet] {
        let target = taskPath.map(Self.normalize)
        let own = snippets.filter { target != nil && Self.normalize($0.path) == target }
        let others = snippets.filter { target == nil || Self.normalize($0.path) != target }

        var selected: [ContextSnippet] = []
        var used = 0
        for (index, snippet) in (own + others).enumerated() {
            let size = Self.rendered(snippet).count
            if used + size <= contextBudget {
                selected.append(snippet)
                used += size
            } else if index == 0 && !own.isEmpty {
                // The task's own file matters most: keep its head rather than nothing.
                let room =
                    contextBudget - Self.rendered(ContextSnippet(path: snippet.path, text: "")).count
                    - Self.truncationNote.count
                if let head = Self.prefixOnLineBoundary(snippet.text, maxCount: room) {
                    let cut = ContextSnippet(path: snippet.path, text: head + Self.truncationNote)
                    selected.append(cut)
                    used += Self.rendered(cut).count
                }
            }
            // A snippet that does not fit is skipped whole; a smaller later one may still fit.
        }
        return selected
    }

    /// The CONTEXT section's body: the selected snippets, then how many were left out.
    public func renderContext(_ snippets: [ContextSnippet], taskPath: String?) -> String {
        let selected = selectContext(snippets, taskPath: taskPath)
        if snippets.isEmpty { return "(none)" }
        var text = selected.map(Self.rendered).joined()
        let omitted = snippets.count - selected.count
        if omitted > 0 {
            text += "(\(omitted) more snippet\(omitted == 1 ? "" : "s") left out to fit the prompt budget)\n"
        }
        return text
    }

    static let truncationNote = "\n[… rest of file cut to fit the prompt budget]"

    static func rendered(_ snippet: ContextSnippet) -> String {
        let text = snippet.text.hasSuffix("\n") ? snippet.text : snippet.text + "\n"
        return "### \(snippet.path)\n\(text)"
    }

    // MARK: Retry section

    /// The previous failures, newest in detail (summary, then the tail of the output) and older ones as
    /// one line each, within ``failureBudget`` characters.
    public func retrySection(_ failures: [AttemptFailure]) -> String {
        guard let last = failures.last else { return "" }
        let closing = "Return a corrected diff against the original files (the failed diff was not applied)."
        var text = "PREVIOUS ATTEMPT FAILED (attempt \(last.attempt)):\n"
        for older in failures.dropLast() {
            let firstLine = older.summary.split(separator: "\n").first.map(String.init) ?? ""
            text += "- attempt \(older.attempt): \(Self.clip(firstLine, to: 160))\n"
        }
        // What remains of the budget goes to the newest summary first, then to its output tail.
        var room = failureBudget - text.count - closing.count - 2
        let summary = Self.clip(
            last.summary.trimmingCharacters(in: .whitespacesAndNewlines), to: max(0, min(room, failureBudget / 2)))
        text += summary + "\n"
        room -= summary.count + 1
        let outputHeader = "OUTPUT (last lines):\n"
        let tail = last.outputTail.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tail.isEmpty, room > outputHeader.count + 40 {
            text += outputHeader + Self.suffixOnLineBoundary(tail, maxCount: room - outputHeader.count - 1) + "\n"
        }
        return text + closing
    }

    // MARK: Cutting text

    /// The longest prefix of whole lines within `maxCount` characters (one cut line when the first is longer).
    static func prefixOnLineBoundary(_ text: String, maxCount: Int) -> String? {
        guard maxCount > 0 else { return nil }
        if text.count <= maxCount { return text }
        let head = text.prefix(maxCount)
        if let newline = head.lastIndex(of: "\n") {
            return String(head[..<newline])
        }
        return String(head)
    }

    /// The longest suffix of whole lines within `maxCount` characters, marked as cut when anything was dropped.
    static func suffixOnLineBoundary(_ text: String, maxCount: Int) -> String {
        if text.count <= maxCount { return text }
        let marker = "[…]\n"
        let tail = text.suffix(max(0, maxCount - marker.count))
        if let newline = tail.firstIndex(of: "\n"), tail.index(after: newline) < tail.endIndex {
            return marker + String(tail[tail.index(after: newline)...])
        }
        return marker + String(tail)
    }

    static func clip(_ text: String, to maxCount: Int) -> String {
        text.count <= maxCount ? text : String(text.prefix(max(0, maxCount - 1))) + "…"
    }

    static func normalize(_ path: String) -> String {
        OfflinePatchModel.normalize(path)
    }
}
