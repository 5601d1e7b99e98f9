import AgentContracts
import AgentCore
import AgentServices
import Contracts
import Foundation
import GitWorkspace
import LLM
import Logging
import TestSupport

/// `bench agent`: the agent's own time per task — checkout from a warm mirror, prompt, commit, push,
/// two lease claims over gRPC to the development SRM, result — with an instant model and a check that
/// passes at once (the runner is measured by `check`), on toolz and on a synthetic 20,000-file
/// repository served by `git daemon` on loopback; next to a fresh `git clone` of the same repository in
/// the same run, which is what the warm mirror avoids.
enum AgentBench {
    /// Tasks timed per repository (AGENT_BENCH_TASKS): fewer on the large one, where each takes seconds here.
    static func taskCount(files: Int) -> Int {
        max(1, Int(ProcessInfo.processInfo.environment["AGENT_BENCH_TASKS"] ?? "") ?? (files > 1_000 ? 8 : 30))
    }
    static let quiet: Logger = {
        var logger = Logger(label: "bench.agent")
        logger.logLevel = .critical
        return logger
    }()

    static func run() async throws {
        let scratch = try makeTemporaryDirectory("agent-bench")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let toolz = try FixtureRepo.make("toolz")
        defer { toolz.remove() }
        let fileCount = try TestSupport.run(["git", "ls-files"], in: toolz.root).stdout.split(separator: "\n").count
        try await measure(
            name: "toolz", files: fileCount, source: toolz.root, edited: "toolz/itertoolz.py", scratch: scratch)
        let synthetic = try makeSyntheticRepository(files: 20_000, in: scratch)
        try await measure(name: "synthetic", files: 20_000, source: synthetic, edited: "pkg0/m0.py", scratch: scratch)
        try await codingAgentMemory(toolz: toolz, scratch: scratch)
    }

    /// Serves `source` with `git daemon`, warms the agent's mirror with one task, then times `tasks`
    /// tasks one after another (one worker) and `clones` fresh clones, interleaved.
    static func measure(name: String, files: Int, source: URL, edited: String, scratch: URL) async throws {
        let root = scratch.appendingPathComponent(name)
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        try TestSupport.run([
            "git", "clone", "-q", "--bare", source.path, served.appendingPathComponent("\(name).git").path,
        ])
        let daemon = try GitDaemon(basePath: served)
        defer { daemon.stop() }
        let remote = daemon.url("\(name).git")
        let base = try FixtureRepo.head(of: source)
        let diff = try addedLineDiff(to: edited, in: source)
        let srm = try await DevelopmentSRM.start()
        let connection = try ServiceConnection(address: srm.address, logger: quiet)

        let git = try GitRunner(
            home: root.appendingPathComponent("home"), credentials: nil, networkTimeout: .seconds(120), logger: quiet)
        let processor = TaskProcessor(
            configuration: AgentConfiguration(
                remoteRepo: remote, checkoutRoot: root.appendingPathComponent("checkouts"),
                spareCheckouts: try SpareCheckouts(root: root.appendingPathComponent("spare-checkouts"))),
            mirrors: MirrorCache(directory: root.appendingPathComponent("mirrors"), runner: git, logger: quiet),
            model: InstantModel(diff: diff), checker: PassingChecker(),
            claimer: SrmLeaseClaimer(connection: connection), logger: quiet)
        func task(_ number: Int) -> CodingTask {
            .with {
                $0.id = "bench-\(name)-\(number)"
                $0.goal = "add a note"
                $0.kind = "FEAT"
                $0.path = edited
                $0.baseCommit = base
                $0.reservedLeaseIds = ["\(2 * number)", "\(2 * number + 1)"]
            }
        }
        let clock = ContinuousClock()
        var first: CommitResult?
        let cold = await clock.measure { first = await processor.process(task(0)) }
        guard first?.status == "SUCCESS" else { throw BenchFailure("the warm-up task failed: \(first?.notes ?? [])") }

        let tasks = taskCount(files: files)
        let clones = min(5, tasks)
        var agent: [Double] = []
        var clone: [Double] = []
        for number in 1...tasks {
            var result: CommitResult?
            agent.append(await clock.measure { result = await processor.process(task(number)) }.milliseconds)
            guard result?.status == "SUCCESS", result?.notes.contains(where: { $0.hasPrefix("lease") }) == false else {
                throw BenchFailure("task \(number) failed or a claim did: \(result?.notes ?? [])")
            }
            if number % (tasks / clones) == 0 && clone.count < clones {  // interleaved, so both see the same load
                let target = root.appendingPathComponent("clone-\(number)")
                clone.append(
                    try clock.measure { try TestSupport.run(["git", "clone", "-q", remote, target.path]) }.milliseconds)
                try FileManager.default.removeItem(at: target)
            }
        }
        await connection.shutdown()
        await srm.stop()
        guard srm.claims.count == 2 * (tasks + 1), srm.claims.allSatisfy(\.granted) else {
            throw BenchFailure("the SRM saw \(srm.claims.count) claims, expected \(2 * (tasks + 1))")
        }
        let median = percentile(agent, 0.5)
        let p90 = percentile(agent, 0.9)
        let cloneMedian = percentile(clone, 0.5)
        let perMinute = 60_000 / (agent.reduce(0, +) / Double(agent.count))
        print(
            String(
                format:
                    "%@ (%d files): first task (cold mirror) %.0f ms; then %d tasks: median %.1f ms, p90 %.1f ms, %.0f tasks/min for one worker; fresh git clone median %.0f ms over %d",
                name, files, cold.milliseconds, tasks, median, p90, perMinute, cloneMedian, clone.count))
        let target = name == "synthetic" ? "< 300 ms median" : "flat vs repo size"
        Table.row(
            "agent overhead per task incl. 2 claims, \(name) (\(files.formatted()) files), warm mirror, median (p90)",
            String(format: "%.0f ms (p90 %.0f)", median, p90),
            baseline: String(format: "fresh `git clone` %.0f ms", cloneMedian),
            ratio: Table.ratio(median / cloneMedian), target: target)
        Table.row("tasks per minute, one worker, \(name)", String(format: "%.0f", perMinute))
    }

