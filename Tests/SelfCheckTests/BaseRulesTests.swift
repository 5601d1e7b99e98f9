import Contracts
import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// The pieces that make black and ruff judge by the base's rules and by what the patch did: the diff's
/// line map, the lint judge on it, the configuration-change finder and the base configuration reader.
@Suite struct BaseRulesTests {
    /// RUF022 on a one-line `__all__` at the base; the patch rewrites it over several lines.
    static let allRewrite = """
        diff --git a/m.py b/m.py
        --- a/m.py
        +++ b/m.py
        @@ -1,5 +1,9 @@
         import os
        -__all__ = ("b", "a")
        +__all__ = (
        +    "b",
        +    "a",
        +    "c",
        +)
         
         x = 1
         y = 2
        @@ -20,2 +24,3 @@
         z = 3
        +__all__ += ("d", "e")
         w = 4
        """

    @Test func lineMapFollowsKeptLinesAndChangeBlocks() {
        let map = DiffLineMap(diff: Self.allRewrite)
        #expect(map.region(baseLine: 1, file: "m.py") == .base(1))
        #expect(map.region(patchedLine: 1, file: "m.py") == .base(1))
        #expect(map.region(baseLine: 2, file: "m.py") == map.region(patchedLine: 2, file: "m.py"))
        #expect(map.region(patchedLine: 6, file: "m.py") == map.region(baseLine: 2, file: "m.py"))
        #expect(map.region(patchedLine: 8, file: "m.py") == .base(4))
        // Between the hunks and after the last one, lines are shifted by what came before.
        #expect(map.region(patchedLine: 15, file: "m.py") == .base(11))
        #expect(map.region(patchedLine: 24, file: "m.py") == .base(20))
        #expect(map.region(patchedLine: 25, file: "m.py") != map.region(baseLine: 2, file: "m.py"))
        #expect(map.region(patchedLine: 26, file: "m.py") == .base(21))
        #expect(map.region(patchedLine: 40, file: "m.py") == .base(35))
        #expect(map.region(patchedLine: 7, file: "other.py") == .base(7))
    }

    @Test func aRemovedLineThatLooksLikeAHeaderStaysInItsHunk() {
        let map = DiffLineMap(diff: "--- a/m.sql\n+++ b/m.sql\n@@ -1,2 +1,2 @@\n--- old\n+-- new\n x\n")
        #expect(map.region(baseLine: 1, file: "m.sql") == map.region(patchedLine: 1, file: "m.sql"))
        #expect(map.region(patchedLine: 2, file: "m.sql") == .base(2))
    }

    @Test func aFindingOnARewrittenStatementIsPreexistingAndANewOneOfTheSameRuleIsNew() {
        let base = [
            LintFinding(code: "RUF022", file: "m.py", lineText: "__all__ = (\"b\", \"a\")", row: 2, message: "unsorted")
        ]
        let patched = [
            LintFinding(code: "RUF022", file: "m.py", lineText: "__all__ = (", row: 2, message: "unsorted"),
            LintFinding(
                code: "RUF022", file: "m.py", lineText: "__all__ += (\"d\", \"e\")", row: 25, message: "unsorted"),
        ]
        let judged = LintJudge.judge(patched: patched, base: base, diff: DiffLineMap(diff: Self.allRewrite))
        #expect(judged.preexisting.map(\.key) == ["RUF022 m.py: __all__ = ("])
        #expect(judged.new.map(\.key) == ["RUF022 m.py: __all__ += (\"d\", \"e\")"])
        // The statement's text changed: matched by text alone, the carried finding would have been new.
        #expect(patched[0].key != base[0].key)
    }

    @Test func aSecondFindingInTheSameRewriteIsNew() {
        let base = [LintFinding(code: "E501", file: "m.py", lineText: "__all__ = (\"b\", \"a\")", row: 2, message: "")]
        let patched = [
            LintFinding(code: "E501", file: "m.py", lineText: "\"b\",", row: 3, message: ""),
            LintFinding(code: "E501", file: "m.py", lineText: "\"a\",", row: 4, message: ""),
        ]
        let judged = LintJudge.judge(patched: patched, base: base, diff: DiffLineMap(diff: Self.allRewrite))
        #expect(judged.preexisting.count == 1)
        #expect(judged.new.count == 1)
    }

