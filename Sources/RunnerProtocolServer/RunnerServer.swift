import Contracts
import Glibc
import Logging
import RunnerProtocol

/// The runner's Unix-socket server: checks peers, frames messages, queues and runs jobs through a
/// `CheckExecutor`, streams their events and reports, and cancels them on request or disconnect.
/// See docs/runner-protocol.md for the wire protocol.
public final class RunnerServer: Sendable {
    let configuration: RunnerServerConfiguration
    let executor: any CheckExecutor
    let logger: Logger
    let policy: AccessPolicy
    let repositories: RepositoryAccess
    let limiter: JobLimiter
    let registry = JobRegistry()
    let tracker: ConnectionTracker

    public init(configuration: RunnerServerConfiguration, executor: any CheckExecutor, logger: Logger) {
        self.configuration = configuration
        self.executor = executor
        self.logger = logger
        policy = AccessPolicy(allowedUIDs: configuration.allowedUIDs, allowedGIDs: configuration.allowedGIDs)
        repositories = RepositoryAccess(roots: configuration.repoRoots)
        limiter = JobLimiter(maxRunning: configuration.maxConcurrentJobs, maxQueued: configuration.maxQueuedJobs)
        tracker = ConnectionTracker(maxConnections: configuration.maxConnections)
    }

    /// Binds the socket and serves until the calling task is cancelled, then shuts down gracefully:
    /// stops accepting and removes the socket file, refuses queued jobs, lets running jobs finish within
    /// `shutdownGrace`, then cancels them and waits up to max(`shutdownGrace`, 2 s) for them to stop.
    /// - Throws: `RunnerSocketError` when the socket cannot be set up.
    public func run() async throws {
        let listener = try SocketListener(path: configuration.socketPath, groupID: configuration.socketGroupID)
        logger.info(
            "runner listening",
            metadata: [
                "socket": "\(configuration.socketPath)", "max_jobs": "\(configuration.maxConcurrentJobs)",
                "max_queued": "\(configuration.maxQueuedJobs)",
            ])
        let accepted = listener.connections()
        await withTaskCancellationHandler {
            for await fd in accepted {
                accept(fd)
            }
        } onCancel: {
            listener.stop()
        }
        // The calling task is cancelled now, so sleeping in it would return at once: drain in a fresh task.
        await Task { await shutDown() }.value
        listener.stop()
    }

    /// Registers an accepted connection and serves it on its own task.
    private func accept(_ fd: Int32) {
        let peer: PeerCredentials
        do {
            peer = try UnixSocket.peerCredentials(fd)
        } catch {
            logger.warning("dropping connection: \(error)")
            close(fd)
            return
        }
        let connection = Connection(fd: fd, peer: peer, id: Int(fd))
        // A client that stops reading cannot hold a writer (and so its job's event stream) forever.
        UnixSocket.setTimeout(fd, SO_SNDTIMEO, configuration.readTimeout)
        guard let id = tracker.open(connection) else {
            logger.warning("refusing connection: too many open", metadata: ["pid": "\(peer.pid)"])
            connection.send(ProtocolFailure(.busy, "too many open connections").frame)
            connection.finish()
            return
        }
        Task {
            await serve(connection, id: id)
            tracker.close(id)
        }
    }

    private func shutDown() async {
        logger.info("runner shutting down", metadata: ["connections": "\(tracker.count)", "jobs": "\(registry.count)"])
        limiter.shutDown()
        tracker.beginShutdown()
        if await tracker.waitUntilEmpty(timeout: configuration.shutdownGrace) { return }
        logger.notice("cancelling jobs still running after the shutdown grace", metadata: ["jobs": "\(registry.count)"])
        registry.cancelAll(.shutdown)
        if !(await tracker.waitUntilEmpty(timeout: max(configuration.shutdownGrace, .seconds(2)))) {
            logger.error("jobs ignored cancellation; leaving them behind", metadata: ["jobs": "\(registry.count)"])
        }
    }
}
