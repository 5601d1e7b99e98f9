import Foundation

/// Which side of the trust boundary each target is on, as Package.swift groups them: the arrays
/// `sharedTargets`, `agentTargets`, `runnerTargets` and `developmentTargets`.
struct PackageSides {
    enum Side: String, CaseIterable {
        case shared, agent, runner, development
    }

    /// Target names per side, in the order Package.swift lists them.
    let targets: [Side: [String]]
    /// The manifest's own text, for checks on how the arrays are used.
    let manifest: String

    init(manifest: String) throws {
        self.manifest = manifest
        var targets: [Side: [String]] = [:]
        for side in Side.allCases {
            targets[side] = try Self.targetNames(inArray: "\(side.rawValue)Targets", of: manifest)
        }
        self.targets = targets
    }

    init() throws {
        try self.init(manifest: DeployFiles.text("Package.swift"))
    }

    /// The side a target is on, nil when Package.swift does not group it.
    func side(of target: String) -> Side? {
        targets.first { $0.value.contains(target) }?.key
    }

    func names(_ side: Side) -> Set<String> { Set(targets[side] ?? []) }

    /// The names declared in `let NAME: [Target] = [ … ]`: the array runs to the first line that is
    /// exactly `]`, and a declaration is `.target(`, `.executableTarget(`, `.testTarget(` or
    /// `.systemLibrary(` followed by its `name:`.
    static func targetNames(inArray name: String, of manifest: String) throws -> [String] {
        let lines = manifest.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("let \(name): [Target] = [") }),
            let end = lines[start...].firstIndex(of: "]")
        else {
            throw PackageSidesError(problem: "Package.swift declares no `let \(name): [Target] = [` … `]`")
        }
        let body = lines[start...end].joined(separator: "\n")
        return body.matches(of: /\.(?:target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"/)
            .map { String($0.output.1) }
    }
}

struct PackageSidesError: Error, CustomStringConvertible {
    var problem: String
    var description: String { problem }
}