    // MARK: Configuration changes

    static func changes(_ diff: String, base: [String: String], patched: [String: String]) -> [Finding] {
        ConfigChanges.find(
            diff: diff, base: { base[$0].map { Data($0.utf8) } }, patched: { patched[$0].map { Data($0.utf8) } })
    }

    static func touching(_ path: String) -> String {
        "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n@@ -1 +1 @@\n-x\n+y\n"
    }

    static let pyproject = """
        [project]
        name = "p"
        description = "old"

        [tool.ruff]
        line-length = 100

        [tool.coverage.run]
        source = ["p"]
        """

    @Test func aToolSectionChangeIsAFindingAndOtherSectionsAreNot() {
        let changed = Self.pyproject.replacingOccurrences(of: "description = \"old\"", with: "description = \"new\"")
            .replacingOccurrences(of: "source = [\"p\"]", with: "source = [\"q\"]")
        #expect(
            Self.changes(
                Self.touching("pyproject.toml"), base: ["pyproject.toml": Self.pyproject],
                patched: ["pyproject.toml": changed]
            ).isEmpty)

        let relaxed =
            Self.pyproject
            + "\n\n[tool.ruff.lint]\nextend-ignore = [\n  \"F401\",\n]\n\n[tool.black]\nforce-exclude = \"m\"\n"
        let found = Self.changes(
            Self.touching("pyproject.toml"), base: ["pyproject.toml": Self.pyproject],
            patched: ["pyproject.toml": relaxed])
        #expect(found.map(\.key) == ["pyproject.toml [tool.black]", "pyproject.toml [tool.ruff.lint]"])
        #expect(found.allSatisfy { $0.kind == .config && $0.message.contains("adds") })
    }

    @Test func dottedKeysAndInlineTablesBelongToTheirTool() {
        let dotted = "tool.ruff.lint.ignore = [\"F401\"]\n" + Self.pyproject
        let inline = Self.pyproject + "\n[tool]\nblack = { force-exclude = \"m\" }\n"
        for patched in [dotted, inline] {
            let found = Self.changes(
                Self.touching("pyproject.toml"), base: ["pyproject.toml": Self.pyproject],
                patched: ["pyproject.toml": patched])
            #expect(found.count == 1, "\(found)")
        }
        // A comment or blank line in a tool section is not a change.
        let commented = Self.pyproject.replacingOccurrences(
            of: "line-length = 100", with: "# wide\nline-length = 100\n")
        #expect(
            Self.changes(
                Self.touching("pyproject.toml"), base: ["pyproject.toml": Self.pyproject],
                patched: ["pyproject.toml": commented]
            ).isEmpty)
    }

    @Test func iniSectionsAndWholeFiles() {
        let setup = "[metadata]\nname = p\n\n[tool:pytest]\naddopts = -q\n"
        let found = Self.changes(
            Self.touching("setup.cfg") + Self.touching("tox.ini") + Self.touching("sub/ruff.toml")
                + Self.touching("pytest.ini"),
            base: ["setup.cfg": setup, "tox.ini": "[tox]\nenvlist = py3\n", "pytest.ini": "[pytest]\n"],
            patched: [
                "setup.cfg": setup.replacingOccurrences(of: "addopts = -q", with: "addopts = -q --deselect x"),
                "tox.ini": "[tox]\nenvlist = py311\n",
                "sub/ruff.toml": "[lint]\nignore = [\"E\"]\n",
            ])
        #expect(found.map(\.key) == ["setup.cfg [tool:pytest]", "sub/ruff.toml", "pytest.ini"])
        #expect(
            found.map(\.message) == [
                "the patch changes [tool:pytest] in setup.cfg", "the patch adds sub/ruff.toml",
                "the patch removes pytest.ini",
            ])
    }

    @Test func aRenamedConfigurationFileIsSeenUnderItsOldName() {
        let rename =
            "diff --git a/ruff.toml b/notes.txt\nsimilarity index 100%\nrename from ruff.toml\nrename to notes.txt\n"
        let found = Self.changes(
            rename, base: ["ruff.toml": "line-length = 120\n"], patched: ["notes.txt": "line-length = 120\n"])
        #expect(found.map(\.key) == ["ruff.toml"])
    }

    @Test func fileLevelExemptionsAddedToPythonAreFindingsAndLineScopedOnesAreNot() {
        let diff = """
            diff --git a/m.py b/m.py
            --- a/m.py
            +++ b/m.py
            @@ -1,2 +1,8 @@
            +# ruff: noqa
            +#flake8:NOQA
            +# fmt: off
            +# isort: skip_file
            +import os  # noqa: F401
            +x = [1,2]  # fmt: skip
             a = 1
             b = 2
            """
        let found = Self.changes(diff, base: [:], patched: [:])
        #expect(
            found.map(\.key) == [
                "m.py: # ruff: noqa", "m.py: #flake8:NOQA", "m.py: # fmt: off", "m.py: # isort: skip_file",
            ])
        #expect(found.first?.message == "line 1 adds a file-level ruff exemption")
    }

    @Test func configFindingsFailThePassUnlessAllowedAndShowInEveryReport() {
        let change = Finding.with {
            $0.kind = .config
            $0.key = "ruff.toml"
            $0.message = "the patch adds ruff.toml"
        }
        var report = CheckReport.with {
            $0.verdict = .pass
            $0.reason = "every step passed"
            $0.configChanges = [change]
        }
        var allowed = report
        allowed.judgeConfigChanges(allowed: true)
        #expect(allowed.verdict == .pass && allowed.notes.count == 1)
        #expect(!allowed.junitXML().contains("<failure"))
        report.judgeConfigChanges(allowed: false)
        #expect(report.verdict == .fail && report.exitCode == 1)
        #expect(report.reason.hasPrefix("config: "))
        #expect(report.humanReadable().contains("config: ruff.toml — the patch adds ruff.toml"))
        #expect(report.junitXML().contains(#"<testcase classname="selfcheck" name="config-guard"><failure"#))
        var failed = CheckReport.with {
            $0.verdict = .fail
            $0.reason = "ruff failed"
            $0.configChanges = [change]
        }
        failed.judgeConfigChanges(allowed: false)
        #expect(
            failed.reason == "ruff failed; config: the patch changes tool configuration (1 finding(s) of kind config)")
        var errored = CheckReport.with {
            $0.verdict = .error
            $0.reason = "step black could not run"
            $0.configChanges = [change]
        }
        errored.judgeConfigChanges(allowed: false)
        #expect(errored.verdict == .error)
    }

    // MARK: The base configuration

    @Test func baseConfigurationIsReadFromTheCheckoutWithoutFollowingSymlinks() throws {
        let root = try makeTemporaryDirectory("base-config")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(BaseToolConfig(checkout: root) == BaseToolConfig(black: Data(), ruff: nil))
        try "[tool.black]\nline-length = 100\n".write(
            to: root.appendingPathComponent("pyproject.toml"), atomically: false, encoding: .utf8)
        let pyproject = Data("[tool.black]\nline-length = 100\n".utf8)
        #expect(BaseToolConfig(checkout: root) == BaseToolConfig(black: pyproject, ruff: ("pyproject.toml", pyproject)))
        try "[lint]\n".write(to: root.appendingPathComponent("ruff.toml"), atomically: false, encoding: .utf8)
        #expect(BaseToolConfig(checkout: root).ruff?.name == "ruff.toml")
        try "line-length = 90\n".write(
            to: root.appendingPathComponent(".ruff.toml"), atomically: false, encoding: .utf8)
        #expect(BaseToolConfig(checkout: root).ruff?.content == Data("line-length = 90\n".utf8))

        // A symlinked configuration (or folder on the way) is not read: a host file never reaches a tool.
        let secret = root.appendingPathComponent("secret")
        try "[tool.black]\nline-length = 1\n".write(to: secret, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(at: root.appendingPathComponent("pyproject.toml"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("pyproject.toml").path, withDestinationPath: secret.path)
        #expect(BaseToolConfig(checkout: root).black.isEmpty)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("linked").path, withDestinationPath: root.path)
        #expect(BaseFile.read(root, "linked/secret") == nil)
        #expect(BaseFile.read(root, "../secret") == nil)
        #expect(BaseFile.read(root, "secret") != nil)
    }
}
