import Foundation

extension ProjectEnvironments {
    /// What `doctor` says about project environments: what is named, how environments are built, and
    /// for a repository which environment its checks would use (read from its declarations; nothing is built).
    public func doctorLines(repository: URL?) -> [String] {
        var lines: [String] = []
        if let named { lines.append("project environment: \(named.summary)") }
        for (name, choice) in choices.sorted(by: { $0.key < $1.key }) {
            lines.append("project environment \"\(name)\" (a request may pick it): \(choice.summary)")
        }
        guard let builder else {
            if named == nil {
                lines.append(
                    "project environments: not built (--no-project-env); the checks import only the tools and the workspace"
                )
            }
            return lines
        }
        let settings = builder.settings
        let cache = EnvironmentCache(directory: settings.cacheDirectory)
        let cached = cache.entries()
        lines.append(
            "project environments: built from the repository's declarations, wheels only from \(settings.displayedPackageIndex), installed in the sandbox with \(settings.tools.python)"
        )
        lines.append(
            "project environment cache: \(settings.cacheDirectory.path), \(cached.count) environment(s), \(cached.reduce(0) { $0 + $1.bytes } >> 20) MiB of \(settings.capBytes >> 20) MiB"
        )
        if let directoryNote { lines.append("project environment cache: \(directoryNote)") }
        if let pinned = settings.pinnedRequirements {
            lines.append("project environments: pinned requirements \(pinned.path) replace the declarations")
        }
        guard let repository else { return lines }
        let declarations = Declarations.read(checkout: repository)
        guard !declarations.isEmpty || settings.pinnedRequirements != nil else {
            lines.append("\(repository.path): declares no dependencies; checks run without a project environment")
            return lines
        }
        lines.append(
            "\(repository.path): declares \(declarations.requirements.joined(separator: ", ")) (from \(declarations.sources.joined(separator: ", ")))"
        )
        lines += declarations.refused.map { "\(repository.path): refused \($0)" }
        let key = builder.cacheKey(declarations)
        let path = settings.cacheDirectory.appendingPathComponent(key)
        if let metadata = builder.load(path) {
            lines.append("\(repository.path): \(metadata.environment.summary)")
        } else {
            lines.append(
                "\(repository.path): environment \(key.prefix(16)) is not built yet; the first check builds it")
        }
        return lines
    }
}

extension EnvironmentCache {
    func entries() -> [(name: String, bytes: UInt64)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
            .map { ($0, Self.size(of: directory.appendingPathComponent($0).path)) }
    }
}
