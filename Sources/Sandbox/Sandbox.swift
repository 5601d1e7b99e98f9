import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// Runs commands in a hardened sandbox: new user, mount, pid, network, ipc, uts and cgroup namespaces, a
/// tmpfs root with read-only system directories, an overlayfs workspace, seccomp, rlimits, cgroup limits
/// where available, no capabilities and no_new_privs. Fails closed: a job never runs unsandboxed.
public struct Sandbox: Sendable {
    public let profile: SandboxProfile
    private let logger: Logger?
    private let filter: Result<SeccompFilter, SandboxError>

    /// - Parameters:
    ///   - profile: mounts, limits, seccomp policy, network and environment.
    ///   - logger: for set-up diagnostics (at debug level); nil for none.
    public init(profile: SandboxProfile, logger: Logger? = Logger(label: "sandbox")) {
        self.profile = profile
        self.logger = logger
        do {
            filter = .success(try SeccompFilter(profile.seccomp, profileName: profile.name))
        } catch let error as SandboxError {
            filter = .failure(error)
        } catch {
            filter = .failure(SandboxError(step: "seccomp compile", message: "\(error)"))
        }
    }

    /// Runs one job to completion on the calling thread, which it blocks: for a process that runs one job
    /// and exits (`selfcheck-runner exec`), without the thread hand-offs of `run`. The calling thread must
    /// live until the process exits (the job's pid 1 dies with it). Returns once pid 1 has reported the job's
    /// end: pid 1 may still be tearing down its namespaces, and is reaped by the next call, or by the system
    /// once this process has exited (a thread to wait for it would cost `exec` 0.1 ms). Not cancellable.
    /// - Throws: `SandboxError` when the sandbox could not be set up (the command did not run).
    public func runOnCallingThread(_ job: SandboxJob) throws(SandboxError) -> SandboxOutcome {
        let filter = try filter.get()
        let cancel: CancelSignal
        do { cancel = try CancelSignal() } catch let error as SandboxError { throw error } catch {
            throw SandboxError(step: "eventfd", message: "\(error)")
        }
        ExitingInits.reapExited()
        let execution = JobExecution(job: job, profile: profile, filter: filter, cancel: cancel)
        let (result, leftovers) = execution.run()
        if let exiting = leftovers.removeCgroups() {
            // Pid 1 is still tearing down its namespaces: the caller need not wait for that.
            ExitingInits.add(exiting)
        }
        if case .failure(let error) = result { logger?.debug("sandbox set-up failed", metadata: ["error": "\(error)"]) }
        return try result.get()
    }

    /// Runs one job to completion on a dedicated thread. Cancelling the task kills the whole job tree.
    /// - Throws: `SandboxError` when the sandbox could not be set up (the command did not run).
    public func run(_ job: SandboxJob) async throws(SandboxError) -> SandboxOutcome {
        let filter = try filter.get()
        let cancel: CancelSignal
        do { cancel = try CancelSignal() } catch let error as SandboxError { throw error } catch {
            throw SandboxError(step: "eventfd", message: "\(error)")
        }
        let execution = JobExecution(job: job, profile: profile, filter: filter, cancel: cancel)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<SandboxOutcome, SandboxError>, Never>) in
                do throws(SandboxError) {
                    try startThread {
                        let (result, leftovers) = execution.run()
                        let exiting = leftovers.removeCgroups()
                        continuation.resume(returning: result)
                        // This thread cloned pid 1 and outlives it; the caller need not wait for its exit.
                        if let exiting { JobMonitor.reapInit(exiting) }
                    }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        } onCancel: {
            cancel.fire()
        }
        if case .failure(let error) = result { logger?.debug("sandbox set-up failed", metadata: ["error": "\(error)"]) }
        return try result.get()
    }
}

/// Pids 1 that were still exiting when `runOnCallingThread` returned: each call reaps those that are gone.
private enum ExitingInits {
    private static let pids = Mutex<[Int32]>([])

    static func add(_ pid: Int32) { pids.withLock { $0.append(pid) } }

    static func reapExited() {
        pids.withLock { pids in
            pids.removeAll { pid in
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                return result == pid || (result < 0 && errno == ECHILD)
            }
        }
    }
}