    /// Peak memory of `coding-agent once` processing one task end to end, with a real
    /// `selfcheck-runner serve` check of a one-line patch on toolz (the scripted model replays it).
    static func codingAgentMemory(toolz: FixtureRepo, scratch: URL) async throws {
        guard let agent = SandboxBench.siblingExecutable("coding-agent"),
            let runner = SandboxBench.siblingExecutable("selfcheck-runner")
        else {
            print("coding-agent or selfcheck-runner not built next to bench; scripts/bench builds them")
            return
        }
        let root = scratch.appendingPathComponent("once")
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        try TestSupport.run([
            "git", "clone", "-q", "--bare", toolz.root.path, served.appendingPathComponent("toolz.git").path,
        ])
        let daemon = try GitDaemon(basePath: served)
        defer { daemon.stop() }
        let socket = root.appendingPathComponent("run/runner.sock").path
        let serve = try await ServedRunner.start(runner, socket: socket, ["--no-cache"])
        defer { serve.stop() }

        let diff = try addedLineDiff(to: "toolz/itertoolz.py", in: toolz.root)
        let script = root.appendingPathComponent("script.json")
        let taskFile = root.appendingPathComponent("task.json")
        try JSONSerialization.data(withJSONObject: [["diff": diff]]).write(to: script)
        try JSONSerialization.data(withJSONObject: [
            "id": "once-1", "goal": "add a note", "kind": "FEAT", "path": "toolz/itertoolz.py",
            "baseCommit": toolz.baseCommit,
        ]).write(to: taskFile)
        let measured = try SandboxBench.spawnMeasuringMemory([
            "/usr/bin/env", "LLM_SCRIPT=\(script.path)", "AGENT_CACHE_DIR=\(root.appendingPathComponent("cache").path)",
            "LOG_LEVEL=error",
            agent, "once", "--task", taskFile.path, "--remote-repo", daemon.url("toolz.git"), "--runner-socket", socket,
        ])
        print(
            String(
                format:
                    "coding-agent once, one task with a real check on toolz: %.0f ms, peak RSS %d KiB; selfcheck-runner serve peak RSS %d KiB",
                measured.milliseconds, measured.maxRSSKB, CheckBench.peakKB(serve.process.processIdentifier)))
        Table.memoryRow("`coding-agent once`, one task incl. a real check (toolz)", kilobytes: measured.maxRSSKB)
        Table.memoryRow(
            "`selfcheck-runner serve`, serving that check",
            kilobytes: CheckBench.peakKB(serve.process.processIdentifier))
    }

    // MARK: Set-up

    /// `files` one-line Python files in folders of 100, committed.
    static func makeSyntheticRepository(files: Int, in scratch: URL) throws -> URL {
        let root = scratch.appendingPathComponent("synthetic-src")
        for index in 0..<files {
            let folder = root.appendingPathComponent("pkg\(index / 100)")
            if index % 100 == 0 {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            try Data("VALUE = \(index)\n".utf8).write(to: folder.appendingPathComponent("m\(index).py"))
        }
        try FixtureRepo.initializeRepository(at: root)
        return root
    }

    /// `git diff` of one comment line appended to `path`.
    static func addedLineDiff(to path: String, in source: URL) throws -> String {
        let repo = FixtureRepo(root: source, baseCommit: try FixtureRepo.head(of: source))
        return try repo.diff { try append("# bench note\n", to: path, in: $0) }
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

/// A model that answers at once with the same diff.
struct InstantModel: PatchModel {
    let diff: String
    func proposePatch(_ prompt: PatchPrompt) async throws(LLMError) -> PatchReply { PatchReply(diff: diff) }
}

/// A check that passes at once and returns the diff as the canonical diff.
struct PassingChecker: PatchChecker {
    func check(_ request: CheckRequest) async throws -> CheckReport {
        .with {
            $0.requestID = request.requestID
            $0.verdict = .pass
            $0.patch.canonicalDiff = request.diff
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
