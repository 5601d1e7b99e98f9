import Foundation
import Patch
import TestSupport
import Testing

/// Each repair case: git's diff of an intended change, perturbed the way models get it wrong, must be
/// repaired into a canonical diff that `git apply` takes and that gives exactly the intended tree.
@Suite(.timeLimit(.minutes(2))) struct RepairTests {
    /// Two hunks in itertoolz.py and one in dicttoolz.py, far enough apart to stay separate hunks.
    static func threeHunks() throws -> Scenario {
        try Scenario(base: Bases.toolz()) { root in
            try replace(
                "    return filterfalse(predicate, seq)", with: "    return filterfalse(predicate, iter(seq))",
                in: "toolz/itertoolz.py", at: root)
            try replace(
                "    return itertools.islice(seq, n, None)",
                with: "    # skip the first n items\n    return itertools.islice(seq, n, None)",
                in: "toolz/itertoolz.py", at: root)
            try replace(
                "    return tuple(heapq.nlargest(k, seq, key=key))",
                with: "    result = heapq.nlargest(k, seq, key=key)\n    return tuple(result)",
                in: "toolz/itertoolz.py", at: root)
            try replace(
                "def merge(*dicts, **kwargs):", with: "def merge(*dicts, **kwargs):  # noqa: D401",
                in: "toolz/dicttoolz.py", at: root)
        }
    }

    @Test func exactDiffAppliesWithoutRepair() throws {
        let scenario = try Self.threeHunks()
        let resolved = try expectApplies(scenario.diff, scenario, repaired: false)
        #expect(resolved?.files == ["toolz/dicttoolz.py", "toolz/itertoolz.py"])
        #expect(resolved?.linesAdded == 5)
        #expect(resolved?.linesRemoved == 3)
    }

    @Test(arguments: [1, -1, 3])
    func wrongHunkCountsAreRecounted(delta: Int) throws {
        let scenario = try Self.threeHunks()
        let resolved = try expectApplies(DiffText(scenario.diff).miscounting(by: delta).text, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("recounted") } == true)
    }

    @Test(arguments: [-20, -7, -3, 2, 5, 20])
    func lineNumbersOffAreRenumbered(offset: Int) throws {
        let scenario = try Self.threeHunks()
        let resolved = try expectApplies(
            DiffText(scenario.diff).shiftingLines(by: offset).text, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("renumbered") } == true)
    }

    @Test func missingPrefixesAreAdded() throws {
        let scenario = try Self.threeHunks()
        let plain = DiffText(scenario.diff).withoutPrefixes().text
        #expect(!plain.contains("a/toolz") && !plain.contains("diff --git"))
        let resolved = try expectApplies(plain, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("prefixes") } == true)
        #expect(
            resolved?.canonicalDiff.contains(
                "diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py\n--- a/toolz/itertoolz.py\n") == true)
    }

    @Test func fencedDiffWithProseIsExtracted() throws {
        let scenario = try Self.threeHunks()
        let answer =
            "Here is the change you asked for:\n\n```diff\n\(scenario.diff)```\n\nIt keeps behaviour the same.\n- no API change\n"
        try expectApplies(answer, scenario, repaired: false)
        // One fence per file, as models also write it.
        let files = DiffText(scenario.diff).files.map { DiffText.File(header: $0.header, hunks: $0.hunks) }
        let perFile = files.map { "First file:\n```patch\n" + DiffText(files: [$0]).text + "```\n" }.joined(
            separator: "\n")
        try expectApplies(perFile, scenario, repaired: false)
    }

    /// Every normalisation is listed in `repairs`, CRLF line ends included.
    @Test func crlfDiffIsNormalisedAndSaysSo() throws {
        let scenario = try Self.threeHunks()
        let resolved = try expectApplies(
            scenario.diff.replacingOccurrences(of: "\n", with: "\r\n"), scenario, repaired: true)
        #expect(
            resolved?.repairs == [
                "the diff's lines ended in CRLF; read them as LF (a CRLF file's added lines get CRLF again)"
            ])
        let fenced =
            "Here it is:\r\n```diff\r\n" + scenario.diff.replacingOccurrences(of: "\n", with: "\r\n") + "```\r\n"
        try expectApplies(fenced, scenario, repaired: true)
    }

    @Test func crlfFileKeepsItsLineEndings() throws {
        let base = try Bases.derived(from: Bases.toolz()) { root in
            let url = root.appendingPathComponent("toolz/utils.py")
            let text = try String(contentsOf: url, encoding: .utf8)
            try text.replacingOccurrences(of: "\n", with: "\r\n").write(to: url, atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: base) }
        let scenario = try Scenario(base: base) { root in
            try replace(
                "        return True\r\n", with: "        return True\r\n    finally:\r\n        pass\r\n",
                in: "toolz/utils.py", at: root)
        }
        // The model's answer arrives with LF endings only.
        try expectApplies(scenario.diff.replacingOccurrences(of: "\r", with: ""), scenario, repaired: false)
    }

    @Test func contextWhitespaceDriftIsTolerated() throws {
        let scenario = try Self.threeHunks()
        let drifted = DiffText(scenario.diff).driftingContextWhitespace().text
        #expect(drifted != scenario.diff)
        let resolved = try expectApplies(drifted, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("whitespace") } == true)
    }

    @Test func missingNoNewlineMarkerIsRestored() throws {
        let base = try Bases.derived(from: Bases.toolz()) { root in
            let url = root.appendingPathComponent("toolz/utils.py")
            let text = try String(contentsOf: url, encoding: .utf8)
            try String(text.dropLast()).write(to: url, atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: base) }
        let edits: [(old: String, new: String, rewritesLastLine: Bool)] = [
            ("no_default = '__no__default__'", "no_default = '__no_default__'", true),
            ("no_default = '__no__default__'", "no_default = '__no__default__'\nno_pad = '__no__pad__'", true),
            ("        return True\n", "        return True  # caught\n", false),
        ]
        for (old, new, rewritesLastLine) in edits {
            let scenario = try Scenario(base: base) { try replace(old, with: new, in: "toolz/utils.py", at: $0) }
            try expectApplies(scenario.diff, scenario, repaired: false)
            let stripped = DiffText(scenario.diff).withoutNoNewlineMarkers().text
            #expect(stripped.contains("No newline") == false)
            // Without markers each side is as the model wrote it: the old side lacked its marker (the base
            // has no final newline), and an added last line ends in the newline the diff gave it.
            let intended =
                rewritesLastLine
                ? try Scenario(base: base) { try replace(old, with: new + "\n", in: "toolz/utils.py", at: $0) }
                : scenario
            let resolved = try expectApplies(stripped, intended, repaired: stripped != scenario.diff)
            if rewritesLastLine {
                #expect(
                    resolved?.repairs.contains { $0.contains("keeps the newline") } == true,
                    "\(resolved?.repairs ?? [])")
                // The canonical diff says so with the old side's marker only, and is a fixed point.
                let canonical = try #require(resolved?.canonicalDiff)
                #expect(canonical.components(separatedBy: "No newline at end of file").count == 2, "\(canonical)")
                let again = try PatchEngine.prepare(canonical, against: base).get()
                #expect(again.canonicalDiff == canonical && again.repairs.isEmpty, "\(again.repairs)")
            }
        }
    }

    @Test func hunksOutOfOrderAreSorted() throws {
        let scenario = try Self.threeHunks()
        let resolved = try expectApplies(DiffText(scenario.diff).reversingHunks().text, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("out of order") } == true)
    }

    @Test func newFilesAreCreated() throws {
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try "def chunked(seq, n):\n    return [seq[i:i + n] for i in range(0, len(seq), n)]\n"
                .write(to: root.appendingPathComponent("toolz/chunks.py"), atomically: false, encoding: .utf8)
            try "#!/bin/sh\necho hi\n".write(
                to: root.appendingPathComponent("run.sh"), atomically: false, encoding: .utf8)
            try run(["chmod", "+x", root.appendingPathComponent("run.sh").path])
            _ = FileManager.default.createFile(
                atPath: root.appendingPathComponent("toolz/py.typed").path, contents: Data())
        }
        try expectApplies(scenario.diff, scenario, repaired: false)
        // Without `new file mode`/`diff --git`: the mode of run.sh is then lost, so test the Python file alone.
        let pythonOnly = try Scenario(base: Bases.toolz()) { root in
            try "def chunked(seq, n):\n    return [seq[i:i + n] for i in range(0, len(seq), n)]\n"
                .write(to: root.appendingPathComponent("toolz/chunks.py"), atomically: false, encoding: .utf8)
        }
        try expectApplies(DiffText(pythonOnly.diff).withoutPrefixes().text, pythonOnly, repaired: true)
        try expectApplies(
            DiffText(pythonOnly.diff).miscounting(by: 0).mapHunks { .init(header: "@@ -0,0 +1,7 @@", body: $0.body) }
                .text, pythonOnly, repaired: true)
        // A model that writes `--- a/PATH` for a file that does not exist yet.
        let asModification =
            "--- a/toolz/chunks.py\n+++ b/toolz/chunks.py\n@@ -0,0 +1,2 @@\n+def chunked(seq, n):\n+    return [seq[i:i + n] for i in range(0, len(seq), n)]\n"
        let resolved = try expectApplies(asModification, pythonOnly, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("created it as a new file") } == true)
    }

    @Test func deletionsRemoveFiles() throws {
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try FileManager.default.removeItem(at: root.appendingPathComponent("toolz/recipes.py"))
            try FileManager.default.removeItem(at: root.appendingPathComponent("toolz/sandbox/tests/__init__.py"))
        }
        try expectApplies(scenario.diff, scenario, repaired: false)
        let one = try Scenario(base: Bases.toolz()) {
            try FileManager.default.removeItem(at: $0.appendingPathComponent("toolz/recipes.py"))
        }
        try expectApplies(DiffText(one.diff).withoutPrefixes().shiftingLines(by: 3).text, one, repaired: true)
        // Only the header: delete whatever the file holds.
        let headerOnly =
            "diff --git a/toolz/recipes.py b/toolz/recipes.py\ndeleted file mode 100644\n"
            + "diff --git a/toolz/sandbox/tests/__init__.py b/toolz/sandbox/tests/__init__.py\ndeleted file mode 100644\n"
        try expectApplies(headerOnly, scenario, repaired: false)
    }

    @Test func deletingThenCreatingAFileReplacesIt() throws {
        let deletion = try Scenario(base: Bases.toolz()) {
            try FileManager.default.removeItem(at: $0.appendingPathComponent("toolz/recipes.py"))
        }
        let replaced = try Scenario(base: Bases.toolz()) { root in
            try "X = 1\n".write(to: root.appendingPathComponent("toolz/recipes.py"), atomically: false, encoding: .utf8)
        }
        let creation =
            "diff --git a/toolz/recipes.py b/toolz/recipes.py\nnew file mode 100644\n--- /dev/null\n+++ b/toolz/recipes.py\n@@ -0,0 +1 @@\n+X = 1\n"
        let resolved = try expectApplies(deletion.diff + creation, replaced, repaired: false)
        #expect(resolved?.files == ["toolz/recipes.py"])
        // The other way round git would refuse, so the engine does too.
        try expectRejected(creation + deletion.diff, against: Bases.toolz(), rule: "duplicate-path")
    }

    @Test func renamesMoveFiles() throws {
        let pure = try Scenario(base: Bases.toolz()) { root in
            try FixtureRepo.git(["mv", "toolz/recipes.py", "toolz/recipes_moved.py"], in: root)
        }
        #expect(pure.diff.contains("rename from toolz/recipes.py"))
        let resolved = try expectApplies(pure.diff, pure, repaired: false)
        #expect(resolved?.files == ["toolz/recipes_moved.py"])

        let edited = try Scenario(base: Bases.toolz()) { root in
            try FixtureRepo.git(["mv", "toolz/recipes.py", "toolz/recipes_moved.py"], in: root)
            try replace(
                "    return map(tuple, pluck(1, itertools.groupby(seq, key=func)))",
                with: "    groups = itertools.groupby(seq, key=func)\n    return map(tuple, pluck(1, groups))",
                in: "toolz/recipes_moved.py", at: root)
        }
        try expectApplies(edited.diff, edited, repaired: false)
        // Plain headers naming two paths mean a rename; line numbers off too.
        let plain = DiffText(edited.diff).withoutPrefixes().shiftingLines(by: -4).text
        #expect(plain.contains("--- toolz/recipes.py\n+++ toolz/recipes_moved.py\n"))
        try expectApplies(plain, edited, repaired: true)
    }

    @Test func bareHunkHeadersArePlacedByContent() throws {
        let scenario = try Self.threeHunks()
        let bare = DiffText(scenario.diff).mapHunks { .init(header: "@@ @@", body: $0.body) }.text
        try expectApplies(bare, scenario, repaired: true)
    }

    @Test func hunksSplitOverSectionsAreMerged() throws {
        let scenario = try Self.threeHunks()
        var text = DiffText(scenario.diff)
        let itertoolz = text.files[1]
        text.files[1].hunks = [itertoolz.hunks[0]]
        text.files.append(DiffText.File(header: itertoolz.header, hunks: Array(itertoolz.hunks.dropFirst())))
        let resolved = try expectApplies(text.text, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("merged") } == true)
    }

    @Test func missingTrailingContextIsSupplied() throws {
        // git would anchor a hunk without trailing context at the end of the file; the engine adds context.
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try replace(
                "    return filterfalse(predicate, seq)\n",
                with: "    return filterfalse(predicate, seq)\n    # end of remove\n", in: "toolz/itertoolz.py",
                at: root)
        }
        let model =
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -27,1 +27,2 @@\n     return filterfalse(predicate, seq)\n+    # end of remove\n"
        let resolved = try expectApplies(model, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("trailing context") } == true)
    }

    @Test func consistentlyDedentedHunkIsReindented() throws {
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try replace(
                "    return itertools.islice(seq, n)\n",
                with: "    seq = iter(seq)\n    return itertools.islice(seq, n)\n", in: "toolz/itertoolz.py", at: root)
        }
        // The model lost one level of indentation on every line, its added line included.
        let dedented = DiffText(scenario.diff).mapHunks { hunk in
            .init(
                header: hunk.header,
                body: hunk.body.map { line in
                    line.dropFirst().hasPrefix("    ") ? String(line.prefix(1) + line.dropFirst(5)) : line
                })
        }.text
        #expect(dedented.contains("\n+seq = iter(seq)\n"))
        let resolved = try expectApplies(dedented, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("re-indented") } == true)
    }

    @Test func blankLinesCountedIntoTheLastHunkAreIgnored() throws {
        let scenario = try Self.threeHunks()
        var text = DiffText(scenario.diff)
        let last = text.files[1].hunks.count - 1
        let (a, b, c, d) = DiffText.numbers(text.files[1].hunks[last].header)
        text.files[1].hunks[last].header = DiffText.header(a, b + 1, c, d + 1)
        let answer = "```diff\n" + text.text + "\n```\n"
        let resolved = try expectApplies(answer, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("blank lines") } == true)
    }

    @Test func modeChangesApply() throws {
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try run(["chmod", "+x", root.appendingPathComponent("toolz/utils.py").path])
        }
        #expect(scenario.diff.contains("new mode 100755"))
        try expectApplies(scenario.diff, scenario, repaired: false)
    }

    @Test func contextLinesWithoutTheirSpaceAreRead() throws {
        let scenario = try Scenario(base: Bases.toolz()) { root in
            try replace(
                "    \"\"\" Repeatedly apply binary function", with: "    \"\"\" Repeatedly apply a binary function",
                in: "toolz/itertoolz.py", at: root)
        }
        // The model dropped the space before the `def accumulate` context line, right before the change.
        let text = scenario.diff.replacingOccurrences(of: "\n def accumulate(", with: "\ndef accumulate(")
        #expect(text != scenario.diff)
        let resolved = try expectApplies(text, scenario, repaired: true)
        #expect(resolved?.repairs.contains { $0.contains("leading space") } == true, "\(resolved?.repairs ?? [])")
    }

    @Test func inflectionFixtureWorksToo() throws {
        let scenario = try Scenario(base: Bases.inflection()) { root in
            try replace("def camelize(", with: "def camelize(  # noqa\n", in: "inflection/__init__.py", at: root)
        }
        try expectApplies(
            DiffText(scenario.diff).shiftingLines(by: 9).miscounting(by: 1).text, scenario, repaired: true)
    }
}

extension DiffText {
    init(files: [File]) {
        self.files = files
    }
}
