import Foundation
import TestSupport
import Yams

/// Reading the repository's own files: deploy/, README.md, scripts/, Sources/.
enum DeployFiles {
    static func url(_ relativePath: String) -> URL { Paths.packageRoot.appendingPathComponent(relativePath) }

    /// A text file of the repository, by its path from the package root.
    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// Every YAML document of a file (`---` separates them).
    static func yamlDocuments(_ relativePath: String) throws -> [YAMLNode] {
        try Yams.load_all(yaml: text(relativePath)).map(YAMLNode.init)
    }

    /// Every YAML document of every `.yaml`/`.yml` file in a folder, sorted by file name.
    static func yamlDocuments(inFolder relativePath: String) throws -> [YAMLNode] {
        let names = try FileManager.default.contentsOfDirectory(atPath: url(relativePath).path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        return try names.flatMap { try yamlDocuments(relativePath + "/" + $0) }
    }
}

/// A parsed YAML value with lenient accessors: a missing key or a value of another type reads as
/// nil or empty, so each check states what it expects instead of crashing on what it finds.
struct YAMLNode {
    let value: Any?

    init(_ value: Any?) { self.value = value }

    subscript(key: String) -> YAMLNode { YAMLNode((value as? [String: Any])?[key]) }

    var isMissing: Bool { value == nil }
    var list: [YAMLNode] { ((value as? [Any]) ?? []).map(YAMLNode.init) }
    var map: [String: YAMLNode] { ((value as? [String: Any]) ?? [:]).mapValues(YAMLNode.init) }
    /// Scalars as text: YAML's `9600` and `"9600"` both read as "9600"; `true` as "true".
    var string: String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        case let flag as Bool: String(flag)
        case let number as Double: String(number)
        default: nil
        }
    }
    var bool: Bool? { value as? Bool }
    var strings: [String] { list.compactMap(\.string) }
}
