import Contracts
import Foundation
import RunnerProtocolClient

/// Test selection on a large real project (issue 18): networkx, whose whole suite takes minutes. The
/// sequence the agent's attempts on one base go through, on one `selfcheck-runner serve`: a cold check
/// of a one-function patch (the base is not mapped: every test runs), the runner mapping the base in the
/// background after that report, then a warm check of the same patch (only the selected tests). The
/// baseline is the whole suite run bare with the same pinned test dependencies. The project environment
/// is built once before, by a `check` that runs no tests, and timed apart.
enum SelectionBench {
    static let archive = "networkx-3.5"
    static let requirements = "networkx.requirements.txt"
    static let module = "networkx/algorithms/bridges.py"
    /// A line inside `has_bridges`'s body: the patch keeps its meaning, so the check passes.
    static let line = "        return True\n"
    static let python = "/opt/selfcheck-tools/bin/python"

    static func run() async throws {
        guard let runner = BenchFixtures.runnerNextToBench() else { return }
        let base = try BenchFixtures.makeFixtureCheckout(archive: archive, scratch: "selection-bench")
        let scratch = base.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let patched = scratch.appendingPathComponent("patched")
        try PatchBench.shell(["cp", "-a", base.path, patched.path])
        try CheckBench.replaceFirst(
            line, with: "        return True  # a bridge was found\n", in: patched.appendingPathComponent(module))
        let diff = try PatchBench.shell(["git", "diff"], in: patched)
        let diffFile = scratch.appendingPathComponent("patch.diff")
        try Data(diff.utf8).write(to: diffFile)
        let pins = BenchFixtures.directory.appendingPathComponent(requirements).path

        let deps = scratch.appendingPathComponent("deps")
        try PatchBench.shell([
            python, "-m", "pip", "install", "-q", "--isolated", "--only-binary=:all:", "--require-hashes", "--target",
            deps.path, "-r", pins,
        ])
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = patched.path + ":" + deps.path

        let clock = ContinuousClock()
        var bareSummary = ""
        let bareTime = try clock.measure {
            bareSummary = try summary(
                of: [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"],
                in: patched, environment: environment)
        }

        // The project environment, built once: a check that runs no tests (so nothing is mapped either).
        let cache = scratch.appendingPathComponent("cache")
        let environmentTime = clock.measure {
            _ = try? PatchBench.shell([
                runner, "check", "--repo", base.path, "--diff", diffFile.path, "--format", "json", "--cache-dir",
                cache.path, "--env-requirements", pins, "--steps", "black",
            ])
        }

        // networkx's suite under the map's tracer outlasts the default profile's 10 minutes on a loaded
        // machine: the operator of a runner for such a project raises the limits, as this copy does.
        let profile = scratch.appendingPathComponent("python-selfcheck-large.json")
        let standard = BenchFixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sandbox-profiles/python-selfcheck.json")
        var settings = try JSONSerialization.jsonObject(with: Data(contentsOf: standard)) as? [String: Any] ?? [:]
        var limits = settings["limits"] as? [String: Any] ?? [:]
        limits["wall_time_ms"] = 3_600_000
        limits["cpu_time_ms"] = 3_600_000
        settings["limits"] = limits
        try JSONSerialization.data(withJSONObject: settings).write(to: profile)

        let socket = scratch.appendingPathComponent("run/runner.sock").path
        let serve = try await ServedRunner.start(
            runner, socket: socket,
            [
                "--jobs", "1", "--cache-dir", cache.path, "--env-requirements", pins,
                "--profile", profile.path,
            ])
        defer { serve.stop() }

        var report = CheckReport()
        let cold = try await clock.measure { report = try await check(base, diff, socket: socket, id: "cold") }
        let coldReport = report
        guard !coldReport.testSelection.used && coldReport.testSelection.reason.contains("not mapped yet") else {
            throw Failure("the cold check did not run every test for want of a map: \(coldReport.testSelection)")
        }
        let mapping = try await clock.measure { try await waitForMap(in: cache) }
        let warm = try await clock.measure { report = try await check(base, diff, socket: socket, id: "warm") }
        let warmReport = report
        guard warmReport.testSelection.used else {
            throw Failure("the warm check did not select: \(warmReport.testSelection)")
        }

        let bareMs = Double(CheckBench.ms(bareTime))
        let coldMs = Double(CheckBench.ms(cold))
        let warmMs = Double(CheckBench.ms(warm))
        let ran = { (report: CheckReport) in report.notes.first { $0.hasPrefix("pytest: ") && $0.contains(" passed, ") }
        }
        print("one-function patch on \(archive) (\(module)), one run each:")
        print("  the whole suite run bare:                \(Int(bareMs)) ms (\(bareSummary))")
        print("  project environment built (once, apart): \(CheckBench.ms(environmentTime)) ms")
        print(
            "  check, cold (every test):                \(Int(coldMs)) ms, \(coldReport.verdict.name), \(ran(coldReport) ?? "?")"
        )
        print("    \(coldReport.testSelection.reason)")
        print("  background mapping, after the report:    \(CheckBench.ms(mapping)) ms")
        print(
            "  check, warm (selection):                 \(Int(warmMs)) ms, \(warmReport.verdict.name), \(warmReport.testSelection.selected.count) test(s) run, \(warmReport.testSelection.deselected) left out, \(ran(warmReport) ?? "?")"
        )
        print("    \(warmReport.testSelection.reason)")
        Table.row(
            "`selfcheck-runner check`, one-function patch on \(archive), warm: selection", Table.ms(warmMs),
            baseline: "whole suite run bare \(Table.ms(bareMs))", ratio: Table.ratio(warmMs / bareMs),
            target: "≤ 0.25x")
        Table.row(
            "the same, cold: base not mapped, every test runs", Table.ms(coldMs),
            baseline: "whole suite run bare \(Table.ms(bareMs))", ratio: Table.ratio(coldMs / bareMs))
        Table.row(
            "the base mapped in the background after the cold report", Table.ms(Double(CheckBench.ms(mapping))),
            baseline: "whole suite run bare \(Table.ms(bareMs))",
            ratio: Table.ratio(Double(CheckBench.ms(mapping)) / bareMs))
    }

    /// One check over the socket, the checkout passed as a directory fd (as the agent does); must pass.
    static func check(_ base: URL, _ diff: String, socket: String, id: String) async throws -> CheckReport {
        let request = CheckRequest.with {
            $0.requestID = id
            $0.repoPath = base.path
            $0.diff = diff
            $0.stepTimeoutsMs["pytest"] = 3_600_000
        }
        let directory = open(base.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(directory) }
        for try await update in RunnerClient(socketPath: socket).check(request, workspaceDirectory: directory) {
            guard case .report(let report) = update else { continue }
            guard report.verdict == .pass else {
                let steps = report.steps.map {
                    "\($0.name) \($0.status.name): \($0.note) \($0.outputTail.suffix(1500))"
                }
                throw Failure(
                    "the benchmark patch did not pass (\(id)): \(report.reason)\n\(report.notes)\n\(steps.joined(separator: "\n"))"
                )
            }
            return report
        }
        throw Failure("no report from the runner (\(id))")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) {
            self.description = description
            FileHandle.standardError.write(Data("bench selection: \(description)\n".utf8))
        }
    }

    /// Until the baseline cache holds the base's map (or why it has none); 40 minutes at most.
    static func waitForMap(in cache: URL) async throws {
        let deadline = ContinuousClock.now + .seconds(2400)
        while ContinuousClock.now < deadline {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []
            for file in files where file.hasPrefix("baseline-") && file.hasSuffix(".json") {
                let data = (try? Data(contentsOf: cache.appendingPathComponent(file))) ?? Data()
                let record = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
                if record["testMap"] != nil { return }
                if let problem = record["testMapProblem"] { print("  the base could not be mapped: \(problem)") }
                if record["testMapProblem"] != nil { return }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw Failure("no map of the base after 40 minutes")
    }

    /// The last line of a pytest run's output (its counts), whatever the exit status.
    static func summary(of command: [String], in directory: URL, environment: [String: String]) throws -> String {
        let lines = try PatchBench.run(command, in: directory, environment: environment).output.split(separator: "\n")
        return lines.last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "= ")) } ?? "no output"
    }
}
