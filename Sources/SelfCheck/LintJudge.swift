import Contracts
import Foundation

/// One ruff finding, keyed so that it survives the line shifts a patch causes:
/// rule code + file + the stripped text of the line it points at.
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
            return LintFinding(code: record.code ?? "syntax", file: file, lineText: text, row: row, message: record.message)
        }
    }

    /// Splits the patched tree's findings into new ones and those the base already had (by key, with
    /// multiplicity: a second copy of a pre-existing finding is new).
    static func judge(patched: [LintFinding], base: [LintFinding]) -> (new: [Finding], preexisting: [Finding]) {
        var remaining = Dictionary(base.map { ($0.key, 1) }, uniquingKeysWith: +)
        var new: [Finding] = [], preexisting: [Finding] = []
        for item in patched {
            let finding = Finding.with {
                $0.kind = "lint"
                $0.key = item.key
                $0.message = "\(item.file):\(item.row): \(item.code) \(item.message)"
            }
            if let count = remaining[item.key], count > 0 {
                remaining[item.key] = count - 1
                preexisting.append(finding)
            } else {
                new.append(finding)
            }
        }
        return (new, preexisting)
    }
}
