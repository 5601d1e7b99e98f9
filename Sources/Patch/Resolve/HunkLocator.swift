/// Finds where a hunk's context and removed lines sit in the base file. A place is accepted only when it
/// is certain: the declared line when the lines are there, otherwise the one and only place they occur.
struct HunkLocator {
    struct Location {
        enum Method: Equatable { case declared, moved, whitespace }
        /// 0-based index of the first old line of the hunk (for a pure insertion: the line it goes before).
        var start: Int
        var method: Method
    }

    let hunk: Hunk
    /// The hunk's number in its file and the file's path, for messages.
    let number: Int
    let path: String
    let file: FileText

    static func locate(_ hunk: Hunk, number: Int, path: String, in file: FileText) throws(PatchError) -> Location {
        try HunkLocator(hunk: hunk, number: number, path: path, file: file).locate()
    }

    private func locate() throws(PatchError) -> Location {
        let needle = hunk.oldLines
        let declared = hunk.oldStart.map { needle.isEmpty ? $0 : max($0 - 1, 0) }
        guard !needle.isEmpty else {
            // Nothing to anchor on: only the line number places a hunk that only adds lines.
            guard let declared, declared <= file.lineCount else {
                throw error(
                    .contextNotFound,
                    "only adds lines and has no valid line number, so its place is unknown; include a few unchanged context lines from the file."
                )
            }
            return Location(start: declared, method: .declared)
        }
        // The common case, without building the whole file's lines.
        if let declared, file.matches(needle, at: declared) {
            return Location(start: declared, method: .declared)
        }
        let normalizedNeedle = needle.map(FileText.normalize)
        if let found = try find(needle, in: file.keys, declared: declared, method: .moved) {
            // An exact copy elsewhere competes with a whitespace-drifted copy at the declared line: no certainty.
            if let declared, Self.matches(normalizedNeedle, file.normalizedKeys, at: declared) {
                throw error(
                    .ambiguousContext,
                    "its lines match exactly at line \(found.start + 1), and also at line \(declared + 1) where its header points if whitespace is ignored, so where to apply it is ambiguous; copy the context exactly from the place you mean."
                )
            }
            return found
        }
        if let found = try find(normalizedNeedle, in: file.normalizedKeys, declared: declared, method: .whitespace) {
            return found
        }
        throw notFound(normalizedNeedle, original: needle)
    }

    /// The declared place if the lines are there, else the unique place they occur; nil when nowhere.
    private func find(_ needle: [String], in haystack: [String], declared: Int?, method: Location.Method)
        throws(PatchError) -> Location?
    {
        if let declared, Self.matches(needle, haystack, at: declared) {
            return Location(start: declared, method: method == .moved ? .declared : .whitespace)
        }
        let places = Self.positions(of: needle, in: haystack, limit: 2)
        if places.count > 1 {
            let stated = declared.map { "its header says line \($0 + 1)" } ?? "its header has no line number"
            throw error(
                .ambiguousContext,
                "its context and removed lines occur more than once in the file (at lines \(places[0] + 1) and \(places[1] + 1)) and \(stated), so where to apply it is ambiguous; include more unchanged lines around the change so it matches one place."
            )
        }
        return places.first.map { Location(start: $0, method: method) }
    }

    static func matches(_ needle: [String], _ haystack: [String], at start: Int) -> Bool {
        guard start >= 0, start <= haystack.count - needle.count else { return false }
        for offset in needle.indices where haystack[start + offset] != needle[offset] { return false }
        return true
    }

    private static func positions(of needle: [String], in haystack: [String], limit: Int) -> [Int] {
        guard needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && matches(needle, haystack, at: start) {
            found.append(start)
            if found.count == limit { break }
        }
        return found
    }

    /// Says which line is hallucinated, or where the closest near-match breaks, so a retry can fix it.
    private func notFound(_ needle: [String], original: [String]) -> PatchError {
        let haystack = file.normalizedKeys
        let present = Set(haystack)
        if let missing = needle.firstIndex(where: { !present.contains($0) }) {
            return error(
                .contextNotFound,
                "the line `\(original[missing])` does not appear anywhere in the file. Context and removed lines must be copied exactly from the current file."
            )
        }
        var best = (start: 0, score: -1)
        for start in 0...max(0, haystack.count - needle.count) {
            let score = needle.indices.count { start + $0 < haystack.count && haystack[start + $0] == needle[$0] }
            if score > best.score { best = (start, score) }
        }
        let broken =
            needle.indices.first { best.start + $0 >= haystack.count || haystack[best.start + $0] != needle[$0] } ?? 0
        let fileLine = best.start + broken
        let found = fileLine < file.lineCount ? "`\(file.keys[fileLine])`" : "the end of the file"
        return error(
            .contextNotFound,
            "its lines exist in the file but not together in this order; near line \(fileLine + 1) the file has \(found) where the hunk expects `\(original[broken])`. Copy the context exactly from the current file."
        )
    }

    private func error(_ rule: PatchRule, _ message: String) -> PatchError {
        PatchError(rule, path: path, hunk: number, line: hunk.diffLine, "\(path) hunk \(number): \(message)")
    }
}
