import Contracts
import Foundation
import RunnerProtocolClient
import TestSupport
import Testing

@testable import SelfCheck

/// The background mapping (TestSelection/BaseMapper.swift) through the real `selfcheck-runner serve`,
/// its sandbox and real pytest, on the small repository of TestSelectionTests: a passing check on an
/// unmapped base runs every test, the runner maps the base after the report, and the next check selects.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BackgroundMapTests {
    /// Sleeps only under the map's trace function, so the checks stay quick and the mapping is slow.
    static let slowWhenTraced = """

        def test_slow_when_traced():
            import sys
            import time

            if sys.gettrace() is not None:
                time.sleep(120)

        """

    static func makeRepository(extraTests: String = "") throws -> FixtureRepo {
        let root = try makeTemporaryDirectory("background-map").appendingPathComponent("repo")
        for (path, text) in [
            ("calc/__init__.py", ""), ("calc/ops.py", TestSelectionTests.ops),
            ("conftest.py", TestSelectionTests.conftest), ("tests/test_ops.py", TestSelectionTests.tests + extraTests),
        ] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }
        try FixtureRepo.initializeRepository(at: root)
        return FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
    }

    static func body(_ old: String, _ new: String) -> (URL) throws -> Void {
        { try replace(old, with: new, in: "calc/ops.py", at: $0) }
    }

    /// One check over the socket; `byDescriptor` passes the checkout as a directory fd, as the agent does.
    static func check(_ server: RunnerProcess, _ repo: FixtureRepo, _ diff: String, byDescriptor: Bool = false)
        async throws -> CheckReport
    {
        let request = CheckRequest.with {
            $0.requestID = "background-map"
            $0.repoPath = repo.root.path
            $0.diff = diff
            $0.steps = ["pytest"]
        }
        let client = RunnerClient(socketPath: server.socket)
        let directory = open(repo.root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(directory) }
        let updates = byDescriptor ? client.check(request, workspaceDirectory: directory) : client.check(request)
        for try await update in updates {
            if case .report(let report) = update { return report }
        }
        throw NoReport()
    }

    struct NoReport: Error {}

    /// The baseline records in the runner's cache that hold a test map (or why the base has none).
    static func mapRecords(_ server: RunnerProcess) -> [Baseline] {
        let cache = server.directory.appendingPathComponent("cache")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []
        return files.filter { $0.hasPrefix("baseline-") && $0.hasSuffix(".json") }.compactMap {
            (try? Data(contentsOf: cache.appendingPathComponent($0))).flatMap {
                try? JSONDecoder().decode(Baseline.self, from: $0)
            }
        }.filter { $0.testMap != nil || $0.testMapProblem != nil }
    }

    static func waitForMap(_ server: RunnerProcess) async throws -> Baseline? {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let record = mapRecords(server).first { return record }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    @Test func aPassingCheckMapsTheBaseInTheBackgroundAndTheNextCheckSelects() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        let repo = try Self.makeRepository()
        defer { repo.remove() }
        let cold = try await Self.check(
            server, repo, try repo.diff(Self.body("    return a + b\n", "    return b + a\n")), byDescriptor: true)
        #expect(cold.verdict == .pass, "\(cold.reason) \(cold.notes)")
        #expect(!cold.testSelection.used)
        #expect(cold.testSelection.reason.contains("not mapped yet"), "\(cold.testSelection)")
        #expect(!cold.notes.contains { $0.contains("ran at the base") }, "the check itself did not run the base")

        let record = try #require(try await Self.waitForMap(server), "no map written after the passing check")
        let map = try #require(record.testMap, "\(record.testMapProblem ?? "")")
        #expect(Set(map.tests.keys) == Set(TestSelectionTests.everyTest), "\(map.tests.keys)")
        #expect(record.tests?.count == 5)

        let warm = try await Self.check(
            server, repo, try repo.diff(Self.body("    return a + b\n", "    return (a + b)\n")))
        #expect(warm.verdict == .pass, "\(warm.reason)")
        #expect(warm.testSelection.used, "\(warm.testSelection)")
        let expected = ["test_add", "test_mul", "test_child"].map { "tests/test_ops.py::\($0)" }
        #expect(Set(warm.testSelection.selected) == Set(expected), "\(warm.testSelection)")
        #expect(warm.testSelection.deselected == 2)
        #expect(warm.notes.contains("pytest baseline from cache"), "\(warm.notes)")
    }

    /// The patch of the check that leads to the mapping writes a forged map wherever its code runs (its
    /// workspace, the checkout): the check fails as tamper, and the mapping runs the base, not the patch,
    /// so a later patch that breaks `add` still runs test_add and fails.
    @Test func aPatchCannotPoisonTheBackgroundMap() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        let repo = try Self.makeRepository()
        defer { repo.remove() }
        let source = try Data(contentsOf: repo.root.appendingPathComponent("calc/ops.py"))
        // Every test known and running nothing: a map that would leave test_add out when add changes.
        let forged = try String(
            decoding: JSONSerialization.data(
                withJSONObject: [
                    "version": 1,
                    "files": ["calc/ops.py": ["sha1": SHA1.hex(Array(source)), "functions": [[6, 7, 7, 0]]]],
                    "shared": [:] as [String: Any],
                    "tests": Dictionary(
                        uniqueKeysWithValues: TestSelectionTests.everyTest.map { ($0, [:] as [String: Any]) }),
                    "always": [] as [String],
                ], options: [.sortedKeys]), as: UTF8.self)
        let forging = """
                import os

                for folder in (os.getcwd(), \(String(reflecting: repo.root.path))):
                    try:
                        os.makedirs(os.path.join(folder, ".selfcheck"), exist_ok=True)
                        with open(os.path.join(folder, ".selfcheck", "testmap.json"), "w") as out:
                            out.write(\(String(reflecting: forged)))
                    except OSError:
                        pass
                return a + b

            """
        let first = try await Self.check(server, repo, try repo.diff(Self.body("    return a + b\n", forging)))
        // Writing into .selfcheck/ is tamper already; what matters here is the map the runner keeps.
        #expect(first.verdict == .fail && !first.tamper.isEmpty, "\(first.reason) \(first.notes)")
        #expect(first.testSelection.reason.contains("not mapped yet"), "\(first.testSelection)")
        #expect(
            !FileManager.default.fileExists(atPath: repo.root.appendingPathComponent(".selfcheck").path),
            "the sandbox keeps the checkout read-only")
        let record = try #require(try await Self.waitForMap(server))
        let map = try #require(record.testMap)
        #expect(map.tests["tests/test_ops.py::test_add"]?["calc/ops.py"]?.isEmpty == false, "\(map.tests)")

        let breaks = try await Self.check(
            server, repo, try repo.diff(Self.body("    return a + b\n", "    return a - b\n")))
        #expect(breaks.verdict == .fail, "\(breaks.reason) \(breaks.testSelection)")
        #expect(
            breaks.steps.flatMap(\.newFailures).contains { $0.key == "tests/test_ops.py::test_add" },
            "\(breaks.steps.flatMap(\.newFailures).map(\.key))")
        let harmless = try await Self.check(
            server, repo, try repo.diff(Self.body("    return a + b\n", "    return (a + b)\n")))
        #expect(harmless.testSelection.used)
        #expect(harmless.testSelection.selected.contains("tests/test_ops.py::test_add"), "\(harmless.testSelection)")
    }

    /// SIGTERM while the base is being mapped: the mapping's job is killed at once (not after its two
    /// minutes), nothing is stored, and the next runner on the same cache finds the base unmapped.
    @Test func shutdownWhileMappingStoresNoMap() async throws {
        let server = try RunnerProcess()
        defer { if server.process.isRunning { server.stop() } }
        let repo = try Self.makeRepository(extraTests: Self.slowWhenTraced)
        defer { repo.remove() }
        let diff = try repo.diff(Self.body("    return a + b\n", "    return b + a\n"))
        let cold = try await Self.check(server, repo, diff)
        #expect(cold.verdict == .pass, "\(cold.reason) \(cold.notes)")
        #expect(cold.testSelection.reason.contains("not mapped yet"), "\(cold.testSelection)")
        // The mapping started before the report was sent; give its sandbox time to reach the slow test.
        try await Task.sleep(for: .seconds(3))
        #expect(!server.children.isEmpty, "the mapping's sandbox runs")
        let clock = ContinuousClock()
        let stopping = clock.now
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        #expect(clock.now - stopping < .seconds(30), "shutdown waited for the mapping")
        #expect(server.process.terminationStatus == 0)
        #expect(Self.mapRecords(server).isEmpty, "no map stored")
        #expect(server.temporaryEntries.isEmpty, "the mapping's workspaces are removed: \(server.temporaryEntries)")

        let restarted = try RunnerProcess(directory: server.directory)
        defer { restarted.stop() }
        let again = try await Self.check(restarted, repo, diff)
        #expect(!again.testSelection.used)
        #expect(again.testSelection.reason.contains("not mapped yet"), "\(again.testSelection)")
    }
}
