import Contracts
import Foundation
import Kafka
import TestSupport
import Testing

/// Issue #9's fault and load suite: 200 messages of mixed outcomes through two `coding-agent run`
/// processes in one group, one `selfcheck-runner serve`, the Kafka mock cluster, a git daemon and a
/// scripted model, while Kafka, the model, the runner and an agent fail. Prints its figures.
@Suite(.serialized, .timeLimit(.minutes(10))) struct FaultSuiteTests {
    /// Faults by kind (the model's are counted by the model itself).
    final class FaultCount: @unchecked Sendable {
        var counts: [String: Int] = [:]
        func add(_ kind: String, _ count: Int = 1) { counts[kind, default: 0] += count }
    }

    /// One fault, injected once the agents have answered `after` messages.
    struct Step: Sendable {
        var after: Int
        var run: @Sendable (FaultBed, FaultCount) async throws -> Void
    }

    static let steps: [Step] = [
        Step(after: 10) { bed, faults in
            try bed.cluster.setBrokerDown(1)
            try await Task.sleep(for: .seconds(3))
            try bed.cluster.setBrokerUp(1)
            faults.add("Kafka broker down 3 s and up")
        },
        Step(after: 25) { bed, faults in
            bed.cluster.pushRequestErrors(apiKey: .produce, errors: [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas, .leaderNotAvailable])
            faults.add("Kafka produce request errors", 4)
        },
        Step(after: 40) { bed, faults in
            bed.cluster.pushRequestErrors(apiKey: .fetch, errors: [.notLeaderForPartition, .requestTimedOut, .networkException, .leaderNotAvailable])
            faults.add("Kafka fetch request errors", 4)
        },
        Step(after: 55) { bed, faults in
            bed.cluster.pushRequestErrors(apiKey: .offsetCommit, errors: [.requestTimedOut, .coordinatorNotAvailable, .notCoordinator])
            faults.add("Kafka offset-commit request errors", 3)
        },
        Step(after: 70) { bed, faults in
            let midCheck = try await bed.killRunnerMidCheck()
            faults.add(midCheck ? "runner SIGKILL mid-check, restarted" : "runner SIGKILL (no check running), restarted")
        },
        Step(after: 85) { bed, faults in
            try await bed.takeSRMDown(for: .seconds(4))
            faults.add("SRM down 4 s and up")
        },
        Step(after: 100) { bed, faults in
            let midTask = try await bed.killAgentMidTask(bed.agents[0])
            faults.add(midTask ? "agent SIGKILL mid-task, restarted" : "agent SIGKILL (idle), restarted")
        },
        Step(after: 130) { bed, faults in
            let midCheck = try await bed.killRunnerMidCheck()
            faults.add(midCheck ? "runner SIGKILL mid-check, restarted" : "runner SIGKILL (no check running), restarted")
        },
    ]

    @Test func twoHundredMessagesUnderFaults() async throws {
        let started = ContinuousClock.now
        let bed = try await FaultBed()
        try await bed.publishPlan()
        let results = try ResultLog(cluster: bed.cluster, topic: FaultBed.resultTopic)
        try bed.startAgents(["agent-a", "agent-b"])
        let faults = FaultCount()
        var memory = MemoryLog()
        var pending = Self.steps
        var unexpectedExits: [String] = []
        let expected = Set(bed.plan.messages.map(\.id))
        let deadline = started + .seconds(330)

        while ContinuousClock.now < deadline {
            let answered = results.answeredIDs
            if expected.isSubset(of: answered) { break }
            // A supervisor's job: an agent that died on its own is counted and started again.
            for agent in bed.agents where !agent.isRunning {
                unexpectedExits.append("\(agent.name) exited \(agent.exitStatus.map(String.init) ?? "?")")
                try agent.start()
            }
            for agent in bed.agents { memory.sample(agent.name, pid: agent.pid) }
            memory.sample("runner", pid: bed.runner.process.processIdentifier)
            if let step = pending.first, answered.count >= step.after {
                pending.removeFirst()
                try await step.run(bed, faults)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let processing = ContinuousClock.now - started
        for (fault, count) in bed.model.faultsInjected { faults.add(fault.rawValue, count) }

        // Leftovers, looked at while the runner still runs (its sandboxes) and after the agents stopped.
        for agent in bed.agents { agent.stop() }
        let runnerPID = bed.runner.process.processIdentifier
        let sandboxes = ProcessTable.descendants(of: runnerPID) + ProcessTable.sandboxes(mounting: bed.runnerDirectory.path)
        let workspaces = bed.runner.temporaryEntries
        let strayMounts = ProcessTable.mounts(below: bed.runnerDirectory.path)
        let checkouts = bed.agents.flatMap { agent in agent.checkouts.map { "\(agent.name): \($0)" } }
        await results.close()
        let all = results.all

        // Every message answered, each with the status its plan expects.
        let plan = bed.plan.byID
        let byID = Dictionary(grouping: all, by: \.taskID)
        let missing = expected.subtracting(byID.keys).sorted()
        #expect(missing.isEmpty, "no result for \(missing.count): \(missing.prefix(20))")
        #expect(Set(byID.keys).subtracting(expected).isEmpty, "results for unplanned ids: \(Set(byID.keys).subtracting(expected))")
        var wrong: [String] = []
        for (id, answers) in byID.sorted(by: { $0.key < $1.key }) {
            guard let planned = plan[id] else { continue }
            for answer in answers where answer.status != planned.outcome.expectedStatus {
                wrong.append("\(id) (\(planned.outcome)) \(answer.status): \(answer.notes.joined(separator: " | ").prefix(400))")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) results with an unexpected status:\n\(wrong.prefix(15).joined(separator: "\n"))")
        #expect(results.undecodableCount == 0)
        for (id, answers) in byID where plan[id]?.outcome == .unknownBase {
            #expect(answers.allSatisfy { $0.notes.contains { $0.contains(TaskPlan.unknownCommit(id)) } }, "\(id): the note names the commit")
        }

        // The git server: exactly one [agent:<id>] commit per successful task, on agt/<id>, parent base.
        let log = try bed.servedGit(["log", "--all", "--format=%H %P%n%B%x00"])
        var commits: [String: [(sha: String, parent: String)]] = [:]
        for entry in log.split(separator: "\0") {
            let lines = entry.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
            guard let head = lines.first?.split(separator: " "), head.count >= 2 else { continue }
            for line in lines where line.hasPrefix("[agent:") {
                commits[String(line.dropFirst("[agent:".count).dropLast()), default: []].append((String(head[0]), String(head[1])))
            }
        }
        let branches = Dictionary(uniqueKeysWithValues: try bed.servedGit(["for-each-ref", "--format=%(refname:lstrip=3) %(objectname)", "refs/heads/agt/"])
            .split(separator: "\n").map { line in (String(line.split(separator: " ")[0]), String(line.split(separator: " ")[1])) })
        let successful = bed.plan.messages.filter { $0.outcome.expectedStatus == "SUCCESS" }.map(\.id)
        for id in successful {
            let found = commits[id] ?? []
            #expect(found.count == 1, "\(id): \(found.count) [agent:\(id)] commits on the server")
            guard let commit = found.first else { continue }
            #expect(branches[id] == commit.sha, "\(id): agt/\(id) holds the commit")
            #expect(commit.parent == bed.fixture.baseCommit, "\(id): the commit's parent is base_commit")
            #expect((byID[id] ?? []).allSatisfy { $0.commitSha == commit.sha && $0.branchName == "agt/\(id)" }, "\(id): every SUCCESS names the pushed commit")
        }
        // Leases: each success's lease granted with the pushed commit, or its result says the claim failed
        // (the SRM was down); no claim for anything else or with another commit.
        let claims = bed.claims.all
        var claimFailures = 0
        for id in successful {
            guard let planned = plan[id], let sha = commits[id]?.first?.sha else { continue }
            let granted = claims.contains { $0.leaseID == planned.lease && $0.commitSHA == sha && $0.granted }
            let failed = (byID[id] ?? []).contains { $0.notes.contains { $0.hasPrefix("lease \(planned.lease): claim failed") } }
            if failed { claimFailures += 1 }
            #expect(granted || failed, "\(id): lease \(planned.lease) neither claimed nor noted as failed")
        }
        let leaseOwners = Dictionary(uniqueKeysWithValues: bed.plan.messages.map { ($0.lease, $0.id) })
        for claim in claims {
            let owner = leaseOwners[claim.leaseID] ?? "?"
            #expect(commits[owner]?.first?.sha == claim.commitSHA, "lease \(claim.leaseID) claimed for \(claim.commitSHA), not \(owner)'s commit")
        }
        #expect(Set(commits.keys).subtracting(successful).isEmpty, "commits for tasks that should not succeed: \(Set(commits.keys).subtracting(successful))")

        // Nothing left behind.
        #expect(sandboxes.isEmpty, "sandbox processes left: \(sandboxes)")
        #expect(workspaces.isEmpty, "runner workspaces left in its TMPDIR: \(workspaces)")
        #expect(strayMounts.isEmpty, "mounts left below the runner's folder: \(strayMounts)")
        #expect(checkouts.isEmpty, "per-task checkouts left: \(checkouts)")
        #expect(unexpectedExits.isEmpty, "agents that exited on their own: \(unexpectedExits)")
        #expect(bed.model.unparsedRequests == 0)
        let resentChecks = all.flatMap(\.notes).filter { $0.contains("runner unavailable") && $0.hasSuffix("checked again") }.count
        if faults.counts["runner SIGKILL mid-check, restarted", default: 0] > 0 {
            #expect(resentChecks > 0, "a runner killed mid-check made an agent send its check again")
        }

        // Memory: no instance grew far beyond where it settled after start-up.
        for instance in memory.judged {
            #expect(instance.last <= 2 * instance.settled + 64 * 1024, "\(instance.label): RSS grew from \(instance.settled) KiB to \(instance.last) KiB")
        }

        let duplicates = all.count - byID.count
        var figures = [
            "fault suite figures",
            "  messages: \(expected.count) (" + PlannedOutcome.allCases.map { "\($0.rawValue) \(PlannedOutcome.counts[$0] ?? 0)" }.joined(separator: ", ") + ")",
            "  results: \(all.count) for \(byID.count) ids; duplicates: \(duplicates) (ids answered more than once: \(byID.values.filter { $0.count > 1 }.count))",
            "  redelivered successes answered from the branch: \(all.filter { $0.notes.contains { $0.hasPrefix("redelivered") } }.count)",
            "  checks sent again after a runner outage: \(resentChecks)",
            "  lease claims answered by the SRM: \(claims.count); successes noting a failed claim (SRM down): \(claimFailures)",
            "  model requests: \(bed.model.requestCount)",
            "  agent starts: " + bed.agents.map { "\($0.name) \($0.starts)" }.joined(separator: ", ") + "; unexpected exits: \(unexpectedExits.count)",
            "  faults injected:",
        ]
        figures += faults.counts.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)" }
        figures.append("  memory (KiB, settled → last, peak):")
        figures += memory.judged.map { "    \($0.label): \($0.settled) → \($0.last), VmHWM \($0.hwm) (\($0.samples) samples)" }
        figures.append("  time to answer everything: \(processing.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
        if !wrong.isEmpty || !missing.isEmpty || !unexpectedExits.isEmpty {
            // Kept for a post-mortem: the agents' logs go with the bed's folder otherwise.
            let kept = try makeTemporaryDirectory("fault-suite-logs")
            for agent in bed.agents { try? FileManager.default.copyItem(at: agent.logFile, to: kept.appendingPathComponent(agent.logFile.lastPathComponent)) }
            figures.append("  agent logs kept in \(kept.path)")
        }
        await bed.stop()
        figures.append("  wall time with set-up and tear-down: \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
        print(figures.joined(separator: "\n"))

    }
}
