import Contracts
import Foundation

/// A copy-on-write view of a checkout that the steps of one check share: what one step writes, the next sees.
/// The checkout itself is never written.
public protocol CheckWorkspace: Sendable {
    /// The current content of a repo-relative file in the view, or nil when it does not exist there.
    func read(_ relativePath: String) throws -> Data?
    /// Frees everything the workspace holds; nothing is left behind.
    func remove() throws
}

/// What one command in a workspace came to.
public struct JobResult: Sendable {
    public var exitCode: Int32
    public var signal: Int32
    /// The limit that stopped the command (`.cancelled` when the check was cancelled); `.none` otherwise.
    public var limitHit: StepResult.LimitHit
    public var durationMs: UInt64
    public var cpuMs: UInt64
    public var peakRssKb: UInt64
    public var output: String
    /// The isolation layers that were in force.
    public var isolation: [String]

    public init(
        exitCode: Int32, signal: Int32 = 0, limitHit: StepResult.LimitHit = .none, durationMs: UInt64 = 0,
        cpuMs: UInt64 = 0,
        peakRssKb: UInt64 = 0, output: String = "", isolation: [String] = []
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.limitHit = limitHit
        self.durationMs = durationMs
        self.cpuMs = cpuMs
        self.peakRssKb = peakRssKb
        self.output = output
        self.isolation = isolation
    }

    /// True when the command ran to its own end (no signal, no limit).
    public var finishedNormally: Bool { signal == 0 && limitHit == .none }
}

/// Runs the check's commands. The production implementation is the sandbox; the pipeline never runs
/// repository code any other way.
public protocol JobRunner: Sendable {
    func makeWorkspace(checkout: URL) async throws -> any CheckWorkspace
    /// Runs `command` with the workspace as its working directory (`/work` inside the sandbox).
    func run(
        _ command: [String], in workspace: any CheckWorkspace, stdin: [UInt8]?, limits: Limits,
        onOutput: (@Sendable ([UInt8]) -> Void)?
    ) async throws -> JobResult
}
