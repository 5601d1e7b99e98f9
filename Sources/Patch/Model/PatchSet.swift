/// A parsed unified diff: what the model asked for, before it is checked against any tree.
public struct PatchSet: Sendable, Equatable {
    public var files: [FilePatch]
    /// Size of the diff text it was parsed from, for the size policy.
    public var byteCount: Int

    public init(files: [FilePatch], byteCount: Int) {
        self.files = files
        self.byteCount = byteCount
    }
}

/// The changes to one file. Paths are repository-relative with any `a/` `b/` prefix removed.
public struct FilePatch: Sendable, Equatable {
    /// The path before the change; nil when the file is created (`/dev/null`).
    public var oldPath: String?
    /// The path after the change; nil when the file is deleted (`/dev/null`).
    public var newPath: String?
    /// Git modes from `old mode` / `deleted file mode`, and `new mode` / `new file mode`, as written.
    public var oldMode: String?
    public var newMode: String?
    public var isNewFile = false
    public var isDeletion = false
    public var isRename = false
    public var isCopy = false
    public var isBinary = false
    /// Whether every path header carried the conventional `a/` `b/` prefix.
    public var hadPrefixes = true
    public var hunks: [Hunk] = []
    /// 1-based line of the diff where this file's header starts.
    public var diffLine: Int

    public init(oldPath: String?, newPath: String?, diffLine: Int) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.diffLine = diffLine
    }

    /// The path to name in messages: the new path, or the old one for deletions.
    public var displayPath: String { newPath ?? oldPath ?? "(unnamed)" }
}

/// One `@@` hunk as written, with its header numbers as declared (which may be wrong).
public struct Hunk: Sendable, Equatable {
    /// Declared `-oldStart,oldCount +newStart,newCount`; nil when the header had no numbers (`@@ @@`).
    public var oldStart: Int?
    public var oldCount: Int?
    public var newStart: Int?
    public var newCount: Int?
    public var lines: [HunkLine]
    /// 1-based line of the `@@` header in the diff.
    public var diffLine: Int
    /// Diff lines read as context although they lacked the leading space.
    public var unmarkedContextLines: [Int] = []

    public init(oldStart: Int?, oldCount: Int?, newStart: Int?, newCount: Int?, lines: [HunkLine], diffLine: Int) {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
        self.lines = lines
        self.diffLine = diffLine
    }

    /// The lines the hunk expects in the file: context and removed lines, in order.
    public var oldLines: [String] { lines.filter { $0.kind != .added }.map(\.text) }
    public var bodyOldCount: Int { lines.count { $0.kind != .added } }
    public var bodyNewCount: Int { lines.count { $0.kind != .removed } }
    /// Whether the header counts agree with the body (the check `unidiff` makes).
    public var countsMatchBody: Bool { oldCount == bodyOldCount && newCount == bodyNewCount }
}

/// One body line of a hunk.
public struct HunkLine: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case context, removed, added }
    public var kind: Kind
    public var text: String
    /// A `\ No newline at end of file` marker followed this line.
    public var noNewline = false

    public init(_ kind: Kind, _ text: String, noNewline: Bool = false) {
        self.kind = kind
        self.text = text
        self.noNewline = noNewline
    }
}
