import Contracts
import Logging
import RunnerProtocol

extension RunnerServer {
    /// Serves one connection: one check per connection (with cancels for it), or one cancel.
    func serve(_ connection: Connection, id: Int) async {
        var logger = self.logger
        logger[metadataKey: "peer"] = "pid=\(connection.peer.pid) uid=\(connection.peer.uid) gid=\(connection.peer.gid)"
        guard policy.allows(connection.peer) else {
            logger.warning("refusing peer: uid and gid not allowed")
            connection.send(ProtocolFailure(.forbidden, "uid \(connection.peer.uid) is not allowed").frame)
            connection.finish()
            return
        }
        var job: (handle: JobHandle, task: Task<Void, Never>)?
        let inputs = connection.inputs(
            maxFrameBytes: configuration.maxFrameBytes, readTimeout: configuration.readTimeout)
        loop: for await input in inputs {
            switch input {
            case .failure(let failure):
                logger.notice("protocol error: \(failure.message)", metadata: ["code": "\(failure.code.rawValue)"])
                reject(connection, failure, job: job?.handle)
                break loop
            case .message(.check(let request), let workspace):
                guard job == nil else {
                    reject(connection, ProtocolFailure(.badFrame, "one check per connection"), job: job?.handle)
                    break loop
                }
                let directory: WorkspaceDirectory?
                do {
                    directory = try repositories.workspace(for: request, passed: workspace, peer: connection.peer)
                } catch {
                    logger.warning("refusing the checkout the peer named: \(error.message)")
                    reject(connection, error, job: nil)
                    break loop
                }
                switch start(request, workspace: directory, on: connection, id: id, logger: logger) {
                case .success(let started): job = started
                case .failure(let failure):
                    reject(connection, failure, job: nil)
                    break loop
                }
            case .message(.cancel(let cancel), _):
                if let job {
                    guard cancel.requestID == job.handle.requestID else {
                        reject(
                            connection,
                            ProtocolFailure(.badFrame, "a check connection can only cancel its own request"),
                            job: job.handle)
                        break loop
                    }
                    logger.info("cancel requested", metadata: ["request_id": "\(cancel.requestID)"])
                    job.handle.cancel(.request)
                } else {
                    acknowledge(cancel, on: connection, logger: logger)
                    break loop
                }
            }
        }
        // End of input: the client went away (or we closed). A job still running has nobody to report to.
        if let job {
            job.handle.cancel(.disconnect)
            await job.task.value
        }
    }

    /// Sends a protocol error, closes, and cancels the connection's job.
    private func reject(_ connection: Connection, _ failure: ProtocolFailure, job: JobHandle?) {
        var failure = failure
        failure.requestID = job?.requestID ?? failure.requestID
        connection.send(failure.frame)
        connection.finish()
        job?.cancel(.disconnect)
    }

    /// Cancels a job from a cancel-only connection and answers `cancelled` (found) or `unknown`.
    private func acknowledge(_ cancel: CancelRequest, on connection: Connection, logger: Logger) {
        let found = registry.cancel(requestID: cancel.requestID, reason: .request)
        logger.info("cancel requested", metadata: ["request_id": "\(cancel.requestID)", "found": "\(found)"])
        let answer =
            found
            ? ProtocolFailure(.cancelled, "cancellation requested", requestID: cancel.requestID)
            : ProtocolFailure(.unknown, "no job with this request id", requestID: cancel.requestID)
        connection.send(answer.frame)
        connection.finish()
    }

    /// Registers the job and starts its task.
    private func start(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, on connection: Connection, id: Int, logger: Logger
    ) -> Result<(handle: JobHandle, task: Task<Void, Never>), ProtocolFailure> {
        guard !request.requestID.isEmpty else { return .failure(ProtocolFailure(.badFrame, "request_id is required")) }
        let handle = JobHandle(requestID: request.requestID)
        guard registry.insert(handle) else {
            return .failure(
                ProtocolFailure(.badFrame, "request_id is already in progress", requestID: request.requestID))
        }
        tracker.setJob(handle, for: id)
        var logger = logger
        logger[metadataKey: "request_id"] = "\(request.requestID)"
        let task = Task { [logger] in
            await runJob(request, workspace: workspace, handle: handle, connection: connection, logger: logger)
        }
        handle.attach(task)
        return .success((handle, task))
    }

    /// Waits for a slot, runs the executor, and sends the report (or why there is none); then closes.
    private func runJob(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, handle: JobHandle, connection: Connection,
        logger: Logger
    ) async {
        let requestID = request.requestID
        defer {
            registry.remove(handle)
            connection.finish()
        }
        do {
            try await limiter.acquire { ahead in
                var event = CheckEvent()
                event.requestID = requestID
                event.queued = "waiting for a free job slot (\(ahead) ahead)"
                connection.send(ServerFrame.with { $0.kind = .event(event) })
            }
        } catch {
            let failure: ProtocolFailure? =
                switch error {
                case .busy: ProtocolFailure(.busy, "all job slots and queue places are taken", requestID: requestID)
                case .shuttingDown: ProtocolFailure(.cancelled, "the runner is shutting down", requestID: requestID)
                case .cancelled: cancellationNotice(handle)
                }
            RunnerMetrics.jobEnded(error == .busy ? "busy" : "cancelled")
            logger.info("job not started", metadata: ["why": "\(error)"])
            if let failure { connection.send(failure.frame) }
            return
        }
        logger.info("job started")
        var report = await executor.execute(request, workspace: workspace) { event in
            var event = event
            event.requestID = requestID
            await connection.sendAndWait(ServerFrame.with { $0.kind = .event(event) })
        }
        limiter.release()
        RunnerMetrics.stepsRan(report)
        RunnerMetrics.jobEnded(handle.cancelReason == nil ? report.verdict.name : "cancelled")
        if let notice = cancellationNotice(handle) {
            logger.info("job cancelled")
            connection.send(notice.frame)
        } else if handle.cancelReason == nil {
            logger.info("job finished", metadata: ["verdict": "\(report.verdict.name)"])
            report.requestID = requestID
            connection.send(ServerFrame.with { $0.kind = .report(report) })
        }
    }

    /// What to tell the client of a cancelled job: nothing after a disconnect.
    private func cancellationNotice(_ handle: JobHandle) -> ProtocolFailure? {
        switch handle.cancelReason {
        case .request: ProtocolFailure(.cancelled, "cancelled by request", requestID: handle.requestID)
        case .shutdown:
            ProtocolFailure(.cancelled, "cancelled: the runner is shutting down", requestID: handle.requestID)
        case .disconnect, nil: nil
        }
    }
}
