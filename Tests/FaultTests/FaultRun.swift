import AgentContracts
import Foundation
import TestSupport

/// One run of the suite: the agents answer the plan while the steps inject faults; what it leaves is
/// collected for the checks (results, the git server's commits, the SRM's claims, leftovers, memory).
struct FaultRun {
    var results: [CommitResult] = []
    var undecodableResults = 0
    var faults: [String: Int] = [:]
    var unexpectedExits: [String] = []
    var memory = MemoryLog()
    var answerTime: Duration = .zero
    var agentCommits: [String: [(sha: String, parent: String)]] = [:]
    var agentBranches: [String: String] = [:]
    var claims: [DevelopmentSRMClaim] = []
    var leftovers = Leftovers()
    /// Task and model-retry counters of each agent's /metrics, since its last start.
    var agentMetrics: [String] = []

    struct Leftovers {
        var sandboxes: [Int32] = []
        var workspaces: [String] = []
        var mounts: [String] = []
        var checkouts: [String] = []
    }

    var resultsByID: [String: [CommitResult]] { Dictionary(grouping: results, by: \.taskID) }

    /// Publishes the plan, runs two agents until every message is answered (or 330 s passed),
    /// injecting `FaultSuiteTests.steps` on the way and restarting an agent that dies on its own, as
    /// a supervisor would; then stops the agents and collects what is left.
    static func perform(on bed: FaultBed, started: ContinuousClock.Instant) async throws -> FaultRun {
        var run = FaultRun()
        try await bed.publishPlan()
        let log = try ResultLog(cluster: bed.cluster, topic: FaultBed.resultTopic)
        try bed.startAgents(["agent-a", "agent-b"])
        let faults = FaultSuiteTests.FaultCount()
        var pending = FaultSuiteTests.steps
        let expected = Set(bed.plan.messages.map(\.id))
        let deadline = started + .seconds(330)
        while ContinuousClock.now < deadline {
            let answered = log.answeredIDs
            if expected.isSubset(of: answered) { break }
            for agent in bed.agents where !agent.isRunning {
                run.unexpectedExits.append("\(agent.name) exited \(agent.exitStatus.map(String.init) ?? "?")")
                try agent.start()
            }
            for agent in bed.agents { run.memory.sample(agent.name, pid: agent.pid) }
            run.memory.sample("runner", pid: bed.runner.process.processIdentifier)
            if let step = pending.first, answered.count >= step.after {
                pending.removeFirst()
                try await step.run(bed, faults)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        run.answerTime = ContinuousClock.now - started
        run.faults = faults.counts
        for (fault, count) in bed.model.faultsInjected { run.faults[fault.rawValue, default: 0] += count }

        for agent in bed.agents {
            // Counted since the agent's last start.
            let samples = (try? PrometheusText.scrape(port: agent.metricsPort))?.samples ?? []
            run.agentMetrics += samples.filter { ["ca_tasks_total", "ca_llm_retries_total"].contains($0.name) }
                .map {
                    "\(agent.name) \($0.name){\($0.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))} \(Int($0.value))"
                }
        }

        // Leftovers: the runner still runs (its sandboxes would be its descendants); the agents stopped.
        for agent in bed.agents { await agent.stop() }
        run.leftovers = Leftovers(
            sandboxes: ProcessTable.descendants(of: bed.runner.process.processIdentifier)
                + ProcessTable.sandboxes(mounting: bed.runnerDirectory.path),
            workspaces: bed.runner.temporaryEntries,
            mounts: ProcessTable.mounts(below: bed.runnerDirectory.path),
            checkouts: bed.agents.flatMap { agent in agent.checkouts.map { "\(agent.name): \($0)" } })
        await log.close()
        run.results = log.all
        run.undecodableResults = log.undecodableCount
        run.agentCommits = try bed.agentCommits()
        run.agentBranches = try bed.agentBranches()
        run.claims = bed.claims.all
        return run
    }

    /// The figures the suite prints.
    func figures(bed: FaultBed, outcome: FaultSuiteTests.Outcome) -> [String] {
        let byID = resultsByID
        var lines = [
            "fault suite figures",
            "  messages: \(bed.plan.messages.count) ("
                + PlannedOutcome.allCases.map { "\($0.rawValue) \(PlannedOutcome.counts[$0] ?? 0)" }.joined(
                    separator: ", ") + ")",
            "  results: \(results.count) for \(byID.count) ids; duplicates: \(results.count - byID.count) "
                + "(ids answered more than once: \(byID.values.filter { $0.count > 1 }.count)); unexpected statuses: \(outcome.wrongStatuses)",
            "  redelivered successes answered from the branch: \(results.filter { $0.notes.contains { $0.hasPrefix("redelivered") } }.count)",
            "  checks sent again after a runner outage: \(outcome.resentChecks)",
            "  lease claims answered by the SRM: \(claims.count); successes noting a failed claim (SRM down): \(outcome.claimFailures)",
            "  model requests: \(bed.model.requestCount)",
            "  agent starts: " + bed.agents.map { "\($0.name) \($0.starts)" }.joined(separator: ", ")
                + "; unexpected exits: \(unexpectedExits.count)",
            "  faults injected:",
        ]
        lines += faults.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)" }
        lines.append("  memory (KiB, settled → last, peak) and open files (settled → last, peak):")
        lines += memory.judged.map {
            "    \($0.label): \($0.settledRSS) → \($0.lastRSS), VmHWM \($0.hwm); files \($0.settledFiles) → \($0.lastFiles), peak \($0.peakFiles) (\($0.samples) samples)"
        }
        lines.append("  agent metrics (since each agent's last start):")
        lines += agentMetrics.map { "    \($0)" }
        lines.append("  time to answer everything: \(Self.seconds(answerTime))")
        return lines
    }

    static func seconds(_ duration: Duration) -> String {
        duration.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))
    }
}
