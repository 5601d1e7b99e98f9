import ArgumentParser
import Foundation
import Logging
import Sandbox
import Telemetry

/// `selfcheck-runner exec [--profile P] [--workspace DIR] [--timeout S] -- CMD ARGS…`
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run any command in the sandbox and exit with its status.",
        discussion: """
            Exits with the command's status, 128+signal when it was killed, and 125 when the sandbox itself \
            could not be set up (the reason is printed on stderr; the command never runs unsandboxed).
            Exit codes: the command's status, 128+signal, 125 sandbox set-up failed, 64 usage.
            """)

    @Option(name: .long, help: "Sandbox profile name or path to a profile JSON file.")
    var profile: String = SandboxProfile.defaultName

    @Option(name: .long, help: "A checkout to mount copy-on-write at /work (the checkout itself is never written).")
    var workspace: String?

    @Option(name: .long, help: "Wall-time limit in seconds (default: the profile's).")
    var timeout: Double?

    @Option(name: .long, help: "Memory limit in MiB.")
    var memoryMb: UInt64?

    @Option(name: .long, help: "CPU-time limit in seconds.")
    var cpu: Double?

    @Option(name: .long, help: "Maximum number of processes and threads.")
    var pids: UInt32?

    @Option(name: .long, help: "Maximum output in bytes (stdout and stderr together).")
    var outputBytes: UInt64?

    @Option(name: .long, help: "Largest file the command may write, in bytes.")
    var fileSizeBytes: UInt64?

    @Option(name: .long, help: "Everything the command may write in the workspace, in bytes (root: its tmpfs size).")
    var diskBytes: UInt64?

    @Option(name: .customLong("env"), help: "Extra environment variable NAME=VALUE (repeatable).")
    var environment: [String] = []

    @Flag(name: .long, help: "Seccomp audit mode: log would-be-denied system calls instead of denying them.")
    var audit = false

    @Flag(name: .long, help: "Print the outcome (limit hit, times, isolation layers) on stderr.")
    var report = false

    @Flag(name: .long, help: "Keep the workspace's upper layer and print its path and the changed files.")
    var keepChanges = false

    @Argument(parsing: .postTerminator, help: "The command and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give a command after --") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        for item in environment where !item.contains("=") { throw ValidationError("--env needs NAME=VALUE: \(item)") }
    }

    func run() async throws {
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
            let outcome = try await sandbox.run(job)
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
            throw ExitCode(outcome.shellStatus)
        } catch let error as SandboxError {
            FileHandle.standardError.write(Data("selfcheck-runner exec: \(error)\n".utf8))
            throw ExitCode(125)
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
