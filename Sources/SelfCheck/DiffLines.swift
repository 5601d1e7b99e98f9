/// The lines a unified diff adds, by file and by line number in the new file. The format judge uses it
/// to tell the patch's own formatting from what was already there.
struct AddedLines: Sendable {
    private(set) var byFile: [String: Set<Int>] = [:]

    init(diff: String) {
        var file: String?
        var newLine = 0
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("+++ ") {
                let path = line.dropFirst(4).split(separator: "\t").first.map(String.init) ?? ""
                file = path == "/dev/null" ? nil : (path.hasPrefix("b/") ? String(path.dropFirst(2)) : path)
            } else if line.hasPrefix("@@ ") {
                // @@ -a,b +c,d @@: the new side starts at c.
                let plus = line.split(separator: " ").first { $0.hasPrefix("+") } ?? "+0"
                newLine = Int(plus.dropFirst().split(separator: ",").first ?? "0") ?? 0
            } else if let current = file, line.hasPrefix("+") {
                byFile[current, default: []].insert(newLine)
                newLine += 1
            } else if line.hasPrefix(" ") {
                newLine += 1
            }
        }
    }

    /// The files that end up existing with new content.
    var files: [String] { byFile.keys.sorted() }
}
