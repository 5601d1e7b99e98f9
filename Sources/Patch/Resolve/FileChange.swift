/// One file's change, resolved against the base tree: exact old lines, where they change, and how.
/// The renderer turns it into canonical `diff --git` text.
struct FileChange {
    enum Kind { case modify, create, delete, rename }
    var kind: Kind
    var oldPath: String?
    var newPath: String?
    /// The mode on disk (modify, delete, rename) and the mode wanted when it differs or the file is new.
    var oldMode: String?
    var newMode: String?
    /// The base file (nil for a new file).
    var oldFile: FileText?
    var oldEndsWithNewline = true
    var newEndsWithNewline = true
    /// Sorted, non-overlapping replacements of old line ranges.
    var edits: [Edit] = []

    var oldLineCount: Int { oldFile?.lineCount ?? 0 }

    /// The path the change leaves in the tree, or the deleted path.
    var touchedPath: String { newPath ?? oldPath ?? "" }
}

/// Replace `oldCount` lines from 0-based `oldStart` with `added`.
struct Edit: Equatable {
    var oldStart: Int
    var oldCount: Int
    var added: [String]
    var oldEnd: Int { oldStart + oldCount }
}

extension [Edit] {
    /// Merges edits that touch or abut, so each change block renders once.
    func coalesced() -> [Edit] {
        var result: [Edit] = []
        for edit in self {
            if var last = result.last, last.oldEnd == edit.oldStart {
                last.oldCount += edit.oldCount
                last.added += edit.added
                result[result.count - 1] = last
            } else {
                result.append(edit)
            }
        }
        return result
    }
}
