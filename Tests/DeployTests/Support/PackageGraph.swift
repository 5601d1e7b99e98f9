import Foundation
import TestSupport

/// The package's resolved graph as SwiftPM reports it: targets and their dependencies
/// (`swift package describe --type json`), the package each product comes from (Package.swift's
/// `.product(name:package:)`), and which packages each package depends on
/// (`swift package show-dependencies --format json`).
struct PackageGraph {
    /// Target name → the targets it names as dependencies.
    let targetDependencies: [String: [String]]
    /// Target name → the products of other packages it depends on.
    let productDependencies: [String: [String]]
    /// Product name → the package (identity) that provides it.
    let productPackages: [String: String]
    /// Package identity → the packages it depends on directly.
    let packageDependencies: [String: Set<String>]

    /// Read once per test run: each `swift package` call loads the whole manifest graph.
    static let shared = Result { try PackageGraph() }

    init() throws {
        // `--ignore-lock`: this runs inside `swift test`, which holds the build directory's lock.
        let describe = try Self.swiftPackage(["describe", "--type", "json"])
        let dependencies = try Self.swiftPackage(["show-dependencies", "--format", "json"])
        struct Description: Decodable {
            struct Target: Decodable {
                var name: String
                var target_dependencies: [String]?
                var product_dependencies: [String]?
            }
            var targets: [Target]
        }
        let targets = try JSONDecoder().decode(Description.self, from: describe).targets
        targetDependencies = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0.target_dependencies ?? []) })
        productDependencies = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0.product_dependencies ?? []) })

        let manifest = try DeployFiles.text("Package.swift")
        var productPackages: [String: String] = [:]
        for match in manifest.matches(of: /\.product\(name:\s*"([^"]+)",\s*package:\s*"([^"]+)"\)/) {
            productPackages[String(match.output.1)] = String(match.output.2)
        }
        self.productPackages = productPackages

        struct Node: Decodable {
            var identity: String
            var dependencies: [Node]
        }
        var packageDependencies: [String: Set<String>] = [:]
        func visit(_ node: Node) {
            packageDependencies[node.identity, default: []].formUnion(node.dependencies.map(\.identity))
            node.dependencies.forEach(visit)
        }
        visit(try JSONDecoder().decode(Node.self, from: dependencies))
        self.packageDependencies = packageDependencies
    }

    /// Every target `target` is built from, itself included.
    func targetClosure(of target: String) -> Set<String> {
        var seen: Set<String> = []
        var queue = [target]
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            queue += targetDependencies[next] ?? []
        }
        return seen
    }

    /// Every package whose code `target` can link: the packages of the products its targets use, and
    /// everything those packages depend on. A package-level over-approximation: a package missing
    /// here cannot be linked.
    func packageClosure(of target: String) throws -> Set<String> {
        var queue: [String] = []
        for dependency in targetClosure(of: target) {
            for product in productDependencies[dependency] ?? [] {
                guard let package = productPackages[product] else {
                    throw PackageSidesError(problem: "\(dependency) uses product \(product) of no known package")
                }
                queue.append(package)
            }
        }
        var seen: Set<String> = []
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            queue += packageDependencies[next] ?? []
        }
        return seen
    }

    private static func swiftPackage(_ arguments: [String]) throws -> Data {
        let output = try run(
            ["swift", "package", "--ignore-lock", "--package-path", Paths.packageRoot.path] + arguments)
        return Data(output.stdout.utf8)
    }
}
