import AgentContracts
import Contracts
import Foundation
import GitWorkspace
import LLM
import Logging
import Patch

/// The seed's `process()`, done for production: one `CodingTask` in, one `CommitResult` out, with the
/// status meanings of docs/architecture.md. It never throws: every failure becomes a result with notes.
public struct TaskProcessor: Sendable {
    let configuration: AgentConfiguration
    let mirrors: MirrorCache
    let model: any PatchModel
    let checker: any PatchChecker
    let context: any ContextSource
    let claimer: (any LeaseClaimer)?
    let logger: Logger

    public init(
        configuration: AgentConfiguration, mirrors: MirrorCache, model: any PatchModel, checker: any PatchChecker,
        context: any ContextSource = CheckoutFiles(), claimer: (any LeaseClaimer)?, logger: Logger
    ) {
        self.configuration = configuration
        self.mirrors = mirrors
        self.model = model
        self.checker = checker
        self.context = context
        self.claimer = claimer
        self.logger = logger
    }

    /// What the processor works with, for the worker's start-up line: the model (keys redacted) and the
    /// remote (credentials redacted).
    public func summary() async -> Logger.Metadata {
        var remote: String?
        if let configured = configuration.remoteRepo {
            remote = (try? await mirrors.mirror(for: configured).displayRemote) ?? "not usable"
        }
        return ["model": "\(model)", "remote_repo": "\(remote ?? "none: each task must name its repo")"]
    }

    public func process(_ task: CodingTask) async -> CommitResult {
        await TaskLogContext.$taskID.withValue(task.id.isEmpty ? nil : task.id) { await processTask(task) }
    }

    /// The task at `position` (from 1) of a bundle: a task without an id gets a stable one derived from
    /// the bundle id and its position (`TaskIdentity`), said in the result's notes.
    public func process(_ task: CodingTask, bundleID: String, position: Int) async -> CommitResult {
        var task = task
        let note = TaskIdentity.note(for: task, bundleID: bundleID, position: position)
        task.id = TaskIdentity.id(of: task, bundleID: bundleID, position: position)
        var result = await process(task)
        if let note { result.notes.insert(note, at: 0) }
        return result
    }

    private func processTask(_ task: CodingTask) async -> CommitResult {
        var task = task
        var logger = logger
        logger[metadataKey: "task_id"] = "\(task.id)"
        guard !task.id.isEmpty else { return .make(task, .hardFail, notes: ["the task has no id"]) }
        guard let remote = task.hasRepo && !task.repo.isEmpty ? task.repo : configuration.remoteRepo else {
            return .make(task, .hardFail, notes: ["no repository: the task has no repo and REMOTE_REPO is not set"])
        }
        let branch = AgentCommit.branch(taskID: task.id)
        var baseNote: [String] = []
        do {
            let started = ContinuousClock.now
            if task.baseCommit.isEmpty {
                // The original design's way: the default branch's head, resolved once for every attempt.
                let head = try await mirrors.mirror(for: remote).defaultBranchHead()
                task.baseCommit = head.commit
                let name = head.branch.map { "\($0.prefix(200))" } ?? "HEAD"
                baseNote = [
                    "the task has no base_commit: worked on the remote's default branch \(name) at \(head.commit)"
                ]
                logger.info(
                    "no base_commit: using the default branch head",
                    metadata: ["branch": "\(name)", "base_commit": "\(head.commit)"])
            }
            var result = try await workOn(task, remote: remote, branch: branch, started: started, logger: logger)
            result.notes.insert(contentsOf: baseNote, at: 0)
            return result
        } catch let error as GitWorkspaceError {
            return .make(task, .hardFail, notes: baseNote + [Self.describe(error, task: task)])
        } catch {
            return .make(task, .hardFail, notes: baseNote + ["workspace: \(error)"])
        }
    }

