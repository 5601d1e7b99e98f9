import Foundation
import Patch

/// The patch engine's whole ladder on a clean diff (extract + parse + validate + resolve, which ends in one
/// `git apply --check`) against a bare `git apply --check` of the same diff, in the same run.
/// Target: ratio ≤ 2x.
enum PatchBench {
    static let runs = 21

    static func run() async throws {
        let base = try makeToolzCheckout()
        defer { try? FileManager.default.removeItem(at: base.deletingLastPathComponent()) }
        let diff = try makeCleanDiff(base: base, files: 20)
        let diffFile = base.deletingLastPathComponent().appendingPathComponent("bench.diff")
        try Data(diff.utf8).write(to: diffFile)
        let lineCount = diff.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        let fileCount = diff.components(separatedBy: "\ndiff --git ").count
        print("diff: \(lineCount) lines, \(fileCount) files, \(diff.utf8.count) bytes (toolz)")

        // Sanity: the engine accepts it exactly, and git does too.
        let resolved = try PatchEngine.prepare(diff, against: base).get()
        precondition(
            !resolved.repaired && resolved.files.count == fileCount, "clean diff was repaired: \(resolved.repairs)")
        precondition(gitApplyCheck(diffFile, in: base), "git apply --check refused the clean diff")

        var engine: [Duration] = []
        var git: [Duration] = []
        let clock = ContinuousClock()
        for _ in 0..<2 {
            _ = PatchEngine.prepare(diff, against: base)
            _ = gitApplyCheck(diffFile, in: base)
        }  // warm up
        for _ in 0..<runs {  // interleaved, so load on the machine hits both alike
            engine.append(clock.measure { _ = PatchEngine.prepare(diff, against: base) })
            git.append(clock.measure { _ = gitApplyCheck(diffFile, in: base) })
        }
        let engineMedian = median(engine)
        let gitMedian = median(git)
        print("engine (extract+parse+validate+resolve): median \(milliseconds(engineMedian)) ms over \(runs) runs")
        print("git apply --check alone:                  median \(milliseconds(gitMedian)) ms over \(runs) runs")
        print(String(format: "ratio: %.2fx (target <= 2x)", engineMedian / gitMedian))
        Table.row(
            "patch ladder on a clean \(lineCount)-line, \(fileCount)-file diff (toolz)",
            "\(milliseconds(engineMedian)) ms",
            baseline: "`git apply --check` \(milliseconds(gitMedian)) ms", ratio: Table.ratio(engineMedian / gitMedian),
            target: "≤ 2x")
        // PATCH_BENCH_STAGES=1 also prints each public step alone, to see where time goes.
        if ProcessInfo.processInfo.environment["PATCH_BENCH_STAGES"] != nil {
            let extract = median((0..<runs).map { _ in clock.measure { _ = PatchEngine.extract(diff) } })
            let patch = try PatchEngine.parse(PatchEngine.extract(diff))
            let parse = median((0..<runs).map { _ in clock.measure { _ = try? PatchEngine.parse(diff) } })
            let validate = median(
                (0..<runs).map { _ in clock.measure { try? PatchEngine.validate(patch, policy: .init(), tree: base) } })
            let resolve = median(
                (0..<runs).map { _ in clock.measure { _ = try? PatchEngine.resolve(patch, against: base) } })
            print(
                "stages: extract \(milliseconds(extract)) ms, parse \(milliseconds(parse)) ms, validate \(milliseconds(validate)) ms, resolve \(milliseconds(resolve)) ms"
            )
        }
    }

    // MARK: Set-up

    /// toolz from fixtures/python-projects (or PATCH_BENCH_FIXTURES), extracted and committed in a temporary folder.
    static func makeToolzCheckout() throws -> URL {
        let fixtures =
            ProcessInfo.processInfo.environment["PATCH_BENCH_FIXTURES"]
            .map(URL.init(fileURLWithPath:)) ?? BenchFixtures.directory
        return try BenchFixtures.makeFixtureCheckout(archive: "toolz-1.2.0", scratch: "patch-bench", fixtures: fixtures)
    }

    /// Edits `files` Python files of a scratch copy at two places each and returns `git diff` (~500 lines).
    static func makeCleanDiff(base: URL, files: Int) throws -> String {
        let scratch = base.deletingLastPathComponent().appendingPathComponent("scratch")
        try shell(["cp", "-a", base.path, scratch.path])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let listed = try shell(["git", "ls-files", "*.py"], in: scratch).split(separator: "\n").map(String.init)
        var edited = 0
        for path in listed where edited < files {
            let url = scratch.appendingPathComponent(path)
            var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
            guard lines.count > 30 else { continue }
            for (number, at) in [lines.count / 4, lines.count * 3 / 4].enumerated().reversed() {
                lines[at] += "  # bench edit \(number)"
                lines.insert("# bench note \(number)", at: at + 1)
            }
            try lines.joined(separator: "\n").write(to: url, atomically: false, encoding: .utf8)
            edited += 1
        }
        return try shell(["git", "diff", "--no-color", "--no-ext-diff"], in: scratch)
    }

    // MARK: Helpers

    /// The baseline: git with the same scrubbed environment the engine uses.
    static func gitApplyCheck(_ diffFile: URL, in tree: URL) -> Bool {
        (try? shell(
            ["git", "-c", "core.hooksPath=/dev/null", "apply", "--check", diffFile.path], in: tree,
            environment: [
                "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": "/dev/null",
            ])) != nil
    }

    /// Runs `arguments` (through /usr/bin/env) and returns its standard output; throws unless it exits 0.
    @discardableResult
    static func shell(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws
        -> String
    {
        let (status, output) = try run(arguments, in: directory, environment: environment)
        guard status == 0 else { throw BenchError(command: arguments, status: status) }
        return output
    }

    /// Runs `arguments` (through /usr/bin/env): its exit status and standard output (standard error is
    /// dropped).
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct BenchError: Error {
        var command: [String]
        var status: Int32
    }

    static func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }

    static func milliseconds(_ duration: Duration) -> String {
        String(
            format: "%.2f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
    }
}
