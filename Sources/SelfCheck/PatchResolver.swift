import Foundation

/// A patch made ready to apply: repaired where needed, validated, canonical.
public struct PreparedPatch: Sendable {
    public var canonicalDiff: String
    public var files: [String]
    public var repairs: [String]
    public var linesAdded: Int
    public var linesRemoved: Int

    public init(canonicalDiff: String, files: [String], repairs: [String], linesAdded: Int, linesRemoved: Int) {
        self.canonicalDiff = canonicalDiff
        self.files = files
        self.repairs = repairs
        self.linesAdded = linesAdded
        self.linesRemoved = linesRemoved
    }
}

/// Why a patch was refused before anything ran: the safety rule or the parse/repair failure.
public struct PatchRejection: Error, Sendable {
    public var rule: String
    public var message: String
    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }
}

/// Turns what the model wrote into a canonical diff against the checkout, or refuses it.
/// Runs in the runner process: it only reads the checkout.
public protocol PatchResolver: Sendable {
    func prepare(_ modelText: String, against checkout: URL) -> Result<PreparedPatch, PatchRejection>
}
