import Contracts
import Foundation

/// The changes a patch makes to the configuration of its judges (black, ruff, pytest), each reported as a
/// `config` finding. black and ruff judge with the base's configuration anyway (`BaseToolConfig`); these
/// findings fail the check unless the caller allows configuration changes. The list is in docs/selfcheck.md.
enum ConfigChanges {
    /// Files that are tool configuration as a whole, wherever they are (ruff reads nested ones too).
    static let wholeFiles: Set<String> = ["ruff.toml", ".ruff.toml", "pytest.ini", ".pytest.ini"]
    /// Files whose sections (tables) starting with one of these names are tool configuration.
    static let sections: [String: [String]] = [
        "pyproject.toml": ["tool.black", "tool.ruff", "tool.pytest"],
        "setup.cfg": ["tool:pytest"],
        "tox.ini": ["pytest"],
    ]

    /// Comments on an added line that switch a judge off for a whole file or region. A line-scoped
    /// `# noqa: CODE` or `# fmt: skip` is not here: it excuses only the line it is on, in plain sight.
    static let exemptions: [(pattern: String, what: String)] = [
        (#"#\s*(ruff|flake8)\s*:\s*noqa"#, "a file-level ruff exemption"),
        (#"#\s*ruff\s*:\s*disable"#, "a ruff range suppression"),
        (#"#\s*isort\s*:\s*(skip_file|off)"#, "an import-sorting exemption"),
        (#"#\s*fmt\s*:\s*off"#, "a region black does not format"),
    ]

    /// - Parameters:
    ///   - diff: the canonical diff (paths and added lines).
    ///   - base: a file's content at the base (nil when it does not exist there).
    ///   - patched: a file's content after the patch (nil when it does not exist then).
    static func find(diff: String, base: (String) -> Data?, patched: (String) -> Data?) -> [Finding] {
        let paths = DiffPaths(diff: diff)
        var findings: [Finding] = []
        for path in paths.all {
            let name = (path as NSString).lastPathComponent
            if wholeFiles.contains(name) {
                let before = base(path).map(meaningfulLines(ini: false))
                let after = patched(path).map(meaningfulLines(ini: false))
                if before != after { findings.append(finding(path, "the patch \(verb(before, after)) \(path)")) }
            } else if let prefixes = sections[name] {
                let ini = name != "pyproject.toml"
                let before = toolSections(base(path), ini: ini, prefixes: prefixes)
                let after = toolSections(patched(path), ini: ini, prefixes: prefixes)
                for section in Set(before.keys).union(after.keys).sorted() where before[section] != after[section] {
                    findings.append(
                        finding(
                            "\(path) [\(section)]",
                            "the patch \(verb(before[section], after[section])) [\(section)] in \(path)"))
                }
            }
        }
        for (path, line, text) in paths.addedPythonLines {
            for exemption in exemptions
            where text.range(of: exemption.pattern, options: [.regularExpression, .caseInsensitive]) != nil {
                findings.append(
                    finding(
                        "\(path): \(text.trimmingCharacters(in: .whitespaces))", "line \(line) adds \(exemption.what)"))
            }
        }
        return findings
    }

    private static func verb<T>(_ before: T?, _ after: T?) -> String {
        before == nil ? "adds" : after == nil ? "removes" : "changes"
    }

    private static func finding(_ key: String, _ message: String) -> Finding {
        .with {
            $0.kind = .config
            $0.key = key
            $0.message = message
        }
    }

    /// The lines that mean something: without blank lines, comments or indentation.
    private static func meaningfulLines(ini: Bool) -> (Data) -> [String] {
        { data in
            String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") && !(ini && $0.hasPrefix(";")) }
        }
    }

    /// The meaningful lines of each tool section, by section name. In TOML a line belongs to a tool when
    /// its table, or its table plus its dotted key (`tool.ruff.lint.select = …` at the top,
    /// `ruff = {…}` under `[tool]`), starts with a tool's name; a multi-line value stays with its key.
    static func toolSections(_ data: Data?, ini: Bool, prefixes: [String]) -> [String: [String]] {
        guard let data else { return [:] }
        var sections: [String: [String]] = [:]
        var table = ""
        var keyPath = ""
        var depth = 0
        func belongs(_ path: String) -> Bool {
            prefixes.contains { path == $0 || path.hasPrefix($0 + ".") || (ini && path.hasPrefix($0 + ":")) }
        }
        for line in meaningfulLines(ini: ini)(data) {
            if depth == 0, line.hasPrefix("["), let header = header(line) {
                table = header
                keyPath = header
                continue
            }
            if depth == 0 && !ini, let equals = line.firstIndex(of: "=") {
                let key = normalise(String(line[..<equals]))
                keyPath = table.isEmpty ? key : table + "." + key
            } else if depth == 0 {
                keyPath = table
            }
            if !ini { depth = max(0, depth + bracketBalance(line)) }
            if belongs(keyPath) || belongs(table) {
                sections[table.isEmpty ? "top level" : table, default: []].append(line)
            }
        }
        return sections
    }

    /// `[tool.ruff.lint]`, `[[tool.x]]`, `[ "tool" . "ruff" ]` → the dotted name; nil for anything else.
    private static func header(_ line: String) -> String? {
        var text = line
        if let comment = text.range(of: " #") { text = String(text[..<comment.lowerBound]) }
        text = text.trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix("]") else { return nil }
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !inner.isEmpty, !inner.contains(",") else { return nil }
        return normalise(inner)
    }

    private static func normalise(_ key: String) -> String {
        key.split(separator: ".").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'")) }.joined(
            separator: ".")
    }

    /// Open minus closed brackets and braces outside strings: a value continues while it is positive.
    private static func bracketBalance(_ line: String) -> Int {
        var balance = 0
        var quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" {
                break
            } else if character == "[" || character == "{" {
                balance += 1
            } else if character == "]" || character == "}" {
                balance -= 1
            }
        }
        return balance
    }
}

/// The paths a diff touches on either side (both names of a rename) and the lines it adds to Python files.
struct DiffPaths {
    private(set) var all: [String] = []
    private(set) var addedPythonLines: [(path: String, line: Int, text: String)] = []

