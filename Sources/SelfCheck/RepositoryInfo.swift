import Foundation

/// Facts about the checkout that the runner reads on the host (plain file reads; no git, no repository
/// code). Whether it is clean: `CheckoutState`.
enum RepositoryInfo {
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
}
