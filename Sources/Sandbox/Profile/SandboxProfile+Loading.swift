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
        for directory in searchPaths() {
            let file = directory + "/\(name).json"
            if access(file, F_OK) == 0 { return try load(URL(fileURLWithPath: file)) }
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

    static func load(_ file: URL) throws -> SandboxProfile {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw SandboxError(step: "profile", message: "cannot read \(file.path): \(error.localizedDescription)")
        }
        return try decode(data, origin: file.path)
    }

    /// A shipped profile's file (byte for byte) is not decoded: its value is compiled in.
    static func decode(_ data: Data, origin: String) throws -> SandboxProfile {
        if let shipped = shippedProfile(matching: data) { return shipped }
        do { return try JSONDecoder().decode(SandboxProfile.self, from: data) } catch {
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
        var directory = parent(of: executablePath())
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
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted && access($0, F_OK) == 0 }
    }

    /// The running executable with symbolic links resolved (realpath, as `resolvingSymlinksInPath` would).
    private static func executablePath() -> String {
        let argument = CommandLine.arguments.first ?? "/"
        guard let resolved = realpath(argument, nil) else {
            return URL(fileURLWithPath: argument).resolvingSymlinksInPath().path
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The folder holding `path` ("/" for "/" and for top-level entries).
    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The compiled-in value of the shipped profile whose file text is `data` (a trailing newline aside).
    static func shippedProfile(matching data: Data) -> SandboxProfile? {
        let text = data.last == UInt8(ascii: "\n") ? data.dropLast() : data[...]
        for (shippedText, profile) in EmbeddedProfiles.shipped.values
        where text.count == shippedText.utf8.count && text.elementsEqual(shippedText.utf8) {
            return profile
        }
        return nil
    }
}
