import Foundation

/// Finds the diff in what a model returned: a bare diff, or one or more markdown fences with prose around
/// them; CRLF line endings become LF.
enum Extraction {
    static func extract(_ modelText: String) -> String {
        let normalized = modelText.utf8.contains(0x0D) ? modelText.replacingOccurrences(of: "\r\n", with: "\n") : modelText
        let lines = splitLines(normalized)

        // Prefer the fenced blocks that hold a diff; models often wrap one fence per file.
        let fenced = fencedBlocks(lines).filter(looksLikeDiff)
        var body: ArraySlice<String> = fenced.isEmpty ? lines[...] : ArraySlice(fenced.joined())

        // Drop prose before the first file header.
        if let start = body.indices.first(where: { isFileHeader(body, at: $0) }) {
            body = body[start...]
        }
        guard !body.isEmpty else { return "" }
        return body.joined(separator: "\n") + "\n"
    }

    /// Lines without their terminators; a final terminator does not make an extra empty line.
    static func splitLines(_ text: String) -> [String] {
        Lines.split(text)
    }

    /// The contents of each markdown code fence (``` or ~~~ at the start of a line). An unclosed fence
    /// runs to the end, as when a model's answer was cut short.
    private static func fencedBlocks(_ lines: [String]) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        var fence = ""
        for line in lines {
            if current == nil {
                if line.hasPrefix("```") || line.hasPrefix("~~~") {
                    fence = String(line.prefix(while: { $0 == line.first }))
                    current = []
                }
            } else if line.hasPrefix(fence) && line.trimmingCharacters(in: .whitespaces).allSatisfy({ $0 == fence.first }) {
                blocks.append(current!)
                current = nil
            } else {
                current!.append(line)
            }
        }
        if let current { blocks.append(current) }
        return blocks
    }

    private static func looksLikeDiff(_ block: [String]) -> Bool {
        block.indices.contains { isFileHeader(block[...], at: $0) } || block.contains { $0.hasPrefix("@@") }
    }

    /// `diff --git …`, or a `--- ` line directly followed by `+++ `.
    static func isFileHeader(_ lines: ArraySlice<String>, at index: Int) -> Bool {
        let line = lines[index]
        if line.hasPrefix("diff --git ") { return true }
        return line.hasPrefix("--- ") && index + 1 < lines.endIndex && lines[index + 1].hasPrefix("+++ ")
    }
}
