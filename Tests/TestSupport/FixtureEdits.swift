import Foundation

extension FixtureRepo {
    /// Edits a scratch copy of the checkout and returns `git diff` of the edit: ground-truth diffs.
    public func diff(_ edit: (URL) throws -> Void) throws -> String {
        let scratch = try makeTemporaryDirectory("edit")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let copy = scratch.appendingPathComponent("repo")
        try run(["cp", "-a", root.path, copy.path])
        try edit(copy)
        try run(["git", "add", "-A"], in: copy)
        return try run(["git", "diff", "--cached"], in: copy).stdout
    }
}

extension FixtureRepo {
    /// For toolz: adds a test that sleeps for an hour, so a check stays in pytest until it is stopped.
    public var sleepingTestDiff: String {
        get throws {
            try diff {
                try append(
                    "\n\ndef test_sleeps_forever():\n    import time\n\n    time.sleep(3600)\n",
                    to: "toolz/tests/test_utils.py", in: $0)
            }
        }
    }
}

public struct EditError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Appends `text` to the file at `path` below `root`.
public func append(_ text: String, to path: String, in root: URL) throws {
    let handle = try FileHandle(forWritingTo: root.appendingPathComponent(path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
}

/// Replaces the one occurrence of `old` in `path` below `root`; throws unless there is exactly one.
public func replace(_ old: String, with new: String, in path: String, at root: URL) throws {
    let url = root.appendingPathComponent(path)
    let text = try String(contentsOf: url, encoding: .utf8)
    let parts = text.components(separatedBy: old)
    guard parts.count == 2 else {
        throw EditError(message: "\(old.debugDescription) occurs \(parts.count - 1) times in \(path)")
    }
    try parts.joined(separator: new).write(to: url, atomically: false, encoding: .utf8)
}
