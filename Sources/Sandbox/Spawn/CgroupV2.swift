import FoundationEssentials
import Glibc
import Synchronization

/// A per-job cgroup v2 leaf in the runner's delegated subtree (systemd `Delegate=yes`, or a container
/// given its own writable cgroup): `memory.max`, `memory.swap.max` 0, `pids.max`, `memory.oom.group`;
/// `oom_kill` in `memory.events` is `limit_hit: memory`.
///
/// cgroup v2 allows processes only in leaves of a group that hands controllers down, so the first job
/// moves the runner's group's processes into a leaf `selfcheck-runner` and enables `+memory +pids` for
/// the runner's group's children; each job is then a sibling leaf `selfcheck-<runner pid>-<job>`. Pid 1
/// is moved there by the parent before it runs anything (a thread cannot move alone in v2).
final class CgroupV2: JobCgroup, @unchecked Sendable {  // used by one job thread only
    let directory: String
    private let files: CgroupFiles
    private var removed = false
    private(set) var limitsMemory = false
    private var controllers: [String] = []

    static let runnerLeaf = "selfcheck-runner"
    private static let prepared = Mutex<Set<String>>([])

    private init(directory: String, files: CgroupFiles) {
        self.directory = directory
        self.files = files
    }

    /// `delegatedGroup()` as the runner started: after the first job the runner sits in a leaf of it.
    static let runnersDelegatedGroup = memoryIsOnCgroupV1 ? nil : delegatedGroup()

    /// A controller belongs to one hierarchy at a time: with memory mounted as cgroup v1 (v1 or hybrid
    /// hosts), no v2 group can offer it, and mountinfo need not be read (about 0.1 ms of every `exec`).
    static var memoryIsOnCgroupV1: Bool { access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0 }

