import Foundation

extension SandboxProfile {
    /// The profile used when none is named.
    public static let defaultName = "python-selfcheck"

    /// Loads a profile by name (or from a path to a JSON file).
    ///
    /// Searched in order: `$SELFCHECK_SANDBOX_PROFILES`, `sandbox-profiles/` in any folder above the running
    /// executable (a source checkout), `../share/selfcheck-runner/sandbox-profiles` beside the executable
    /// (an installation), `/usr/local/share` and `/usr/share`; `python-selfcheck` falls back to a compiled-in copy.
    /// - Throws: `SandboxError` (step `profile`) when the profile is missing or invalid.
    public static func named(_ name: String) throws -> SandboxProfile {
        if name.contains("/") || name.hasSuffix(".json") {
            return try load(URL(fileURLWithPath: name))
        }
        for directory in searchDirectories() {
            let file = directory.appendingPathComponent("\(name).json")
            if FileManager.default.fileExists(atPath: file.path) { return try load(file) }
        }
        if name == defaultName {
            return try decode(Data(EmbeddedProfiles.pythonSelfcheck.utf8), origin: "embedded default")
        }
        throw SandboxError(
            step: "profile",
            message:
                "no sandbox profile named \(name) (searched \(searchDirectories().map(\.path).joined(separator: ", ")))"
        )
    }

    /// The compiled-in default profile.
    public static var embeddedDefault: SandboxProfile {
        // The embedded JSON is checked by a test, so decoding cannot fail in a shipped build.
        try! decode(Data(EmbeddedProfiles.pythonSelfcheck.utf8), origin: "embedded default")
    }

    /// Names of the profiles found on disk.
    public static func availableNames() -> [String] {
        var names = Set([defaultName])
        for directory in searchDirectories() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            names.formUnion(files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        }
        return names.sorted()
    }

    static func load(_ file: URL) throws -> SandboxProfile {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw SandboxError(step: "profile", message: "cannot read \(file.path): \(error.localizedDescription)")
        }
        return try decode(data, origin: file.path)
    }

    static func decode(_ data: Data, origin: String) throws -> SandboxProfile {
        do { return try JSONDecoder().decode(SandboxProfile.self, from: data) } catch {
            throw SandboxError(step: "profile", message: "invalid sandbox profile \(origin): \(error)")
        }
    }

    static func searchDirectories() -> [URL] {
        var result: [URL] = []
        if let env = ProcessInfo.processInfo.environment["SELFCHECK_SANDBOX_PROFILES"], !env.isEmpty {
            result.append(URL(fileURLWithPath: env))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "/").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        result.append(
            directory.appendingPathComponent("../share/selfcheck-runner/sandbox-profiles").standardizedFileURL)
        while directory.path != "/" {
            result.append(directory.appendingPathComponent("sandbox-profiles"))
            directory.deleteLastPathComponent()
        }
        // A source checkout at build time (tests and `swift run`).
        var source = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { source.deleteLastPathComponent() }
        result.append(source.appendingPathComponent("sandbox-profiles"))
        result.append(URL(fileURLWithPath: "/usr/local/share/selfcheck-runner/sandbox-profiles"))
        result.append(URL(fileURLWithPath: "/usr/share/selfcheck-runner/sandbox-profiles"))
        var seen = Set<String>()
        return result.filter { seen.insert($0.path).inserted && FileManager.default.fileExists(atPath: $0.path) }
    }
}
