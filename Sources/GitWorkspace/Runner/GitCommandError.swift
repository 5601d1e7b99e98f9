import Foundation

/// A git command that exited unsuccessfully (or could not start).
/// Everything in it is redacted: no user info from URLs, no credential values.
public struct GitCommandError: Error, Sendable, CustomStringConvertible {
    /// The command line, redacted, e.g. `git fetch --prune https://***@host/repo.git …`.
    public var command: String
    /// The exit status; -1 when git could not be started.
    public var status: Int32
    /// The last lines of git's standard error, redacted.
    public var stderrTail: String
    /// True when the runner's timeout ended the command.
    public var timedOut: Bool

    public var description: String {
        let how = timedOut ? "timed out" : "exited \(status)"
        return stderrTail.isEmpty ? "\(command) \(how)" : "\(command) \(how): \(stderrTail)"
    }

    /// The last `maxLines` lines (and at most `maxCharacters` characters) of `text`.
    static func tail(of text: String, maxLines: Int = 12, maxCharacters: Int = 2000) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(maxLines)
        let joined = lines.joined(separator: "\n")
        return joined.count > maxCharacters ? "…" + String(joined.suffix(maxCharacters)) : joined
    }
}

/// Removes credentials from text that may be logged or shown.
struct Redactor: Sendable {
    /// Literal secrets (tokens, passwords) to mask wherever they appear.
    var secrets: [String]

    func redact(_ text: String) -> String {
        var result = Self.redactURLUserInfo(text)
        for secret in secrets where !secret.isEmpty {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }

    /// `scheme://user:password@host` → `scheme://***@host`.
    static func redactURLUserInfo(_ text: String) -> String {
        text.replacingOccurrences(
            of: #"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@"#,
            with: "$1***@",
            options: .regularExpression
        )
    }
}
