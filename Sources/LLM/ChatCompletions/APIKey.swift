/// A bearer token that never prints: every description, debug description and mirror hides it, so a
/// configuration or client can be logged or dumped as a whole.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The token itself; read only to build the `Authorization` header and to scrub server messages.
    let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// `text` with every occurrence of the key replaced, for server messages that echo it back.
    func scrub(_ text: String) -> String {
        value.isEmpty ? text : text.replacingOccurrences(of: value, with: "<redacted>")
    }
}
