import Patch
import Testing

/// The parser reports what `unidiff` checks, with the file, hunk and diff line.
@Suite struct ParserTests {
    @Test func headerCountsAreCheckedAgainstBodies() throws {
        let patch = try PatchEngine.parse(
            "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n@@ -10,2 +10,4 @@\n e\n+f\n")
        #expect(patch.files.count == 1)
        let hunks = patch.files[0].hunks
        #expect(hunks.map(\.countsMatchBody) == [true, false])
        #expect(hunks[1].bodyOldCount == 1 && hunks[1].bodyNewCount == 2)
        #expect(hunks[1].oldStart == 10 && hunks[1].diffLine == 8)
    }

    @Test func malformedHunkHeaderNamesItsLine() throws {
        let diff = "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n@@ -x,1 +1 @@\n-d\n"
        #expect { try PatchEngine.parse(diff) } throws: { error in
            let error = error as! PatchError
            return error.rule == "parse" && error.line == 7 && error.hunk == 2 && error.path == "x.py"
                && error.message.contains("Line 7")
        }
    }

    @Test func hunkBeforeAnyFileIsAnError() throws {
        #expect { try PatchEngine.parse("@@ -1 +1 @@\n-a\n+b\n") } throws: { ($0 as! PatchError).rule == "parse" }
    }

    @Test func newFileHunksMayOnlyAdd() throws {
        let diff = "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n context\n+added\n"
        #expect { try PatchEngine.parse(diff) } throws: { error in
            let error = error as! PatchError
            return error.rule == "parse" && error.path == "new.py" && error.hunk == 1
        }
    }

    @Test func hunkWithoutChangesIsAnError() throws {
        #expect { try PatchEngine.parse("--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a\n b\n") } throws: {
            ($0 as! PatchError).rule == "parse"
        }
    }

    @Test func headersAndPathsAreRead() throws {
        let diff = """
            --- ./plain.py\t2024-01-01 10:00:00
            +++ ./plain.py\t2024-01-02 10:00:00
            @@ -3,0 +4 @@
            +x
            diff --git "a/dir/with space.py" "b/dir/with space.py"
            index 1111111..2222222 100644
            --- "a/dir/with space.py"
            +++ "b/dir/with space.py"
            @@ -1 +1 @@
            -a
            +b
            diff --git a/old.py b/new.py
            similarity index 90%
            rename from old.py
            rename to new.py
            diff --git a/run.sh b/run.sh
            old mode 100644
            new mode 100755

            """
        let patch = try PatchEngine.parse(diff)
        try #require(patch.files.count == 4)
        #expect(patch.files.map(\.oldPath) == ["plain.py", "dir/with space.py", "old.py", "run.sh"])
        #expect(patch.files.map(\.newPath) == ["plain.py", "dir/with space.py", "new.py", "run.sh"])
        #expect(patch.files[2].isRename)
        #expect(patch.files[3].newMode == "100755")
        #expect(patch.files.map(\.hadPrefixes) == [false, true, true, true])
        #expect(patch.files[0].hunks[0].lines == [HunkLine(.added, "x")])
    }

    @Test func trailingBlankLinesAndProseAreNotHunkLines() throws {
        let diff = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\n\nThat is the whole change.\n"
        let hunk = try PatchEngine.parse(diff).files[0].hunks[0]
        #expect(hunk.lines.map(\.kind) == [.context, .removed, .added])
        #expect(hunk.countsMatchBody)
    }

    @Test func aRemovedLineStartingWithDashesIsNotAFileHeader() throws {
        let diff = "--- a/x.md\n+++ b/x.md\n@@ -1,3 +1,3 @@\n a\n--- b\n+++ c\n d\n"
        let patch = try PatchEngine.parse(diff)
        #expect(patch.files.count == 1)
        #expect(patch.files[0].hunks[0].lines.map(\.text) == ["a", "-- b", "++ c", "d"])
    }

    @Test func unmarkedLinesInsideAHunkAreContext() throws {
        let diff = "--- a/x.py\n+++ b/x.py\n@@ -1,4 +1,4 @@\n a\nb\n-c\n+d\n e\nThanks!\n"
        let hunk = try PatchEngine.parse(diff).files[0].hunks[0]
        #expect(hunk.lines.map(\.text) == ["a", "b", "c", "d", "e"])
        #expect(hunk.lines[1].kind == .context)
        #expect(hunk.unmarkedContextLines == [5])
    }

    @Test func noNewlineMarkersAttachToTheirLine() throws {
        let diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n"
        let lines = try PatchEngine.parse(diff).files[0].hunks[0].lines
        #expect(lines == [HunkLine(.removed, "a", noNewline: true), HunkLine(.added, "b")])
    }
}

/// What `extract` keeps from a model's answer.
@Suite struct ExtractionTests {
    @Test func fencesAndProseAreRemoved() {
        let answer = "Sure! The fix:\n\n```diff\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n```\nDone.\n"
        #expect(PatchEngine.extract(answer) == "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n")
    }

    @Test func fencesWithoutADiffAreIgnored() {
        let answer = "Run this:\n```sh\nmake\n```\nthen:\n~~~\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n~~~\n"
        #expect(PatchEngine.extract(answer) == "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n")
    }

    @Test func crlfBecomesLF() {
        #expect(PatchEngine.extract("diff --git a/x b/x\r\n--- a/x\r\n") == "diff --git a/x b/x\n--- a/x\n")
    }

    @Test func leadingProseOfABareDiffIsDropped() {
        #expect(
            PatchEngine.extract("Here:\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b")
                == "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    }

    @Test func anIndentedFenceLosesItsIndentation() {
        let answer =
            "1. Apply this:\n   ```diff\n   --- a/x\n   +++ b/x\n   @@ -1,2 +1,2 @@\n    a\n   -b\n   +c\n   ```\n"
        #expect(PatchEngine.extract(answer) == "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    }

    @Test func anUnclosedFenceRunsToTheEnd() {
        #expect(
            PatchEngine.extract("```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n") == "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n"
        )
    }
}
