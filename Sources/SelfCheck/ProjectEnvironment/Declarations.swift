import Foundation

/// The dependencies a repository declares, read from its files without running anything. The repository
/// is hostile: files are capped in size, symlinks are not followed, and a requirement that is not a plain
/// PEP 508 name-and-version (an option such as `-r`, `-e` or `--index-url`, a URL, a path) is refused and
/// reported, never handed to pip.
public struct Declarations: Sendable, Equatable {
    /// Requirement specifiers in the order they were found, without duplicates.
    public var requirements: [String] = []
    /// Where they came from, e.g. "pyproject.toml [project.dependencies]", "requirements-test.txt".
    public var sources: [String] = []
    /// Lines and entries that were refused, with the reason.
    public var refused: [String] = []
    /// The project's own name (normalized), never installed from the index.
    public var projectName: String?

    public var isEmpty: Bool { requirements.isEmpty }

    static let maxFileBytes = 256 * 1024
    static let maxRequirements = 500
    static let testExtras = ["test", "tests", "testing", "dev"]
    static let testGroups = ["test", "tests", "dev"]
    /// Requirement files, in the order they are read (all that exist are read).
    public static let requirementFiles = [
        "requirements.txt",
        "requirements-test.txt", "requirements_test.txt", "requirements-tests.txt", "requirements_tests.txt",
        "test-requirements.txt", "test_requirements.txt", "tests-requirements.txt",
        "requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt", "dev_requirements.txt",
        "requirements/test.txt", "requirements/tests.txt", "requirements/testing.txt", "requirements/dev.txt",
        "tests/requirements.txt",
    ]
    /// Every file whose change is a dependency change.
    public static var declarationFiles: [String] { ["pyproject.toml"] + requirementFiles }

    /// Reads the declarations through `read` (repo-relative path → content, nil when absent).
    public static func read(_ read: (String) -> Data?) -> Declarations {
        var declarations = Declarations()
        if let data = read("pyproject.toml") {
            if data.count > maxFileBytes {
                declarations.refused.append("pyproject.toml: larger than \(maxFileBytes) bytes, not read")
            } else {
                declarations.addPyproject(String(decoding: data, as: UTF8.self))
            }
        }
        for file in requirementFiles {
            guard let data = read(file) else { continue }
            guard data.count <= maxFileBytes else {
                declarations.refused.append("\(file): larger than \(maxFileBytes) bytes, not read")
                continue
            }
            declarations.addRequirementsFile(file, String(decoding: data, as: UTF8.self))
        }
        declarations.dropSelfReferences()
        return declarations
    }

    /// Reads from a checkout on the host: regular files only, no symlink anywhere in the path.
    public static func read(checkout: URL) -> Declarations {
        read { relative in
            OverlayWorkspace.lookup(root: checkout.path, relative.split(separator: "/").map(String.init)).contents
        }
    }

    // MARK: pyproject.toml

    mutating func addPyproject(_ text: String) {
        let tables = TOMLSubset.parse(text)
        let project = tables["project"] ?? [:]
        if case .string(let name)? = project["name"] { projectName = Self.normalize(name) }
        if case .array(let items)? = project["dependencies"] {
            add(strings(items), from: "pyproject.toml [project.dependencies]")
        }
        var extras = tables["project.optional-dependencies"] ?? [:]
        if case .table(let inline)? = project["optional-dependencies"] { extras.merge(inline) { old, _ in old } }
        // Dotted keys in [project]: `optional-dependencies.tests = [...]`.
        for (key, value) in project where key.hasPrefix("optional-dependencies.") {
            extras[String(key.dropFirst("optional-dependencies.".count))] =
                extras[String(key.dropFirst("optional-dependencies.".count))] ?? value
        }
        for extra in Self.testExtras {
            if case .array(let items)? = extras[extra] {
                add(strings(items), from: "pyproject.toml [project.optional-dependencies] \(extra)")
            }
        }
        let groups = tables["dependency-groups"] ?? [:]
        for group in Self.testGroups where groups[group] != nil {
            var seen: Set<String> = []
            add(groupEntries(group, groups, seen: &seen), from: "pyproject.toml [dependency-groups] \(group)")
        }
    }

    private func strings(_ items: [TOMLSubset.Value]) -> [String] {
        items.compactMap { if case .string(let text) = $0 { return text } else { return nil } }
    }

