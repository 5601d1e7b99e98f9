import Contracts
import Foundation
import TestSupport
import Testing

/// Selection never changes a verdict: every breaking patch the project keeps (the forgery corpus of
/// ForgeryTests, its controls, and breaking edits of function bodies where the selection does narrow
/// the tests) is checked through the real `selfcheck-runner check` with selection on and with
/// `--all-tests`, and both reports must give the same verdict and the same findings. Each side keeps
/// its own baseline cache across the corpus, as the agent's attempts on one base do (so the selection
/// side runs warm after its first check).
@Suite(.serialized, .timeLimit(.minutes(30))) struct SelectionVerdictTests {
    struct Case: Sendable {
        var name: String
        var edit: @Sendable (URL) throws -> Void
        /// Whether the selection is expected to narrow the tests (before any confirmation).
        var narrows = false
    }

    static let functionBodyBreaks: [Case] = [
        Case(name: "remove returns nothing", edit: ForgeryTests.breaksRemove, narrows: true),
        Case(
            name: "first takes the last item",
            edit: {
                try replace(
                    "    return next(iter(seq))\n", with: "    return list(seq)[-1]\n", in: "toolz/itertoolz.py", at: $0
                )
            }, narrows: true),
        Case(
            name: "a syntax error inside a function body",
            edit: {
                try replace(
                    "    return filterfalse(predicate, seq)\n", with: "    return filterfalse(predicate seq)\n",
                    in: "toolz/itertoolz.py", at: $0)
            }, narrows: true),
    ]

    /// The forgeries first: on the cold cache the first check runs every test (the base is not mapped
    /// yet) and its failure maps the base, so the function-body breaks after them are selected.
    static let corpus: [Case] =
        ForgeryTests.forgeries.map { forgery in
            Case(
                name: "forgery: \(forgery.name)",
                edit: {
                    try ForgeryTests.breaksRemove($0)
                    try forgery.edit($0)
                })
        }
        + functionBodyBreaks

    func check(_ repo: FixtureRepo, _ diff: String, cache: URL, _ extra: [String]) throws -> CheckReport {
        let output = try run(
            [
                RunnerCLITests.runner, "check", "--repo", repo.root.path, "--diff", "-", "--format", "json",
                "--cache-dir", cache.path, "--keep-going",
            ] + extra, input: Data(diff.utf8), check: false)
        return try CheckReport(jsonString: output.stdout)
    }

    /// What a verdict rests on: every finding by kind and key (messages can name timings or paths).
    static func findings(_ report: CheckReport) -> [String] {
        let steps = report.steps.flatMap { step in step.newFailures.map { "\(step.name) \($0.kind) \($0.key)" } }
        return (steps + report.tamper.map { "tamper \($0.key)" } + report.configChanges.map { "config \($0.key)" })
            .sorted()
    }

    /// A cold cache: a patch that selection could narrow runs every test rather than mapping the base first.
    func firstCheckOnAnUnmappedBaseRunsEveryTest() throws {
        let cache = try makeTemporaryDirectory("cache-cold")
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let report = try check(repo, try repo.diff(Self.functionBodyBreaks[0].edit), cache: cache, [])
        #expect(report.verdict == .fail, "\(report.reason)")
        #expect(
            !report.testSelection.used && report.testSelection.reason.contains("not mapped yet"),
            "\(report.testSelection)")
    }

    @Test func selectionGivesTheSameVerdictAndFindings() throws {
        let selectionCache = try makeTemporaryDirectory("cache-selection")
        let allTestsCache = try makeTemporaryDirectory("cache-all-tests")
        defer {
            try? FileManager.default.removeItem(at: selectionCache)
            try? FileManager.default.removeItem(at: allTestsCache)
        }
        try firstCheckOnAnUnmappedBaseRunsEveryTest()
        for patch in Self.corpus {
            let repo = try FixtureRepo.make("toolz")
            defer { repo.remove() }
            let diff = try repo.diff(patch.edit)
            let selected = try check(repo, diff, cache: selectionCache, [])
            let all = try check(repo, diff, cache: allTestsCache, ["--all-tests"])
            let name = patch.name
            #expect(selected.verdict == all.verdict, "\(name): \(selected.reason) | \(all.reason)")
            #expect(Self.findings(selected) == Self.findings(all), "\(name)")
            #expect(selected.verdict == .fail, "\(name): every case breaks a test: \(selected.reason)")
            #expect(!all.testSelection.used && all.testSelection.reason.contains("--all-tests"), "\(name)")
            if patch.narrows {
                // The selection ran first, found the failure, and the whole suite confirmed it.
                #expect(
                    selected.testSelection.reason.contains("confirmed with every test"),
                    "\(name): \(selected.testSelection)")
            } else {
                #expect(!selected.testSelection.used, "\(name): \(selected.testSelection)")
            }

        }
    }
}
