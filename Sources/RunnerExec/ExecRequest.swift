import FoundationEssentials
import Glibc
import Logging
import Logs
import Sandbox

/// What `selfcheck-runner exec` was asked to do, however it was parsed: by ArgumentParser (`ExecCommand`) or
/// by the fast path (`ExecFastPath`), which must agree on every field (ExecFastPathTests).
///
/// Runs in the lean `selfcheck-runner` executable: FoundationEssentials and the sandbox only, no Foundation,
/// ICU, ArgumentParser or SwiftNIO, because this is what every `exec` pays to start.
public struct ExecRequest: Equatable, Sendable {
    public var profile = SandboxProfile.defaultName
    public var workspace: String?
    public var timeout: Double?
    public var memoryMb: UInt64?
    public var cpu: Double?
    public var pids: UInt32?
    public var outputBytes: UInt64?
    public var fileSizeBytes: UInt64?
    public var diskBytes: UInt64?
    public var environment: [String] = []
    public var audit = false
    public var report = false
    public var keepChanges = false
    public var command: [String] = []

    public init(
        profile: String = SandboxProfile.defaultName, workspace: String? = nil, timeout: Double? = nil,
        memoryMb: UInt64? = nil, cpu: Double? = nil, pids: UInt32? = nil, outputBytes: UInt64? = nil,
        fileSizeBytes: UInt64? = nil, diskBytes: UInt64? = nil, environment: [String] = [], audit: Bool = false,
        report: Bool = false, keepChanges: Bool = false, command: [String] = []
    ) {
        self.profile = profile
        self.workspace = workspace
        self.timeout = timeout
        self.memoryMb = memoryMb
        self.cpu = cpu
        self.pids = pids
        self.outputBytes = outputBytes
        self.fileSizeBytes = fileSizeBytes
        self.diskBytes = diskBytes
        self.environment = environment
        self.audit = audit
        self.report = report
        self.keepChanges = keepChanges
        self.command = command
    }

    /// What makes the request unusable, as the usage error says it; nil when it can run.
    public var problem: String? {
        if command.isEmpty { return "give a command after --" }
        if let timeout, timeout <= 0 { return "--timeout must be positive" }
        if let item = environment.first(where: { !$0.contains("=") }) { return "--env needs NAME=VALUE: \(item)" }
        return nil
    }

    /// Runs the command in the sandbox; returns the exit status (the command's, 128+signal, or 125 when the
    /// sandbox could not be set up).
    public func run() -> Int32 {
        // The sandbox logs only at debug level, so at any other `exec` sets up no logging at all: swift-log's
        // first use alone cost every `exec` about 0.1 ms.
        var logger: Logger?
        if LogSetup.levelFromEnvironment(default: .warning) <= .debug {
            LogSetup.bootstrapFromEnvironment(defaultLevel: .warning)
            logger = Logger(label: "sandbox")
        }
        do {
            var profile = try SandboxProfile.named(profile)
            if audit { profile.seccomp.audit = true }
            let sandbox = Sandbox(profile: profile, logger: logger)
            let workspace = try workspace.map {
                try Workspace.create(
                    lower: URL(fileURLWithPath: $0), jobUid: profile.unprivilegedUid, jobGid: profile.unprivilegedGid,
                    diskBytes: SandboxLimits(diskBytes: diskBytes).capped(by: profile.limits).diskBytes)
            }
            var env: [String: String] = [:]
            for item in environment {
                let parts = item.split(separator: "=", maxSplits: 1)
                env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            let limits = SandboxLimits(
                wallTimeMs: timeout.map { UInt64($0 * 1000) }, cpuTimeMs: cpu.map { UInt64($0 * 1000) },
                memoryBytes: memoryMb.map { $0 << 20 }, maxPids: pids, outputBytes: outputBytes,
                fileSizeBytes: fileSizeBytes, diskBytes: diskBytes)
            let stdin = isatty(0) == 0 ? StandardStreams.readAll(0) : []
            let job = SandboxJob(
                command: command, workspace: workspace, environment: env, limits: limits,
                stdin: stdin.isEmpty ? nil : stdin,
                onOutput: { chunk in StandardStreams.write(chunk, to: 1) })
            let outcome = try sandbox.runOnCallingThread(job)
            if report { printReport(outcome) }
            if let workspace {
                if keepChanges {
                    workspace.keepChangesOnly()
                    let files = (try? workspace.changedFiles) ?? []
                    StandardStreams.write(
                        "workspace upper layer: \(workspace.upper.path)\nchanged: \(files.joined(separator: " "))\n",
                        to: 2)
                } else {
                    try? workspace.remove()
                }
            }
            return outcome.shellStatus
        } catch {
            StandardStreams.write("selfcheck-runner exec: \(error)\n", to: 2)
            return 125
        }
    }

    private func printReport(_ outcome: SandboxOutcome) {
        var lines = [
            "exit: \(outcome.exitCode.map(String.init) ?? "-") signal: \(outcome.signal.map(String.init) ?? "-")",
            "limit hit: \(outcome.limitHit?.rawValue ?? "none")",
            "wall: \(outcome.wallTime) cpu: \(outcome.cpuTime) peak rss: \(outcome.peakRSSKB) KiB",
            "output: \(outcome.output.count) bytes kept\(outcome.outputTruncated ? " (truncated)" : "")",
        ]
        lines += outcome.isolation.map { "isolation: \($0)" }
        StandardStreams.write(lines.joined(separator: "\n") + "\n", to: 2)
    }
}