    /// A PEP 735 group, with `{include-group = "…"}` entries expanded (cycles stop).
    private func groupEntries(_ name: String, _ groups: [String: TOMLSubset.Value], seen: inout Set<String>) -> [String]
    {
        guard seen.insert(name).inserted, case .array(let items)? = groups[name] else { return [] }
        var result: [String] = []
        for item in items {
            switch item {
            case .string(let text): result.append(text)
            case .table(let table):
                if case .string(let included)? = table["include-group"] {
                    result += groupEntries(included, groups, seen: &seen)
                }
            default: break
            }
        }
        return result
    }

    // MARK: requirement files

    mutating func addRequirementsFile(_ file: String, _ text: String) {
        var logical: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw).trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            logical.append(pending + line)
            pending = ""
        }
        if !pending.isEmpty { logical.append(pending) }
        var found: [String] = []
        for line in logical {
            var content = line
            if let hash = content.range(of: " #") ?? (content.hasPrefix("#") ? content.range(of: "#") : nil) {
                content = String(content[..<hash.lowerBound])
            }
            content = content.trimmingCharacters(in: .whitespaces)
            guard !content.isEmpty else { continue }
            // Per-requirement hash options are pip's syntax, not the requirement: the index's hashes are checked.
            let words = content.split(separator: " ").filter { !$0.hasPrefix("--hash") }
            content = words.joined(separator: " ")
            if content.hasPrefix("-") {
                refused.append(
                    "\(file): option \(String(content.prefix(60))) is not followed (no includes, indexes or editables from the repository)"
                )
                continue
            }
            found.append(content)
        }
        add(found, from: file)
    }

    // MARK: validation

    private mutating func add(_ entries: [String], from source: String) {
        var any = false
        for entry in entries {
            let requirement = entry.trimmingCharacters(in: .whitespaces)
            if let reason = Self.refusal(requirement) {
                refused.append("\(source): \(String(requirement.prefix(80))): \(reason)")
                continue
            }
            guard requirements.count < Self.maxRequirements else {
                refused.append("\(source): more than \(Self.maxRequirements) requirements, the rest ignored")
                break
            }
            if !requirements.contains(requirement) { requirements.append(requirement) }
            any = true
        }
        if any { sources.append(source) }
    }

    /// Why a requirement is not passed to pip, or nil when it is a plain PEP 508 name, extras, version and marker.
    static func refusal(_ requirement: String) -> String? {
        guard !requirement.isEmpty, requirement.utf8.count <= 300 else { return "empty or too long" }
        guard !requirement.hasPrefix("-") else { return "an option, not a requirement" }
        let head = requirement.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        if requirement.contains("://") || head.contains("@") { return "a URL requirement" }
        if head.contains("/") || head.contains("\\") || head.hasPrefix(".") { return "a path" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-[], <>=!~*+;'\"()"))
        guard requirement.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            return "characters outside PEP 508"
        }
        guard let first = requirement.unicodeScalars.first, CharacterSet.alphanumerics.contains(first) else {
            return "does not start with a project name"
        }
        if let marker = requirement.split(separator: ";", maxSplits: 1).dropFirst().first, !validMarker(String(marker))
        {
            return "an environment marker with names outside PEP 508"
        }
        return nil
    }

    static let markerNames: Set<String> = [
        "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
        "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
        "implementation_version", "extra", "and", "or", "in", "not",
    ]

    /// The words of a marker outside its quoted values are PEP 508's variables and operators.
    static func validMarker(_ marker: String) -> Bool {
        var outside = ""
        var quote: Character?
        for character in marker {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else {
                outside.append(character)
            }
        }
        guard quote == nil else { return false }
        let words = outside.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }.map(String.init)
        return words.allSatisfy { markerNames.contains($0) }
    }

    /// The name a requirement is about, normalized as PEP 503 does.
    static func name(of requirement: String) -> String {
        let name = requirement.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        return normalize(String(name))
    }

    static func normalize(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: ".", with: "-")
    }

    /// The project's own package comes from the workspace (the patched code), never from the index.
    private mutating func dropSelfReferences() {
        guard let projectName else { return }
        let own = requirements.filter { Self.name(of: $0) == projectName }
        guard !own.isEmpty else { return }
        requirements.removeAll { Self.name(of: $0) == projectName }
        refused += own.map { "\($0): the project itself comes from the workspace, not the index" }
    }
}

extension OverlayWorkspace.Lookup {
    /// A regular file's content (capped), else nil.
    var contents: Data? {
        guard case .file(let path) = self, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.read(upToCount: Declarations.maxFileBytes + 1)
    }
}
