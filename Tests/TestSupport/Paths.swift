import Foundation

/// Well-known locations for tests.
public enum Paths {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The real Python projects (sdists) patches are checked against, kept in the repository.
    public static let fixtures: URL = packageRoot.appendingPathComponent("fixtures/python-projects")

    /// The check-tool environment installed by scripts/setup.
    public static let toolEnvironment = URL(fileURLWithPath: "/opt/selfcheck-tools")

    /// A built product of this package (e.g. `selfcheck-runner`), next to the test bundle.
    public static func product(_ name: String) -> URL {
        var dir = Bundle.main.bundleURL
        // `swift test` runs the xctest bundle from .build/<triple>/debug; products sit beside it.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/\(name)")
    }
}
