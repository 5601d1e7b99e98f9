/// Why a patch was refused. A value the caller can log, count by `rule`, and show to the model on a retry.
public struct PatchError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Stable machine name of the broken rule; see `PatchRule` and docs/patch.md.
    public var rule: String
    /// The repository-relative path concerned, when there is one.
    public var path: String?
    /// The 1-based hunk number within the file, when one hunk is at fault.
    public var hunk: Int?
    /// The 1-based line of the (extracted) diff where the problem is.
    public var line: Int?
    /// A complete sentence or two naming the problem and how to fix it, fit to show a language model.
    public var message: String

    public init(rule: String, path: String? = nil, hunk: Int? = nil, line: Int? = nil, message: String) {
        self.rule = rule
        self.path = path
        self.hunk = hunk
        self.line = line
        self.message = message
    }

    init(_ rule: PatchRule, path: String? = nil, hunk: Int? = nil, line: Int? = nil, _ message: String) {
        self.init(rule: rule.rawValue, path: path, hunk: hunk, line: line, message: message)
    }

    public var description: String { "patch rejected (\(rule)): \(message)" }
}

/// Every rule a patch can break. The raw values are the stable `PatchError.rule` names.
public enum PatchRule: String, Sendable, CaseIterable {
    // Shape of the input.
    case empty
    case parse
    case unsupported
    // Safety policy: refused before anything touches a file.
    case absolutePath = "absolute-path"
    case dotDot = "dot-dot"
    case gitDir = "git-dir"
    case protectedPath = "protected-path"
    case badPath = "bad-path"
    case symlink
    case binary
    case specialFile = "special-file"
    case symlinkEscape = "symlink-escape"
    case tooManyFiles = "too-many-files"
    case tooLarge = "too-large"
    // Resolution against the base tree.
    case fileMissing = "file-missing"
    case fileExists = "file-exists"
    case duplicatePath = "duplicate-path"
    case contextNotFound = "context-not-found"
    case ambiguousContext = "ambiguous-context"
    case overlappingHunks = "overlapping-hunks"
    case applyCheck = "apply-check"
}
