import ArgumentParser
import RunnerExec
import Sandbox

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
        if let problem = request.problem { throw ValidationError(problem) }
    }

    /// The parsed options as the request `ExecFastPath` also produces.
    var request: ExecRequest {
        ExecRequest(
            profile: profile, workspace: workspace, timeout: timeout, memoryMb: memoryMb, cpu: cpu, pids: pids,
            outputBytes: outputBytes, fileSizeBytes: fileSizeBytes, diskBytes: diskBytes, environment: environment,
            audit: audit, report: report, keepChanges: keepChanges, command: command)
    }

    func run() async throws {
        throw ExitCode(request.run())
    }
}
