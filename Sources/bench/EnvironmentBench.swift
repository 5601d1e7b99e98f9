import Foundation

/// Checks of the fixtures with dependencies (issue 17): the cold project-environment build (wheels from
/// the index, installed in the sandbox), then the warm check (environment cached) against the same
/// black + ruff + pytest run bare with the same pinned dependencies on PYTHONPATH (a prepared environment).
enum EnvironmentBench {
    static let runs = 5

    struct Fixture {
        var archive: String
        var module: String
        var srcLayout: Bool
        var requirements: String
    }

    static let fixtures = [
        Fixture(
            archive: "python_slugify-9.2.0", module: "slugify/slugify.py", srcLayout: false,
            requirements: "python_slugify.requirements.txt"),
        Fixture(
            archive: "prettytable-3.19.0", module: "src/prettytable/prettytable.py", srcLayout: true,
            requirements: "prettytable.requirements.txt"),
    ]

    static func run() async throws {
        guard let runner = BenchFixtures.runnerNextToBench() else { return }
        for fixture in fixtures { try measure(fixture, runner: runner) }
    }

    static func measure(_ fixture: Fixture, runner: String) throws {
        let fixtures = BenchFixtures.directory
        let base = try BenchFixtures.makeFixtureCheckout(archive: fixture.archive, scratch: "env-bench")
        let scratch = base.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let patched = scratch.appendingPathComponent("patched")
        try PatchBench.shell(["cp", "-a", base.path, patched.path])
        let handle = try FileHandle(forWritingTo: patched.appendingPathComponent(fixture.module))
        handle.seekToEndOfFile()
        handle.write(Data("\n\ndef _bench_helper(value: str) -> int:\n    return len(value)\n".utf8))
        try handle.close()
        let diffFile = scratch.appendingPathComponent("patch.diff")
        try Data(try PatchBench.shell(["git", "diff"], in: patched).utf8).write(to: diffFile)
        let pins = fixtures.appendingPathComponent(fixture.requirements).path

        // The prepared environment: the tools' interpreter with the pinned dependencies on PYTHONPATH
        // (what a virtualenv holding both would import), and src/ for a src layout.
        let deps = scratch.appendingPathComponent("deps")
        try PatchBench.shell([
            "/opt/selfcheck-tools/bin/python", "-m", "pip", "install", "-q", "--isolated", "--only-binary=:all:",
            "--require-hashes", "--target", deps.path, "-r", pins,
        ])
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] =
            (fixture.srcLayout ? [patched.appendingPathComponent("src").path] : [patched.path]).joined() + ":"
            + deps.path
        let python = "/opt/selfcheck-tools/bin/python"
        func bare() throws {
            _ = try? PatchBench.shell(
                [python, "-m", "black", "--check", "--diff", "-q", fixture.module], in: patched,
                environment: environment)
            _ = try PatchBench.shell(
                [
                    "/opt/selfcheck-tools/bin/ruff", "check", "--no-cache", "--exit-zero", "--output-format", "json",
                    fixture.module,
                ], in: patched)
            // Timed whatever the outcome (a test that signals itself may fail under the bench's signal mask).
            _ = try? PatchBench.shell(
                [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"],
                in: patched, environment: environment)
        }
        func check(cache: URL) throws -> (verdict: Bool, environmentMs: Double) {
            let output = try PatchBench.shell([
                runner, "check", "--repo", base.path, "--diff", diffFile.path, "--format", "json",
                "--cache-dir", cache.path, "--env-requirements", pins,
            ])
            let report = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
            let steps = report["steps"] as? [[String: Any]] ?? []
            let step = steps.first { $0["name"] as? String == "environment" }
            let milliseconds = Double(step?["duration_ms"] as? String ?? "") ?? (step?["duration_ms"] as? Double) ?? 0
            precondition(
                report["verdict"] as? String == "pass", "the benchmark patch did not pass: \(output.prefix(2000))")
            return (true, milliseconds)
        }

        let clock = ContinuousClock()
        var bareTimes: [Duration] = []
        var cold: [Duration] = []
        var warm: [Duration] = []
        var builds: [Double] = []
        try bare()
        for round in 0..<runs {
            let cache = scratch.appendingPathComponent("cache-\(round)")
            bareTimes.append(try clock.measure { try bare() })
            var build = 0.0
            cold.append(try clock.measure { build = try check(cache: cache).environmentMs })
            builds.append(build)
            warm.append(try clock.measure { _ = try check(cache: cache) })
        }
        let bareMs = Double(CheckBench.ms(PatchBench.median(bareTimes)))
        let coldMs = Double(CheckBench.ms(PatchBench.median(cold)))
        let warmMs = Double(CheckBench.ms(PatchBench.median(warm)))
        let buildMs = builds.sorted()[builds.count / 2]
        print("\(fixture.archive) (one added function in \(fixture.module)), medians of \(runs) interleaved runs:")
        print("  black + ruff + pytest bare, dependencies on PYTHONPATH: \(Int(bareMs)) ms")
        print("  check, environment cold (built):  \(Int(coldMs)) ms, of which the environment step \(Int(buildMs)) ms")
        print(
            "  check, environment warm (cached): \(Int(warmMs)) ms  ratio to bare \(String(format: "%.2f", warmMs / bareMs))x (target <= 1.15x)"
        )
        Table.row(
            "project environment build, \(fixture.archive) (download + sandboxed install)", Table.ms(buildMs),
            baseline: "whole cold check \(Table.ms(coldMs))")
        Table.row(
            "`selfcheck-runner check` on \(fixture.archive), environment cached", Table.ms(warmMs),
            baseline: "bare, dependencies on PYTHONPATH \(Table.ms(bareMs))", ratio: Table.ratio(warmMs / bareMs),
            target: "≤ 1.15x")
    }
}
