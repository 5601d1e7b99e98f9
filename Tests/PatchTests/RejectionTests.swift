import Foundation
import Patch
import TestSupport
import Testing

/// Diffs that cannot be placed with certainty are refused with a message a model can act on.
@Suite(.timeLimit(.minutes(2))) struct RejectionTests {
    @Test func hallucinatedContextIsRejected() throws {
        let model =
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -25,4 +25,4 @@\n     [1, 3]\n     \"\"\"\n-    return filterfalse(predicate, seq)\n+    return filterfalse(predicate, list(seq))\n     # this comment is not in the file\n"
        let error = try expectRejected(model, against: Bases.toolz(), rule: "context-not-found")
        #expect(error?.path == "toolz/itertoolz.py")
        #expect(error?.hunk == 1)
        #expect(error?.line == 3)
        #expect(error?.message.contains("# this comment is not in the file") == true)
    }

    @Test func contextInTheWrongOrderIsRejected() throws {
        let model =
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -27,3 +27,3 @@\n def remove(predicate, seq):\n-    return filterfalse(predicate, seq)\n+    return filterfalse(predicate, list(seq))\n"
        let error = try expectRejected(model, against: Bases.toolz(), rule: "context-not-found")
        #expect(error?.message.contains("not together") == true)
    }

    /// A base where one block of lines appears twice.
    static func duplicatedBlockBase() throws -> (base: URL, secondCopyLine: Int) {
        let block = "\n\ndef twice(x):\n    y = x + 1\n    return y\n"
        let base = try Bases.derived(from: Bases.toolz()) { root in
            try replace(
                "\n\ndef second(seq):", with: block + "\n\ndef second(seq):", in: "toolz/itertoolz.py", at: root)
            try replace(
                "\n\ndef nth(n, seq):", with: block + "\n\ndef nth(n, seq):", in: "toolz/itertoolz.py", at: root)
        }
        let lines = try String(contentsOf: base.appendingPathComponent("toolz/itertoolz.py"), encoding: .utf8)
            .components(separatedBy: "\n")
        let second = lines.indices.filter { lines[$0] == "def twice(x):" }[1]
        return (base, second + 1)
    }

    @Test func ambiguousContextIsRejected() throws {
        let (base, line) = try Self.duplicatedBlockBase()
        defer { try? FileManager.default.removeItem(at: base) }
        let hunk = { (start: Int) in
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -\(start),3 +\(start),3 @@\n def twice(x):\n-    y = x + 1\n+    y = x + 2\n     return y\n"
        }
        for wrong in [line - 5, line + 3, 1] {
            let error = try expectRejected(hunk(wrong), against: base, rule: "ambiguous-context")
            #expect(error?.message.contains("more than once") == true)
        }
        try expectRejected(
            hunk(line).replacingOccurrences(of: "@@ -\(line),3 +\(line),3 @@", with: "@@ @@"), against: base,
            rule: "ambiguous-context")
        // At the declared line the lines are there, so the place is certain.
        let scenario = try Scenario(base: base) { root in
            let url = root.appendingPathComponent("toolz/itertoolz.py")
            var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
            lines[line] = "    y = x + 2"
            try lines.joined(separator: "\n").write(to: url, atomically: false, encoding: .utf8)
        }
        try expectApplies(hunk(line), scenario, repaired: false)
    }

    @Test func exactCopyElsewhereAndDriftedCopyAtTheDeclaredLineIsAmbiguous() throws {
        let base = try Bases.derived(from: Bases.toolz()) { root in
            try "def f():\n    y = 1\n    z = 2\n    return y\n\n\nTEMPLATE = '''\n  y = 1\n  z = 2\n  return y\n'''\n"
                .write(to: root.appendingPathComponent("toolz/twin.py"), atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: base) }
        // Declared at line 2 (the 4-space copy) but written with the 2-space copy's exact text.
        let model =
            "--- a/toolz/twin.py\n+++ b/toolz/twin.py\n@@ -2,3 +2,3 @@\n   y = 1\n-  z = 2\n+  z = 3\n   return y\n"
        let error = try expectRejected(model, against: base, rule: "ambiguous-context")
        #expect(error?.message.contains("line 8") == true)
    }

    @Test func missingFilesAreRejected() throws {
        let error = try expectRejected(
            SafetyTests.modification("toolz/nothere.py"), against: Bases.toolz(), rule: "file-missing")
        #expect(error?.path == "toolz/nothere.py")
        let misplaced = try expectRejected(
            SafetyTests.modification("toolz-1.2.0/toolz/utils.py"), against: Bases.toolz(), rule: "file-missing")
        #expect(misplaced?.message.contains("did you mean `toolz/utils.py`?") == true, "\(misplaced?.message ?? "")")
        try expectRejected(
            "diff --git a/toolz/nothere.py b/toolz/nothere.py\ndeleted file mode 100644\n", against: Bases.toolz(),
            rule: "file-missing")
    }

    @Test func existingFilesAreNotCreated() throws {
        try expectRejected(SafetyTests.creation("toolz/utils.py"), against: Bases.toolz(), rule: "file-exists")
        let renameOnto =
            "diff --git a/toolz/recipes.py b/toolz/utils.py\nsimilarity index 100%\nrename from toolz/recipes.py\nrename to toolz/utils.py\n"
        try expectRejected(renameOnto, against: Bases.toolz(), rule: "file-exists")
    }

    @Test func hallucinatedDeletionIsRejected() throws {
        let model =
            "diff --git a/toolz/utils.py b/toolz/utils.py\ndeleted file mode 100644\n--- a/toolz/utils.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def raises(err, lamda):\n-    pass\n"
        try expectRejected(model, against: Bases.toolz(), rule: "context-not-found")
    }

    @Test func overlappingHunksAreRejected() throws {
        let hunk =
            "@@ -27 +27 @@\n-    return filterfalse(predicate, seq)\n+    return filterfalse(predicate, list(seq))\n"
        let model = "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n" + hunk + hunk
        try expectRejected(model, against: Bases.toolz(), rule: "overlapping-hunks")
    }

    @Test func pathsTouchedTwiceInConflictingWaysAreRejected() throws {
        let model =
            SafetyTests.modification("toolz/utils.py")
            + "diff --git a/toolz/utils.py b/toolz/utils2.py\nrename from toolz/utils.py\nrename to toolz/utils2.py\n"
        try expectRejected(model, against: Bases.toolz(), rule: "duplicate-path")
    }

    @Test func errorsDescribeTheRule() throws {
        let error = try expectRejected(
            SafetyTests.modification("toolz/nothere.py"), against: Bases.toolz(), rule: "file-missing")
        #expect(error?.description.hasPrefix("patch rejected (file-missing): toolz/nothere.py") == true)
    }
}
