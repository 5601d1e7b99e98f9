import Foundation

/// A real Python project from `fixtures/python-projects`, extracted into a temporary folder and
/// committed as the base of a fresh git repository.
public struct FixtureRepo: Sendable {
    /// The checkout (its HEAD is `baseCommit`).
    public let root: URL
    public let baseCommit: String

    /// A checkout made elsewhere (e.g. a generated repository), to use the edit helpers on.
    public init(root: URL, baseCommit: String) {
        self.root = root
        self.baseCommit = baseCommit
    }

    /// The fixtures on this machine, e.g. `toolz`, `inflection`.
    public static var available: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path)) ?? []
        return names.filter { $0.hasSuffix(".tar.gz") }.map { String($0.split(separator: "-").first!) }.sorted()
    }

    /// Extracts the sdist whose name starts with `name` and commits it.
    public static func make(_ name: String) throws -> FixtureRepo {
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path)
        guard let archive = names.first(where: { $0.hasPrefix(name + "-") && $0.hasSuffix(".tar.gz") }) else {
            throw ShellError(
                command: ["fixture", name],
                output: .init(status: 1, stdout: "", stderr: "no fixture \(name) in \(Paths.fixtures.path)"))
        }
        let parent = try makeTemporaryDirectory("fixture-\(name)")
        try run([
            "tar", "--no-same-owner", "-xzf", Paths.fixtures.appendingPathComponent(archive).path, "-C", parent.path,
        ])
        let root = parent.appendingPathComponent(String(archive.dropLast(".tar.gz".count)))
        try initializeRepository(at: root)
        return FixtureRepo(root: root, baseCommit: try head(of: root))
    }

    /// `git init` + commit everything, with a fixed identity and no hooks.
    public static func initializeRepository(at root: URL) throws {
        try run(["git", "init", "-q", "-b", "main"], in: root)
        try run(["git", "add", "-A"], in: root)
        try git(["commit", "-q", "-m", "base"], in: root)
    }

    /// Runs git with a fixed identity and no user configuration.
    @discardableResult
    public static func git(_ arguments: [String], in root: URL, check: Bool = true) throws -> ProcessOutput {
        try run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "core.hooksPath=/dev/null"]
                + arguments,
            in: root, check: check)
    }

    public static func head(of root: URL) throws -> String {
        try run(["git", "rev-parse", "HEAD"], in: root).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the temporary folder holding the checkout.
    public func remove() {
        try? FileManager.default.removeItem(at: root.deletingLastPathComponent())
    }
}
