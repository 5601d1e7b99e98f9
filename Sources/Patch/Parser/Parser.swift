/// Reads a unified diff (git or traditional headers) into a `PatchSet`.
///
/// Hunk bodies are read by their syntax, not by their header counts, because model-written counts are
/// often wrong; the counts are kept as declared so the resolver can tell and report a recount.
struct DiffParser {
    private let lines: [String]
    private var index = 0
    private var files: [FilePatch] = []

    static func parse(_ text: String) throws(PatchError) -> PatchSet {
        var parser = DiffParser(lines: Extraction.splitLines(text))
        let files = try parser.parseFiles()
        return PatchSet(files: files, byteCount: text.utf8.count)
    }

    private init(lines: [String]) {
        self.lines = lines
    }

    private mutating func parseFiles() throws(PatchError) -> [FilePatch] {
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("diff --git ") {
                try parseGitFile()
            } else if Extraction.isFileHeader(lines[...], at: index) {
                parseTraditionalFile()
            } else if line.hasPrefix("@@") {
                guard !files.isEmpty else {
                    throw PatchError(
                        .parse, line: index + 1,
                        "Line \(index + 1): the hunk header `\(line)` comes before any file header; start each file with `--- a/PATH` and `+++ b/PATH`."
                    )
                }
                let hunk = try parseHunk(number: files[files.count - 1].hunks.count + 1, file: files[files.count - 1])
                files[files.count - 1].hunks.append(hunk)
            } else {
                index += 1  // prose or junk between files: git ignores it too
            }
        }
        guard !files.isEmpty else {
            throw PatchError(
                .empty, "No diff was found: expected a unified diff with `--- a/PATH`, `+++ b/PATH` and `@@` hunks.")
        }
        for file in files { try checkConsistency(file) }
        return files
    }

    // MARK: File headers

    private mutating func parseGitFile() throws(PatchError) {
        let headerLine = index + 1
        let names = PathSyntax.gitHeaderPaths(String(lines[index].dropFirst("diff --git ".count)))
        var file = FilePatch(oldPath: names?.old.path, newPath: names?.new.path, diffLine: headerLine)
        file.hadPrefixes = names.map { $0.old.hadPrefix && $0.new.hadPrefix } ?? false
        index += 1
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("diff --git ") || line.hasPrefix("@@") || Extraction.isFileHeader(lines[...], at: index) {
                break
            }
            if let mode = line.value(after: "old mode ") {
                file.oldMode = mode
            } else if let mode = line.value(after: "new mode ") {
                file.newMode = mode
            } else if let mode = line.value(after: "new file mode ") {
                file.newMode = mode
                file.isNewFile = true
            } else if let mode = line.value(after: "deleted file mode ") {
                file.oldMode = mode
                file.isDeletion = true
            } else if let name = line.value(after: "rename from ") {
                file.oldPath = PathSyntax.plainPath(name)
                file.isRename = true
            } else if let name = line.value(after: "rename to ") {
                file.newPath = PathSyntax.plainPath(name)
                file.isRename = true
            } else if let name = line.value(after: "copy from ") {
                file.oldPath = PathSyntax.plainPath(name)
                file.isCopy = true
            } else if let name = line.value(after: "copy to ") {
                file.newPath = PathSyntax.plainPath(name)
                file.isCopy = true
            } else if line.hasPrefix("GIT binary patch")
                || (line.hasPrefix("Binary files ") && line.hasSuffix(" differ"))
            {
                file.isBinary = true
            }
            // `index …`, `similarity index …` and binary data lines carry nothing we need.
            index += 1
        }
        if index + 1 < lines.count, lines[index].hasPrefix("--- "), lines[index + 1].hasPrefix("+++ ") {
            readNames(into: &file)
        }
        guard file.oldPath != nil || file.newPath != nil else {
            throw PatchError(
                .parse, line: headerLine,
                "Line \(headerLine): cannot read the file names in `\(lines[headerLine - 1])`; write `diff --git a/PATH b/PATH`."
            )
        }
        finishHeader(&file)
        files.append(file)
    }

    private mutating func parseTraditionalFile() {
        var file = FilePatch(oldPath: nil, newPath: nil, diffLine: index + 1)
        readNames(into: &file)
        finishHeader(&file)
        files.append(file)
    }

    /// Reads a `--- ` / `+++ ` pair at `index`.
    private mutating func readNames(into file: inout FilePatch) {
        let old = PathSyntax.headerPath(String(lines[index].dropFirst(4)))
        let new = PathSyntax.headerPath(String(lines[index + 1].dropFirst(4)))
        file.oldPath = old.path
        file.newPath = new.path
        file.hadPrefixes = old.hadPrefix && new.hadPrefix
        if old.path == nil { file.isNewFile = true }
        if new.path == nil { file.isDeletion = true }
        index += 2
    }

    private func finishHeader(_ file: inout FilePatch) {
        if file.isNewFile { file.oldPath = nil }
        if file.isDeletion { file.newPath = nil }
        if let old = file.oldPath, let new = file.newPath, old != new, !file.isCopy { file.isRename = true }
    }

    // MARK: Hunks

    private mutating func parseHunk(number: Int, file: FilePatch) throws(PatchError) -> Hunk {
        let headerLine = index + 1
        let header = lines[index]
        guard let numbers = HunkHeader(header) else {
            throw PatchError(
                .parse, path: file.displayPath, hunk: number, line: headerLine,
                "Line \(headerLine): malformed hunk header `\(header)`; expected `@@ -START,COUNT +START,COUNT @@`.")
        }
        index += 1
        var body: [HunkLine] = []
        var unmarked: [Int] = []
        reading: while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("@@") || line.hasPrefix("diff --git ") { break }
            if Extraction.isFileHeader(lines[...], at: index), startsNextFile(body: body, numbers: numbers) { break }
            let text = String(line.dropFirst())
            switch line.first {
            case nil: body.append(HunkLine(.context, ""))  // a blank context line whose space was trimmed
            case " ": body.append(HunkLine(.context, text))
            case "-": body.append(HunkLine(.removed, text))
            case "+": body.append(HunkLine(.added, text))
            case "\\": if !body.isEmpty { body[body.count - 1].noNewline = true }
            default:
                // Inside an unfinished hunk that goes on below, a line without a marker is context whose
                // leading space was lost (the resolver still has to find it in the file). Otherwise it ends
                // the hunk: prose, or the next file.
                guard !countsReached(body: body, numbers: numbers), continuesHunk(after: index) else { break reading }
                body.append(HunkLine(.context, line))
                unmarked.append(index + 1)
            }
            index += 1
        }
        trimTrailingBlankContext(&body, numbers: numbers)
        var hunk = Hunk(
            oldStart: numbers.oldStart, oldCount: numbers.oldCount, newStart: numbers.newStart,
            newCount: numbers.newCount, lines: body, diffLine: headerLine)
        hunk.unmarkedContextLines = unmarked
        guard body.contains(where: { $0.kind != .context }) else {
            throw PatchError(
                .parse, path: file.displayPath, hunk: number, line: headerLine,
                "Line \(headerLine): hunk \(number) of \(file.displayPath) changes nothing (it has no `+` or `-` lines)."
            )
        }
        return hunk
    }

    /// A `--- `/`+++ ` pair inside a hunk is the next file when the hunk is complete or a hunk follows it;
    /// otherwise it is a removed line that happens to start with `--`.
    private func startsNextFile(body: [HunkLine], numbers: HunkHeader) -> Bool {
        countsReached(body: body, numbers: numbers) || (index + 2 < lines.count && lines[index + 2].hasPrefix("@@"))
    }

    /// Whether the body already holds as many lines as the header declares (false without numbers).
    private func countsReached(body: [HunkLine], numbers: HunkHeader) -> Bool {
        guard let oldCount = numbers.oldCount, let newCount = numbers.newCount else { return false }
        return body.count { $0.kind != .added } >= oldCount && body.count { $0.kind != .removed } >= newCount
    }

    /// Whether the line after `position` is a hunk line (and not the start of another file or hunk).
    private func continuesHunk(after position: Int) -> Bool {
        let next = position + 1
        guard next < lines.count, let marker = lines[next].first, " +-\\".contains(marker) else { return false }
        return !Extraction.isFileHeader(lines[...], at: next)
    }

    /// Blank lines after a hunk are usually the gap before prose or the next file, not context.
    private func trimTrailingBlankContext(_ body: inout [HunkLine], numbers: HunkHeader) {
        while let last = body.last, last.kind == .context, last.text.allSatisfy(\.isWhitespace) {
            let old = body.count { $0.kind != .added }
            let new = body.count { $0.kind != .removed }
            if let oldCount = numbers.oldCount, let newCount = numbers.newCount, old <= oldCount, new <= newCount {
                break
            }
            body.removeLast()
        }
    }

    // MARK: Consistency (the checks unidiff makes that cannot be repaired)

    private func checkConsistency(_ file: FilePatch) throws(PatchError) {
        let path = file.displayPath
        if file.isNewFile,
            let (number, hunk) = file.numberedHunks.first(where: { $0.1.lines.contains { $0.kind != .added } })
        {
            throw PatchError(
                .parse, path: path, hunk: number, line: hunk.diffLine,
                "Line \(hunk.diffLine): \(path) is a new file, so its hunks may only add lines (`+`), but hunk \(number) has context or removed lines."
            )
        }
        if file.isDeletion,
            let (number, hunk) = file.numberedHunks.first(where: { $0.1.lines.contains { $0.kind != .removed } })
        {
            throw PatchError(
                .parse, path: path, hunk: number, line: hunk.diffLine,
                "Line \(hunk.diffLine): \(path) is deleted, so its hunks may only remove lines (`-`), but hunk \(number) has context or added lines."
            )
        }
        // Without both names, or with the same name twice, a rename would be rendered as `rename from X`
        // / `rename to X`, which no pass accepts: say what is missing instead.
        if file.isRename, file.oldPath == nil || file.newPath == nil || file.oldPath == file.newPath {
            throw PatchError(
                .parse, path: path, line: file.diffLine,
                "Line \(file.diffLine): \(path) is renamed, but the section does not name both the old and a different new path; write `rename from OLD` and `rename to NEW`."
            )
        }
        let meaningful =
            !file.hunks.isEmpty || file.isNewFile || file.isDeletion || file.isRename || file.isCopy || file.isBinary
            || file.newMode != nil
        if !meaningful {
            throw PatchError(
                .parse, path: path, line: file.diffLine,
                "Line \(file.diffLine): \(path) has a file header but no `@@` hunks.")
        }
    }
}

