import Contracts
import Foundation

/// Builds project environments and keeps them in a cache. Two halves, so no code from a dependency ever
/// runs on the host:
/// - on the host, pip only *downloads files*: wheels (`--only-binary=:all:`; a wheel's metadata is read,
///   never executed), from the configured index only, isolated from any pip configuration, with the
///   index's hashes checked by pip;
/// - in the sandbox (no network), pip installs those wheels into a directory, which is copied to the
///   cache and from then on mounted read-only into the check jobs.
/// A dependency that exists only as an sdist would need its build backend run, so it is reported as
/// unsupported rather than built on the host.
public struct EnvironmentBuilder: Sendable {
    public struct Settings: Sendable {
        /// `<runner cache>/environments`.
        public var cacheDirectory: URL
        /// An index URL (a PEP 503 "simple" index), or a local directory of distribution files.
        public var packageIndex: String
        /// The cache is trimmed (least recently used first) to this size after each build.
        public var capBytes: UInt64 = 4 << 30
        public var tools = ToolCommands()
        /// The operator's pinned requirements (with `--hash` lines): built instead of the declarations.
        public var pinnedRequirements: URL?
        /// Wall time of the download, and of the install in the sandbox.
        public var timeoutSeconds: Double = 600

        public init(cacheDirectory: URL, packageIndex: String? = nil) {
            self.cacheDirectory = cacheDirectory
            self.packageIndex = packageIndex ?? Self.defaultIndex
        }

        /// PIP_INDEX_URL of the runner's own environment, else PyPI.
        public static var defaultIndex: String {
            ProcessInfo.processInfo.environment["PIP_INDEX_URL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "https://pypi.org/simple"
        }
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    static let metadataFile = "environment.json"
    static let installDirectory = "env"

    struct Metadata: Codable {
        var environment: ProjectEnvironment
        var requirements: [String]
        var wheels: [String]
        var skipped: [String]
    }

    /// The environment for `declarations` from the cache, or built now (`built` says which), with a lease
    /// that keeps the cache trim from removing it: hold it until the check's jobs are done.
    public func environment(for declarations: Declarations, runner: any JobRunner) async throws -> (
        ProjectEnvironment, built: Bool, lease: EnvironmentLease?
    ) {
        let key = cacheKey(declarations)
        let root = settings.cacheDirectory
        let final = root.appendingPathComponent(key)
        if let lease = EnvironmentLease.acquire(final), let cached = load(final) {
            // The mtime is the LRU clock.
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: final.path)
            return (cached.environment, false, lease)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        chmod(root.path, 0o755)
        let staging = root.appendingPathComponent(
            ".build-\(key.prefix(16))-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(
            at: staging.appendingPathComponent("wheels"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }

        try download(declarations, into: staging.appendingPathComponent("wheels"))
        let provided = toolDistributions()
        let all = (try FileManager.default.contentsOfDirectory(atPath: staging.appendingPathComponent("wheels").path))
            .filter { $0.hasSuffix(".whl") }.sorted()
        let skipped = all.filter { provided.contains(Self.distributionName(ofWheel: $0)) }
        let wheels = all.filter { !skipped.contains($0) }

        let result = try await install(wheels, staging: staging, runner: runner)
        defer { try? result.remove() }
        let building = staging.appendingPathComponent("result")
        try FileManager.default.createDirectory(at: building, withIntermediateDirectories: true)
        let site = building.appendingPathComponent(Self.installDirectory)
        if wheels.isEmpty {
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        } else {
            try result.export(Self.installDirectory, to: site)
        }
        let made = declarations.sources.isEmpty ? "pinned requirements" : declarations.sources.joined(separator: ", ")
        let environment = ProjectEnvironment(
            path: final.path, sitePackages: Self.installDirectory, interpreter: settings.tools.python, hash: key,
            origin: settings.pinnedRequirements != nil
                ? "built from the operator's pinned requirements \(settings.pinnedRequirements!.lastPathComponent)"
                : "built from \(made)")
        let metadata = Metadata(
            environment: environment, requirements: declarations.requirements, wheels: wheels, skipped: skipped)
        try JSONEncoder().encode(metadata).write(to: building.appendingPathComponent(Self.metadataFile))
        Self.makeReadable(building)
        // Atomic publish; a concurrent build of the same key that won keeps its copy.
        if rename(building.path, final.path) != 0, load(final) == nil {
            throw EnvironmentError("could not publish the environment at \(final.path): errno \(errno)")
        }
        let lease = EnvironmentLease.acquire(final)
        EnvironmentCache(directory: root).trim(toBytes: settings.capBytes, keeping: key)
        return (load(final)?.environment ?? environment, true, lease)
    }

    func load(_ directory: URL) -> Metadata? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(Self.metadataFile).path)
        else { return nil }
        return try? JSONDecoder().decode(Metadata.self, from: data)
    }

    /// sha256 of everything that decides the environment's content.
    func cacheKey(_ declarations: Declarations) -> String {
        let pins =
            (try? String(contentsOfFile: settings.tools.toolEnvironment + "/.pins", encoding: .utf8)) ?? "unknown-tools"
        let pinned = settings.pinnedRequirements.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
        let text =
            ["project-environment v1", settings.tools.python, pins, settings.packageIndex, pinned]
            + declarations.requirements
        return SHA256.hex(text.joined(separator: "\n").utf8)
    }

