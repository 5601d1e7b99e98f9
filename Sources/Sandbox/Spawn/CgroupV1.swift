import Foundation

/// Per-job cgroup v1 memory and pids groups, nested under the runner's own groups. Used when the runner
/// can create them (started as root on a v1 or hybrid host); otherwise limits fall back to rlimits and pid 1's
/// accounting, and `SandboxOutcome.isolation` says so.
final class CgroupV1: @unchecked Sendable {  // used by one job thread only
    private(set) var directories: [String: String] = [:]   // controller -> directory

    /// Creates the groups and writes the limits; nil when cgroup v1 is not usable here.
    static func create(jobID: String, memoryBytes: UInt64?, maxPids: UInt32?) -> CgroupV1? {
        guard geteuid() == 0 else { return nil }
        let groups = CgroupV1()
        for controller in ["memory", "pids"] {
            guard let base = ownGroup(controller) else { continue }
            let directory = base + "/selfcheck-\(jobID)"
            guard mkdir(directory, 0o755) == 0 else { continue }
            groups.directories[controller] = directory
        }
        if let directory = groups.directories["memory"], let memoryBytes {
            if (try? write("\(memoryBytes)", to: directory + "/memory.limit_in_bytes", step: "cgroup")) == nil {
                groups.remove(controller: "memory")
            } else {
                // Swap must not stretch the limit; the file exists only with swap accounting.
                try? write("\(memoryBytes)", to: directory + "/memory.memsw.limit_in_bytes", step: "cgroup")
            }
        }
        if let directory = groups.directories["pids"], let maxPids {
            if (try? write("\(maxPids)", to: directory + "/pids.max", step: "cgroup")) == nil { groups.remove(controller: "pids") }
        }
        return groups.directories.isEmpty ? nil : groups
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

    var controllers: [String] { directories.keys.sorted() }

    /// Moves a process (and so every process it forks) into the groups.
    func join(pid: Int32) throws {
        for (controller, directory) in directories {
            try write("\(pid)", to: directory + "/cgroup.procs", step: "cgroup \(controller)")
        }
    }

    /// The OOM killer fired in the job's memory group.
    var oomKills: Int {
        counter(in: directories["memory"].map { $0 + "/memory.oom_control" }, named: "oom_kill")
    }

    /// fork() failed because pids.max was reached.
    var pidsMaxEvents: Int {
        counter(in: directories["pids"].map { $0 + "/pids.events" }, named: "max")
    }

    var peakMemoryBytes: UInt64? {
        directories["memory"].flatMap { readSmallFile($0 + "/memory.max_usage_in_bytes") }
            .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func counter(in file: String?, named name: String) -> Int {
        guard let file, let text = readSmallFile(file) else { return 0 }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return Int(parts[1]) ?? 0 }
        }
        return 0
    }

    /// Removes the groups (they are empty once pid 1 of the job has been reaped).
    func removeAll() {
        for controller in controllers { remove(controller: controller) }
    }

    private func remove(controller: String) {
        guard let directory = directories.removeValue(forKey: controller) else { return }
        for _ in 0..<50 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            usleep(2000)   // the last tasks may still be exiting
        }
    }
}
