import Contracts
import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// Test selection (TestSelection/) with the real entry point recording the map of a small repository
/// at its base (host stand-in for the sandbox), then patches that the selection must narrow, and
/// patches whose safety net must run every test.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TestSelectionTests {
    static let ops = """
        import functools

        LIMIT = 10


        def add(a, b):
            return a + b


        def mul(a, b):
            total = 0
            for _ in range(b):
                total = add(total, a)
            return total


        def unused(x):
            return x


        def configured():
            return LIMIT


        @functools.lru_cache(maxsize=None)
        def cached():
            return 1


        class Box:
            def get(self):
                return 1

        """
    static let conftest = """
        import pytest

        from calc import ops


        @pytest.fixture(scope="session")
        def limit():
            return ops.configured()

        """
    static let tests = """
        import subprocess
        import sys

        from calc import ops


        def test_add():
            assert ops.add(1, 2) == 3


        def test_mul():
            assert ops.mul(2, 3) == 6


        def test_limit(limit):
            assert limit == 10


        def test_plain():
            assert True


        def test_child():
            out = subprocess.run([sys.executable, "-c", "print(3)"], capture_output=True, text=True)
            assert out.stdout.strip() == "3"

        """
    static let everyTest = ["test_add", "test_mul", "test_limit", "test_plain", "test_child"].map {
        "tests/test_ops.py::\($0)"
    }

    /// A repository with the base's map already cached (one check ran on it).
    final class Bed: Sendable {
        let repo: FixtureRepo
        let cache: URL
        init() throws {
            let parent = try makeTemporaryDirectory("selection-repo")
            let root = parent.appendingPathComponent("repo")
            for (path, text) in [
                ("calc/__init__.py", ""), ("calc/ops.py", TestSelectionTests.ops),
                ("conftest.py", TestSelectionTests.conftest), ("tests/test_ops.py", TestSelectionTests.tests),
            ] {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: false, encoding: .utf8)
            }
            try FixtureRepo.initializeRepository(at: root)
            repo = FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
            cache = try makeTemporaryDirectory("selection-cache")
        }
        deinit {
            repo.remove()
            try? FileManager.default.removeItem(at: cache)
        }

        /// These tests map the base before the first check (production maps it when the base first runs).
        func configuration(_ cache: URL) -> CheckPipeline.Configuration {
            var configuration = CheckPipeline.Configuration(cacheDirectory: cache)
            configuration.mapBaseBeforeSelecting = true
            return configuration
        }

        func check(_ edit: (URL) throws -> Void, allTests: Bool = false) async throws -> (CheckReport, HostRunner) {
            let diff = try repo.diff(edit)
            let runner = HostRunner()
            let pipeline = CheckPipeline(
                runner: runner, patches: GitCheckResolver(), configuration: configuration(cache))
            var request = CheckRequest()
            request.requestID = "selection"
            request.repoPath = repo.root.path
            request.diff = diff
            request.steps = ["pytest"]
            request.allTests = allTests
            return (await pipeline.execute(request, events: { _ in }), runner)
        }
    }

    static func body(_ old: String, _ new: String) -> (URL) throws -> Void {
        { try replace(old, with: new, in: "calc/ops.py", at: $0) }
    }

    @Test func aChangedFunctionRunsOnlyTheTestsThatExecutedIt() async throws {
        let bed = try Bed()
        let (cold, _) = try await bed.check(Self.body("    return a + b\n", "    return b + a\n"))
        #expect(cold.verdict == .pass, "\(cold.reason) \(cold.notes)")
        #expect(cold.notes.contains("pytest ran at the base to tell new failures from pre-existing ones"))
        // test_child started a process (not traced): it always runs. test_limit and test_plain never
        // called add.
        let expected = ["test_add", "test_mul", "test_child"].map { "tests/test_ops.py::\($0)" }
        #expect(cold.testSelection.used)
        #expect(Set(cold.testSelection.selected) == Set(expected), "\(cold.testSelection)")
        #expect(cold.testSelection.deselected == 2)
        #expect(cold.tamper.isEmpty, "left-out tests did not vanish: \(cold.tamper)")

        // Warm: the map comes from the cache, the base does not run again.
        let (warm, runner) = try await bed.check(Self.body("    return a + b\n", "    return (a + b)\n"))
        #expect(warm.verdict == .pass, "\(warm.reason)")
        #expect(Set(warm.testSelection.selected) == Set(expected))
        #expect(warm.notes.contains("pytest baseline from cache"))
        #expect(runner.commands.count == 2, "apply and one pytest run: \(runner.commands)")
        #expect(warm.notes.contains { $0.hasPrefix("pytest: selection ran 3 test(s), left out 2") }, "\(warm.notes)")
    }

    @Test func aFunctionNoTestExecutesRunsOnlyTheAlwaysTests() async throws {
        let bed = try Bed()
        let (report, _) = try await bed.check(Self.body("    return x\n", "    return x + 0\n"))
        #expect(report.verdict == .pass, "\(report.reason)")
        #expect(report.testSelection.selected == ["tests/test_ops.py::test_child"], "\(report.testSelection)")
        #expect(report.testSelection.deselected == 4)
    }

    @Test(arguments: [
        ("a session fixture's function", "    return LIMIT\n", "    return LIMIT + 0\n", "shared fixture"),
        ("a module-level global", "LIMIT = 10\n", "LIMIT = 11\n", "module-level"),
        ("a decorator", "@functools.lru_cache(maxsize=None)\n", "@functools.lru_cache(maxsize=2)\n", "module-level"),
        ("a class body", "        return 1\n", "        return 1\n\n    size = 2\n", "not indented into"),
        ("a signature", "def add(a, b):\n", "def add(a, b=1):\n", "module-level"),
        ("an open multi-line string", "    return x\n", "    return x  # \"\"\"\n", "multi-line string"),
        ("an open bracket", "    total = 0\n", "    total = (0\n", "bracket"),
    ])
    func changesOutsideAFunctionBodyRunEveryTest(
        _ what: String, _ old: String, _ new: String, _ reason: String
    ) async throws {
        let bed = try Bed()
        let (report, _) = try await bed.check(Self.body(old, new))
        #expect(!report.testSelection.used, "\(what): \(report.testSelection)")
        #expect(report.testSelection.reason.contains(reason), "\(what): \(report.testSelection.reason)")
        #expect(report.notes.contains { $0.hasPrefix("pytest: every test ran: ") })
        let ran = report.notes.first { $0.hasPrefix("pytest: tests run: ") } ?? ""
        #expect(ran.hasPrefix("pytest: tests run: 5 after the patch") || report.verdict != .pass, "\(what): \(ran)")
    }

    @Test func testCodeConfigurationAndNewFilesRunEveryTest() async throws {
        let bed = try Bed()
        let edits: [(String, (URL) throws -> Void, String)] = [
            (
                "a test", { try replace("assert True", with: "assert 1", in: "tests/test_ops.py", at: $0) },
                "test code"
            ),
            ("conftest.py", { try append("\n", to: "conftest.py", in: $0) }, "test code"),
            (
                "a non-Python file",
                { try "x\n".write(to: $0.appendingPathComponent("data.txt"), atomically: false, encoding: .utf8) },
                "not Python"
            ),
            (
                "a new module",
                {
                    try "def f():\n    return 1\n".write(
                        to: $0.appendingPathComponent("calc/new.py"), atomically: false, encoding: .utf8)
                },
                "new file"
            ),
        ]
        for (what, edit, reason) in edits {
            let (report, _) = try await bed.check(edit)
            #expect(!report.testSelection.used, "\(what)")
            #expect(report.testSelection.reason.contains(reason), "\(what): \(report.testSelection.reason)")
        }
        let (off, _) = try await bed.check(Self.body("    return a + b\n", "    return b + a\n"), allTests: true)
        #expect(!off.testSelection.used)
        #expect(off.testSelection.reason.contains("--all-tests"))
    }

    @Test func aFailureUnderSelectionIsConfirmedWithEveryTest() async throws {
        let bed = try Bed()
        let breaks = Self.body("    return a + b\n", "    return a - b\n")
        let (selected, _) = try await bed.check(breaks)
        let (all, _) = try await bed.check(breaks, allTests: true)
        #expect(selected.verdict == .fail)
        #expect(!selected.testSelection.used)
        #expect(selected.testSelection.reason.contains("confirmed with every test"), "\(selected.testSelection)")
        #expect(Self.findings(selected) == Self.findings(all))
        #expect(Self.findings(selected).contains("test tests/test_ops.py::test_add"))
    }

    static func findings(_ report: CheckReport) -> [String] {
        (report.steps.flatMap(\.newFailures) + report.tamper).map { "\($0.kind) \($0.key)" }.sorted()
    }

    // MARK: The map is untrusted data

    @Test func anUnusableMapRunsEveryTest() {
        for data in [
            nil, Data("not json".utf8), Data(#"{"version": 2}"#.utf8), Data(#"{"version": 1, "files": 3}"#.utf8),
        ] {
            guard case .failure(let why) = TestMap.parse(data) else {
                Issue.record("accepted \(String(describing: data))")
                continue
            }
            #expect(!why.used)
        }
        let lost =
            #"{"version":1,"lost":"t replaced the trace function","files":{},"shared":{},"tests":{},"always":[]}"#
        guard case .failure(let why) = TestMap.parse(Data(lost.utf8)) else {
            Issue.record("lost map accepted")
            return
        }
        #expect(why.reason.contains("replaced the trace function"))
    }

    @Test func aTestTheMapDoesNotKnowRunsAndAStaleFileRunsEverything() throws {
        let source = "def f():\n    return 1\n"
        let sha = SHA1.hex(Array(source.utf8))
        let map = TestMap(
            version: 1, lost: nil, files: ["m.py": .init(sha1: sha, functions: [[1, 2, 2, 0]])], shared: [:],
            tests: ["t.py::a": ["m.py": [0]], "t.py::b": [:]], always: [])
        let base = ["t.py::a", "t.py::b", "t.py::c"].map {
            TestOutcome(id: $0, status: .passed, isCollectionError: false, message: "")
        }
        let change = FileChanges(
            path: "m.py", blocks: [.init(removed: [2], removedText: ["    return 1"], added: ["    return 2"])])
        let choice = TestSelector.choose(
            changes: [change], map: map, base: base, baseFile: { _ in Data(source.utf8) })
        #expect(choice.selected == ["t.py::a", "t.py::c"], "c is not in the map: it runs")
        #expect(choice.deselected == 1)
        let stale = TestSelector.choose(
            changes: [change], map: map, base: base, baseFile: { _ in Data("def f():\n    return 3\n".utf8) })
        #expect(!stale.used)
        #expect(stale.reason.contains("does not match"))
    }

    @Test func changeBlocksKnowWhereAnInsertionSits() {
        let diff = """
            diff --git a/m.py b/m.py
            index 1..2 100644
            --- a/m.py
            +++ b/m.py
            @@ -1,4 +1,5 @@
             def f():
            -    a = 1
            +    a = 2
                 b = 2
            +    c = 3
                 return a

            """
        let files = FileChanges.parse(diff)
        #expect(files.map(\.path) == ["m.py"])
        #expect(files.first?.kindChange == nil)
        let blocks = files.first?.blocks ?? []
        #expect(blocks.count == 2)
        #expect(blocks.first?.removed == [2])
        #expect(blocks.first?.added == ["    a = 2"])
        #expect(blocks.last?.removed == [])
        #expect(blocks.last.map { [$0.before, $0.after] } == [3, 4])
    }
}
