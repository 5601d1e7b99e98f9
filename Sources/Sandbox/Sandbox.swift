import FoundationEssentials
import Logging

/// Runs commands in a hardened sandbox: new user, mount, pid, network, ipc, uts and cgroup namespaces, a
/// tmpfs root with read-only system directories, an overlayfs workspace, seccomp, rlimits, cgroup limits
/// where available, no capabilities and no_new_privs. Fails closed: a job never runs unsandboxed.
public struct Sandbox: Sendable {
    public let profile: SandboxProfile
    private let logger: Logger
    private let filter: Result<SeccompFilter, SandboxError>

    /// - Parameters:
    ///   - profile: mounts, limits, seccomp policy, network and environment.
    ///   - logger: for set-up diagnostics.
    public init(profile: SandboxProfile, logger: Logger = Logger(label: "sandbox")) {
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
    /// live until the process exits (the job's pid 1 dies with it). Not cancellable.
    /// - Throws: `SandboxError` when the sandbox could not be set up (the command did not run).
    public func runOnCallingThread(_ job: SandboxJob) throws(SandboxError) -> SandboxOutcome {
        let filter = try filter.get()
        let cancel: CancelSignal
        do { cancel = try CancelSignal() } catch let error as SandboxError { throw error } catch {
            throw SandboxError(step: "eventfd", message: "\(error)")
        }
        let execution = JobExecution(job: job, profile: profile, filter: filter, cancel: cancel, logger: logger)
        let (result, cgroups) = execution.run()
        // This thread left the job's groups once pid 1 was born in them (`afterSpawn`), so they are empty now.
        cgroups?.removeAll()
        if case .failure(let error) = result { logger.debug("sandbox set-up failed", metadata: ["error": "\(error)"]) }
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
        let execution = JobExecution(job: job, profile: profile, filter: filter, cancel: cancel, logger: logger)
        let (result, cgroups) = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<(Result<SandboxOutcome, SandboxError>, (any JobCgroup)?), Never>) in
                do throws(SandboxError) {
                    try startThread { continuation.resume(returning: execution.run()) }
                } catch {
                    continuation.resume(returning: (.failure(error), nil))
                }
            }
        } onCancel: {
            cancel.fire()
        }
        if let cgroups {
            // The job's thread is a member until it exits, which it does right after resuming us.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                do {
                    try startThread {
                        cgroups.removeAll()
                        done.resume()
                    }
                } catch {
                    cgroups.removeAll()  // on this thread: the group may not be empty yet, but it is tried
                    done.resume()
                }
            }
        }
        if case .failure(let error) = result { logger.debug("sandbox set-up failed", metadata: ["error": "\(error)"]) }
        return try result.get()
    }
}
