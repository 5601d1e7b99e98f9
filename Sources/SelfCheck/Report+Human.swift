import Contracts

extension CheckReport {
    /// The process exit code of `selfcheck-runner check`: 0 pass, 1 a check failed, 2 patch rejected,
    /// 3 runner or sandbox error, 4 inconclusive (the tests could not run at the base).
    public var exitCode: Int32 {
        switch verdict {
        case .pass: 0
        case .fail: 1
        case .rejected: 2
        case .inconclusive: 4
        default: 3
        }
    }

    /// A readable report for a terminal.
    public func humanReadable() -> String {
        var lines: [String] = []
        lines.append("verdict: \(verdict.name.uppercased()) — \(reason)")
        if patch.rejectionRule.isEmpty && !patch.files.isEmpty {
            lines.append(
                "patch: \(patch.files.count) file(s), +\(patch.linesAdded) −\(patch.linesRemoved): \(patch.files.joined(separator: ", "))"
            )
            for repair in patch.repairs { lines.append("  repaired: \(repair)") }
        } else if !patch.rejectionRule.isEmpty {
            lines.append("patch refused by rule \(patch.rejectionRule)")
        }
        for step in steps {
            var head =
                "  \(step.status == .passed ? "✓" : step.status == .skipped ? "-" : "✗") \(step.name.padding(toLength: max(7, step.name.count), withPad: " ", startingAt: 0)) \(step.status.name)"
            if step.status != .skipped { head += "  \(step.durationMs) ms" }
            if step.limitHit != .none { head += "  limit hit: \(step.limitHit.name)" }
            if !step.note.isEmpty { head += "  (\(step.note))" }
            lines.append(head)
            for finding in step.newFailures.prefix(20) {
                lines.append("      new: \(finding.key)  \(oneLine(finding.message))")
            }
            if step.newFailures.count > 20 { lines.append("      … \(step.newFailures.count - 20) more new") }
            if !step.preexistingFailures.isEmpty {
                lines.append("      pre-existing (not held against the patch): \(step.preexistingFailures.count)")
                for finding in step.preexistingFailures.prefix(5) { lines.append("        \(finding.key)") }
            }
            if step.status == .failed || step.status == .error, !step.outputTail.isEmpty {
                let tail = step.outputTail.split(separator: "\n", omittingEmptySubsequences: false).suffix(15)
                lines.append(contentsOf: tail.map { "      | \($0)" })
            }
        }
        for finding in tamper { lines.append("  tamper: \(finding.key) — \(finding.message)") }
        for finding in configChanges { lines.append("  config: \(finding.key) — \(finding.message)") }
        for note in notes { lines.append("  note: \(note)") }
        if !isolation.isEmpty { lines.append("  sandbox: \(isolation.joined(separator: ", "))") }
        lines.append("  took \(durationMs) ms")
        return lines.joined(separator: "\n")
    }
}

/// A finding's message on one line, short enough for a terminal.
private func oneLine(_ text: String) -> String {
    String(text.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(160))
}
