/// Where the lines of the base went in the patched file, from the hunks of a unified diff. A line the
/// patch kept is the same line on both sides (shifted); lines it removed or added belong to a change
/// block (a run of `-`/`+` lines inside a hunk), which stands for both the base statement and its
/// rewrite. The lint judge uses it to tell a finding the patch carried along from one it made.
struct DiffLineMap: Sendable {
    /// Where a line sits, comparable across the two sides of the diff.
    enum Region: Hashable, Sendable {
        /// A line the patch did not change, by its number at the base.
        case base(Int)
        /// A line inside change block `id` of the file.
        case changed(Int)
    }

    private struct FileMap {
        var removed: [Int: Int] = [:]  // base line → change block
        var added: [Int: Int] = [:]  // patched line → change block
        /// From patched line `from` on (up to the next entry), base line = patched line − `delta`.
        var shifts: [(from: Int, delta: Int)] = []

        /// Records the offset between the sides after a change (one entry per patched line number).
        mutating func shift(from line: Int, delta: Int) {
            if shifts.last?.from == line { shifts.removeLast() }
            shifts.append((line, delta))
        }
    }

    private var files: [String: FileMap] = [:]

    init(diff: String) {
        var map: FileMap?
        var path: String?
        var oldLine = 0
        var newLine = 0
        var oldLeft = 0
        var newLeft = 0
        var block = 0
        var inBlock = false
        func finish() { if let path, let map { files[path] = map } }
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            // Inside a hunk its counts say what a line is (a removed "-- x" is not a "--- " header).
            if oldLeft > 0 || newLeft > 0 {
                if line.hasPrefix("-") {
                    if !inBlock {
                        block += 1
                        inBlock = true
                    }
                    map?.removed[oldLine] = block
                    oldLine += 1
                    oldLeft -= 1
                } else if line.hasPrefix("+") {
                    if !inBlock {
                        block += 1
                        inBlock = true
                    }
                    map?.added[newLine] = block
                    newLine += 1
                    newLeft -= 1
                } else if line.hasPrefix(" ") || line.isEmpty {
                    inBlock = false
                    oldLine += 1
                    newLine += 1
                    oldLeft -= 1
                    newLeft -= 1
                }
                if inBlock { map?.shift(from: newLine, delta: newLine - oldLine) }
            } else if line.hasPrefix("+++ ") {
                finish()
                let name = line.dropFirst(4).split(separator: "\t").first.map(String.init) ?? ""
                path = name == "/dev/null" ? nil : (name.hasPrefix("b/") ? String(name.dropFirst(2)) : name)
                map = FileMap()
            } else if line.hasPrefix("@@ ") {
                let fields = line.split(separator: " ")
                func range(_ sign: Character) -> (Int, Int) {
                    let parts = (fields.first { $0.first == sign }?.dropFirst() ?? "0").split(separator: ",")
                    return (Int(parts.first ?? "0") ?? 0, parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
                }
                (oldLine, oldLeft) = range("-")
                (newLine, newLeft) = range("+")
                // An empty side ("-0,0") names the line before it.
                if oldLeft == 0 { oldLine += 1 }
                if newLeft == 0 { newLine += 1 }
                inBlock = false
            }
        }
        finish()
    }

    /// The region of a line of the base file (`file` by its patched name).
    func region(baseLine line: Int, file: String) -> Region {
        guard let block = files[file]?.removed[line] else { return .base(line) }
        return .changed(block)
    }

    /// The region of a line of the patched file: a change block, or the base line it was.
    func region(patchedLine line: Int, file: String) -> Region {
        guard let map = files[file] else { return .base(line) }
        if let block = map.added[line] { return .changed(block) }
        return .base(line - (map.shifts.last { $0.from <= line }?.delta ?? 0))
    }
}
