/// A unified diff as the test selection reads it: per file, whether the file itself changes kind (new,
/// deleted, renamed, mode, binary), and each change block (a run of `-`/`+` lines) with where it sits
/// at the base.
struct FileChanges: Sendable {
    struct Block: Sendable {
        /// Base line numbers the block removes (empty for a pure insertion).
        var removed: [Int] = []
        var removedText: [String] = []
        var added: [String] = []
        /// For a pure insertion: the base lines on either side of it.
        var before = 0
        var after = 0
    }

    var path: String
    /// Why the file is not a plain edit of an existing file, or nil when it is.
    var kindChange: String?
    var blocks: [Block] = []

    static func parse(_ diff: String) -> [FileChanges] {
        var files: [FileChanges] = []
        var oldLine = 0
        var oldLeft = 0
        var newLeft = 0
        var block: Block?
        func close() {
            if let open = block, !files.isEmpty { files[files.count - 1].blocks.append(open) }
            block = nil
        }
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if oldLeft > 0 || newLeft > 0 {
                if line.hasPrefix("-") || line.hasPrefix("+") {
                    if block == nil { block = Block(before: oldLine - 1, after: oldLine) }
                    if line.hasPrefix("-") {
                        block?.removed.append(oldLine)
                        block?.removedText.append(String(line.dropFirst()))
                        oldLine += 1
                        oldLeft -= 1
                    } else {
                        block?.added.append(String(line.dropFirst()))
                        newLeft -= 1
                    }
                } else if line.hasPrefix(" ") || line.isEmpty {
                    close()
                    oldLine += 1
                    oldLeft -= 1
                    newLeft -= 1
                }
                continue
            }
            close()
            if line.hasPrefix("diff --git ") {
                files.append(FileChanges(path: ""))
            } else if line.hasPrefix("@@ ") {
                // @@ -a,b +c,d @@
                let parts = line.split(separator: " ")
                guard parts.count >= 3, !files.isEmpty else { continue }
                let old = parts[1].dropFirst().split(separator: ",").compactMap { Int($0) }
                let new = parts[2].dropFirst().split(separator: ",").compactMap { Int($0) }
                oldLine = old.first ?? 0
                oldLeft = old.count > 1 ? old[1] : 1
                newLeft = new.count > 1 ? new[1] : 1
                // An empty old side (`-0,0`) is an insertion before line 1.
                if oldLeft == 0 { oldLine += 1 }
            } else if let index = files.indices.last {
                if line.hasPrefix("+++ ") || line.hasPrefix("--- ") {
                    let name = line.dropFirst(4).split(separator: "\t").first.map(String.init) ?? ""
                    let path = name.hasPrefix("a/") || name.hasPrefix("b/") ? String(name.dropFirst(2)) : name
                    if name == "/dev/null" {
                        files[index].kindChange = files[index].kindChange ?? "the patch creates or deletes it"
                    } else if files[index].path.isEmpty {
                        files[index].path = path
                    } else if files[index].path != path {
                        files[index].kindChange = "the patch renames it"
                    }
                } else if let what = ["new file", "deleted file", "rename ", "copy ", "old mode", "new mode", "Binary"]
                    .first(where: { line.hasPrefix($0) })
                {
                    files[index].kindChange =
                        "the patch changes the file itself (\(what.trimmingCharacters(in: .whitespaces)))"
                }
            }
        }
        close()
        return files
    }
}
