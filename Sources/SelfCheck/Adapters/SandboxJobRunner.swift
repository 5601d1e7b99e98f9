import Contracts
import Foundation
import Logging
import Sandbox

/// The production `JobRunner`: every command runs in the sandbox, in an overlay workspace over the
/// checkout. Setup failures throw; nothing ever runs unsandboxed.
public struct SandboxJobRunner: JobRunner {
    let sandbox: Sandbox
    let logger: Logger
    /// Variables every job of this runner gets on top of the profile's (PYTHONPATH of a project environment).
    var environment: [String: String] = [:]

    public init(profile: SandboxProfile, logger: Logger) {
        sandbox = Sandbox(profile: profile, logger: logger)
        self.logger = logger
    }

    public func makeWorkspace(checkout: URL) async throws -> any CheckWorkspace {
        let profile = sandbox.profile
        return OverlayWorkspace(
            workspace: try Workspace.create(
                lower: checkout, jobUid: profile.unprivilegedUid, jobGid: profile.unprivilegedGid,
                diskBytes: profile.limits.diskBytes))
    }

    public func run(
        _ command: [String], in workspace: any CheckWorkspace, stdin: [UInt8]?, limits: Limits,
        onOutput: (@Sendable ([UInt8]) -> Void)?
    ) async throws -> JobResult {
        guard let overlay = workspace as? OverlayWorkspace else {
            throw SandboxRunnerMisuse()
        }
        let job = SandboxJob(
            command: command, workspace: overlay.workspace, environment: environment, limits: SandboxLimits(limits),
            stdin: stdin, onOutput: onOutput)
        let outcome = try await sandbox.run(job)
        return JobResult(
            exitCode: outcome.exitCode ?? -1, signal: outcome.signal ?? 0,
            limitHit: StepResult.LimitHit(outcome.limitHit, cancelled: outcome.cancelled),
            durationMs: UInt64(outcome.wallTime.milliseconds), cpuMs: UInt64(outcome.cpuTime.milliseconds),
            peakRssKb: outcome.peakRSSKB, output: outcome.outputText, isolation: outcome.isolation)
    }
}

extension SandboxLimits {
    /// The request's limits; zero means "the profile's default".
    init(_ limits: Limits) {
        func value<T: BinaryInteger>(_ number: T) -> T? { number == 0 ? nil : number }
        self.init(
            wallTimeMs: value(limits.wallTimeMs), cpuTimeMs: value(limits.cpuTimeMs),
            memoryBytes: value(limits.memoryBytes), maxPids: value(limits.maxPids),
            outputBytes: value(limits.outputBytes), fileSizeBytes: value(limits.fileSizeBytes),
            diskBytes: value(limits.diskBytes))
    }
}

/// The overlay as the pipeline sees it. Reads come from the upper layer, then the checkout; the jobs
/// are finished when the runner reads, and no path component may be a symlink, so a job cannot make
/// the runner read a host file (e.g. a junit.xml that points at /etc/shadow).
struct OverlayWorkspace: CheckWorkspace {
    let workspace: Workspace
    static let maxReadBytes = 64 << 20

    func read(_ relativePath: String) throws -> Data? {
        let components = relativePath.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        for root in [workspace.upper.path, workspace.lower.path] {
            switch Self.lookup(root: root, components) {
            case .deleted: return nil
            case .absent: continue
            case .file(let path):
                guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
                defer { try? handle.close() }
                return try handle.read(upToCount: Self.maxReadBytes) ?? Data()
            }
        }
        return nil
    }

    func remove() throws { try workspace.remove() }

    enum Lookup {
        case absent, deleted
        case file(String)
    }

    /// Walks the path with lstat: a whiteout (0:0 character device) means deleted in the overlay; a symlink
    /// anywhere, or anything but a regular file at the end, is not readable.
    static func lookup(root: String, _ components: [String]) -> Lookup {
        var path = root
        for (index, component) in components.enumerated() {
            path += "/" + component
            var info = stat()
            guard lstat(path, &info) == 0 else { return .absent }
            switch info.st_mode & S_IFMT {
            case S_IFCHR where info.st_rdev == 0: return .deleted
            case S_IFDIR where index < components.count - 1: continue
            case S_IFREG where index == components.count - 1: return .file(path)
            default: return .deleted
            }
        }
        return .absent
    }
}

/// A workspace that did not come from this runner was passed to it (a programming error).
struct SandboxRunnerMisuse: Error {}

extension StepResult.LimitHit {
    /// The protocol's name for the sandbox's limit (a new sandbox limit must be added to runner.proto).
    init(_ limit: LimitKind?, cancelled: Bool) {
        switch limit {
        case nil: self = cancelled ? .cancelled : .none
        case .wallTime: self = .wallTime
        case .cpuTime: self = .cpuTime
        case .memory: self = .memory
        case .pids: self = .pids
        case .output: self = .output
        case .fileSize: self = .fileSize
        case .disk: self = .disk
        }
    }
}
