import Foundation

/// deploy/docker-compose.yml.
struct ComposeFile {
    static let path = "deploy/docker-compose.yml"
    let root: YAMLNode

    init() throws {
        guard let document = try DeployFiles.yamlDocuments(Self.path).first else {
            throw DeployFileError("\(Self.path) is empty")
        }
        root = document
    }

    var services: [String: YAMLNode] { root["services"].map }

    /// Our services: those built from deploy/Dockerfile.agent or deploy/Dockerfile.runner.
    var containers: [DeployedContainer] {
        services.sorted { $0.key < $1.key }.compactMap { name, service in
            let dockerfile = service["build"]["dockerfile"].string ?? ""
            let role: DeployedContainer.Role
            if dockerfile.hasSuffix("Dockerfile.agent") {
                role = .agent
            } else if dockerfile.hasSuffix("Dockerfile.runner") {
                role = .runner
            } else {
                return nil
            }
            return DeployedContainer(
                origin: "\(Self.path) service \(name)", name: name, role: role,
                environment: Self.environment(service["environment"]),
                secretReferences: service["secrets"].list.compactMap { $0.string ?? $0["source"].string },
                arguments: service["entrypoint"].strings + service["command"].strings
                    + [service["entrypoint"].string, service["command"].string].compactMap { $0 },
                mounts: service["volumes"].list.compactMap(Self.mount),
                ports: (service["expose"].strings + service["ports"].strings).compactMap {
                    Int($0.split(separator: ":").last ?? "")
                },
                privileged: service["privileged"].bool ?? false,
                addedCapabilities: service["cap_add"].strings,
                droppedCapabilities: service["cap_drop"].strings,
                uid: service["user"].string.flatMap { Int($0.split(separator: ":").first ?? "") })
        }
    }

    /// `environment:` as a map or as a list of `NAME=value`, with `${NAME:-default}` read as its default.
    static func environment(_ node: YAMLNode) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in node.map { result[name] = interpolated(value.string ?? "") }
        for entry in node.strings {
            let parts = entry.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count == 2 ? interpolated(String(parts[1])) : ""
        }
        return result
    }

    /// Compose interpolation as `up` would see it with nothing set: `${X:-d}`/`${X-d}` give `d`,
    /// `${X:?msg}` a placeholder for the required value, `${X}` nothing.
    static func interpolated(_ text: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: #"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}"#)
        else { return text }
        let result = NSMutableString(string: text)
        // From the end, so the ranges of earlier matches stay valid.
        for match in regex.matches(in: text, range: NSRange(location: 0, length: result.length)).reversed() {
            let operation = match.range(at: 2).location == NSNotFound ? nil : result.substring(with: match.range(at: 2))
            let operand = match.range(at: 3).location == NSNotFound ? "" : result.substring(with: match.range(at: 3))
            let replacement =
                switch operation {
                case "-": operand
                case "?": "<required>"
                default: ""
                }
            result.replaceCharacters(in: match.range, with: replacement)
        }
        return result as String
    }

    /// A volume in short (`name:/target[:ro]`) or long syntax; bind mounts and tmpfs are not volumes.
    static func mount(_ node: YAMLNode) -> DeployedContainer.Mount? {
        if let short = node.string {
            let parts = short.split(separator: ":").map(String.init)
            guard parts.count >= 2, !parts[0].hasPrefix("/"), !parts[0].hasPrefix(".") else { return nil }
            return .init(
                volume: parts[0], target: parts[1],
                readOnly: parts.count > 2 && parts[2].split(separator: ",").contains("ro"))
        }
        guard node["type"].string ?? "volume" == "volume", let source = node["source"].string,
            let target = node["target"].string
        else { return nil }
        return .init(volume: source, target: target, readOnly: node["read_only"].bool ?? false)
    }
}

struct DeployFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
