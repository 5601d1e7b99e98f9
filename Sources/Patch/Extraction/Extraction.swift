import Foundation

/// Finds the diff in what a model returned: a bare diff, or one or more markdown fences with prose around
/// them; CRLF line endings become LF.
enum Extraction {
    static func extract(_ modelText: String) -> String {
        var normalized =
            modelText.utf8.contains(0x0D) ? modelText.replacingOccurrences(of: "\r\n", with: "\n") : modelText
        // A reply cut between CR and LF: that last CR ends the line too. Kept, the canonical diff would
        // end the line in CRLF, which a second pass reads as a plain line end: not a fixed point.
        if normalized.hasSuffix("\r") { normalized.removeLast() }
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

    /// What `extract` normalised in the diff itself, in words, for the report's repairs: CRLF line ends.
    /// Only the diff's own lines count (`diff --git`, `@@`): a canonical diff of a CRLF file carries CRs
    /// in its content lines, and reading it again changes nothing.
    static func normalisations(_ modelText: String) -> [String] {
        guard modelText.utf8.contains(0x0D) else { return [] }
        // By bytes: as a Character, "\r\n" is one grapheme that a split on "\n" would not cut.
        let crlfHeaders = modelText.utf8.split(separator: 0x0A).contains { line in
            line.last == 0x0D && (line.starts(with: "diff --git ".utf8) || line.starts(with: "@@ ".utf8))
        }
        return crlfHeaders
            ? ["the diff's lines ended in CRLF; read them as LF (a CRLF file's added lines get CRLF again)"] : []
    }

    /// Lines without their terminators; a final terminator does not make an extra empty line.
    static func splitLines(_ text: String) -> [String] {
        Lines.split(text)
    }

    /// The contents of each markdown code fence (``` or ~~~). As in CommonMark, a fence may be indented by
    /// up to three spaces (a fence in a list item), and that indentation is removed from its lines. An
    /// unclosed fence runs to the end, as when a model's answer was cut short.
    private static func fencedBlocks(_ lines: [String]) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        var fence = ""
        var indent = 0
        for line in lines {
            let leading = line.prefix(while: { $0 == " " }).count
            let body = line.dropFirst(leading)
            if current == nil {
                if leading <= 3, body.hasPrefix("```") || body.hasPrefix("~~~") {
                    fence = String(body.prefix(while: { $0 == body.first }))
                    indent = leading
                    current = []
                }
            } else if leading <= 3, body.hasPrefix(fence),
                body.trimmingCharacters(in: .whitespaces).allSatisfy({ $0 == fence.first })
            {
                blocks.append(current!)
                current = nil
            } else {
                let removable = min(indent, leading)
                current!.append(String(line.dropFirst(removable)))
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
