import Foundation
import Patch

/// Turns what the model wrote into a canonical diff against the checkout, or refuses it with the rule.
/// Runs in the runner process and only reads the checkout. Production uses the patch engine;
/// unit tests may plug in something simpler.
public protocol PatchResolver: Sendable {
    func prepare(_ modelText: String, against checkout: URL) -> Result<ResolvedPatch, PatchError>
}

/// The production resolver: the patch engine's extract → parse → validate → resolve ladder.
public struct PatchEngineResolver: PatchResolver {
    public var policy: PatchPolicy
    public init(policy: PatchPolicy = .init()) { self.policy = policy }

    public func prepare(_ modelText: String, against checkout: URL) -> Result<ResolvedPatch, PatchError> {
        PatchEngine.prepare(modelText, against: checkout, policy: policy)
    }
}
