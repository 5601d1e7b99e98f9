import Foundation

/// What the suites that run the real runner on a fixture share: the runner executable built next to
/// bench, and a fixture archive extracted and committed in a scratch folder of its own.
enum BenchFixtures {
    /// fixtures/python-projects of this package.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/python-projects")

    /// `selfcheck-runner` next to this `bench` executable; nil (with a line saying so) when it is not built.
    static func runnerNextToBench() -> String? {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "selfcheck-runner"
        ).path
        guard FileManager.default.isExecutableFile(atPath: runner) else {
            print("selfcheck-runner is not built next to bench (\(runner)); scripts/bench builds both")
            return nil
        }
        return runner
    }

    /// `archive`.tar.gz extracted into a new scratch folder (named `scratch`-…), then `git init` and one
    /// commit. Returns the checkout; its parent is the scratch folder, which the caller removes.
    static func makeFixtureCheckout(archive: String, scratch: String, fixtures: URL = directory) throws -> URL {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(scratch)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        try PatchBench.shell([
            "tar", "--no-same-owner", "-xzf", fixtures.appendingPathComponent(archive + ".tar.gz").path, "-C",
            parent.path,
        ])
        let root = parent.appendingPathComponent(archive)
        try PatchBench.shell(["git", "init", "-q", "-b", "main"], in: root)
        try PatchBench.shell(["git", "add", "-A"], in: root)
        try PatchBench.shell(
            ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "base"],
            in: root)
        return root
    }
}

/// `selfcheck-runner serve` on `socket`, started for a suite; `stop()` ends it (SIGTERM, then waits).
struct ServedRunner {
    let process: Process

    /// Starts `runner serve --socket socket` with `arguments` and returns once the socket exists.
    static func start(_ runner: String, socket: String, _ arguments: [String]) async throws -> ServedRunner {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runner)
        process.arguments = ["serve", "--socket", socket] + arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        let served = ServedRunner(process: process)
        do {
            while !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(20)) }
        } catch {
            served.stop()
            throw error
        }
        return served
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
