import Foundation

/// README.md's configuration table: `| variable | read by | flag | default | meaning |`, one variable a row.
struct ConfigurationTable {
    struct Row {
        var variable: String
        /// `agent`, `runner` or both.
        var readBy: Set<DeployedContainer.Role>
        var flag: String
        /// The first value in the default cell without backticks; "" when there is none (`—`, `unset`).
        var defaultValue: String
        /// The default cell as written, e.g. `` `warning` (`once`: `info`) ``.
        var defaultCell: String
        var meaning: String
    }

    let rows: [String: Row]

    init() throws {
        let lines = try DeployFiles.text("README.md").split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: { Self.cells($0).first == "variable" }) else {
            throw DeployFileError("README.md has no configuration table (a header row starting with | variable |)")
        }
        guard Self.cells(lines[header]) == ["variable", "read by", "flag", "default", "meaning"] else {
            throw DeployFileError("README.md's configuration table columns: \(Self.cells(lines[header]))")
        }
        var rows: [String: Row] = [:]
        for line in lines[(header + 2)...].prefix(while: { $0.hasPrefix("|") }) {
            let cells = Self.cells(line)
            guard cells.count == 5 else {
                throw DeployFileError("README.md configuration row with \(cells.count) cells: \(line)")
            }
            let variable = Self.unquoted(cells[0])
            let readBy = Set(
                cells[1].split(separator: ",").compactMap {
                    DeployedContainer.Role(rawValue: $0.trimmingCharacters(in: .whitespaces))
                })
            let defaultValue = cells[3].firstMatch(of: /`([^`]*)`/).map { String($0.output.1) } ?? ""
            rows[variable] = Row(
                variable: variable, readBy: readBy, flag: cells[2], defaultValue: defaultValue, defaultCell: cells[3],
                meaning: cells[4])
        }
        self.rows = rows
    }

    private static func cells(_ line: Substring) -> [String] {
        guard line.hasPrefix("|") else { return [] }
        return line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `` `kafka:9092` `` → `kafka:9092`.
    private static func unquoted(_ cell: String) -> String {
        cell.hasPrefix("`") && cell.hasSuffix("`") && cell.count >= 2 ? String(cell.dropFirst().dropLast()) : cell
    }
}
