import Foundation

/// A fixture (toolz by default) served read-write by `git daemon` on loopback from a bare clone: the
/// remote an agent fetches from and pushes `agt/<id>` to, plus ground-truth diffs against toolz.
public final class ServedFixture: @unchecked Sendable {
    public let fixture: FixtureRepo
    /// A fresh directory; the bare repository is in `served/` below it, the rest is the caller's.
    public let root: URL
    public let daemon: GitDaemon
    /// The fixture's name, e.g. `toolz`; served as `<name>.git`.
    public let name: String
    public var remote: String { daemon.url("\(name).git") }
    public var bare: URL { root.appendingPathComponent("served/\(name).git") }

    /// - Parameter name: a fixture of `FixtureRepo.available`.
    public init(_ name: String = "toolz") throws {
        self.name = name
        fixture = try FixtureRepo.make(name)
        root = try makeTemporaryDirectory("agent")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("served"), withIntermediateDirectories: true)
        try run([
            "git", "clone", "-q", "--bare", fixture.root.path, root.appendingPathComponent("served/\(name).git").path,
        ])
        daemon = try GitDaemon(basePath: root.appendingPathComponent("served"))
    }

    /// `git` against the server's bare repository; standard output, trimmed.
    public func served(_ arguments: [String]) throws -> String {
        try run(["git"] + arguments, in: bare).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() {
        daemon.stop()
        fixture.remove()
        try? FileManager.default.removeItem(at: root)
    }

    /// Adds `total_length` to toolz, black- and ruff-clean: passes the self-check.
    public var goodDiff: String {
        get throws {
            try fixture.diff {
                try append(
                    "\n\ndef total_length(seqs):\n    \"\"\"Sum of the lengths.\"\"\"\n    return sum(len(s) for s in seqs)\n",
                    to: "toolz/itertoolz.py", in: $0)
            }
        }
    }

    /// Adds a test to toolz that fails: the self-check fails at pytest naming `test_total_length`.
    public var testBreakingDiff: String {
        get throws {
            try fixture.diff {
                try append(
                    "\n\ndef test_total_length():\n    assert raises(ZeroDivisionError, lambda: 1)\n",
                    to: "toolz/tests/test_utils.py", in: $0)
            }
        }
    }
}
