import Contracts

/// Judges black's verdict on the touched files: a reformatting counts against the patch only when it
/// touches lines the patch added; the rest was already there at the base (no base run needed).
enum FormatJudge {
    /// - Parameters:
    ///   - blackDiff: the output of `black --check --diff` on the touched files (the diff it would apply).
    ///   - added: the lines the patch added, by file.
    static func judge(blackDiff: String, added: AddedLines) -> (new: [Finding], preexisting: [Finding]) {
        var new: [Finding] = []
        var preexisting: [Finding] = []
        var file: String?
        var oldLine = 0
        var touched: Set<Int> = []
        var reformatted = 0
        func flush() {
            guard let current = file, reformatted > 0 else { return }
            let patchLines = touched.intersection(added.byFile[current] ?? [])
            if patchLines.isEmpty {
                preexisting.append(finding(current, "black would reformat lines the patch did not touch"))
            } else {
                let lines = patchLines.sorted().prefix(8).map(String.init).joined(separator: ", ")
                new.append(finding(current, "black would reformat lines the patch added (line \(lines))"))
            }
        }
        for line in blackDiff.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("--- ") {
                flush()
                file = line.dropFirst(4).split(separator: "\t").first.map(String.init)
                touched = []
                reformatted = 0
            } else if line.hasPrefix("+++ ") {
                continue
            } else if line.hasPrefix("@@ ") {
                let minus = line.split(separator: " ").first { $0.hasPrefix("-") } ?? "-0"
                oldLine = Int(minus.dropFirst().split(separator: ",").first ?? "0") ?? 0
            } else if line.hasPrefix("-") {
                touched.insert(oldLine)
                reformatted += 1
                oldLine += 1
            } else if line.hasPrefix("+") {
                reformatted += 1
            } else if line.hasPrefix(" ") {
                oldLine += 1
            }
        }
        flush()
        return (new, preexisting)
    }

    /// Touched files black could not parse at all ("error: cannot parse: f.py:12:11" in black 26,
    /// "error: cannot format f.py: Cannot parse…" before).
    static func unparseable(blackOutput: String, files: [String]) -> [Finding] {
        blackOutput.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("error: cannot"),
                let file = files.first(where: { line.contains(" \($0):") || line.contains("/\($0):") })
            else { return nil }
            return finding(file, "black cannot parse it: " + String(line.prefix(300)))
        }
    }

    private static func finding(_ path: String, _ message: String) -> Finding {
        .with {
            $0.kind = .format
            $0.key = path
            $0.message = message
        }
    }
}
