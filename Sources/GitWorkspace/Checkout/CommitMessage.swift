/// The cleanup `git commit --cleanup=whitespace` applies, for commits made with `git commit-tree`
/// (which keeps a message verbatim).
enum CommitMessage {
    /// Trailing whitespace of every line removed, runs of blank lines made one, leading and trailing
    /// blank lines removed, and a final newline; "" when nothing is left. Lines starting with `#` are
    /// kept (a goal may start with one). Works on scalars: `"\r\n"` is one `Character`, but git sees a
    /// line ending in `\r`.
    static func cleanedUp(_ message: String) -> String {
        var lines: [Substring.UnicodeScalarView] = []
        for line in message.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            var kept = line
            while let last = kept.last, last == " " || last == "\t" || last == "\r" { kept.removeLast() }
            if kept.isEmpty && (lines.last?.isEmpty ?? true) { continue }
            lines.append(kept)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { String($0) }.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }
}
