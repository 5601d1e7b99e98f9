import CSandbox
import FoundationEssentials
import Glibc
import Logging

/// One job, run start to finish on a dedicated thread (blocking calls stay off the cooperative pool).
/// This thread clone()s pid 1 and must outlive it: the child's parent-death signal follows this thread.
struct JobExecution: Sendable {
    let job: SandboxJob
    let profile: SandboxProfile
    let filter: SeccompFilter
    let cancel: CancelSignal

    /// Runs the job; what it returns besides the outcome is to be cleaned up on this thread (`JobLeftovers`).
    func run() -> (Result<SandboxOutcome, SandboxError>, JobLeftovers) {
        var leftovers = JobLeftovers()
        do {
            return (.success(try execute(&leftovers)), leftovers)
        } catch let error as SandboxError {
            return (.failure(error), leftovers)
        } catch {
            return (.failure(SandboxError(step: "internal", message: "\(error)")), leftovers)
        }
    }

    private func execute(_ leftovers: inout JobLeftovers) throws -> SandboxOutcome {
        guard !job.command.isEmpty else { throw SandboxError(step: "command", errno: EINVAL, message: "empty command") }
        let limits = job.limits.capped(by: profile.limits)
        let identity = HostIdentity.current(
            unprivilegedUid: profile.unprivilegedUid, unprivilegedGid: profile.unprivilegedGid)
        let config = ChildConfig()
        var isolation = [
            "userns (uid \(HostIdentity.insideUid) inside = \(identity.outerUid) on the host)",
            "mountns (tmpfs root, pivot_root, read-only system binds)", "pidns (pid 1 reaper)",
            profile.network == .loopback ? "netns (loopback only)" : "netns (no interfaces)", "ipcns", "utsns",
            "cgroupns",
        ]

        if job.workspace != nil {
            isolation.append("overlayfs workspace (checkout read-only, changes in the upper layer)")
            if identity.isRoot {
                isolation.append("idmapped read-only lower (the checkout owner's files appear as the job user's)")
            }
        }
        if let workspace = job.workspace {
            workspace.limitDisk(to: limits.diskBytes)
            isolation.append(workspace.diskDescription(for: limits.diskBytes))
        }
        let plan = try MountPlan(profile: profile, config: config, workspace: job.workspace)

        let status = try Pipe2()
        let sync = try Pipe2()
        let output = try Pipe2()
        let input = job.stdin.map { _ in try? Pipe2() } ?? nil
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }

        let cgroups = JobCgroups.create(
            jobID: String(UUID().uuidString.filter { $0 != "-" }.prefix(12)).lowercased(), limits: limits)
        leftovers.cgroups = cgroups
        let leaveCgroup = try cgroups?.beforeSpawn() ?? -1
        isolation += cgroups?.isolation ?? []
        let memoryByCgroup = cgroups?.limitsMemory ?? false

        let rlimits = Rlimits.plan(limits: limits, profile: profile)
        isolation.append(rlimits.names.reduce("rlimit") { $0 + " " + $1 })  // joined(separator:)'s first use costs more
        isolation += [
            "seccomp (\(profile.seccomp.summary))",
            "no_new_privs", "capabilities dropped", "new session", "environment allow-list", "inherited fds closed",
        ]
        if !memoryByCgroup, limits.memoryBytes != nil { isolation.append("memory by pid 1 RSS accounting") }

        var raw = csb_config()
        raw.inside_uid = HostIdentity.insideUid
        raw.inside_gid = HostIdentity.insideGid
        raw.may_setgroups = identity.isRoot ? 1 : 0
        raw.new_cgroup_ns = 1
        raw.hostname = config.string(profile.hostname)
        raw.mounts = config.array(plan.mounts)
        raw.mount_count = Int32(plan.mounts.count)
        raw.rlimits = config.array(rlimits.entries)
        raw.rlimit_count = Int32(rlimits.entries.count)
        raw.filter = config.bytes(filter.program)
        raw.filter_len = UInt16(filter.instructionCount)
        raw.argv = config.stringArray(job.command)
        let environment = environment()
        raw.envp = config.stringArray(environment.map { "\($0.key)=\($0.value)" }.sorted())
        raw.cwd = config.string(job.workspace == nil ? "/tmp" : profile.workspaceTarget)
        raw.search_path = config.string(environment["PATH"] ?? "/usr/bin:/bin")
        raw.stdin_fd = input?.readEnd ?? devNull
        raw.output_fd = output.writeEnd
        raw.status_fd = status.writeEnd
        raw.sync_fd = sync.readEnd
        raw.leave_cgroup_fd = leaveCgroup
        raw.memory_limit_bytes = memoryByCgroup ? 0 : (limits.memoryBytes ?? 0)
        raw.max_pids = limits.maxPids ?? 0
        raw.cpu_limit_us = (limits.cpuTimeMs ?? 0) * 1000
        config.raw = raw

        let started = ContinuousClock.now
        var pidfd: Int32 = -1
        let pid = csb_spawn(&config.raw, &pidfd)
        guard pid > 0 else {
            throw SandboxError(
                step: "clone", errno: -pid, message: "clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|...)")
        }
        defer { close(pidfd) }
        status.closeWrite()
        sync.closeRead()
        output.closeWrite()
        input?.closeRead()

