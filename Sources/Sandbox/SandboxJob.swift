/// One command to run in the sandbox.
public struct SandboxJob: Sendable {
    /// argv; argv[0] is resolved inside the sandbox with the profile's PATH.
    public var command: [String]
    /// Mounted read-write (copy-on-write) at the profile's `workspace_target` (/work), which becomes the cwd.
    /// Without one the cwd is /tmp.
    public var workspace: Workspace?
    /// Extra variables on top of the profile's allow-list.
    public var environment: [String: String]
    /// Overrides of the profile's default limits.
    public var limits: SandboxLimits
    /// Standard input; /dev/null when nil.
    public var stdin: [UInt8]?
    /// Live output chunks (stdout and stderr interleaved), called on the job's thread.
    public var onOutput: (@Sendable ([UInt8]) -> Void)?

    public init(
        command: [String], workspace: Workspace? = nil, environment: [String: String] = [:],
        limits: SandboxLimits = SandboxLimits(), stdin: [UInt8]? = nil, onOutput: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.command = command
        self.workspace = workspace
        self.environment = environment
        self.limits = limits
        self.stdin = stdin
        self.onOutput = onOutput
    }
}

/// How a job ended.
public struct SandboxOutcome: Sendable {
    /// Exit status when the job exited normally.
    public var exitCode: Int32?
    /// Terminating signal when it was killed (SIGKILL when a limit or cancellation stopped it).
    public var signal: Int32?
    /// The limit that ended the job, if one did.
    public var limitHit: LimitKind?
    /// The job was stopped because its task was cancelled.
    public var cancelled: Bool
    public var wallTime: Duration
    public var cpuTime: Duration
    /// Peak memory: the memory cgroup's peak when one was in force, else the largest process's peak RSS.
    public var peakRSSKB: UInt64
    /// The tail of the output (stdout and stderr interleaved), at most the profile's `output_tail_bytes`.
    public var output: [UInt8]
    /// Output was dropped from the front to keep the tail.
    public var outputTruncated: Bool
    /// The isolation layers in force, e.g. "userns", "seccomp", "cgroup-v1 memory", "rlimit AS".
    public var isolation: [String]

    /// The shell convention: the exit code, or 128 + signal.
    public var shellStatus: Int32 { exitCode ?? (128 + (signal ?? 0)) }
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}
