import Foundation
import Patch

/// The production `PatchResolver`: the patch engine's extract → parse → validate → resolve ladder.
public struct PatchEngineResolver: PatchResolver {
    public var policy: PatchPolicy
    public init(policy: PatchPolicy = .init()) { self.policy = policy }

    public func prepare(_ modelText: String, against checkout: URL) -> Result<PreparedPatch, PatchRejection> {
        switch PatchEngine.prepare(modelText, against: checkout, policy: policy) {
        case .success(let resolved):
            .success(PreparedPatch(canonicalDiff: resolved.canonicalDiff, files: resolved.files, repairs: resolved.repairs,
                                   linesAdded: resolved.linesAdded, linesRemoved: resolved.linesRemoved))
        case .failure(let error):
            .failure(PatchRejection(rule: error.rule, message: error.description))
        }
    }
}
