import Contracts
import Foundation
import TestSupport
import Testing

/// `selfcheck-runner check` end to end on toolz: black and ruff judge by the base's configuration, a
/// patch that changes its judges' configuration fails with `config` findings, findings are judged by
/// what the patch did to a statement, and the patch engine keeps what the model wrote.
extension RunnerCLITests {
    static let relaxRuff = "\n[tool.ruff.lint]\nextend-ignore = [\"F401\"]\n"
    static let excludeItertoolz = "\n[tool.black]\nforce-exclude = \"itertoolz\"\n"

    func configKeys(_ outcome: Outcome) -> [String] { outcome.report.configChanges.map(\.key) }

    @Test func ruffExtendIgnoreForTheFindingThePatchAddsFails() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace("import itertools\n", with: "import itertools\nimport json\n", in: "toolz/itertoolz.py", at: $0)
            try append(Self.relaxRuff, to: "pyproject.toml", in: $0)
        }
        let outcome = try check(repo, patch, ["--steps", "black,ruff"])
        #expect(outcome.status == 1, "\(outcome.report.reason)")
        #expect(configKeys(outcome) == ["pyproject.toml [tool.ruff.lint]"])
        #expect(outcome.report.configChanges.first?.kind == .config)
        // Judged by the base's configuration, where F401 is not ignored.
        #expect(step(outcome.report, "ruff")?.newFailures.map(\.key) == ["F401 toolz/itertoolz.py: import json"])
    }

    @Test func blackForceExcludeForTheFileItLeavesUnformattedFails() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("\n\ndef ugly( a,b ):\n    return  a+b\n", to: "toolz/itertoolz.py", in: $0)
            try append(Self.excludeItertoolz, to: "pyproject.toml", in: $0)
        }
        let outcome = try check(repo, patch, ["--steps", "black,ruff"])
        #expect(outcome.status == 1, "\(outcome.report.reason)")
        #expect(configKeys(outcome) == ["pyproject.toml [tool.black]"])
        #expect(step(outcome.report, "black")?.newFailures.map(\.key) == ["toolz/itertoolz.py"])
    }

    @Test(arguments: ["ruff.toml", ".ruff.toml", "toolz/ruff.toml"])
    func aRuffConfigurationFileAddedFails(_ path: String) throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace("import itertools\n", with: "import itertools\nimport json\n", in: "toolz/itertoolz.py", at: $0)
            try "[lint]\nignore = [\"F401\"]\n".write(
                to: $0.appendingPathComponent(path), atomically: false, encoding: .utf8)
        }
        let outcome = try check(repo, patch, ["--steps", "black,ruff"])
        #expect(outcome.status == 1, "\(outcome.report.reason)")
        #expect(configKeys(outcome) == [path])
        #expect(step(outcome.report, "ruff")?.newFailures.map(\.key) == ["F401 toolz/itertoolz.py: import json"])
    }

    @Test func aFileLevelNoqaThePatchAddsFails() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "import itertools\n", with: "# ruff: noqa\nimport itertools\nimport json\n", in: "toolz/itertoolz.py",
                at: $0)
        }
        let outcome = try check(repo, patch, ["--steps", "black,ruff"])
        #expect(outcome.status == 1, "\(outcome.report.reason)")
        #expect(configKeys(outcome) == ["toolz/itertoolz.py: # ruff: noqa"])
        #expect(outcome.report.reason.contains("config"))
    }

    /// Allowed, a configuration change no longer fails the check, but black and ruff still judge by the
    /// base's configuration: the relaxed rule does not excuse the patch's own finding.
    @Test func allowedConfigurationChangeIsReportedAndTheBaseRulesStillJudge() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let onlyConfig = try repo.diff { try append(Self.relaxRuff, to: "pyproject.toml", in: $0) }
        let refused = try check(repo, onlyConfig, ["--steps", "black,ruff"])
        #expect(refused.status == 1)
        #expect(refused.report.reason.hasPrefix("config:"), "\(refused.report.reason)")
        let allowed = try check(repo, onlyConfig, ["--steps", "black,ruff", "--allow-config-change"])
        #expect(allowed.status == 0, "\(allowed.report.reason)")
        #expect(configKeys(allowed) == ["pyproject.toml [tool.ruff.lint]"])
        #expect(allowed.report.notes.contains { $0.contains("allowed") })

        let withFinding = try repo.diff {
            try replace("import itertools\n", with: "import itertools\nimport json\n", in: "toolz/itertoolz.py", at: $0)
            try append(Self.relaxRuff, to: "pyproject.toml", in: $0)
        }
        let judged = try check(repo, withFinding, ["--steps", "black,ruff", "--allow-config-change"])
        #expect(judged.status == 1)
        #expect(judged.report.reason == "ruff failed")
    }

    /// Control: a pyproject.toml change outside every tool's section is no configuration change (the whole
    /// check, pytest and its tamper guard included, passes).
    @Test func aProjectMetadataChangePasses() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff {
            try replace(
                "description = \"List processing tools and functional utilities\"",
                with: "description = \"List processing tools and functional utilities for Python\"",
                in: "pyproject.toml", at: $0)
        }
        let outcome = try check(repo, patch)
        #expect(outcome.status == 0, "\(outcome.report.reason)")
        #expect(outcome.report.configChanges.isEmpty)
        #expect(outcome.report.tamper.isEmpty)
    }

    /// RUF022 flags toolz's `__all__` at the base. A patch that adds a name to it, rewriting the tuple one
    /// name a line, carries that finding along: pre-existing, not new.
    @Test func addingANameToAnUnsortedAllPasses() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { root in
            let url = root.appendingPathComponent("toolz/itertoolz.py")
            var text = try String(contentsOf: url, encoding: .utf8)
            let start = try #require(text.range(of: "__all__ = ("))
            let end = try #require(text.range(of: ")\n", range: start.upperBound..<text.endIndex))
            let names =
                text[start.upperBound..<end.lowerBound].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "'", with: "\"") }
                + ["\"total_length\""]
            text.replaceSubrange(
                start.lowerBound..<end.upperBound, with: "__all__ = (\n" + names.map { "    \($0),\n" }.joined() + ")\n"
            )
            try text.write(to: url, atomically: false, encoding: .utf8)
            try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: root)
        }
        let outcome = try check(repo, patch, ["--steps", "black,ruff"])
        #expect(outcome.status == 0, "\(outcome.report.reason) \(step(outcome.report, "ruff")?.newFailures ?? [])")
        #expect(
            step(outcome.report, "ruff")?.preexistingFailures.contains { $0.key.hasPrefix("RUF022 toolz/itertoolz.py") }
                == true)
    }

    /// A base whose toolz/utils.py has no final newline. A model's diff of its last line without the
    /// `\ No newline at end of file` marker keeps the newline it wrote on the added line, so black passes.
    @Test func aMissingNoNewlineMarkerKeepsTheAddedLinesNewline() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let utils = repo.root.appendingPathComponent("toolz/utils.py")
        try String(String(contentsOf: utils, encoding: .utf8).dropLast()).write(
            to: utils, atomically: false, encoding: .utf8)
        try FixtureRepo.git(["commit", "-qam", "no final newline"], in: repo.root)
        let exact = try repo.diff {
            try replace(
                "no_default = '__no__default__'", with: "no_default = \"__no__default__\"\n", in: "toolz/utils.py",
                at: $0)
        }
        let model = exact.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("\\") }
            .joined(separator: "\n")
        #expect(exact.contains("\\ No newline") && !model.contains("\\ No newline"))
        let outcome = try check(repo, model, ["--steps", "black,ruff"])
        #expect(outcome.status == 0, "\(outcome.report.reason) \(step(outcome.report, "black")?.newFailures ?? [])")
        #expect(outcome.report.patch.repaired)
        #expect(
            outcome.report.patch.canonicalDiff.hasSuffix("+no_default = \"__no__default__\"\n"),
            "\(outcome.report.patch.canonicalDiff)")
    }

    @Test func aCRLFDiffIsReportedAsRepaired() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let outcome = try check(repo, patch.replacingOccurrences(of: "\n", with: "\r\n"), ["--steps", "black,ruff"])
        #expect(outcome.status == 0, "\(outcome.report.reason)")
        #expect(outcome.report.patch.repaired)
        #expect(outcome.report.patch.repairs.contains { $0.contains("CRLF") }, "\(outcome.report.patch.repairs)")
        #expect(!outcome.report.patch.canonicalDiff.contains("\r"))
    }
}
