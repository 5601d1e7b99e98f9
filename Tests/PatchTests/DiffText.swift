/// A well-formed diff (from `git diff`) cut into files and hunks so tests can perturb it the way models
/// get diffs wrong.
struct DiffText {
    struct File {
        var header: [String]
        var hunks: [Hunk]
    }

    struct Hunk {
        var header: String
        var body: [String]
    }

    var files: [File]

    init(_ text: String) {
        files = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
            if line.hasPrefix("diff --git ") {
                files.append(File(header: [line], hunks: []))
            } else if line.hasPrefix("@@") {
                files[files.count - 1].hunks.append(Hunk(header: line, body: []))
            } else if files[files.count - 1].hunks.isEmpty {
                files[files.count - 1].header.append(line)
            } else {
                files[files.count - 1].hunks[files[files.count - 1].hunks.count - 1].body.append(line)
            }
        }
    }

    var text: String {
        files.map { file in
            (file.header + file.hunks.flatMap { [$0.header] + $0.body }).map { $0 + "\n" }.joined()
        }.joined()
    }

    /// Applies `change` to every hunk.
    func mapHunks(_ change: (Hunk) -> Hunk) -> DiffText {
        var copy = self
        for f in copy.files.indices { copy.files[f].hunks = copy.files[f].hunks.map(change) }
        return copy
    }

    /// The header numbers `(oldStart, oldCount, newStart, newCount)` of a git-written hunk header.
    static func numbers(_ header: String) -> (Int, Int, Int, Int) {
        let fields = header.split(separator: " ")
        func pair(_ field: Substring) -> (Int, Int) {
            let parts = field.dropFirst().split(separator: ",")
            return (Int(parts[0])!, parts.count > 1 ? Int(parts[1])! : 1)
        }
        let (a, b) = pair(fields[1])
        let (c, d) = pair(fields[2])
        return (a, b, c, d)
    }

    static func header(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> String {
        "@@ -\(a),\(b) +\(c),\(d) @@"
    }
}

extension DiffText {
    /// Moves every hunk's declared start by `offset` lines (clamped at line 1).
    func shiftingLines(by offset: Int) -> DiffText {
        mapHunks { hunk in
            let (a, b, c, d) = DiffText.numbers(hunk.header)
            return Hunk(header: DiffText.header(max(1, a + offset), b, max(1, c + offset), d), body: hunk.body)
        }
    }

    /// Declares counts off by `delta`.
    func miscounting(by delta: Int) -> DiffText {
        mapHunks { hunk in
            let (a, b, c, d) = DiffText.numbers(hunk.header)
            return Hunk(header: DiffText.header(a, max(0, b + delta), c, max(0, d - delta)), body: hunk.body)
        }
    }

    /// Plain `---`/`+++` headers without `a/` `b/` and without `diff --git`/`index` lines.
    func withoutPrefixes() -> DiffText {
        var copy = self
        for f in copy.files.indices {
            copy.files[f].header = copy.files[f].header.compactMap { line in
                if line.hasPrefix("diff --git ") || line.hasPrefix("index ") { return nil }
                if line.hasPrefix("--- a/") { return "--- " + line.dropFirst(6) }
                if line.hasPrefix("+++ b/") { return "+++ " + line.dropFirst(6) }
                return line
            }
        }
        return copy
    }

    /// Drops every `\ No newline at end of file` marker.
    func withoutNoNewlineMarkers() -> DiffText {
        mapHunks { Hunk(header: $0.header, body: $0.body.filter { !$0.hasPrefix("\\") }) }
    }

    /// Reverses the order of each file's hunks.
    func reversingHunks() -> DiffText {
        var copy = self
        for f in copy.files.indices { copy.files[f].hunks.reverse() }
        return copy
    }

    /// Re-indents context lines with a tab and adds trailing spaces, as a model re-typing them might.
    func driftingContextWhitespace() -> DiffText {
        mapHunks { hunk in
            Hunk(
                header: hunk.header,
                body: hunk.body.map { line in
                    guard line.hasPrefix(" "), line.count > 1 else { return line }
                    let content = line.dropFirst()
                    let indent = content.prefix(while: { $0 == " " })
                    return " "
                        + (indent.count >= 4 ? "\t" + String(repeating: " ", count: indent.count - 4) : String(indent))
                        + content.dropFirst(indent.count) + "  "
                })
        }
    }
}
