import Foundation
import Patch

/// The agent's own look at the diff it is about to commit: the runner checked the model's diff, but what
/// comes back over the socket is parsed and held to the same patch policy again, against the checkout.
enum CanonicalDiffCheck {
    /// Why the diff may not be committed, or nil when it may.
    static func refusal(of canonicalDiff: String, in checkout: URL, policy: PatchPolicy) -> PatchError? {
        do throws(PatchError) {
            if canonicalDiff.utf8.count > policy.maxBytes {
                throw PatchError(
                    rule: PatchRule.tooLarge.rawValue,
                    message: "the canonical diff is \(canonicalDiff.utf8.count) bytes")
            }
            try PatchEngine.validate(try PatchEngine.parse(canonicalDiff), policy: policy, tree: checkout)
            return nil
        } catch {
            return error
        }
    }
}