    init(diff: String) {
        var seen = Set<String>()
        func note(_ raw: Substring, prefix: String) -> String? {
            var path = String(raw.split(separator: "\t").first ?? "")
            guard path != "/dev/null", !path.isEmpty else { return nil }
            if path.hasPrefix(prefix) { path = String(path.dropFirst(prefix.count)) }
            if seen.insert(path).inserted { all.append(path) }
            return path
        }
        var current: String?
        var newLine = 0
        var oldLeft = 0
        var newLeft = 0
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if oldLeft > 0 || newLeft > 0 {
                if line.hasPrefix("+") {
                    if let current, current.hasSuffix(".py") {
                        addedPythonLines.append((current, newLine, String(line.dropFirst())))
                    }
                    newLine += 1
                    newLeft -= 1
                } else if line.hasPrefix("-") {
                    oldLeft -= 1
                } else if line.hasPrefix(" ") || line.isEmpty {
                    newLine += 1
                    oldLeft -= 1
                    newLeft -= 1
                }
            } else if line.hasPrefix("--- ") {
                _ = note(line.dropFirst(4), prefix: "a/")
            } else if line.hasPrefix("+++ ") {
                current = note(line.dropFirst(4), prefix: "b/")
            } else if line.hasPrefix("rename from ") || line.hasPrefix("copy from ") || line.hasPrefix("rename to ")
                || line.hasPrefix("copy to ")
            {
                _ = note(line.split(separator: " ", maxSplits: 2).last ?? "", prefix: "")
            } else if line.hasPrefix("@@ ") {
                let fields = line.split(separator: " ")
                func range(_ sign: Character) -> (Int, Int) {
                    let parts = (fields.first { $0.first == sign }?.dropFirst() ?? "0").split(separator: ",")
                    return (Int(parts.first ?? "0") ?? 0, parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
                }
                oldLeft = range("-").1
                (newLine, newLeft) = range("+")
            }
        }
    }
}
