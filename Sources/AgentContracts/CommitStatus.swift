/// Status values of `CommitResult.status`, as the original design spells them.
public enum CommitStatus: String, Sendable, CaseIterable {
    case success = "SUCCESS"
    case softFail = "SOFT_FAIL"
    case hardFail = "HARD_FAIL"
}
