import Foundation

/// What the code under Sources/ reads from the environment, and by which executable.
struct SourceScan {
    /// Modules under Sources/ that Package.swift groups with neither executable (benchmarks).
    static let ignoredSides: Set<PackageSides.Side> = [.development]

    /// Standard variables read by the platform's conventions, not configuration: git's search path.
    static let standardVariables: Set<String> = ["PATH"]

    /// Source text per executable.
    let text: [DeployedContainer.Role: String]
    /// Variables read the ways the code reads them (`environment["X"]`, `values["X"]`, `getenv("X")`,
    /// `value("X")`) in modules only that executable links.
    let reads: [DeployedContainer.Role: Set<String>]
    /// The same in modules both link: the table must list them, for either executable.
    let sharedReads: Set<String>

    init() throws {
        let sides = try PackageSides()
        let root = DeployFiles.url("Sources")
        var agentOnly = ""
        var runnerOnly = ""
        var shared = ""
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard ["swift", "c", "h"].contains(file.pathExtension) else { continue }
            let module = file.path.dropFirst(root.path.count + 1).split(separator: "/").first.map(String.init) ?? ""
            guard let side = sides.side(of: module) else {
                throw PackageSidesError(problem: "Sources/\(module) is in none of Package.swift's target groups")
            }
            guard !Self.ignoredSides.contains(side) else { continue }
            let contents = try String(contentsOf: file, encoding: .utf8)
            switch side {
            case .agent: agentOnly += contents
            case .runner: runnerOnly += contents
            case .shared, .development: shared += contents
            }
        }
        text = [.agent: agentOnly + shared, .runner: runnerOnly + shared]
        // `environment["X"] = …` sets a variable for a child (e.g. a job's PYTHONPATH): not a read.
        let pattern = try NSRegularExpression(
            pattern:
                #"(?:environment|values|env)\["([A-Z][A-Z0-9_]*)"\](?!\s*=[^=])|getenv\("([A-Z][A-Z0-9_]*)"\)|value\("([A-Z][A-Z0-9_]*)"\)"#
        )
        func reads(in source: String) -> Set<String> {
            Set(
                pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap { match in
                    (1...3).lazy.compactMap { Range(match.range(at: $0), in: source).map { String(source[$0]) } }.first
                })
        }
        self.reads = [.agent: reads(in: agentOnly), .runner: reads(in: runnerOnly)]
        sharedReads = reads(in: shared)
    }

    /// The executable's code names the variable as a string literal.
    func mentions(_ variable: String, in role: DeployedContainer.Role) -> Bool {
        text[role]?.contains("\"\(variable)\"") ?? false
    }

    /// The defaults the code gives when the variable is unset, from `…["X"] ?? "default"`.
    func codeDefaults(of variable: String) -> [String] {
        let source = (text[.agent] ?? "") + (text[.runner] ?? "")
        guard let regex = try? NSRegularExpression(pattern: #"\[""# + variable + #""\]\s*\?\?\s*"([^"]*)""#) else {
            return []
        }
        return regex.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap { match in
            Range(match.range(at: 1), in: source).map { String(source[$0]) }
        }
    }
}
