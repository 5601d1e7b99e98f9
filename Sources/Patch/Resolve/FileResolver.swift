/// Resolves one `FilePatch` against the base tree into a `FileChange`, recording each repair in words.
struct FileResolver {
    let inspector: TreeInspector
    var repairs: [String] = []
    /// Files deleted earlier in the patch: they may be created again.
    var deleted: Set<String> = []

    mutating func resolve(_ file: FilePatch) throws(PatchError) -> FileChange {
        noteHeaderRepairs(file)
        if file.isNewFile { return try create(file) }
        guard let oldPath = file.oldPath else { return try create(file) }
        guard inspector.kind(of: oldPath) == .regular else {
            if !file.isRename, !file.isDeletion, file.hunks.allSatisfy({ $0.oldLines.isEmpty }) {
                repairs.append(
                    "\(oldPath): the file does not exist and the hunks only add lines; created it as a new file")
                return try create(file)
            }
            throw PatchError(
                .fileMissing, path: oldPath, line: file.diffLine,
                "\(oldPath) does not exist in the repository\(inspector.suggestion(for: oldPath)). Paths are relative to the repository root; to create a file use `--- /dev/null`."
            )
        }
        let text = try FileText.read(oldPath, root: inspector.root)
        if file.isDeletion { return try delete(file, path: oldPath, text: text) }
        return try modify(file, path: oldPath, text: text)
    }

    // MARK: Kinds of change

    private mutating func create(_ file: FilePatch) throws(PatchError) -> FileChange {
        let path = file.newPath ?? file.displayPath
        guard inspector.kind(of: path) == .missing || deleted.contains(path) else {
            throw PatchError(
                .fileExists, path: path, line: file.diffLine,
                "\(path) already exists, so it cannot be created; write a diff that modifies it instead.")
        }
        let lines = file.hunks.flatMap(\.lines)
        var change = FileChange(kind: .create, oldPath: nil, newPath: path, newMode: file.newMode ?? "100644")
        change.edits = lines.isEmpty ? [] : [Edit(oldStart: 0, oldCount: 0, added: lines.map(\.text))]
        change.newEndsWithNewline = !(lines.last?.noNewline ?? false)
        return change
    }

    private mutating func delete(_ file: FilePatch, path: String, text: FileText) throws(PatchError) -> FileChange {
        let removed = file.hunks.flatMap(\.oldLines)
        // A deletion that lists lines must list the file's lines: anything else is a hallucination.
        if !removed.isEmpty, removed != text.keys, removed.map(FileText.normalize) != text.normalizedKeys {
            throw PatchError(
                .contextNotFound, path: path, line: file.diffLine,
                "\(path): the diff deletes the file but its removed lines are not the file's content (\(removed.count) lines listed, the file has \(text.lineCount)). To delete a file, remove every line exactly as it is."
            )
        }
        deleted.insert(path)
        var change = FileChange(kind: .delete, oldPath: path, newPath: nil, oldMode: text.mode)
        change.oldFile = text
        change.oldEndsWithNewline = text.endsWithNewline
        change.edits = text.lineCount == 0 ? [] : [Edit(oldStart: 0, oldCount: text.lineCount, added: [])]
        return change
    }

    private mutating func modify(_ file: FilePatch, path: String, text: FileText) throws(PatchError) -> FileChange {
        if file.isRename, let newPath = file.newPath, inspector.kind(of: newPath) != .missing {
            throw PatchError(
                .fileExists, path: newPath, line: file.diffLine,
                "\(newPath) already exists, so \(path) cannot be renamed to it.")
        }
        var change = FileChange(
            kind: file.isRename ? .rename : .modify, oldPath: path, newPath: file.newPath ?? path, oldMode: text.mode)
        if let wanted = file.newMode, wanted != text.mode, wanted != "100664" { change.newMode = wanted }
        change.oldFile = text
        change.oldEndsWithNewline = text.endsWithNewline
        change.newEndsWithNewline = text.endsWithNewline

        var placed: [(number: Int, hunk: Hunk, start: Int)] = []
        for (number, written) in file.numberedHunks {
            let (hunk, location) = try locate(written, number: number, path: path, in: text)
            noteLocation(location, hunk: hunk, number: number, path: path)
            if hunk.lines.last?.kind != .context, location.start + hunk.bodyOldCount < text.lineCount {
                // git anchors a hunk without trailing context at the end of the file.
                repairs.append("\(path) hunk \(number): had no trailing context; added context from the file")
            }
            placed.append((number, hunk, location.start))
        }
        let ordered = placed.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(
            \.element)
        if ordered.map(\.number) != placed.map(\.number) {
            repairs.append("\(path): hunks were out of order; sorted them by their place in the file")
        }
        for (previous, next) in zip(ordered, ordered.dropFirst()) {
            let previousEnd = previous.start + previous.hunk.bodyOldCount
            if previousEnd > next.start || (previous.start == next.start && previous.hunk.bodyOldCount == 0) {
                throw PatchError(
                    .overlappingHunks, path: path, hunk: next.number, line: next.hunk.diffLine,
                    "\(path): hunks \(previous.number) and \(next.number) change the same lines of the file; merge them into one hunk."
                )
            }
        }
        var edits: [Edit] = []
        for entry in ordered {
            edits += Self.edits(of: entry.hunk, at: entry.start, crlf: text.usesCRLF)
            if entry.start + entry.hunk.bodyOldCount == text.lineCount {
                applyEndOfFile(entry.hunk, number: entry.number, path: path, to: &change)
            }
        }
        change.edits = edits.coalesced()
        return change
    }

