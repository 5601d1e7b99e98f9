import Contracts
import Foundation
import RunnerProtocolClient

/// The runner's `check` on toolz against the same three tools run bare, in one run:
/// a one-line patch, full check (apply, black, ruff, pytest) cold and with a warm baseline cache;
/// then the runner's memory while serving 4 concurrent checks. The project environment (toolz's test
/// dependency group, downloaded and installed) is built once and timed apart: every cold round starts
/// from a copy of it, so "cold" is the baseline cache, not pip.
enum CheckBench {
    static let runs = 5

    static func run() async throws {
        guard let runner = BenchFixtures.runnerNextToBench() else { return }
        let base = try PatchBench.makeToolzCheckout()
        let scratch = base.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = "toolz/itertoolz.py"
        let patched = scratch.appendingPathComponent("patched")
        try PatchBench.shell(["cp", "-a", base.path, patched.path])
        try replaceFirst(
            "    return filterfalse(predicate, seq)\n",
            with: "    return filterfalse(predicate, seq)  # lazily, in order\n",
            in: patched.appendingPathComponent(file))
        let diff = try PatchBench.shell(["git", "diff"], in: patched)
        let diffFile = scratch.appendingPathComponent("one-line.diff")
        try Data(diff.utf8).write(to: diffFile)

        let tools = "/opt/selfcheck-tools/bin"
        func bare() throws {
            _ = try? PatchBench.shell(["\(tools)/python", "-m", "black", "--check", "--diff", "-q", file], in: patched)
            _ = try PatchBench.shell(
                ["\(tools)/ruff", "check", "--no-cache", "--exit-zero", "--output-format", "json", file], in: patched)
            _ = try PatchBench.shell(
                ["\(tools)/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"],
                in: patched)
        }
        func check(cache: URL) throws {
            let output = try PatchBench.shell([
                runner, "check", "--repo", base.path, "--diff", diffFile.path, "--format", "json",
                "--cache-dir", cache.path,
            ])
            precondition(
                output.contains("\"verdict\":\"pass\""), "the benchmark patch did not pass: \(output.prefix(2000))")
        }

        let clock = ContinuousClock()
        var bareTimes: [Duration] = []
        var cold: [Duration] = []
        var warm: [Duration] = []
        try bare()  // warm the page cache and Python's bytecode caches alike
        let first = scratch.appendingPathComponent("cache-first")
        let coldEverything = try clock.measure { try check(cache: first) }
        for round in 0..<runs {
            let cache = scratch.appendingPathComponent("cache-\(round)")
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try PatchBench.shell([
                "cp", "-a", first.appendingPathComponent("environments").path,
                cache.appendingPathComponent("environments").path,
            ])
            bareTimes.append(try clock.measure { try bare() })
            cold.append(try clock.measure { try check(cache: cache) })
            warm.append(try clock.measure { try check(cache: cache) })
        }
        let bareMedian = PatchBench.median(bareTimes)
        let coldMedian = PatchBench.median(cold)
        let warmMedian = PatchBench.median(warm)
        print("one-line patch on toolz (\(file)), medians of \(runs) interleaved runs:")
        print("  first check, environment built too:   \(ms(coldEverything)) ms (once)")
        print("  black + ruff + pytest run bare:        \(ms(bareMedian)) ms")
        print(
            "  selfcheck-runner check, cold baseline: \(ms(coldMedian)) ms  ratio to bare \(String(format: "%.2f", coldMedian / bareMedian))x (target <= 1.15x)"
        )
        print(
            "  selfcheck-runner check, warm baseline: \(ms(warmMedian)) ms  ratio to bare \(String(format: "%.2f", warmMedian / bareMedian))x, to cold \(String(format: "%.2f", warmMedian / coldMedian))x"
        )

        let coldMs = Double(ms(coldMedian))
        let warmMs = Double(ms(warmMedian))
        let bareMs = Double(ms(bareMedian))
        Table.row(
            "`selfcheck-runner check`, one-line patch on toolz, cold baseline", Table.ms(coldMs),
            baseline: "black + ruff + pytest run bare \(Table.ms(bareMs))", ratio: Table.ratio(coldMs / bareMs),
            target: "≤ 1.15x")
        Table.row(
            "the same, baseline cache warm", Table.ms(warmMs), baseline: "cold \(Table.ms(coldMs))",
            ratio: Table.ratio(warmMs / coldMs))
        Table.row(
            "the same, nothing cached: the project environment built too (once)",
            Table.ms(Double(ms(coldEverything))), baseline: "cold \(Table.ms(coldMs))",
            ratio: Table.ratio(Double(ms(coldEverything)) / coldMs))

        try await servingMemory(runner: runner, base: base, diff: diff, scratch: scratch)
    }

    /// Peak RSS of `selfcheck-runner serve` while it runs 4 checks at once.
    static func servingMemory(runner: String, base: URL, diff: String, scratch: URL) async throws {
        let socket = scratch.appendingPathComponent("run/runner.sock").path
        let serve = try await ServedRunner.start(runner, socket: socket, ["--jobs", "4", "--no-cache"])
        defer { serve.stop() }
        let idle = peakKB(serve.process.processIdentifier)
        let verdicts = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let request = CheckRequest.with {
                        $0.requestID = "mem-\(index)"
                        $0.repoPath = base.path
                        $0.diff = diff
                    }
                    var verdict = "none"
                    for try await update in RunnerClient(socketPath: socket).check(request) {
                        if case .report(let report) = update { verdict = report.verdict.name }
                    }
                    return verdict
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        Table.memoryRow(
            "`selfcheck-runner serve`, 4 concurrent checks", kilobytes: peakKB(serve.process.processIdentifier),
            baseline: "idle \(Table.mebibytes(idle))")
        print(
            "selfcheck-runner serve: peak RSS \(peakKB(serve.process.processIdentifier) / 1024) MiB after 4 concurrent checks (\(verdicts.sorted().joined(separator: ","))), \(idle / 1024) MiB idle"
        )
    }

    static func peakKB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func replaceFirst(_ old: String, with new: String, in url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let range = text.range(of: old) else { throw CocoaError(.fileReadCorruptFile) }
        try text.replacingCharacters(in: range, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    static func ms(_ value: Duration) -> Int {
        Int(value.components.seconds * 1000 + value.components.attoseconds / 1_000_000_000_000_000)
    }
}