    /// The task at its base: answered from its branch when that already holds our commit (a redelivery),
    /// else attempted in a per-task checkout.
    private func workOn(
        _ task: CodingTask, remote: String, branch: String, started: ContinuousClock.Instant, logger: Logger
    ) async throws -> CommitResult {
        let mirror = try await mirrors.ensure(commit: task.baseCommit, in: remote)
        // A redelivered task whose branch already holds our commit is answered again, without new work.
        if let sha = try await mirror.existingAgentCommit(branch: branch, taskID: task.id) {
            AgentMetrics.record(.checkout, since: started)
            logger.info("redelivered task: answering with the existing commit", metadata: ["sha": "\(sha)"])
            // The first delivery may have died between the push and the claims: claim again (a claim
            // with the same sha asks for the same thing).
            let claims = await claimLeases(of: task, sha: sha)
            return .make(
                task, .success, sha: sha, branch: branch,
                notes: ["redelivered: \(branch) already holds \(sha)"] + claims)
        }
        // The task only reads the checkout (prompt context, the canonical diff's policy check; the runner
        // reads it as its overlay's lower layer), so the next task's reset writes only what differs.
        return try await mirror.withCheckout(
            commit: task.baseCommit, taskID: task.id, in: configuration.checkoutRoot,
            spares: configuration.spareCheckouts, bodyOnlyReads: true
        ) { checkout in
            AgentMetrics.record(.checkout, since: started)
            return await attempt(task, checkout: checkout, branch: branch, logger: logger)
        }
    }

    /// Up to `maxAttempts` patches, each checked by the runner; retries carry the last failure.
    private func attempt(_ task: CodingTask, checkout: TaskCheckout, branch: String, logger: Logger) async
        -> CommitResult
    {
        var notes: [String] = []
        var snippets: [ContextSnippet] = []
        do {
            snippets = try await AgentMetrics.timed(.context) {
                try await context.snippets(for: task, checkout: checkout.directory)
            }
        } catch {
            snippets = (try? await CheckoutFiles().snippets(for: task, checkout: checkout.directory)) ?? []
            let fallback = snippets.isEmpty ? "no context" : "\(task.path) from the checkout"
            logger.warning("context service failed; falling back", metadata: ["error": "\(error)"])
            notes.append("context service failed, the prompt has \(fallback) instead: \(error)")
        }
        let prompts = PromptBuilder(contextBudget: configuration.contextBudget)
        var failures: [AttemptFailure] = []
        var lastSignature: String?
        var attemptsUsed = 0
        defer { AgentMetrics.attemptsUsed(attemptsUsed) }
        for number in 1...configuration.maxAttempts {
            // The worker is stopping past its deadline: this result is discarded, the message redelivered.
            if Task.isCancelled { return .make(task, .softFail, notes: notes + ["abandoned: the worker is stopping"]) }
            attemptsUsed = number
            let prompt = prompts.build(goal: task.goal, path: task.path, snippets: snippets, previousFailures: failures)
            let summary: String
            let tail: String
            let signature: String
            do {
                let reply = try await AgentMetrics.timed(.llm) { () async throws(LLMError) -> PatchReply in
                    try await model.proposePatch(prompt)
                }
                AgentMetrics.tokensUsed(reply.usage)
                let request = CheckRequest.with {
                    $0.requestID = "\(task.id)-\(number)"
                    $0.repoPath = checkout.directory.path
                    $0.diff = reply.diff
                    $0.baseCommit = task.baseCommit
                }
                let report = try await AgentMetrics.timed(.check) {
                    try await RunnerOutageRetry(delays: configuration.runnerRetryDelays).run(
                        request,
                        retried: { count, error in
                            logger.warning(
                                "runner unavailable, checking again",
                                metadata: ["attempt": "\(number)", "retry": "\(count)", "error": "\(error)"])
                            notes.append("attempt \(number): runner unavailable (\(error)); checked again")
                        }, check: checker.check)
                }
                if report.verdict != .error && report.verdict != .inconclusive {
                    AgentMetrics.patchJudged(passed: report.verdict == .pass)
                }
                if report.verdict == .pass {
                    return await publish(
                        task, report: report, checkout: checkout, branch: branch,
                        notes: notes + ["attempt \(number) passed the self-check"])
                }
                if report.verdict == .error {
                    return .make(
                        task, .hardFail,
                        notes: notes + ["the runner could not check attempt \(number): \(report.reason)"])
                }
                // The tests could not run at the base: another attempt from the model cannot change that.
                if report.verdict == .inconclusive {
                    return .make(
                        task, .hardFail,
                        notes: notes + [
                            "check inconclusive on attempt \(number) (a failure of the check, not of the patch): \(report.reason)"
                        ])
                }
                (summary, tail) = report.failureSummary
                signature = report.failureSignature
            } catch let error as LLMError {
                AgentMetrics.modelFailed(error)
                if error.isHardFailure { return .make(task, .hardFail, notes: notes + ["model: \(error)"]) }
                (summary, tail) = ("the model's reply was not usable: \(error.message)", "")
                signature = "llm \(error.kind)"
            } catch {
                return .make(task, .hardFail, notes: notes + ["runner unavailable: \(error)"])
            }
            logger.info("attempt failed", metadata: ["attempt": "\(number)", "why": "\(summary.prefix(200))"])
            notes.append("attempt \(number): \(summary.prefix(600))")
            if signature == lastSignature {
                notes.append("stopped early: attempt \(number) reproduced the previous failure exactly")
                break
            }
            lastSignature = signature
            failures.append(AttemptFailure(attempt: number, summary: summary, outputTail: tail))
        }
        return .make(task, .softFail, notes: notes)
    }