        func send(_ byte: Character) throws {
            var value = byte.asciiValue!
            guard Glibc.write(sync.writeEnd, &value, 1) == 1 else { throw SandboxError(step: "sync", errno: errno) }
        }
        do {
            try identity.writeMaps(pid: pid)
            try send("G")
            // v1: the child was born in its group (see joinCurrentThread); v2: it moves there now, while it
            // sets up its mounts, before it runs anything of the job.
            try cgroups?.afterSpawn(pid: pid)
            try send("C")
        } catch {
            _ = csb_pidfd_kill(pidfd, SIGKILL)
            JobMonitor.reapInit(pid)
            throw error
        }
        sync.closeWrite()

        var monitor = JobMonitor(
            pid: pid, pidfd: pidfd, status: status.readEnd, output: output.readEnd, input: input?.takeWrite(),
            stdinBytes: job.stdin ?? [], cancel: cancel.fd, limits: limits, tailBytes: profile.outputTailBytes,
            cgroups: cgroups, onOutput: job.onOutput, started: started)
        let result = monitor.run()
        if result.initPending { leftovers.exitingInit = pid }

        if let failure = result.setupFailure, failure.step == Int32(CSB_STEP_EXEC.rawValue) {
            // The sandbox worked; the command does not exist or is not executable (the shell's 127 / 126).
            var outcome = finish(result, limits: limits, isolation: isolation, cgroups: cgroups)
            outcome.exitCode = failure.errno == ENOENT || failure.errno == ENOTDIR ? 127 : 126
            outcome.signal = nil
            outcome.output += Array(
                "sandbox: cannot execute \(job.command[0]): \(String(cString: strerror(failure.errno)))\n".utf8)
            return outcome
        }
        if let failure = result.setupFailure {
            var detail = ""
            if failure.step == Int32(CSB_STEP_MOUNT.rawValue) { detail = plan.describe(Int(failure.detail)) }
            throw SandboxError(
                step: String(cString: csb_step_name(failure.step)), errno: failure.errno, message: detail)
        }
        return finish(result, limits: limits, isolation: isolation, cgroups: cgroups)
    }

    /// The job's environment: the profile's variables, the allowed pass-through names, then the job's own.
    private func environment() -> [String: String] {
        var result = profile.environment
        for name in profile.environmentPassthrough {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        result.merge(job.environment) { _, new in new }
        return result
    }

    private func finish(
        _ result: JobMonitor.Result, limits: SandboxLimits, isolation: [String], cgroups: (any JobCgroup)?
    )
        -> SandboxOutcome
    {
        var exitCode: Int32?
        var signal: Int32?
        if let status = result.jobStatus {
            if status & 0x7f == 0 { exitCode = (status >> 8) & 0xff } else { signal = status & 0x7f }
        } else {
            signal = result.initSignal ?? SIGKILL
        }
        var limit = result.limitHit
        if limit == nil, signal == SIGXCPU { limit = .cpuTime }
        if limit == nil, signal == SIGXFSZ { limit = .fileSize }
        if limit == nil, (cgroups?.oomKills ?? 0) > 0 { limit = .memory }
        if limit == nil, exitCode != 0, (cgroups?.pidsRefused ?? 0) > 0 { limit = .pids }
        if limit == nil, exitCode != 0, job.workspace?.diskIsFull == true { limit = .disk }  // ENOSPC in the upper
        if limit == nil, exitCode != 0, let cap = limits.fileSizeBytes, let workspace = job.workspace,
            workspace.largestChangedFile() >= cap
        {
            limit = .fileSize  // Python ignores SIGXFSZ and fails with EFBIG instead
        }
        let peak = cgroups?.peakMemoryBytes.map { $0 / 1024 } ?? result.maxRSSKB
        return SandboxOutcome(
            exitCode: exitCode, signal: signal, limitHit: limit, cancelled: result.cancelled,
            wallTime: result.wallTime, cpuTime: .microseconds(result.cpuMicroseconds), peakRSSKB: peak,
            output: result.output, outputTruncated: result.outputTruncated, isolation: isolation)
    }
}

/// What a finished job leaves to its thread: the job's cgroups, and pid 1 when the job's end was reported
/// before pid 1 had exited (it is still tearing down its namespaces). The thread that cloned pid 1 must
/// reap it: pid 1's parent-death signal follows that thread.
struct JobLeftovers: Sendable {
    var cgroups: (any JobCgroup)?
    /// Pid 1, exiting and not yet reaped.
    var exitingInit: Int32?

    /// Removes the cgroups, reaping pid 1 first when it is a member of them. Returns pid 1 when it is
    /// still to be reaped (`JobMonitor.reapInit`, once: a reaped pid may belong to another child next).
    func removeCgroups() -> Int32? {
        var exiting = exitingInit
        if let cgroups {
            if cgroups.holdsInit, let pid = exiting {
                JobMonitor.reapInit(pid)
                exiting = nil
            }
            cgroups.removeAll()
        }
        return exiting
    }
}
