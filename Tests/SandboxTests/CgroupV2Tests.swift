import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Sandbox

/// The cgroup v2 path against a hierarchy the test lays out in a temporary directory: this machine's
/// memory and pids controllers are on cgroup v1 (its v2 hierarchy has neither), so what the kernel would
/// enforce cannot run here. What can: finding the delegated group, the files written and read, the
/// runner moved into a leaf before controllers are handed down, cleanup and the stale sweep.
extension SandboxSuites {
    @Suite struct CgroupV2Tests {
        /// A directory standing in for cgroupfs: files are created on write, writing a pid to a group's
        /// `cgroup.procs` moves it there, and the no-internal-processes rule holds for `subtree_control`.
        static func fakeFiles(root: String) -> CgroupFiles {
            CgroupFiles(
                write: { text, path in
                    let name = (path as NSString).lastPathComponent
                    let group = (path as NSString).deletingLastPathComponent
                    if name == "cgroup.subtree_control", !members(group).isEmpty {
                        throw SandboxError(step: "cgroup", errno: EBUSY, message: path)
                    }
                    if name == "cgroup.procs" {
                        for holder in allGroups(root) where members(holder).contains(text) {
                            setMembers(holder, members(holder).filter { $0 != text })
                        }
                        setMembers(group, members(group) + [text])
                        return
                    }
                    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                },
                makeGroup: { mkdir($0, 0o755) == 0 },
                removeGroup: { path in
                    guard members(path).isEmpty else {
                        errno = EBUSY
                        return false
                    }
                    return (try? FileManager.default.removeItem(atPath: path)) != nil
                })
        }

        static func members(_ group: String) -> [String] {
            (readSmallFile(group + "/cgroup.procs") ?? "").split(separator: "\n").map(String.init)
        }

        static func setMembers(_ group: String, _ pids: [String]) {
            try? Data(pids.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: group + "/cgroup.procs"))
        }

        static func allGroups(_ root: String) -> [String] {
            let below = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
            return [root]
                + below.filter { $0.hasSuffix("cgroup.procs") }.map {
                    root + "/" + ($0 as NSString).deletingLastPathComponent
                }
        }

        /// `<mount>/system.slice/selfcheck.service` holding the runner (pid 4242) and a helper (4243).
        static func layout() throws -> (mount: String, own: String) {
            let mount = try makeTemporaryDirectory("cgroup2").path
            let own = mount + "/system.slice/selfcheck.service"
            try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
            try Data("cpu memory pids\n".utf8).write(to: URL(fileURLWithPath: own + "/cgroup.controllers"))
            try Data("".utf8).write(to: URL(fileURLWithPath: own + "/cgroup.subtree_control"))
            setMembers(own, ["4242", "4243"])
            return (mount, own)
        }

        static func mountinfo(_ mount: String, root: String = "/", type: String = "cgroup2") -> String {
            """
            22 1 8:1 / / rw,relatime - ext4 /dev/vda rw
            30 22 0:26 \(root) \(mount) rw,nosuid,nodev,noexec,relatime shared:9 - \(type) cgroup2 rw,nsdelegate

            """
        }