    /// Commit the runner's canonical diff on `agt/<id>`, push it, claim the leases.
    private func publish(
        _ task: CodingTask, report: CheckReport, checkout: TaskCheckout, branch: String, notes: [String]
    ) async -> CommitResult {
        var notes = notes
        let sha: String
        if let refusal = CanonicalDiffCheck.refusal(
            of: report.patch.canonicalDiff, in: checkout.directory, policy: configuration.patchPolicy)
        {
            return .make(
                task, .hardFail,
                notes: notes + ["the runner's canonical diff breaks the patch policy, not committed: \(refusal)"])
        }
        do {
            sha = try await AgentMetrics.timed(.push) {
                try await checkout.commitAndPush(
                    diff: report.patch.canonicalDiff,
                    message: AgentCommit.message(kind: task.kind, goal: task.goal, taskID: task.id),
                    author: configuration.author, branch: branch)
            }
        } catch let error as GitWorkspaceError {
            return .make(task, .hardFail, notes: notes + [Self.describe(error, task: task)])
        } catch {
            return .make(task, .hardFail, notes: notes + ["push: \(error)"])
        }
        notes += await claimLeases(of: task, sha: sha)
        return .make(task, .success, sha: sha, branch: branch, notes: notes)
    }

    /// `SymbolReservation.Claim` for each reserved lease; a note for each one not granted.
    private func claimLeases(of task: CodingTask, sha: String) async -> [String] {
        var notes: [String] = []
        for lease in task.reservedLeaseIds {
            guard let id = Int64(lease) else {
                notes.append("lease \(lease): not an int64 id, not claimed")
                continue
            }
            guard let claimer else {
                notes.append("lease \(lease): not claimed, no SRM service configured")
                continue
            }
            do {
                let reply = try await claimer.claim(leaseID: id, commitSHA: sha)
                if !reply.ok { notes.append("lease \(lease): claim refused: \(reply.message)") }
            } catch {
                notes.append("lease \(lease): claim failed: \(error)")
            }
        }
        return notes
    }

    static func describe(_ error: GitWorkspaceError, task: CodingTask) -> String {
        switch error.code {
        case .unknownCommit: "unknown base_commit \(task.baseCommit): \(error.message)"
        case .remoteUnreachable: "repository unreachable: \(error.message)"
        case .branchHeldByForeignCommit, .pushRejected:
            "push refused: \(error.branch ?? "the branch") holds \(error.commit.map { "commit \($0)" } ?? "another commit"): \(error.message)"
        default: "git: \(error)"
        }
    }
}
