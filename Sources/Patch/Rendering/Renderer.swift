/// Writes resolved changes as canonical git diff text: `diff --git a/… b/…` headers, hunks rebuilt from
/// the file's own lines with three lines of context and exact counts, as `git diff` would write them.
enum Renderer {
    static let contextLines = 3

    struct Output {
        var text = ""
        var added = 0
        var removed = 0
    }

    static func render(_ changes: [FileChange]) -> Output {
        var output = Output()
        for change in changes { render(change, into: &output) }
        return output
    }

    private static func render(_ change: FileChange, into output: inout Output) {
        let oldName = change.oldPath ?? change.touchedPath
        let newName = change.newPath ?? change.touchedPath
        var text = "diff --git \(PathSyntax.quoted("a/" + oldName)) \(PathSyntax.quoted("b/" + newName))\n"
        switch change.kind {
        case .create:
            text += "new file mode \(change.newMode ?? "100644")\n"
        case .delete:
            text += "deleted file mode \(change.oldMode ?? "100644")\n"
        case .modify, .rename:
            if let newMode = change.newMode, let oldMode = change.oldMode {
                text += "old mode \(oldMode)\nnew mode \(newMode)\n"
            }
            if change.kind == .rename {
                text += "rename from \(PathSyntax.quoted(oldName))\nrename to \(PathSyntax.quoted(newName))\n"
            }
        }
        if !change.edits.isEmpty {
            text += "--- " + (change.kind == .create ? "/dev/null" : PathSyntax.quoted("a/" + oldName)) + "\n"
            text += "+++ " + (change.kind == .delete ? "/dev/null" : PathSyntax.quoted("b/" + newName)) + "\n"
            for hunk in hunks(of: change) {
                text += hunk.header
                text += "\n"
                for line in hunk.lines {
                    text.append(line.marker)
                    text += line.text
                    text += line.noNewline ? "\n\\ No newline at end of file\n" : "\n"
                }
                output.added += hunk.lines.count { $0.marker == "+" }
                output.removed += hunk.lines.count { $0.marker == "-" }
            }
        }
        output.text += text
    }

    // MARK: Hunks

    struct RenderedLine {
        var marker: Character
        var text: String
        var noNewline = false
    }

    struct RenderedHunk {
        var header: String
        var lines: [RenderedLine]
    }

    /// Groups edits whose context would touch, then surrounds each group with context from the file.
    static func hunks(of change: FileChange) -> [RenderedHunk] {
        let oldCount = change.oldLineCount
        let oldLines = { (range: Range<Int>, marker: Character) in
            range.map { RenderedLine(marker: marker, text: change.oldFile!.line($0)) }
        }
        var groups: [[Edit]] = []
        for edit in change.edits {
            if let last = groups.last?.last, edit.oldStart - last.oldEnd <= 2 * contextLines {
                groups[groups.count - 1].append(edit)
            } else {
                groups.append([edit])
            }
        }
        let newTotal = oldCount + change.edits.reduce(0) { $0 + $1.added.count - $1.oldCount }
        var delta = 0
        var result: [RenderedHunk] = []
        for group in groups {
            let from = max(0, group[0].oldStart - contextLines)
            let to = min(oldCount, group[group.count - 1].oldEnd + contextLines)
            var lines: [RenderedLine] = []
            var cursor = from
            for edit in group {
                lines += oldLines(cursor..<edit.oldStart, " ")
                lines += oldLines(edit.oldStart..<edit.oldEnd, "-")
                lines += edit.added.map { RenderedLine(marker: "+", text: $0) }
                cursor = edit.oldEnd
            }
            lines += oldLines(cursor..<to, " ")
            if to == oldCount {
                markEndOfFile(
                    &lines, old: !change.oldEndsWithNewline && oldCount > 0,
                    new: !change.newEndsWithNewline && newTotal > 0)
            }
            let oldCount = lines.count { $0.marker != "+" }
            let newCount = lines.count { $0.marker != "-" }
            let newFrom = from + delta
            let header = "@@ -\(range(from, oldCount)) +\(range(newFrom, newCount)) @@"
            result.append(RenderedHunk(header: header, lines: lines))
            delta += group.reduce(0) { $0 + $1.added.count - $1.oldCount }
        }
        return result
    }

    /// `-start,count` the way git writes it: an empty range names the line before it.
    private static func range(_ index: Int, _ count: Int) -> String {
        let start = count == 0 ? index : index + 1
        return count == 1 ? "\(start)" : "\(start),\(count)"
    }

    /// Puts `\ No newline at end of file` after the last old and/or new line. A context line can carry the
    /// marker only when it ends both sides the same way; otherwise it becomes a `-`/`+` pair.
    private static func markEndOfFile(_ lines: inout [RenderedLine], old oldMissing: Bool, new newMissing: Bool) {
        guard oldMissing || newMissing else { return }
        let lastContext = lines.lastIndex { $0.marker == " " }
        let lastOld = lines.lastIndex { $0.marker != "+" }
        let lastNew = lines.lastIndex { $0.marker != "-" }
        if let shared = lastContext, shared == lastOld, shared == lastNew, oldMissing == newMissing {
            lines[shared].noNewline = true
            return
        }
        var tailStart = (lastContext ?? -1) + 1
        if let split = lastContext, split == lastOld || split == lastNew {
            let text = lines[split].text
            lines[split] = RenderedLine(marker: "-", text: text)
            lines.insert(RenderedLine(marker: "+", text: text), at: split + 1)
            tailStart = split
        }
        // After the last context line only changes remain: removed lines first, then added, as git writes them.
        let tail = lines[tailStart...]
        var removed = tail.filter { $0.marker == "-" }
        var added = tail.filter { $0.marker == "+" }
        if oldMissing, !removed.isEmpty { removed[removed.count - 1].noNewline = true }
        if newMissing, !added.isEmpty { added[added.count - 1].noNewline = true }
        lines.replaceSubrange(tailStart..., with: removed + added)
    }
}
