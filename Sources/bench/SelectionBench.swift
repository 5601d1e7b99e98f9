import Foundation

/// Test selection on a large real project (issue 18): networkx, whose whole suite takes minutes. A
/// one-function patch is checked cold (the base is run once, traced, to map its tests; then the
/// selected tests), then warm (map from the cache: only the selected tests), against the whole suite
/// run bare with the same pinned test dependencies.
enum SelectionBench {
    static let archive = "networkx-3.5"
    static let requirements = "networkx.requirements.txt"
    static let module = "networkx/algorithms/bridges.py"
    /// A line inside `has_bridges`'s body: the patch keeps its meaning, so the check passes.
    static let line = "        return True\n"

    static func run() async throws {
        guard let runner = BenchFixtures.runnerNextToBench() else { return }
        let fixtures = BenchFixtures.directory
        let base = try BenchFixtures.makeFixtureCheckout(archive: archive, scratch: "selection-bench")
        let scratch = base.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let patched = scratch.appendingPathComponent("patched")
        try PatchBench.shell(["cp", "-a", base.path, patched.path])
        try CheckBench.replaceFirst(
            line, with: "        return True  # a bridge was found\n", in: patched.appendingPathComponent(module))
        let diffFile = scratch.appendingPathComponent("patch.diff")
        try Data(try PatchBench.shell(["git", "diff"], in: patched).utf8).write(to: diffFile)
        let pins = fixtures.appendingPathComponent(requirements).path

        let deps = scratch.appendingPathComponent("deps")
        try PatchBench.shell([
            "/opt/selfcheck-tools/bin/python", "-m", "pip", "install", "-q", "--isolated", "--only-binary=:all:",
            "--require-hashes", "--target", deps.path, "-r", pins,
        ])
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = patched.path + ":" + deps.path
        func bare() throws {
            _ = try? PatchBench.shell(
                [
                    "/opt/selfcheck-tools/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--continue-on-collection-errors",
                ], in: patched, environment: environment)
        }
        func check(cache: URL) throws -> (selected: Int, deselected: Int) {
            let output = try PatchBench.shell([
                runner, "check", "--repo", base.path, "--diff", diffFile.path, "--format", "json",
                "--cache-dir", cache.path, "--env-requirements", pins, "--step-timeout", "pytest=3600",
            ])
            let report = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            precondition(
                report["verdict"] as? String == "pass", "the benchmark patch did not pass: \(output.prefix(2000))")
            let selection = report["test_selection"] as? [String: Any] ?? [:]
            let selected = (selection["selected"] as? [String])?.count ?? 0
            return (selected, selection["deselected"] as? Int ?? 0)
        }

        let clock = ContinuousClock()
        let cache = scratch.appendingPathComponent("cache")
        let bareTime = try clock.measure { try bare() }
        var tests = (selected: 0, deselected: 0)
        let cold = try clock.measure { tests = try check(cache: cache) }
        let warm = try clock.measure { tests = try check(cache: cache) }
        let bareMs = Double(CheckBench.ms(bareTime))
        let coldMs = Double(CheckBench.ms(cold))
        let warmMs = Double(CheckBench.ms(warm))
        print("one-function patch on \(archive) (\(module)), one run each:")
        print("  the whole suite run bare:              \(Int(bareMs)) ms")
        print("  selfcheck-runner check, cold (maps the base): \(Int(coldMs)) ms")
        print(
            "  selfcheck-runner check, warm selection: \(Int(warmMs)) ms, \(tests.selected) test(s) run, \(tests.deselected) left out"
        )
        Table.row(
            "`selfcheck-runner check`, one-function patch on \(archive), warm selection", Table.ms(warmMs),
            baseline: "whole suite run bare \(Table.ms(bareMs))", ratio: Table.ratio(warmMs / bareMs),
            target: "≤ 0.25x")
        Table.row(
            "the same, cold (the base run once, traced, to map its tests)", Table.ms(coldMs),
            baseline: "whole suite run bare \(Table.ms(bareMs))", ratio: Table.ratio(coldMs / bareMs))
    }
}