/// The numbers of an `@@ -a,b +c,d @@` line. A bare `@@` (no numbers) is accepted: the hunk is then
/// placed by its content alone.
struct HunkHeader {
    var oldStart, oldCount, newStart, newCount: Int?

    init?(_ line: String) {
        let rest = line.dropFirst(2).trimmingPrefix(" ")
        if rest.isEmpty || rest.hasPrefix("@@") { return }
        let fields = rest.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0].hasPrefix("-"), fields[1].hasPrefix("+"),
            let old = HunkHeader.range(fields[0].dropFirst()), let new = HunkHeader.range(fields[1].dropFirst())
        else { return nil }
        (oldStart, oldCount, newStart, newCount) = (old.start, old.count, new.start, new.count)
    }

    private static func range(_ text: Substring) -> (start: Int, count: Int)? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= 2, let start = Int(parts[0]), start >= 0 else { return nil }
        guard parts.count == 2 else { return (start, 1) }
        guard let count = Int(parts[1]), count >= 0 else { return nil }
        return (start, count)
    }
}

extension FilePatch {
    /// Hunks with their 1-based numbers, for messages.
    var numberedHunks: [(Int, Hunk)] { hunks.enumerated().map { ($0.offset + 1, $0.element) } }
}

extension String {
    /// The rest of the line after `prefix`, or nil when it does not start with it.
    func value(after prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
