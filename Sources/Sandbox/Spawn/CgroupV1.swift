import FoundationEssentials
import Glibc

/// A per-job cgroup v1 memory group, nested under the runner's own group. Used when the runner can create
/// it (started as root on a v1 or hybrid host); otherwise memory falls back to pid 1's accounting, and
/// `SandboxOutcome.isolation` says so. No pids group: moving a process into a v1 group waits for an RCU
/// grace period (6-12 ms here) and RLIMIT_NPROC, counted per user namespace, already bounds the job exactly.
final class CgroupV1: JobCgroup, @unchecked Sendable {  // used by one job thread only
    private(set) var directories: [String: String] = [:]  // controller -> directory
    private var parents: [String: String] = [:]  // controller -> the runner's own group
    private var leave: Int32 = -1  // the runner's memory group's `tasks`, for pid 1 to move back there
    private var threadJoined = false  // the job's thread is in the groups (until pid 1 was cloned)

    /// The controllers used per job.
    static let controllers = ["memory"]

    /// Creates the groups and writes the limits; nil when cgroup v1 is not usable here.
    static func create(jobID: String, memoryBytes: UInt64?) -> CgroupV1? {
        guard geteuid() == 0 else { return nil }
        let groups = CgroupV1()
        for controller in Self.controllers {
            guard let base = ownGroup(controller) else { continue }
            sweepStale(in: base)
            let directory = base + "/selfcheck-\(getpid())-\(jobID)"
            guard mkdir(directory, 0o755) == 0 else { continue }
            groups.directories[controller] = directory
            groups.parents[controller] = base
        }
        if let directory = groups.directories["memory"], let memoryBytes {
            if (try? write("\(memoryBytes)", to: directory + "/memory.limit_in_bytes", step: "cgroup")) == nil {
                groups.remove(controller: "memory")
            } else {
                // Swap must not stretch the limit; the file exists only with swap accounting.
                try? write("\(memoryBytes)", to: directory + "/memory.memsw.limit_in_bytes", step: "cgroup")
            }
        }
        return groups.directories.isEmpty ? nil : groups
    }

    /// Removes empty groups left by runners that died without cleaning up (e.g. killed by SIGKILL).
    private static func sweepStale(in base: String) {
        for name in directoryEntries(base) where name.hasPrefix("selfcheck-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            rmdir(base + "/" + name)  // fails harmlessly while tasks remain
        }
    }

    /// The names in a folder (readdir: FileManager costs more than the rest of the cgroup's set-up).
    private static func directoryEntries(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The runner's own group of a v1 controller, e.g. /sys/fs/cgroup/memory/process_api/abc.
    static func ownGroup(_ controller: String) -> String? {
        let root = "/sys/fs/cgroup/\(controller)"
        guard access(root + "/cgroup.procs", W_OK) == 0 || access(root, W_OK) == 0 else { return nil }
        for line in (readSmallFile("/proc/self/cgroup") ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].split(separator: ",").contains(Substring(controller)) else { continue }
            let path = root + (parts[2] == "/" ? "" : String(parts[2]))
            return access(path, W_OK) == 0 ? path : nil
        }
        return nil
    }

    var activeControllers: [String] { directories.keys.sorted() }
    var isolation: [String] { activeControllers.map { "cgroup-v1 \($0)" } }
    var limitsMemory: Bool { directories["memory"] != nil }
    var pidsRefused: Int { 0 }

    /// Opens the runner's memory group for pid 1 to leave through, and joins this thread to the groups.
    func beforeSpawn() throws -> Int32 {
        if let parent = parents["memory"] {
            leave = open(parent + "/tasks", O_WRONLY | O_CLOEXEC)
            guard leave >= 0 else {
                throw SandboxError(step: "cgroup memory", errno: errno, message: "open \(parent)/tasks")
            }
        }
        try joinCurrentThread()
        return leave
    }

    /// Pid 1 was born in the groups; the job's thread goes back to the runner's, so that the groups empty
    /// as soon as the job ends and `removeAll` need not wait for the thread to exit.
    func afterSpawn(pid: Int32) throws {
        closeLeave()
        leaveWithCurrentThread()
    }

    private func leaveWithCurrentThread() {
        guard threadJoined else { return }
        threadJoined = false
        for (controller, parent) in parents where directories[controller] != nil {
            try? write("0", to: parent + "/tasks", step: "cgroup \(controller)")
        }
    }

    /// Pid 1 writes "0" to the runner's `tasks` once it has reaped the job (writes to v1 `tasks` are
    /// checked against the opener, root), so the groups are empty before pid 1 has exited.
    var holdsInit: Bool { false }

    private func closeLeave() {
        if leave >= 0 { close(leave) }
        leave = -1
    }

    /// Moves the calling thread into the groups, so the job cloned from it is born there. Writing "0" to
    /// `tasks` migrates just this thread, which skips the global lock a process move takes (an RCU grace
    /// period, 6-12 ms). The thread leaves again once pid 1 is cloned (`afterSpawn`).
    func joinCurrentThread() throws {
        threadJoined = true
        for (controller, directory) in directories {
            try write("0", to: directory + "/tasks", step: "cgroup \(controller)")
        }
    }

    /// The OOM killer fired in the job's memory group.
    var oomKills: Int {
        cgroupCounter(in: directories["memory"].map { $0 + "/memory.oom_control" }, named: "oom_kill")
    }

    var peakMemoryBytes: UInt64? {
        directories["memory"].flatMap { readSmallFile($0 + "/memory.max_usage_in_bytes") }
            .flatMap { UInt64($0.split(whereSeparator: \.isWhitespace).first ?? "") }
    }

    /// Removes the groups once empty: after pid 1 has left them or was reaped. Called on the job's thread,
    /// which leaves them first should pid 1 not have been cloned.
    func removeAll() {
        closeLeave()
        leaveWithCurrentThread()
        for controller in activeControllers { remove(controller: controller) }
    }

    private func remove(controller: String) {
        guard let directory = directories.removeValue(forKey: controller) else { return }
        for _ in 0..<5000 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            usleep(200)  // pid 1 may still be leaving, or exiting should its move have failed
        }
    }
}