    // MARK: Host: download files only

    func download(_ declarations: Declarations, into wheels: URL) throws {
        var arguments = [
            "download", "--isolated", "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
            "--only-binary=:all:", "--dest", wheels.path,
            "--cache-dir", settings.cacheDirectory.appendingPathComponent(".pip-cache").path,
        ]
        var indexFile: URL?
        defer { if let indexFile { unlink(indexFile.path) } }
        var isDirectory: ObjCBool = false
        if settings.packageIndex.hasPrefix("/"),
            FileManager.default.fileExists(atPath: settings.packageIndex, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            arguments += ["--no-index", "--find-links", settings.packageIndex]
        } else if CredentialRedaction.secrets(of: settings.packageIndex).isEmpty {
            arguments += ["--index-url", settings.packageIndex]
        } else {
            // Credentials stay out of pip's argv (/proc/PID/cmdline is world-readable): a 0600 file beside
            // the download folder names the index instead.
            let file = try Self.indexFile(settings.packageIndex, beside: wheels)
            indexFile = file
            arguments += ["-r", file.path]
        }
        if let pinned = settings.pinnedRequirements {
            arguments += ["--require-hashes", "-r", pinned.path]
        } else {
            // Validated PEP 508 requirements, after `--`: never read as options.
            arguments += ["--"] + declarations.requirements
        }
        let output = try HostProcess.run(
            pythonModule: "pip", arguments, python: settings.tools.python,
            timeoutSeconds: settings.timeoutSeconds)
        guard output.status == 0 else {
            // pip masks passwords in what it prints, but not everywhere: redact its output too.
            let tail = CredentialRedaction.redacting(String(output.text.suffix(1500)), secretsOf: settings.packageIndex)
            if tail.contains("No matching distribution") || tail.contains("Could not find a version") {
                throw EnvironmentError(
                    "a dependency has no wheel for this interpreter on \(settings.displayedPackageIndex) — source-only distributions (sdists) are not built, because their build code would have to run; pin a version that ships a wheel or name an environment with --python-env. pip said: \(tail)"
                )
            }
            throw EnvironmentError("pip download failed (exit \(output.status)): \(tail)")
        }
    }

    /// A requirements file (mode 0600) that holds only `--index-url URL`, next to `folder`.
    static func indexFile(_ index: String, beside folder: URL) throws -> URL {
        let file = folder.deletingLastPathComponent().appendingPathComponent(".index-url-\(UUID().uuidString)")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EnvironmentError("could not write the index file at \(file.path): errno \(errno)")
        }
        defer { close(descriptor) }
        let line = Array("--index-url \(index)\n".utf8)
        guard write(descriptor, line, line.count) == line.count else {
            throw EnvironmentError("could not write the index file at \(file.path): errno \(errno)")
        }
        return file
    }

    /// Distributions the tool environment provides (pytest and its plugins, black, ruff…): they stay the
    /// tool environment's, so the project environment cannot replace the tools.
    func toolDistributions() -> Set<String> {
        let lib = settings.tools.toolEnvironment + "/lib"
        var names: Set<String> = []
        for python in (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [] {
            let site = "\(lib)/\(python)/site-packages"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: site)) ?? []
            where entry.hasSuffix(".dist-info") {
                names.insert(Self.distributionName(ofWheel: entry))
            }
        }
        return names
    }

    /// `PyYAML-6.0.2-cp311-….whl` → `pyyaml` (also works for `name-version.dist-info`).
    static func distributionName(ofWheel file: String) -> String {
        Declarations.normalize(String(file.split(separator: "-").first ?? ""))
    }

    // MARK: Sandbox: install

    func install(_ wheels: [String], staging: URL, runner: any JobRunner) async throws -> any ExportingWorkspace {
        let workspace = try await runner.makeWorkspace(checkout: staging)
        guard let exporting = workspace as? any ExportingWorkspace else {
            try? workspace.remove()
            throw EnvironmentError("this runner cannot build environments (its workspaces cannot be exported)")
        }
        guard !wheels.isEmpty else { return exporting }
        let command =
            [
                settings.tools.python, "-m", "pip", "install", "--isolated", "--no-index", "--no-deps",
                "--no-compile", "--disable-pip-version-check", "--no-cache-dir", "--no-warn-script-location",
                "--target", Self.installDirectory, "--",
            ] + wheels.map { "wheels/" + $0 }
        var limits = Limits()
        limits.wallTimeMs = UInt64(settings.timeoutSeconds * 1000)
        let result = try await runner.run(command, in: workspace, stdin: nil, limits: limits, onOutput: nil)
        guard result.exitCode == 0, result.finishedNormally else {
            try? workspace.remove()
            throw EnvironmentError(
                "installing the wheels in the sandbox failed (exit \(result.exitCode)): \(result.output.suffix(1500))")
        }
        return exporting
    }

    /// Directories 0755, files 0644 (executables 0755): the sandbox's unprivileged user reads them.
    static func makeReadable(_ root: URL) {
        chmod(root.path, 0o755)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return }
        for case let relative as String in walker {
            let path = root.path + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: chmod(path, 0o755)
            case S_IFREG: chmod(path, info.st_mode & 0o111 != 0 ? 0o755 : 0o644)
            default: break
            }
        }
    }
}
