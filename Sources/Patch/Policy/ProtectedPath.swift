/// A path pattern the patch policy refuses, compared without regard to case:
/// - `name` (no slash): a file or directory of that name at any depth (`.gitattributes`, `sub/.gitmodules`);
/// - `dir/` or `dir/sub/`: everything under that directory of the repository root (`.github/workflows/`);
/// - `dir/file`: that exact path from the root.
public struct ProtectedPath: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let pattern: String

    public init(_ pattern: String) { self.pattern = pattern.lowercased() }
    public init(stringLiteral value: String) { self.init(value) }

    public var description: String { pattern }

    public func matches(_ path: String) -> Bool {
        let path = path.lowercased()
        if pattern.hasSuffix("/") { return path.hasPrefix(pattern) }
        if pattern.contains("/") { return path == pattern }
        return path.split(separator: "/").contains(Substring(pattern))
    }

    /// CI definitions (run with the repository's secrets on every push), git's own attribute and
    /// submodule files (filters and fetches on checkout), and hook managers' configuration.
    public static let defaults: [ProtectedPath] = [
        ".github/workflows/", ".github/actions/", ".gitlab-ci.yml", ".gitlab/", ".circleci/", "jenkinsfile",
        "azure-pipelines.yml", ".azure-pipelines/", ".travis.yml", ".drone.yml", "bitbucket-pipelines.yml",
        ".buildkite/", "appveyor.yml", ".appveyor.yml", ".woodpecker/", ".woodpecker.yml", ".cirrus.yml",
        ".gitattributes", ".gitmodules", ".husky/", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml",
        ".git-hooks/", ".githooks/", "lefthook.yml", ".lefthook.yml",
    ]
}