    /// The runner's own group when it is a delegated v2 group offering memory and pids, else nil.
    static func delegatedGroup(
        mountinfo: @autoclosure () -> String? = MountInfo.text(),
        membership: String? = readSmallFile("/proc/self/cgroup")
    ) -> String? {
        // mountinfo only when the runner is in a v2 hierarchy at all: this runs at every `exec`'s start.
        guard let membership, let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }),
            let mountinfo = mountinfo()
        else { return nil }
        let path = String(line.dropFirst(3))
        // Lines are found as bytes and only cgroup2 mounts are split into fields: this runs at every
        // `exec`'s start, where splitting the whole file by Character cost about 0.2 ms.
        let marker = Array(" - cgroup2 ".utf8)
        for line in mountinfo.utf8.split(separator: UInt8(ascii: "\n")) {
            let bytes = Array(line)
            guard bytes.count >= marker.count,
                (0...(bytes.count - marker.count)).contains(where: {
                    bytes[$0..<($0 + marker.count)].elementsEqual(marker)
                })
            else { continue }
            let entry = String(decoding: bytes, as: UTF8.self)
            let fields = entry.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4, let dash = fields.dropFirst(5).firstIndex(of: "-"), dash + 1 < fields.count,
                fields[dash + 1] == "cgroup2"
            else { continue }
            let root = MountInfo.unescape(fields[3])
            guard path == root || path.hasPrefix(root == "/" ? "/" : root + "/") else { continue }
            let relative = root == "/" ? path : String(path.dropFirst(root.count))
            var own = MountInfo.unescape(fields[4]) + (relative == "/" ? "" : relative)
            // A runner (or its child) already moved into the leaf: the delegated group is its parent.
            if own.hasSuffix("/" + runnerLeaf) { own = String(own.dropLast(runnerLeaf.count + 1)) }
            let offered = (readSmallFile(own + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace)
            guard offered.contains("memory"), offered.contains("pids"),
                access(own + "/cgroup.subtree_control", W_OK) == 0, access(own + "/cgroup.procs", W_OK) == 0
            else { continue }
            return own
        }
        return nil
    }

    /// Makes the job's leaf under `own` and writes its limits; nil when the subtree cannot be used.
    static func create(
        in own: String, jobID: String, memoryBytes: UInt64?, maxPids: UInt32?, files: CgroupFiles = .kernel
    ) -> CgroupV2? {
        guard (try? prepare(own, files: files)) != nil else { return nil }
        sweepStale(in: own, files: files)
        let group = CgroupV2(directory: own + "/selfcheck-\(getpid())-\(jobID)", files: files)
        guard files.makeGroup(group.directory) else { return nil }
        do {
            if let memoryBytes {
                try files.write("\(memoryBytes)", group.directory + "/memory.max")
                group.limitsMemory = true
                // Swap must not stretch the limit; the file exists only with swap accounting.
                try? files.write("0", group.directory + "/memory.swap.max")
                // An OOM kill ends the whole job, not one process the job could survive.
                try? files.write("1", group.directory + "/memory.oom.group")
                group.controllers.append("memory")
            }
            if let maxPids {
                try files.write("\(maxPids)", group.directory + "/pids.max")
                group.controllers.append("pids")
            }
        } catch {
            group.removeAll()
            return nil
        }
        return group
    }

    /// Once per runner and group: the group's processes into the `selfcheck-runner` leaf, then memory
    /// and pids handed down to the job leaves.
    static func prepare(_ own: String, files: CgroupFiles) throws {
        if prepared.withLock({ $0.contains(own) }) { return }
        if (try? files.write("+memory +pids", own + "/cgroup.subtree_control")) == nil {
            // EBUSY: the group holds processes (the runner). Move them all into a leaf, then retry.
            let leaf = own + "/" + runnerLeaf
            guard files.makeGroup(leaf) || errno == EEXIST else {
                throw SandboxError(step: "cgroup", errno: errno, message: "mkdir \(leaf)")
            }
            for pid in (readSmallFile(own + "/cgroup.procs") ?? "").split(separator: "\n") {
                try? files.write(String(pid), leaf + "/cgroup.procs")  // a process may be gone already
            }
            try files.write("+memory +pids", own + "/cgroup.subtree_control")
        }
        prepared.withLock { _ = $0.insert(own) }
    }

    /// Removes the leaves of runners that died without cleaning up; a leaf with processes stays.
    static func sweepStale(in own: String, files: CgroupFiles) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: own)) ?? [] where name.hasPrefix("selfcheck-")
        {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            _ = files.removeGroup(own + "/" + name)
        }
    }

    var isolation: [String] { controllers.isEmpty ? [] : ["cgroup-v2 " + controllers.joined(separator: " ")] }

    func beforeSpawn() throws -> Int32 { -1 }
    var holdsInit: Bool { true }

    func afterSpawn(pid: Int32) throws {
        try files.write("\(pid)", directory + "/cgroup.procs")
    }

    var oomKills: Int { cgroupCounter(in: directory + "/memory.events", named: "oom_kill") }
    var pidsRefused: Int { cgroupCounter(in: directory + "/pids.events", named: "max") }

    var peakMemoryBytes: UInt64? {
        readSmallFile(directory + "/memory.peak").flatMap {
            UInt64($0.filter { !$0.isWhitespace })
        }
    }

    func removeAll() {
        guard !removed else { return }
        removed = true
        for _ in 0..<5000 {
            if files.removeGroup(directory) || errno == ENOENT { return }
            usleep(200)  // pid 1 was reaped; its group may lag a moment behind
        }
    }
}

/// How the cgroup code touches a hierarchy. The kernel's cgroupfs creates the control files itself;
/// tests hand a plain directory standing in for one, whose files must be created on write.
struct CgroupFiles: Sendable {
    var write: @Sendable (_ text: String, _ path: String) throws -> Void
    var makeGroup: @Sendable (_ path: String) -> Bool
    var removeGroup: @Sendable (_ path: String) -> Bool

    static let kernel = CgroupFiles(
        write: { text, path in try writeControlFile(text, path) },
        makeGroup: { mkdir($0, 0o755) == 0 },
        removeGroup: { rmdir($0) == 0 })
}

private func writeControlFile(_ text: String, _ path: String) throws { try write(text, to: path, step: "cgroup") }
