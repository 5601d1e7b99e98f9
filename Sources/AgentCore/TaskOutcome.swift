import AgentContracts
import Contracts

extension CommitResult {
    static func make(_ task: CodingTask, _ status: CommitStatus, sha: String = "", branch: String = "", notes: [String])
        -> CommitResult
    {
        .with {
            $0.taskID = task.id
            $0.status = status.rawValue
            $0.commitSha = sha
            $0.branchName = branch
            $0.notes = notes
        }
    }
}

extension CheckReport {
    /// What identifies a failure independently of volatile text (addresses, timings in messages): the
    /// verdict, the rule, the failing steps and the keys of their new failures.
    var failureSignature: String {
        var parts = [verdict.name, patch.rejectionRule]
        for step in steps where step.status == .failed || step.status == .error {
            parts.append(step.name + ":" + (step.limitHit == .none ? "" : step.limitHit.name))
            parts += step.newFailures.map { "\($0.kind.name) \($0.key)" }
        }
        parts += tamper.map(\.key)
        parts += configChanges.map(\.key)
        return parts.joined(separator: "|")
    }

    /// What the next prompt needs of a failed check: the rule or the failing step, the new failures,
    /// and the tail of the output.
    var failureSummary: (summary: String, tail: String) {
        if verdict == .rejected {
            return ("the diff was refused: \(reason)", "")
        }
        var lines = ["self-check \(verdict.name): \(reason)"]
        for step in steps where step.status == .failed || step.status == .error {
            let limit = step.limitHit == .none ? "" : " (limit: \(step.limitHit.name))"
            lines.append("step \(step.name) \(step.status.name)\(limit)")
            for finding in step.newFailures.prefix(10) {
                lines.append("  new \(finding.kind.name): \(finding.key) \(finding.message.prefix(200))")
            }
        }
        for finding in tamper { lines.append("  tamper: \(finding.key): \(finding.message)") }
        for finding in configChanges { lines.append("  config: \(finding.key): \(finding.message)") }
        let tail = steps.last { $0.status == .failed || $0.status == .error }?.outputTail ?? ""
        return (lines.joined(separator: "\n"), String(tail.suffix(1200)))
    }
}
