import Foundation
import Logging

/// One bare mirror per remote URL under a cache directory, created on first use and reused after.
///
/// The cache directory belongs to one agent process: mirrors are locked in memory, not on disk.
public actor MirrorCache {
    /// Where the mirrors live (`<directory>/<name>-<hash>.git`).
    public let directory: URL
    public let runner: GitRunner
    private let logger: Logger
    private var mirrors: [String: Mirror] = [:]

    /// - Parameters:
    ///   - directory: the cache directory; created when missing.
    ///   - runner: how git is run (credentials, private home).
    ///   - logger: for fetches and mirror creation.
    public init(directory: URL, runner: GitRunner, logger: Logger = Logger(label: "git-workspace")) {
        self.directory = directory
        self.runner = runner
        self.logger = logger
    }

    /// The mirror of `remote` (no network access: the repository is created and fetched by `ensure`).
    /// - Parameter remote: a URL (`https://…`, `git://…`, `ssh://…`) or a local path.
    /// - Throws: `GitWorkspaceError.invalidArgument` for a remote git would read as an option.
    public func mirror(for remote: String) throws -> Mirror {
        let remote = try Validation.remote(remote)
        if let existing = mirrors[remote] { return existing }
        let mirror = Mirror(
            remote: remote, path: directory.appendingPathComponent(Self.directoryName(for: remote)),
            runner: runner, logger: logger)
        mirrors[remote] = mirror
        return mirror
    }

    /// Shorthand for `mirror(for:).ensure(commit:)`.
    /// - Returns: the mirror, which now holds `commit`.
    @discardableResult
    public func ensure(commit: String, in remote: String) async throws -> Mirror {
        let mirror = try mirror(for: remote)
        try await mirror.ensure(commit: commit)
        return mirror
    }

    /// Cleans up after a crashed run — call at start-up, before any task runs: removes half-made
    /// mirrors (`.staging-*`) and the `*.lock` files a killed git leaves in a mirror, which would
    /// make every later fetch fail.
    /// - Returns: the files and directories removed.
    @discardableResult
    public static func sweep(directory: URL) -> [URL] {
        let files = FileManager.default
        var removed: [URL] = []
        let entries = (try? files.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        for entry in entries {
            if entry.lastPathComponent.hasPrefix(".staging-") {
                if (try? files.removeItem(at: entry)) != nil { removed.append(entry) }
                continue
            }
            guard entry.pathExtension == "git",
                let walker = files.enumerator(at: entry, includingPropertiesForKeys: nil)
            else { continue }
            for case let file as URL in walker where file.pathExtension == "lock" {
                if (try? files.removeItem(at: file)) != nil { removed.append(file) }
            }
        }
        return removed
    }

    /// A readable, unique directory name: the remote without credentials, reduced to safe
    /// characters, plus a hash of it (two remotes differing only in punctuation stay apart).
    static func directoryName(for remote: String) -> String {
        let identity = Redactor.redactURLUserInfo(remote).replacingOccurrences(of: "***@", with: "")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, unlike Hasher.
        for byte in identity.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let readable = identity.map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "_" }.suffix(60)
        return
            "\(String(readable).trimmingCharacters(in: CharacterSet(charactersIn: "._")))-\(String(hash, radix: 16)).git"
    }
}