        @Test func findsTheDelegatedGroupFromMountinfoAndMembership() throws {
            let (mount, own) = try Self.layout()
            defer { try? FileManager.default.removeItem(atPath: mount) }
            let membership = "0::/system.slice/selfcheck.service\n"
            #expect(CgroupV2.delegatedGroup(mountinfo: Self.mountinfo(mount), membership: membership) == own)
            // A container with its own cgroup namespace: it sees its group as "/", mounted at the mount point.
            #expect(CgroupV2.delegatedGroup(mountinfo: Self.mountinfo(own), membership: "0::/\n") == own)
            // A mount of a subtree (mountinfo's root field): paths are relative to it.
            #expect(
                CgroupV2.delegatedGroup(
                    mountinfo: Self.mountinfo(mount + "/system.slice", root: "/system.slice"),
                    membership: membership) == own)
            // After the first job the runner sits in the leaf it made: the group is still its parent.
            try FileManager.default.createDirectory(
                atPath: own + "/" + CgroupV2.runnerLeaf, withIntermediateDirectories: false)
            #expect(
                CgroupV2.delegatedGroup(
                    mountinfo: Self.mountinfo(mount),
                    membership: "0::/system.slice/selfcheck.service/selfcheck-runner\n")
                    == own)
            // A hybrid host: cgroup v1 lines only, or a v2 group without memory and pids.
            #expect(
                CgroupV2.delegatedGroup(
                    mountinfo: Self.mountinfo(mount, type: "cgroup"), membership: "4:memory:/x\n\(membership)") == nil)
            try Data("hugetlb\n".utf8).write(to: URL(fileURLWithPath: own + "/cgroup.controllers"))
            #expect(CgroupV2.delegatedGroup(mountinfo: Self.mountinfo(mount), membership: membership) == nil)
        }

        @Test func jobLeafGetsTheLimitsAndTheRunnerMovesOutOfTheWay() throws {
            let (mount, own) = try Self.layout()
            defer { try? FileManager.default.removeItem(atPath: mount) }
            let files = Self.fakeFiles(root: own)
            // A dead runner's leaf (swept) and a live one's (kept: it may still run jobs).
            let stale = own + "/selfcheck-2000000000-oldjob"
            let live = own + "/selfcheck-\(getpid())-otherjob"
            for group in [stale, live] {
                try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
            }

            let group = try #require(
                CgroupV2.create(in: own, jobID: "job1", memoryBytes: 64 << 20, maxPids: 32, files: files))
            let leaf = own + "/selfcheck-\(getpid())-job1"
            #expect(group.directory == leaf)
            #expect(readSmallFile(own + "/cgroup.subtree_control") == "+memory +pids")
            #expect(Self.members(own).isEmpty, "no process left in the group that hands controllers down")
            #expect(Self.members(own + "/" + CgroupV2.runnerLeaf) == ["4242", "4243"])
            #expect(readSmallFile(leaf + "/memory.max") == "\(64 << 20)")
            #expect(readSmallFile(leaf + "/memory.swap.max") == "0")
            #expect(readSmallFile(leaf + "/memory.oom.group") == "1")
            #expect(readSmallFile(leaf + "/pids.max") == "32")
            #expect(group.isolation == ["cgroup-v2 memory pids"])
            #expect(group.limitsMemory)
            #expect(!FileManager.default.fileExists(atPath: stale))
            #expect(FileManager.default.fileExists(atPath: live))

            // Pid 1 is moved in before it runs anything; the kernel's counters are read back.
            try group.afterSpawn(pid: 777)
            #expect(Self.members(leaf) == ["777"])
            #expect(group.oomKills == 0)
            try Data("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n".utf8).write(
                to: URL(fileURLWithPath: leaf + "/memory.events"))
            try Data("max 3\n".utf8).write(to: URL(fileURLWithPath: leaf + "/pids.events"))
            try Data("5242880\n".utf8).write(to: URL(fileURLWithPath: leaf + "/memory.peak"))
            #expect(group.oomKills == 1)
            #expect(group.pidsRefused == 3)
            #expect(group.peakMemoryBytes == 5_242_880)

            // Removed once pid 1 is gone (reaped: the kernel empties cgroup.procs).
            Self.setMembers(leaf, [])
            group.removeAll()
            #expect(!FileManager.default.fileExists(atPath: leaf))

            // The next job reuses the prepared group; without a memory limit no memory.max is written.
            let second = try #require(
                CgroupV2.create(in: own, jobID: "job2", memoryBytes: nil, maxPids: 8, files: files))
            #expect(second.isolation == ["cgroup-v2 pids"])
            #expect(!second.limitsMemory)
            #expect(readSmallFile(second.directory + "/memory.max") == nil)
            second.removeAll()
        }

        @Test func aGroupThatCannotHandControllersDownIsNotUsed() throws {
            let (mount, own) = try Self.layout()
            defer { try? FileManager.default.removeItem(atPath: mount) }
            var files = Self.fakeFiles(root: own)
            let real = files.write
            // As when the runner may not move the group's processes (no write access to the leaf).
            files.write = { text, path in
                if path.hasSuffix("/cgroup.procs") { throw SandboxError(step: "cgroup", errno: EACCES, message: path) }
                try real(text, path)
            }
            #expect(CgroupV2.create(in: own, jobID: "job1", memoryBytes: 1 << 20, maxPids: 8, files: files) == nil)
        }
    }
}
