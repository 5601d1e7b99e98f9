import Contracts

extension CheckReport {
    /// A patch that changes its judges' configuration fails unless the caller allows it. Allowed or
    /// not, black and ruff judged with the base's configuration.
    mutating func judgeConfigChanges(allowed: Bool) {
        guard !configChanges.isEmpty else { return }
        let what = "the patch changes tool configuration (\(configChanges.count) finding(s) of kind config)"
        if allowed {
            notes.append("\(what), allowed; black and ruff judged with the base's configuration")
            return
        }
        switch verdict {
        case .pass:
            verdict = .fail
            reason = "config: \(what)"
        case .fail:
            reason += "; config: \(what)"
        default:
            break
        }
    }
}
