/// Resource limits for one job. Every field is optional; `nil` or 0 means "the profile's default".
public struct SandboxLimits: Codable, Sendable, Equatable {
    /// Wall-clock time before the whole job tree is killed.
    public var wallTimeMs: UInt64?
    /// CPU time of the whole tree (user + system), also enforced per process with RLIMIT_CPU.
    public var cpuTimeMs: UInt64?
    /// Memory of the whole tree: a cgroup limit where one is available, else pid 1's RSS accounting.
    public var memoryBytes: UInt64?
    /// Processes and threads in the sandbox, pid 1 included (cgroup pids.max and RLIMIT_NPROC).
    public var maxPids: UInt32?
    /// Total output (stdout + stderr) before the job is killed.
    public var outputBytes: UInt64?
    /// Largest file the job may write (RLIMIT_FSIZE).
    public var fileSizeBytes: UInt64?
    /// Everything the jobs of one workspace may write (its upper layer): the size of the workspace's
    /// tmpfs for a root runner; a runner that is not root has only its state folder's own size.
    public var diskBytes: UInt64?

    public init(
        wallTimeMs: UInt64? = nil, cpuTimeMs: UInt64? = nil, memoryBytes: UInt64? = nil, maxPids: UInt32? = nil,
        outputBytes: UInt64? = nil, fileSizeBytes: UInt64? = nil, diskBytes: UInt64? = nil
    ) {
        self.wallTimeMs = wallTimeMs
        self.cpuTimeMs = cpuTimeMs
        self.memoryBytes = memoryBytes
        self.maxPids = maxPids
        self.outputBytes = outputBytes
        self.fileSizeBytes = fileSizeBytes
        self.diskBytes = diskBytes
    }

    enum CodingKeys: String, CodingKey {
        case wallTimeMs = "wall_time_ms"
        case cpuTimeMs = "cpu_time_ms"
        case memoryBytes = "memory_bytes"
        case maxPids = "max_pids"
        case outputBytes = "output_bytes"
        case fileSizeBytes = "file_size_bytes"
        case diskBytes = "disk_bytes"
    }

    /// These limits with every unset (nil or 0) field taken from `defaults`.
    public func overriding(_ defaults: SandboxLimits) -> SandboxLimits {
        func pick<T: BinaryInteger>(_ own: T?, _ fallback: T?) -> T? { (own ?? 0) != 0 ? own : fallback }
        return SandboxLimits(
            wallTimeMs: pick(wallTimeMs, defaults.wallTimeMs), cpuTimeMs: pick(cpuTimeMs, defaults.cpuTimeMs),
            memoryBytes: pick(memoryBytes, defaults.memoryBytes), maxPids: pick(maxPids, defaults.maxPids),
            outputBytes: pick(outputBytes, defaults.outputBytes),
            fileSizeBytes: pick(fileSizeBytes, defaults.fileSizeBytes), diskBytes: pick(diskBytes, defaults.diskBytes))
    }
}

extension SandboxLimits {
    /// These limits held to `ceiling` (the profile's): unset fields take the ceiling's value, set ones
    /// the smaller of the two. A request (a socket peer's `CheckRequest.limits`) can lower a limit, never
    /// raise it past what the operator configured.
    public func capped(by ceiling: SandboxLimits) -> SandboxLimits {
        func pick<T: BinaryInteger>(_ own: T?, _ cap: T?) -> T? {
            guard let own, own != 0 else { return cap }
            guard let cap, cap != 0 else { return own }
            return min(own, cap)
        }
        return SandboxLimits(
            wallTimeMs: pick(wallTimeMs, ceiling.wallTimeMs), cpuTimeMs: pick(cpuTimeMs, ceiling.cpuTimeMs),
            memoryBytes: pick(memoryBytes, ceiling.memoryBytes), maxPids: pick(maxPids, ceiling.maxPids),
            outputBytes: pick(outputBytes, ceiling.outputBytes),
            fileSizeBytes: pick(fileSizeBytes, ceiling.fileSizeBytes), diskBytes: pick(diskBytes, ceiling.diskBytes))
    }
}

/// The limit that ended a job.
public enum LimitKind: String, Sendable, Codable {
    case wallTime = "wall_time"
    case cpuTime = "cpu_time"
    case memory, pids, output
    case fileSize = "file_size"
    /// The workspace's upper layer is full (its tmpfs, or the state folder's file system).
    case disk
}
