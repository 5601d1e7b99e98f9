import Foundation
import Patch
import TestSupport
import Testing

/// Unsafe shapes are refused by rule, naming the path, before any file is read or changed.
@Suite(.timeLimit(.minutes(2))) struct SafetyTests {
    static func modification(_ path: String) -> String {
        "--- a/\(path)\n+++ b/\(path)\n@@ -1 +1 @@\n-x\n+y\n"
    }

    static func creation(_ path: String) -> String {
        "--- /dev/null\n+++ b/\(path)\n@@ -0,0 +1 @@\n+evil\n"
    }

    @Test func absolutePathsAreRefused() throws {
        let base = try Bases.toolz()
        let error = try expectRejected(
            "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-root\n+evil\n", against: base, rule: "absolute-path")
        #expect(error?.path == "/etc/passwd")
        try expectRejected(
            "diff --git a//etc/hosts b//etc/hosts\nnew file mode 100644\n--- /dev/null\n+++ b//etc/hosts\n@@ -0,0 +1 @@\n+x\n",
            against: base, rule: "absolute-path")
    }

    @Test(arguments: ["../outside.py", "toolz/../../outside.py", "toolz/.."])
    func dotDotIsRefused(path: String) throws {
        let error = try expectRejected(Self.creation(path), against: Bases.toolz(), rule: "dot-dot")
        #expect(error?.path == path)
    }

    @Test(arguments: [".git/config", ".GIT/hooks/pre-commit", "toolz/.git/HEAD"])
    func gitDirectoryIsRefused(path: String) throws {
        try expectRejected(Self.creation(path), against: Bases.toolz(), rule: "git-dir")
        try expectRejected(Self.modification(path), against: Bases.toolz(), rule: "git-dir")
    }

    @Test func symlinksAreRefused() throws {
        let base = try Bases.toolz()
        let create =
            "diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n"
        #expect(try expectRejected(create, against: base, rule: "symlink")?.path == "link")
        let modeChange = "diff --git a/toolz/utils.py b/toolz/utils.py\nold mode 100644\nnew mode 120000\n"
        try expectRejected(modeChange, against: base, rule: "symlink")
        // A symlink already in the tree, even one pointing inside it, is not patched through.
        let withLink = try Bases.derived(from: base) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("utils_link.py").path, withDestinationPath: "toolz/utils.py")
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("pkg").path, withDestinationPath: "toolz")
        }
        defer { try? FileManager.default.removeItem(at: withLink) }
        try expectRejected(Self.modification("utils_link.py"), against: withLink, rule: "symlink")
        try expectRejected(Self.creation("pkg/new.py"), against: withLink, rule: "symlink")
    }

    @Test func symlinkEscapesAreRefused() throws {
        let outside = try makeTemporaryDirectory("outside")
        defer { try? FileManager.default.removeItem(at: outside) }
        let base = try Bases.derived(from: Bases.toolz()) { root in
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("out").path, withDestinationPath: outside.path)
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("toolz/up").path, withDestinationPath: "../../..")
            try FileManager.default.createSymbolicLink(
                atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "/nonexistent/place")
        }
        defer { try? FileManager.default.removeItem(at: base) }
        let error = try expectRejected(Self.creation("out/evil.py"), against: base, rule: "symlink-escape")
        #expect(error?.path == "out/evil.py")
        try expectRejected(Self.creation("toolz/up/evil.py"), against: base, rule: "symlink-escape")
        try expectRejected(Self.modification("dangling"), against: base, rule: "symlink-escape")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    @Test func binaryPatchesAreRefused() throws {
        let base = try Bases.toolz()
        let gitBinary =
            "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1111111\nGIT binary patch\nliteral 4\nLcmZQzU|;|M00aO5\n\nliteral 0\nHcmV?d00001\n\n"
        #expect(try expectRejected(gitBinary, against: base, rule: "binary")?.path == "logo.png")
        let summary =
            "diff --git a/logo.png b/logo.png\nindex 1111111..2222222 100644\nBinary files a/logo.png and b/logo.png differ\n"
        try expectRejected(summary, against: base, rule: "binary")
        // A text hunk against a file that holds NUL bytes.
        let withBinary = try Bases.derived(from: base) { root in
            try Data([0x78, 0x00, 0x0A]).write(to: root.appendingPathComponent("blob.dat"))
        }
        defer { try? FileManager.default.removeItem(at: withBinary) }
        try expectRejected(Self.modification("blob.dat"), against: withBinary, rule: "binary")
    }

    @Test func specialFilesAreRefused() throws {
        let base = try Bases.toolz()
        let submodule =
            "diff --git a/vendor b/vendor\nnew file mode 160000\nindex 0000000..1234567\n--- /dev/null\n+++ b/vendor\n@@ -0,0 +1 @@\n+Subproject commit 1234567\n"
        try expectRejected(submodule, against: base, rule: "special-file")
        let device = "diff --git a/dev b/dev\nnew file mode 020644\n--- /dev/null\n+++ b/dev\n@@ -0,0 +1 @@\n+x\n"
        try expectRejected(device, against: base, rule: "special-file")
        try expectRejected(Self.modification("toolz"), against: base, rule: "special-file")
        let withFifo = try copyTree(base)
        defer { try? FileManager.default.removeItem(at: withFifo) }
        try run(["mkfifo", withFifo.appendingPathComponent("toolz/pipe").path])
        let error = try expectRejected(Self.modification("toolz/pipe"), against: withFifo, rule: "special-file")
        #expect(error?.path == "toolz/pipe")
    }

    @Test func tooManyFilesAreRefused() throws {
        let diff = ["a.py", "b.py", "c.py"].map(Self.creation).joined()
        try expectRejected(diff, against: Bases.toolz(), rule: "too-many-files", policy: PatchPolicy(maxFiles: 2))
    }

    @Test func tooLargeDiffsAreRefused() throws {
        let diff = Self.creation("big.py") + String(repeating: "+x = 1\n", count: 50)
        try expectRejected(diff, against: Bases.toolz(), rule: "too-large", policy: PatchPolicy(maxBytes: 100))
    }

    @Test(arguments: ["", "   \n", "I could not find a fix for this.", "```diff\n```\n"])
    func emptyAnswersAreRefused(answer: String) throws {
        try expectRejected(answer, against: Bases.toolz(), rule: "empty")
    }

    @Test func policyRulesComeBeforeTheTreeIsRead() throws {
        // validate() alone refuses without resolving: a path under .git never reaches the file system.
        let patch = try PatchEngine.parse(Self.modification(".git/config"))
        #expect(throws: PatchError.self) { try PatchEngine.validate(patch, policy: .init(), tree: Bases.toolz()) }
        // resolve() checks paths again, so calling it without validate() is still safe.
        let base = try Bases.toolz()
        do throws(PatchError) {
            _ = try PatchEngine.resolve(patch, against: base)
            Issue.record("resolve accepted a .git path")
        } catch {
            #expect(error.rule == "git-dir")
        }
    }
}
