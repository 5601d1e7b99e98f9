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
            bed.cluster.pushRequestErrors(
                apiKey: .produce,
                errors: [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas, .leaderNotAvailable])
            faults.add("Kafka produce request errors", 4)
        },
        Step(after: 40) { bed, faults in
            bed.cluster.pushRequestErrors(
                apiKey: .fetch,
                errors: [.notLeaderForPartition, .requestTimedOut, .networkException, .leaderNotAvailable])
            faults.add("Kafka fetch request errors", 4)
        },
        Step(after: 55) { bed, faults in
            bed.cluster.pushRequestErrors(
                apiKey: .offsetCommit, errors: [.requestTimedOut, .coordinatorNotAvailable, .notCoordinator])
            faults.add("Kafka offset-commit request errors", 3)
        },
        Step(after: 70) { bed, faults in
            let midCheck = try await bed.killRunnerMidCheck()
            faults.add(
                midCheck ? "runner SIGKILL mid-check, restarted" : "runner SIGKILL (no check running), restarted")
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
            faults.add(
                midCheck ? "runner SIGKILL mid-check, restarted" : "runner SIGKILL (no check running), restarted")
        },
    ]

    @Test func twoHundredMessagesUnderFaults() async throws {
        let started = ContinuousClock.now
        let bed = try await FaultBed()
        let run: FaultRun
        do { run = try await FaultRun.perform(on: bed, started: started) } catch {
            await bed.stop()
            throw error
        }
        let outcome = check(run, bed: bed)
        var figures = run.figures(bed: bed, outcome: outcome)
        if !outcome.isClean {
            // Kept for a post-mortem: the agents' logs go with the bed's folder otherwise.
            let kept = try makeTemporaryDirectory("fault-suite-logs")
            for agent in bed.agents {
                try? FileManager.default.copyItem(
                    at: agent.log, to: kept.appendingPathComponent(agent.log.lastPathComponent))
            }
            figures.append("  agent logs kept in \(kept.path)")
        }
        await bed.stop()
        figures.append("  wall time with set-up and tear-down: \(FaultRun.seconds(ContinuousClock.now - started))")
        print(figures.joined(separator: "\n"))
    }

    /// What the checks found that the figures report.
    struct Outcome {
        var wrongStatuses = 0
        var missing = 0
        var resentChecks = 0
        var claimFailures = 0
        var unexpectedExits = 0
        var isClean: Bool { wrongStatuses == 0 && missing == 0 && unexpectedExits == 0 }
    }

    /// Every promise of issue #9, asserted on what the servers, the topic and /proc hold.
    func check(_ run: FaultRun, bed: FaultBed) -> Outcome {
        var outcome = Outcome()
        let plan = bed.plan.byID
        let byID = run.resultsByID
        let expected = Set(plan.keys)

        // Every message answered, each with the status its plan expects.
        let missing = expected.subtracting(byID.keys).sorted()
        outcome.missing = missing.count
        #expect(missing.isEmpty, "no result for \(missing.count): \(missing.prefix(20))")
        #expect(
            Set(byID.keys).subtracting(expected).isEmpty,
            "results for unplanned ids: \(Set(byID.keys).subtracting(expected))")
        var wrong: [String] = []
        for (id, answers) in byID.sorted(by: { $0.key < $1.key }) {
            guard let planned = plan[id] else { continue }
            for answer in answers where answer.status != planned.outcome.expectedStatus {
                wrong.append(
                    "\(id) (\(planned.outcome)) \(answer.status): \(answer.notes.joined(separator: " | ").prefix(400))")
            }
            if planned.outcome == .unknownBase {
                #expect(
                    answers.allSatisfy { $0.notes.contains { $0.contains(TaskPlan.unknownCommit(id)) } },
                    "\(id): the note names the commit")
            }
        }
        outcome.wrongStatuses = wrong.count
        #expect(
            wrong.isEmpty,
            "\(wrong.count) results with an unexpected status:\n\(wrong.prefix(15).joined(separator: "\n"))")
        #expect(run.undecodableResults == 0)
        #expect(bed.model.unparsedRequests == 0)

        // The git server: exactly one [agent:<id>] commit per successful task, on agt/<id>, parent base.
        let successful = bed.plan.messages.filter { $0.outcome.expectedStatus == "SUCCESS" }
        for id in successful.map(\.id) {
            let found = run.agentCommits[id] ?? []
            #expect(found.count == 1, "\(id): \(found.count) [agent:\(id)] commits on the server")
            guard let commit = found.first else { continue }
            #expect(run.agentBranches[id] == commit.sha, "\(id): agt/\(id) holds the commit")
            #expect(commit.parent == bed.fixture.baseCommit, "\(id): the commit's parent is base_commit")
            #expect(
                (byID[id] ?? []).allSatisfy { $0.commitSha == commit.sha && $0.branchName == "agt/\(id)" },
                "\(id): every SUCCESS names the pushed commit")
        }
        let unplanned = Set(run.agentCommits.keys).subtracting(successful.map(\.id))
        #expect(unplanned.isEmpty, "commits for tasks that should not succeed: \(unplanned)")

        // Leases: each success's lease granted with the pushed commit, or its result says the claim failed
        // (the SRM was down); no claim with another commit.
        for planned in successful {
            guard let sha = run.agentCommits[planned.id]?.first?.sha else { continue }
            let granted = run.claims.contains { $0.leaseID == planned.lease && $0.commitSHA == sha && $0.granted }
            let failed = (byID[planned.id] ?? []).contains {
                $0.notes.contains { $0.hasPrefix("lease \(planned.lease): claim failed") }
            }
            if failed { outcome.claimFailures += 1 }
            #expect(granted || failed, "\(planned.id): lease \(planned.lease) neither claimed nor noted as failed")
        }
        let leaseOwners = Dictionary(uniqueKeysWithValues: bed.plan.messages.map { ($0.lease, $0.id) })
        for claim in run.claims {
            let owner = leaseOwners[claim.leaseID] ?? "?"
            #expect(
                run.agentCommits[owner]?.first?.sha == claim.commitSHA,
                "lease \(claim.leaseID) claimed for \(claim.commitSHA), not \(owner)'s commit")
        }

        // Faults handled where they should be: a check cut by the runner's death was sent again, and no
        // agent died on its own.
        outcome.resentChecks =
            run.results.flatMap(\.notes).filter { $0.contains("runner unavailable") && $0.hasSuffix("checked again") }
            .count
        if run.faults["runner SIGKILL mid-check, restarted", default: 0] > 0 {
            #expect(outcome.resentChecks > 0, "a runner killed mid-check made an agent send its check again")
        }
        outcome.unexpectedExits = run.unexpectedExits.count
        #expect(run.unexpectedExits.isEmpty, "agents that exited on their own: \(run.unexpectedExits)")

        // Nothing left behind.
        #expect(run.leftovers.sandboxes.isEmpty, "sandbox processes left: \(run.leftovers.sandboxes)")
        #expect(run.leftovers.workspaces.isEmpty, "runner workspaces left in its TMPDIR: \(run.leftovers.workspaces)")
        #expect(run.leftovers.mounts.isEmpty, "mounts left below the runner's folder: \(run.leftovers.mounts)")
        #expect(run.leftovers.checkouts.isEmpty, "per-task checkouts left: \(run.leftovers.checkouts)")

        // Memory and open files: no instance grew far beyond where it settled after start-up. Each task
        // spawns git several times, so a descriptor leaked per process shows as hundreds here.
        for instance in run.memory.judged {
            #expect(
                instance.lastRSS <= 2 * instance.settledRSS + 64 * 1024,
                "\(instance.label): RSS grew from \(instance.settledRSS) KiB to \(instance.lastRSS) KiB")
            #expect(
                instance.peakFiles <= instance.settledFiles + 64,
                "\(instance.label): open files grew from \(instance.settledFiles) to \(instance.peakFiles)")
        }
        return outcome
    }
}
