import FoundationEssentials
import Glibc

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
            return try load(name)
        }
        for directory in searchPaths() {
            let file = directory + "/\(name).json"
            if access(file, F_OK) == 0 { return try load(file) }
        }
        if name == defaultName {
            return EmbeddedProfiles.pythonSelfcheckValue
        }
        throw SandboxError(
            step: "profile",
            message:
                "no sandbox profile named \(name) (searched \(searchDirectories().map(\.path).joined(separator: ", ")))"
        )
    }

    /// The compiled-in default profile.
    public static var embeddedDefault: SandboxProfile {
        // Generated from sandbox-profiles/python-selfcheck.json; a test checks they agree.
        EmbeddedProfiles.pythonSelfcheckValue
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

    /// A profile file (a path, not a URL: URL's first use costs more than reading the file).
    static func load(_ path: String) throws -> SandboxProfile {
        guard let bytes = readWholeFile(path) else {
            throw SandboxError(step: "profile", errno: errno, message: "cannot read \(path)")
        }
        return try decode(bytes, origin: path)
    }

    /// A shipped profile's file (byte for byte) is not decoded: its value is compiled in.
    static func decode(_ bytes: [UInt8], origin: String) throws -> SandboxProfile {
        if let shipped = shippedProfile(matching: bytes) { return shipped }
        do { return try JSONDecoder().decode(SandboxProfile.self, from: Data(bytes)) } catch {
            throw SandboxError(step: "profile", message: "invalid sandbox profile \(origin): \(error)")
        }
    }

    static func searchDirectories() -> [URL] { searchPaths().map { URL(fileURLWithPath: $0) } }

    /// The folders `searchDirectories` lists, as paths: plain string and stat work, since this runs at the
    /// start of every `exec` (URL's path operations cost more there than the look-up itself).
    static func searchPaths() -> [String] {
        var result: [String] = []
        if let env = getenv("SELFCHECK_SANDBOX_PROFILES").map({ String(cString: $0) }), !env.isEmpty {
            result.append(env)
        }
        var directory = parent(of: runningExecutablePath() ?? "/")
        result.append(
            directory == "/"
                ? "/share/selfcheck-runner/sandbox-profiles"
                : parent(of: directory) + "/share/selfcheck-runner/sandbox-profiles")
        while directory != "/" {
            result.append(directory + "/sandbox-profiles")
            directory = parent(of: directory)
        }
        // A source checkout at build time (tests and `swift run`).
        var source = #filePath
        for _ in 0..<4 { source = parent(of: source) }
        result.append(source == "/" ? "/sandbox-profiles" : source + "/sandbox-profiles")
        result.append("/usr/local/share/selfcheck-runner/sandbox-profiles")
        result.append("/usr/share/selfcheck-runner/sandbox-profiles")
        var found: [String] = []
        for path in result where !found.contains(path) && access(path, F_OK) == 0 { found.append(path) }
        return found
    }

    /// The folder holding `path` ("/" for "/" and for top-level entries).
    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The compiled-in value of the shipped profile whose file text is `data` (a trailing newline aside).
    static func shippedProfile(matching bytes: [UInt8]) -> SandboxProfile? {
        let text = bytes.last == UInt8(ascii: "\n") ? bytes.dropLast() : bytes[...]
        for name in EmbeddedProfiles.names {
            guard var shippedText = EmbeddedProfiles.text(name), text.count == shippedText.utf8.count else { continue }
            let equal = shippedText.withUTF8 { shipped in
                text.withUnsafeBytes {
                    shipped.isEmpty || memcmp($0.baseAddress!, shipped.baseAddress!, shipped.count) == 0
                }
            }
            if equal { return EmbeddedProfiles.value(name) }
        }
        return nil
    }
}
