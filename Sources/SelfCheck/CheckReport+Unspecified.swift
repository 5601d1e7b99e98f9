import Contracts

extension CheckReport {
    /// The runner never sends `unspecified`: a step that ended without a status could not judge the
    /// patch, so it is an error, and a check without a verdict is one too (neither may read as a pass).
    mutating func ruleOutUnspecified() {
        let unjudged = steps.indices.filter { steps[$0].status == .unspecified }
        for index in unjudged {
            steps[index].status = .error
            if steps[index].note.isEmpty { steps[index].note = "the step ended without a status" }
        }
        if (!unjudged.isEmpty && verdict == .pass) || verdict == .unspecified {
            verdict = .error
            let names = unjudged.map { steps[$0].name }.joined(separator: ", ")
            reason = unjudged.isEmpty ? "the check ended without a verdict" : "step \(names) ended without a status"
        }
    }
}
