import Foundation
import Sandbox
import Telemetry

/// What `selfcheck-runner exec` was asked to do, however it was parsed: by ArgumentParser (`ExecCommand`) or
/// by the fast path (`ExecFastPath`), which must agree on every field (RunnerCLITests).
struct ExecRequest: Equatable {
    var profile = SandboxProfile.defaultName
    var workspace: String?
    var timeout: Double?
    var memoryMb: UInt64?
    var cpu: Double?
    var pids: UInt32?
    var outputBytes: UInt64?
    var fileSizeBytes: UInt64?
    var diskBytes: UInt64?
    var environment: [String] = []
    var audit = false
    var report = false
    var keepChanges = false
    var command: [String] = []

    /// What makes the request unusable, as the usage error says it; nil when it can run.
    var problem: String? {
        if command.isEmpty { return "give a command after --" }
        if let timeout, timeout <= 0 { return "--timeout must be positive" }
        if let item = environment.first(where: { !$0.contains("=") }) { return "--env needs NAME=VALUE: \(item)" }
        return nil
    }

    /// Runs the command in the sandbox; returns the exit status (the command's, 128+signal, or 125 when the
    /// sandbox could not be set up).
    func run() throws -> Int32 {
        LogSetup.bootstrapFromEnvironment(defaultLevel: .warning)
        do {
            var profile = try SandboxProfile.named(profile)
            if audit { profile.seccomp.audit = true }
            let sandbox = Sandbox(profile: profile)
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
            let stdin = isatty(0) == 0 ? FileHandle.standardInput.readDataToEndOfFile() : Data()
            let job = SandboxJob(
                command: command, workspace: workspace, environment: env, limits: limits,
                stdin: stdin.isEmpty ? nil : [UInt8](stdin),
                onOutput: { chunk in FileHandle.standardOutput.write(Data(chunk)) })
            let outcome = try sandbox.runOnCallingThread(job)
            if report { printReport(outcome) }
            if let workspace {
                if keepChanges {
                    workspace.keepChangesOnly()
                    let files = (try? workspace.changedFiles) ?? []
                    FileHandle.standardError.write(
                        Data(
                            "workspace upper layer: \(workspace.upper.path)\nchanged: \(files.joined(separator: " "))\n"
                                .utf8))
                } else {
                    try? workspace.remove()
                }
            }
            return outcome.shellStatus
        } catch let error as SandboxError {
            FileHandle.standardError.write(Data("selfcheck-runner exec: \(error)\n".utf8))
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
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
