import Foundation

/// A diff that `git apply` takes as is against the base tree, with what was repaired to get there.
public struct ResolvedPatch: Sendable, Equatable {
    /// `diff --git` text with exact counts; `git apply --check` accepted it against the tree.
    public var canonicalDiff: String
    /// Repository-relative paths the patch touches (the new path of a rename, the old one of a deletion).
    public var files: [String]
    /// What was repaired, in words; empty when the diff applied exactly as written.
    public var repairs: [String]
    public var repaired: Bool { !repairs.isEmpty }
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

/// Turns a model's answer into a safe, canonical diff for the base tree, or says why it cannot.
///
/// Nothing here writes to the tree: files are read, and `git apply --check` runs in it. Calls block while
/// git runs (a few milliseconds); call from a thread that may block.
public enum PatchEngine {
    /// The diff in a model's answer: fences and prose removed, CRLF made LF.
    public static func extract(_ modelText: String) -> String {
        Extraction.extract(modelText)
    }

    /// Parses a unified diff (git or traditional headers, with or without `a/` `b/` prefixes).
    /// - Throws: `empty` when there is no diff, `parse` with the diff line when it is malformed.
    public static func parse(_ diffText: String) throws(PatchError) -> PatchSet {
        guard diffText.contains(where: { !$0.isWhitespace }) else {
            throw PatchError(.empty, "The answer holds no diff.")
        }
        return try DiffParser.parse(diffText)
    }

    /// Applies the safety policy: limits, path spelling, modes, binary data, symlinks and special files
    /// in the tree (looked at with `lstat`, never followed).
    /// - Throws: the first rule broken, naming the path.
    public static func validate(_ patch: PatchSet, policy: PatchPolicy, tree: URL) throws(PatchError) {
        try Validation.validate(patch, policy: policy, tree: tree)
    }

    /// Runs the repair ladder against the files of `tree` and confirms the result with `git apply --check`.
    /// - Throws: `file-missing`, `file-exists`, `context-not-found`, `ambiguous-context`, … (docs/patch.md).
    public static func resolve(_ patch: PatchSet, against tree: URL) throws(PatchError) -> ResolvedPatch {
        try Resolver.resolve(patch, against: tree)
    }

    /// extract → parse → validate → resolve, the one call the runner makes.
    public static func prepare(_ modelText: String, against tree: URL, policy: PatchPolicy = .init()) -> Result<
        ResolvedPatch, PatchError
    > {
        do throws(PatchError) {
            let diff = extract(modelText)
            // Refuse oversized input before spending time parsing it.
            if diff.utf8.count > policy.maxBytes {
                throw PatchError(
                    .tooLarge,
                    "The diff is \(diff.utf8.count) bytes, more than the limit of \(policy.maxBytes); make a smaller change."
                )
            }
            let patch = try parse(diff)
            try validate(patch, policy: policy, tree: tree)
            var resolved = try Resolver.resolve(patch, against: tree, validated: true)
            resolved.repairs = Extraction.normalisations(modelText) + resolved.repairs
            return .success(resolved)
        } catch {
            return .failure(error)
        }
    }
}
