import FoundationEssentials

/// A job's own cgroup, v1 or v2: the limits are written before the job starts, pid 1 is born in it (or
/// moved there before it runs anything), and the OOM killer's work is read from it afterwards.
protocol JobCgroup: AnyObject, Sendable {
    /// "cgroup-v1 memory", "cgroup-v2 memory pids", for the job's isolation list.
    var isolation: [String] { get }
    /// The memory limit is the cgroup's (pid 1 need not account memory itself).
    var limitsMemory: Bool { get }
    /// Called on the job's thread before pid 1 is cloned. Returns a descriptor for pid 1 to inherit, through
    /// which it leaves the group once it has reaped the job (`csb_config.leave_cgroup_fd`), or -1.
    func beforeSpawn() throws -> Int32
    /// Called with pid 1 before it is released to run anything.
    func afterSpawn(pid: Int32) throws
    /// Pid 1 stays a member until it exits: the group empties only then, not once the job has ended.
    var holdsInit: Bool { get }
    /// The OOM killer fired in the job's group.
    var oomKills: Int { get }
    /// Forks refused at the group's pids limit.
    var pidsRefused: Int { get }
    var peakMemoryBytes: UInt64? { get }
    /// Removes the group once empty: after pid 1 has left it or was reaped.
    func removeAll()
}

/// Picks the cgroup version the host offers the runner: a delegated cgroup v2 subtree with the memory
/// and pids controllers, else a writable cgroup v1 memory hierarchy (root), else none (pid 1 accounts
/// memory itself; RLIMIT_NPROC and pid 1 bound processes).
enum JobCgroups {
    static func create(jobID: String, limits: SandboxLimits) -> (any JobCgroup)? {
        if let own = CgroupV2.runnersDelegatedGroup,
            let group = CgroupV2.create(in: own, jobID: jobID, memoryBytes: limits.memoryBytes, maxPids: limits.maxPids)
        {
            return group
        }
        return CgroupV1.create(jobID: jobID, memoryBytes: limits.memoryBytes)
    }
}

/// Reads `name value` lines (memory.events, pids.events, memory.oom_control).
func cgroupCounter(in file: String?, named name: String) -> Int {
    guard let file, let text = readSmallFile(file) else { return 0 }
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[0] == name { return Int(parts[1]) ?? 0 }
    }
    return 0
}