    // MARK: Helpers

    /// Places a hunk; when that fails and it ends in blank context lines (often the gap before a closing
    /// fence or prose, counted in by a wrong header), tries once more without them. When it was placed by
    /// whitespace-tolerant matching, its added lines follow the file's indentation.
    private mutating func locate(_ hunk: Hunk, number: Int, path: String, in text: FileText) throws(PatchError) -> (
        Hunk, HunkLocator.Location
    ) {
        var hunk = hunk
        var location: HunkLocator.Location
        do {
            location = try HunkLocator.locate(hunk, number: number, path: path, in: text)
        } catch  where error.rule == PatchRule.contextNotFound.rawValue {
            var trimmed = hunk
            while let last = trimmed.lines.last, last.kind == .context, last.text.allSatisfy(\.isWhitespace) {
                trimmed.lines.removeLast()
            }
            guard trimmed.lines.count < hunk.lines.count,
                let retried = try? HunkLocator.locate(trimmed, number: number, path: path, in: text)
            else { throw error }
            repairs.append("\(path) hunk \(number): ignored blank lines after its last line")
            (hunk, location) = (trimmed, retried)
        }
        if location.method == .whitespace, let reindented = Indentation.adapt(hunk, at: location.start, in: text) {
            hunk = reindented.hunk
            repairs.append("\(path) hunk \(number): \(reindented.note)")
        }
        return (hunk, location)
    }

    /// The change blocks of a hunk placed at `start`: each run of `-`/`+` lines between context lines.
    static func edits(of hunk: Hunk, at start: Int, crlf: Bool) -> [Edit] {
        var edits: [Edit] = []
        var current: Edit?
        var oldIndex = start
        for line in hunk.lines {
            switch line.kind {
            case .context:
                if let edit = current { edits.append(edit) }
                current = nil
                oldIndex += 1
            case .removed:
                if current == nil { current = Edit(oldStart: oldIndex, oldCount: 0, added: []) }
                current!.oldCount += 1
                oldIndex += 1
            case .added:
                if current == nil { current = Edit(oldStart: oldIndex, oldCount: 0, added: []) }
                current!.added.append(crlf && !line.text.hasSuffix("\r") ? line.text + "\r" : line.text)
            }
        }
        if let edit = current { edits.append(edit) }
        return edits
    }

    /// A hunk that reaches the end of the file decides whether the new file ends with a newline. Without
    /// any marker, a base without a final newline lacks only its old side's marker: when the hunk ends in
    /// removed or added lines, the new side keeps the newline the model wrote; when it ends in context,
    /// that unchanged last line keeps the base's state.
    private mutating func applyEndOfFile(_ hunk: Hunk, number: Int, path: String, to change: inout FileChange) {
        guard hunk.lines.contains(where: \.noNewline) else {
            guard !change.oldEndsWithNewline else { return }
            if let last = hunk.lines.last, last.kind != .context {
                change.newEndsWithNewline = true
                repairs.append(
                    "\(path) hunk \(number): added the missing `\\ No newline at end of file` after the base's last line; the new last line keeps the newline the diff gave it"
                )
            } else {
                repairs.append("\(path) hunk \(number): added the missing `\\ No newline at end of file`")
            }
            return
        }
        let lastNewLine = hunk.lines.last { $0.kind != .removed }
        change.newEndsWithNewline = !(lastNewLine?.noNewline ?? false)
    }

    private mutating func noteLocation(_ location: HunkLocator.Location, hunk: Hunk, number: Int, path: String) {
        if !hunk.unmarkedContextLines.isEmpty {
            let lines = hunk.unmarkedContextLines.map(String.init).joined(separator: ", ")
            repairs.append(
                "\(path) hunk \(number): diff line(s) \(lines) lacked the leading space of a context line; read as context"
            )
        }
        if !hunk.countsMatchBody, hunk.oldCount != nil {
            repairs.append(
                "\(path) hunk \(number): header counts -\(hunk.oldCount!) +\(hunk.newCount!) did not match its body (\(hunk.bodyOldCount) old, \(hunk.bodyNewCount) new lines); recounted"
            )
        }
        let stated = hunk.oldStart.map { "line \($0)" } ?? "no line number"
        switch location.method {
        case .declared:
            break
        case .moved:
            repairs.append(
                "\(path) hunk \(number): header said \(stated), its lines are at line \(location.start + 1); renumbered"
            )
        case .whitespace:
            repairs.append(
                "\(path) hunk \(number): context matched line \(location.start + 1) only when ignoring whitespace; used the file's lines"
            )
        }
    }

    private mutating func noteHeaderRepairs(_ file: FilePatch) {
        if !file.hadPrefixes {
            repairs.append("\(file.displayPath): paths lacked the a/ b/ prefixes; added them")
        }
        if file.isNewFile || file.isDeletion {
            for (number, hunk) in file.numberedHunks where !hunk.countsMatchBody && hunk.oldCount != nil {
                repairs.append("\(file.displayPath) hunk \(number): header counts did not match its body; recounted")
            }
        }
    }
}
