import Foundation

/// Reads the reply contract: the assistant's content is a JSON object with a non-empty string `diff`
/// and an optional string `reasoning`.
///
/// Every failure is a ``LLMError/Kind/badReply`` whose message speaks to the model, so the agent can put
/// it in the next prompt as it is.
public enum ReplyParser {
    /// Parses the assistant message content.
    /// - Parameters:
    ///   - content: the `message.content` of the first choice.
    ///   - finishReason: the choice's `finish_reason`; `length` explains a reply cut short.
    /// - Throws: ``LLMError`` of kind ``LLMError/Kind/badReply``.
    public static func parse(content: String, finishReason: String? = nil) throws(LLMError) -> PatchReply {
        let text = stripCodeFence(content.trimmingCharacters(in: .whitespacesAndNewlines))
        if text.isEmpty {
            throw badReply(
                "Your reply was empty. Reply with a JSON object {\"diff\": \"<unified diff>\", \"reasoning\": \"<why>\"}."
            )
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            var message =
                "Your reply was not a JSON object. Reply with only a JSON object {\"diff\": \"<unified diff>\", \"reasoning\": \"<why>\"}."
            if finishReason == "length" {
                message += " It was cut off at the token limit: keep the diff small (only the hunks that change)."
            }
            message += " It began with: \(excerpt(text))"
            throw badReply(message)
        }
        guard let diffValue = object["diff"] else {
            let keys = object.keys.sorted().joined(separator: ", ")
            throw badReply(
                "Your JSON reply has no \"diff\" field (it had: \(keys.isEmpty ? "no fields" : keys)). Put the unified diff in a string field named \"diff\"."
            )
        }
        guard let diff = diffValue as? String else {
            throw badReply(
                "The \"diff\" field of your reply is not a string. Put the whole unified diff in one JSON string.")
        }
        if diff.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw badReply(
                "The \"diff\" field of your reply is empty. Return a unified diff that makes the requested change.")
        }
        return PatchReply(diff: diff, reasoning: object["reasoning"] as? String)
    }

    /// Some OpenAI-compatible servers wrap JSON-mode output in a markdown fence anyway.
    static func stripCodeFence(_ text: String) -> String {
        guard text.hasPrefix("```"), text.hasSuffix("```"), text.count >= 6 else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2 else { return text }
        lines.removeFirst()
        lines.removeLast()
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func excerpt(_ text: String, limit: Int = 200) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
    }

    private static func badReply(_ message: String) -> LLMError {
        LLMError(.badReply, message: message)
    }
}
