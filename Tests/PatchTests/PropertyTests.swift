import Foundation
import Patch
import TestSupport
import Testing

/// Real diffs with their headers perturbed at random (seeded, so a failure reproduces) must repair to
/// exactly the intended tree.
@Suite(.timeLimit(.minutes(2))) struct PropertyTests {
    typealias SeededGenerator = SplitMix64

    static func scenarios() throws -> [Scenario] {
        let base = try Bases.toolz()
        return [
            try RepairTests.threeHunks(),
            try Scenario(base: base) { root in
                try replace(
                    "    return next(iter(seq))", with: "    it = iter(seq)\n    return next(it)",
                    in: "toolz/itertoolz.py", at: root)
                try replace(
                    "    return concat(seqs)", with: "    return concat(list(seqs))", in: "toolz/itertoolz.py", at: root
                )
                try "VALUE = 1\n".write(
                    to: root.appendingPathComponent("toolz/constants.py"), atomically: false, encoding: .utf8)
                try replace(
                    "no_default = '__no__default__'", with: "no_default = '__no__default__'\nno_pad = '__no__pad__'",
                    in: "toolz/utils.py", at: root)
            },
            try Scenario(base: Bases.inflection()) { root in
                try replace(
                    "def humanize(word: str) -> str:", with: "def humanize(word: str) -> str:  # noqa",
                    in: "inflection/__init__.py", at: root)
                try replace(
                    "def titleize(word: str) -> str:",
                    with: "def titleize(word: str) -> str:\n    # Capitalize every word.", in: "inflection/__init__.py",
                    at: root)
            },
            try Scenario(base: base) { root in
                try FixtureRepo.git(["mv", "toolz/recipes.py", "toolz/recipes_moved.py"], in: root)
                try replace(
                    "        itertools.groupby\n", with: "        itertools.groupby\n        partition\n",
                    in: "toolz/recipes_moved.py", at: root)
                try replace(
                    "    return sum(1 for i in seq)", with: "    return sum(1 for _ in seq)", in: "toolz/itertoolz.py",
                    at: root)
            },
        ]
    }

    /// Per hunk: a random shift of up to twenty lines and a random miscount, rarely no numbers at all; per
    /// diff: maybe no prefixes, reversed hunks, CRLF, a fence with prose, drifted context whitespace.
    static func perturb(_ diff: String, using random: inout SeededGenerator) -> (text: String, changed: Bool) {
        var text = DiffText(diff).mapHunks { hunk in
            let (a, b, c, d) = DiffText.numbers(hunk.header)
            guard a > 0 else { return hunk }  // keep new-file hunks at -0,0
            let shift = Int.random(in: -20...20, using: &random)
            let miscount = Bool.random(using: &random) ? Int.random(in: -2...2, using: &random) : 0
            if Int.random(in: 0..<8, using: &random) == 0 { return DiffText.Hunk(header: "@@ @@", body: hunk.body) }
            return DiffText.Hunk(
                header: DiffText.header(
                    max(1, a + shift), max(0, b + miscount), max(1, c + shift), max(0, d + miscount)), body: hunk.body)
        }
        if Bool.random(using: &random), !diff.contains("rename from") { text = text.withoutPrefixes() }
        if Bool.random(using: &random) { text = text.reversingHunks() }
        if Bool.random(using: &random) { text = text.driftingContextWhitespace() }
        var result = text.text
        if Bool.random(using: &random) { result = result.replacingOccurrences(of: "\n", with: "\r\n") }
        if Bool.random(using: &random) { result = "Here is my patch.\n\n```diff\n\(result)```\nLet me know.\n" }
        return (result, result != diff)
    }

    @Test func perturbedHeadersRepairToTheIntendedTree() throws {
        let scenarios = try Self.scenarios()
        var random = SeededGenerator(state: 20_261_125)
        for iteration in 0..<40 {
            let scenario = scenarios[iteration % scenarios.count]
            let (text, _) = Self.perturb(scenario.diff, using: &random)
            recordFuzzSeed(text)
            let result = PatchEngine.prepare(text, against: scenario.base)
            guard case .success(let resolved) = result else {
                Issue.record("iteration \(iteration) rejected: \(result)\n\(text)")
                continue
            }
            #expect(
                try treeAfterApplying(resolved.canonicalDiff, to: scenario.base) == scenario.expectedTree,
                "iteration \(iteration):\n\(text)")
        }
        try expectUntouched(Bases.toolz())
    }

    @Test func canonicalDiffOfAnExactDiffIsStable() throws {
        // Resolving the canonical diff again gives the same text with no repairs: it is a fixed point.
        for scenario in try Self.scenarios() {
            let first = try PatchEngine.prepare(scenario.diff, against: scenario.base).get()
            let second = try PatchEngine.prepare(first.canonicalDiff, against: scenario.base).get()
            #expect(second.canonicalDiff == first.canonicalDiff)
            #expect(second.repairs.isEmpty)
        }
    }
}

/// docs/patch.md documents every rule the engine can report.
@Suite struct DocumentationTests {
    @Test func everyRuleIsDocumented() throws {
        let docs = try String(contentsOf: Paths.packageRoot.appendingPathComponent("docs/patch.md"), encoding: .utf8)
        for rule in PatchRule.allCases {
            #expect(docs.contains("`\(rule.rawValue)`"), "docs/patch.md does not mention `\(rule.rawValue)`")
        }
    }
}
