import Foundation
import Patch

/// Facts about the checkout that the runner reads on the host (read-only git plumbing, no repository
/// code runs here; fsmonitor and hooks are switched off for every call).
enum RepositoryInfo {
    /// The tree the checkout holds when it is clean (the baseline cache key), nil when it has uncommitted
    /// changes or is not a git repository.
    static func cleanTree(_ checkout: URL) -> String? {
        guard let status = git(["status", "--porcelain", "--untracked-files=normal"], in: checkout), status.isEmpty,
              let tree = git(["rev-parse", "HEAD^{tree}"], in: checkout)
        else { return nil }
        return tree.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether the repository declares a `fast` pytest marker (the original design runs `-m fast`).
    static func declaresFastMarker(_ checkout: URL) -> Bool {
        for name in ["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"] {
            guard let text = try? String(contentsOf: checkout.appendingPathComponent(name), encoding: .utf8),
                  text.contains("markers")
            else { continue }
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces).drop { $0 == "\"" || $0 == "'" }
                if trimmed.hasPrefix("fast:") || trimmed.hasPrefix("fast ") || trimmed == "fast" { return true }
            }
        }
        return false
    }

    private static func git(_ arguments: [String], in directory: URL) -> String? {
        guard let output = try? HostGit.run(arguments, in: directory, capture: .standardOutput), output.succeeded else { return nil }
        return output.text
    }
}
