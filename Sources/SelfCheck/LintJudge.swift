import Contracts
import Foundation

/// One ruff finding; its key (rule code + file + the stripped text of the line it points at) names it
/// in reports and matches code the patch moved.
struct LintFinding: Sendable, Hashable, Codable {
    var code: String
    var file: String
    var lineText: String
    var row: Int
    var message: String

    var key: String { "\(code) \(file): \(lineText)" }
}

enum LintJudge {
    private struct RuffRecord: Decodable {
        struct Location: Decodable { var row: Int }
        var code: String?
        var filename: String
        var location: Location?
        var message: String
    }

    /// Parses `ruff check --output-format json`; `source` gives a file's text (to key by line content).
    /// - Throws: when the output is not ruff's JSON (the step is then an error, not a pass).
    static func parse(ruffJSON: String, files: [String], source: (String) -> String?) throws -> [LintFinding] {
        let start = ruffJSON.firstIndex(of: "[") ?? ruffJSON.startIndex
        let records = try JSONDecoder().decode([RuffRecord].self, from: Data(ruffJSON[start...].utf8))
        return records.map { record in
            // ruff prints absolute paths; map them back onto the repo-relative paths we passed.
            let file = files.first { record.filename == $0 || record.filename.hasSuffix("/" + $0) } ?? record.filename
            let row = record.location?.row ?? 0
            let lines = source(file).map { $0.split(separator: "\n", omittingEmptySubsequences: false) } ?? []
            let text = row >= 1 && row <= lines.count ? lines[row - 1].trimmingCharacters(in: .whitespaces) : ""
            return LintFinding(
                code: record.code ?? "syntax", file: file, lineText: text, row: row, message: record.message)
        }
    }

    /// Splits the patched tree's findings into new ones and those the base already had. A finding is
    /// pre-existing when the base had the same rule on the same statement: on the line the patch kept
    /// (wherever it moved), or inside the change block that rewrote it (`diff` maps base lines to patched
    /// ones). What is left is matched by rule + the line's text, for code the patch moved elsewhere.
    /// Both count with multiplicity: a second copy of a pre-existing finding is new.
    static func judge(patched: [LintFinding], base: [LintFinding], diff: DiffLineMap) -> (
        new: [Finding], preexisting: [Finding]
    ) {
        struct Place: Hashable { var code: String, file: String, region: DiffLineMap.Region }
        var byPlace: [Place: [Int]] = [:]
        for (index, item) in base.enumerated() {
            byPlace[
                Place(code: item.code, file: item.file, region: diff.region(baseLine: item.row, file: item.file)),
                default: []
            ].append(index)
        }
        var used = Set<Int>()
        var unmatched: [LintFinding] = []
        var preexisting: [Finding] = []
        for item in patched {
            let place = Place(
                code: item.code, file: item.file, region: diff.region(patchedLine: item.row, file: item.file))
            if let index = byPlace[place]?.first(where: { !used.contains($0) }) {
                used.insert(index)
                preexisting.append(finding(item))
            } else {
                unmatched.append(item)
            }
        }
        var remaining = Dictionary(
            base.indices.filter { !used.contains($0) }.map { (base[$0].key, 1) }, uniquingKeysWith: +)
        var new: [Finding] = []
        for item in unmatched {
            if let count = remaining[item.key], count > 0 {
                remaining[item.key] = count - 1
                preexisting.append(finding(item))
            } else {
                new.append(finding(item))
            }
        }
        return (new, preexisting)
    }

    private static func finding(_ item: LintFinding) -> Finding {
        .with {
            $0.kind = .lint
            $0.key = item.key
            $0.message = "\(item.file):\(item.row): \(item.code) \(item.message)"
        }
    }
}
