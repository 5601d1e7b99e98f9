import CSandbox
import FoundationEssentials
import Glibc

/// Preflight checks: which isolation layers work on this host and which are degraded.
public enum HostDoctor {
    public enum State: String, Sendable { case ok, degraded, fail }

    public struct Check: Sendable {
        public var name: String
        public var state: State
        public var detail: String
    }

    public struct Report: Sendable {
        public var checks: [Check]
        /// False when a required layer is missing: the sandbox then refuses to run jobs.
        public var canRunJobs: Bool { !checks.contains { $0.state == .fail } }
    }

    /// Runs every check (a few sandboxed jobs of a few milliseconds each).
    public static func check(profileName: String) async -> Report {
        var checks = [userNamespaces(), seccomp(), cgroups()]
        let profile: SandboxProfile
        do { profile = try SandboxProfile.named(profileName) } catch {
            checks.append(Check(name: "profile \(profileName)", state: .fail, detail: "\(error)"))
            return Report(checks: checks)
        }
        checks.append(Check(name: "profile \(profileName)", state: .ok, detail: "loaded"))
        checks.append(await endToEnd(profile))
        checks.append(await overlay(profile))
        checks.append(disk(profile))
        checks.append(await tools(profile))
        return Report(checks: checks)
    }

    static func userNamespaces() -> Check {
        var release: Int32 = -1
        let pid = csb_userns_helper(&release)
        if pid > 0 {
            csb_userns_helper_release(pid, release)
            let who =
                geteuid() == 0
                ? "started as root: jobs run as uid \(SandboxProfile.defaultJobUid) (the profile's unprivileged_uid)"
                : "started as uid \(geteuid()): jobs run as that uid"
            return Check(name: "user namespaces", state: .ok, detail: who)
        }
        var hint = "enable them: sysctl user.max_user_namespaces=15000"
        if readSmallFile("/proc/sys/kernel/unprivileged_userns_clone")?.hasPrefix("0") == true {
            hint = "sysctl kernel.unprivileged_userns_clone=1"
        } else if readSmallFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")?.hasPrefix("1") == true {
            hint =
                "AppArmor restricts them: sysctl kernel.apparmor_restrict_unprivileged_userns=0 or add an AppArmor profile for selfcheck-runner"
        }
        return Check(
            name: "user namespaces", state: .fail,
            detail:
                "clone(CLONE_NEWUSER) failed: \(String(cString: strerror(-pid))); \(hint). In a container, run it with the seccomp profile deploy/seccomp-runner.json, apparmor=unconfined and systempaths=unconfined, not --privileged (docs/deploy.md)"
        )
    }

    static func seccomp() -> Check {
        let actions = readSmallFile("/proc/sys/kernel/seccomp/actions_avail") ?? ""
        guard actions.contains("errno") else {
            return Check(
                name: "seccomp", state: .fail,
                detail: "seccomp filters are not available (kernel built without CONFIG_SECCOMP_FILTER)")
        }
        let audit = actions.contains("log") ? "audit mode available" : "audit mode unavailable (no SECCOMP_RET_LOG)"
        return Check(name: "seccomp", state: .ok, detail: "filters built with libseccomp; \(audit)")
    }

    /// Which limits hold here and by what: the cgroup (memory, pids) and what every runner has (rlimits,
    /// pid 1).
    static func cgroups() -> Check {
        let everywhere =
            "CPU: RLIMIT_CPU and pid 1's sum; file size: RLIMIT_FSIZE; /tmp and /dev/shm: tmpfs sizes; "
            + "a request's limits are capped at the profile's"
        let processes = "processes: RLIMIT_NPROC per user namespace and pid 1's count"
        if let own = CgroupV2.delegatedGroup() {
            return Check(
                name: "cgroups", state: .ok,
                detail:
                    "memory and pids: a cgroup v2 leaf per job in the delegated group \(own) (memory.max, memory.swap.max 0, pids.max, memory.oom.group; RSS, page cache, tmpfs, memfds and shared memory are all charged; oom_kill in memory.events = limit_hit memory); "
                    + processes + " as well; " + everywhere)
        }
        if geteuid() == 0, CgroupV1.controllers.allSatisfy({ CgroupV1.ownGroup($0) != nil }) {
            return Check(
                name: "cgroups", state: .ok,
                detail:
                    "memory: a cgroup v1 memory group per job (RSS, page cache, tmpfs, memfds and shared memory are all charged; no swap beyond it; OOM kill = limit_hit memory); "
                    + processes + "; " + everywhere)
        }
        let accounting =
            "memory: pid 1's accounting every 50 ms (the job's RSS plus tmpfs files, open memfds and System V segments; a job can overshoot for up to 50 ms) — bound the runner as a whole too (container memory limit, systemd MemoryMax=)"
        var why = geteuid() == 0 ? "no writable cgroup v1 memory hierarchy" : "not root, so no cgroup v1 group"
        why += "; " + (undelegatedCgroup2() ?? "no cgroup v2 group with memory and pids delegated to the runner")
        return Check(
            name: "cgroups", state: .degraded, detail: "\(why): " + accounting + "; " + processes + "; " + everywhere)
    }

    /// The runner's cgroup v2 group when it has one it may not use (not writable, or without memory and
    /// pids), with what would make it usable.
    private static func undelegatedCgroup2() -> String? {
        guard
            let line = readSmallFile("/proc/self/cgroup")?.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
            let path = String(line.dropFirst(3))
            let directory = root + (path == "/" ? "" : path)
            guard let controllers = readSmallFile(directory + "/cgroup.controllers") else { continue }
            let missing = ["memory", "pids"].filter {
                !controllers.split(whereSeparator: \.isWhitespace).contains(Substring($0))
            }
            if !missing.isEmpty {
                return "the cgroup v2 group \(directory) lacks \(missing.joined(separator: " and "))"
            }
            return "the cgroup v2 group \(directory) is not writable by the runner: delegate it (systemd Delegate=yes)"
        }
        return nil
    }

    /// How much the jobs of one workspace may write, and what bounds it.
    static func disk(_ profile: SandboxProfile) -> Check {
        let size = profile.limits.diskBytes ?? Workspace.defaultDiskBytes
        if geteuid() == 0 && WorkspaceDisk.tmpfsCanHoldUpper {
            return Check(
                name: "disk", state: .ok,
                detail:
                    "each workspace's changes live on a tmpfs of its own, \(size) bytes (the profile's disk_bytes; a request may lower it), in its private folder; full = limit_hit disk; RLIMIT_FSIZE per file as well"
            )
        }
        let who = geteuid() == 0 ? "Linux before 6.6 (tmpfs without user xattrs)" : "not root"
        let folder: URL
        do { folder = try WorkspaceFolder.resolve() } catch {
            return Check(name: "disk", state: .degraded, detail: "no workspace folder: \(error)")
        }
        guard let system = WorkspaceDisk.fileSystem(of: folder.path) else {
            return Check(name: "disk", state: .degraded, detail: "cannot read the file system of \(folder.path)")
        }
        if system.type == "tmpfs" {
            return Check(
                name: "disk", state: .ok,
                detail:
                    "\(who), so no tmpfs per workspace: the state folder \(folder.path) is a tmpfs of \(system.bytes) bytes that all jobs' changes share; full = limit_hit disk; RLIMIT_FSIZE per file as well"
            )
        }
        return Check(
            name: "disk", state: .degraded,
            detail:
                "none of its own: \(who), so the jobs' changes go to \(folder.path) (\(system.type), \(system.bytes) bytes) with only RLIMIT_FSIZE per file; give the runner a size-limited tmpfs as its state folder (compose tmpfs with size=, Kubernetes emptyDir medium Memory with sizeLimit)"
        )
    }

    static func endToEnd(_ profile: SandboxProfile) async -> Check {
        do {
            let outcome = try await Sandbox(profile: profile).run(
                SandboxJob(command: ["/bin/true"], limits: SandboxLimits(wallTimeMs: 10_000)))
            guard outcome.exitCode == 0 else {
                return Check(name: "sandbox", state: .fail, detail: "/bin/true exited \(outcome.shellStatus)")
            }
            return Check(name: "sandbox", state: .ok, detail: outcome.isolation.joined(separator: "; "))
        } catch {
            return Check(name: "sandbox", state: .fail, detail: "\(error)")
        }
    }

    static func overlay(_ profile: SandboxProfile) async -> Check {
        let name = "overlayfs in a user namespace"
        do {
            let lower = FileManager.default.temporaryDirectory.appendingPathComponent("selfcheck-doctor-\(getpid())")
            try FileManager.default.createDirectory(at: lower, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: lower) }
            try Data("base\n".utf8).write(to: lower.appendingPathComponent("file"))
            let workspace = try Workspace.create(
                lower: lower, jobUid: profile.unprivilegedUid, jobGid: profile.unprivilegedGid,
                diskBytes: profile.limits.diskBytes)
            defer { try? workspace.remove() }
            let job = SandboxJob(
                command: ["/bin/sh", "-c", "echo changed >> file && echo new > added"], workspace: workspace,
                limits: SandboxLimits(wallTimeMs: 10_000))
            let outcome = try await Sandbox(profile: profile).run(job)
            let changed = try workspace.changedFiles
            let base = try String(contentsOf: lower.appendingPathComponent("file"), encoding: .utf8)
            guard outcome.exitCode == 0, changed == ["added", "file"], base == "base\n" else {
                return Check(
                    name: name, state: .fail,
                    detail:
                        "a write in the workspace failed (exit \(outcome.shellStatus), changed \(changed)): \(outcome.outputText)"
                )
            }
            return Check(name: name, state: .ok, detail: "copy-on-write workspaces work; the checkout stays untouched")
        } catch {
            return Check(
                name: name, state: .fail, detail: "\(error) — needs Linux 5.11+ (overlayfs in user namespaces)")
        }
    }

    static func tools(_ profile: SandboxProfile) async -> Check {
        let name = "check tools"
        let python = "/opt/selfcheck-tools/bin/python"
        guard FileManager.default.fileExists(atPath: python) else {
            return Check(name: name, state: .degraded, detail: "\(python) is missing: run scripts/setup")
        }
        do {
            let outcome = try await Sandbox(profile: profile).run(
                SandboxJob(
                    command: ["python", "-c", "import black, pytest; print('ok')"],
                    limits: SandboxLimits(wallTimeMs: 30_000)))
            if outcome.exitCode == 0 {
                return Check(name: name, state: .ok, detail: "black and pytest import inside the sandbox")
            }
            return Check(
                name: name, state: .degraded,
                detail: "the tool environment does not work inside the sandbox: \(outcome.outputText.suffix(300))")
        } catch {
            return Check(name: name, state: .degraded, detail: "\(error)")
        }
    }
}
