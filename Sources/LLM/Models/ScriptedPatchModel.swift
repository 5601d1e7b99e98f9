import Foundation
import Synchronization

/// Replays replies from a script, in order: for demos and tests (`LLM_SCRIPT=path`).
///
/// A script is a JSON array; each entry is one of
/// - `{"diff": "…", "reasoning": "…"}`: a reply (`reasoning` optional);
/// - `{"content": "…"}`: raw assistant content, checked by ``ReplyParser`` as a server's would be;
/// - `{"error": "auth", "message": "…", "status": 401}`: an ``LLMError`` of that kind
///   (`auth`, `notFound`, `badRequest`, `rateLimited`, `server`, `timeout`, `transport`, `badReply`).
///
/// Once every entry is used, each further call fails with a ``LLMError/Kind/badRequest`` error saying
/// the script is exhausted: a test that asks more of the model than it scripted fails loudly.
public final class ScriptedPatchModel: PatchModel, CustomStringConvertible {
    public enum Entry: Sendable, Equatable {
        case reply(PatchReply)
        case content(String)
        case error(LLMError)
    }

    private let entries: [Entry]
    private let source: String
    private let state = Mutex(State())

    private struct State {
        var next = 0
        var prompts: [PatchPrompt] = []
    }

    public init(entries: [Entry], source: String = "inline script") {
        self.entries = entries
        self.source = source
    }

    /// Loads a script file.
    /// - Throws: ``LLMConfigurationError`` when the file cannot be read or an entry is malformed.
    public convenience init(contentsOf url: URL) throws(LLMConfigurationError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LLMConfigurationError("cannot read the LLM script \(url.path): \(error.localizedDescription)")
        }
        self.init(entries: try Self.parse(data, source: url.path), source: url.path)
    }

    /// Parses a script (see the type's documentation for the format).
    /// - Throws: ``LLMConfigurationError`` naming the first malformed entry.
    public static func parse(_ data: Data, source: String = "script") throws(LLMConfigurationError) -> [Entry] {
        guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else {
            throw LLMConfigurationError("the LLM script \(source) is not a JSON array of entries")
        }
        var entries: [Entry] = []
        for (index, element) in array.enumerated() {
            let position = "entry \(index + 1) of the LLM script \(source)"
            guard let object = element as? [String: Any] else {
                throw LLMConfigurationError("\(position) is not a JSON object")
            }
            if let kindName = object["error"] {
                guard let name = kindName as? String, let kind = LLMError.Kind(rawValue: name) else {
                    let names = LLMError.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw LLMConfigurationError("\(position) has an unknown error kind \(kindName) (one of: \(names))")
                }
                let message = object["message"] as? String ?? "scripted \(name) error"
                entries.append(.error(LLMError(kind, status: object["status"] as? Int, message: message)))
            } else if let diff = object["diff"] as? String {
                entries.append(.reply(PatchReply(diff: diff, reasoning: object["reasoning"] as? String)))
            } else if let content = object["content"] as? String {
                entries.append(.content(content))
            } else {
                throw LLMConfigurationError("\(position) has none of \"diff\" (a string), \"content\" or \"error\"")
            }
        }
        return entries
    }

    public func proposePatch(_ prompt: PatchPrompt) async throws(LLMError) -> PatchReply {
        let (entry, used) = state.withLock { state -> (Entry?, Int) in
            state.prompts.append(prompt)
            guard state.next < entries.count else { return (nil, state.next) }
            state.next += 1
            return (entries[state.next - 1], state.next)
        }
        switch entry {
        case nil:
            throw LLMError(.badRequest, message: "the LLM script \(source) is exhausted: all \(used) entries were used")
        case .reply(let reply):
            return reply
        case .content(let content):
            return try ReplyParser.parse(content: content)
        case .error(let error):
            throw error
        }
    }

    /// Every prompt received so far, in order (exhausted calls included).
    public var prompts: [PatchPrompt] { state.withLock { $0.prompts } }

    /// How many entries have not been replayed yet.
    public var remaining: Int { state.withLock { entries.count - $0.next } }

    public var description: String { "ScriptedPatchModel(\(source), \(entries.count) entries)" }
}
