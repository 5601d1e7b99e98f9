import Contracts
import Foundation
import SwiftProtobuf
import TestSupport
import Testing

/// Checks of repositories with dependencies, end to end: `selfcheck-runner check`, the real sandbox,
/// real pip and the real index (PyPI), the fixtures' pinned environments.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ProjectEnvironmentCheckTests {
    static let runner = Paths.product("selfcheck-runner").path
    /// Shared by the tests and kept between runs: environments are built once (that is the cache's job).
    static let cache = FileManager.default.temporaryDirectory.appendingPathComponent("selfcheck-env-tests-cache")

    struct Outcome {
        var status: Int32
        var report: CheckReport
        var stderr: String
        func step(_ name: String) -> StepResult? { report.steps.first { $0.name == name } }
    }

    func check(_ repo: URL, _ diff: String, _ extra: [String] = [], cache: URL = cache) throws -> Outcome {
        let output = try run(
            [
                Self.runner, "check", "--repo", repo.path, "--diff", "-", "--format", "json",
                "--cache-dir", cache.path,
            ] + extra, input: Data(diff.utf8), check: false)
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        let report = try CheckReport(jsonString: output.stdout, options: options)
        return Outcome(status: output.status, report: report, stderr: output.stderr)
    }

    /// The repository of issue 17: a module that imports yaml and one test of it.
    func yamlRepository(extraTest: String = "") throws -> FixtureRepo {
        let root = try makeTemporaryDirectory("yaml-repo").appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "PyYAML>=6\n".write(to: root.appendingPathComponent("requirements.txt"), atomically: true, encoding: .utf8)
        try "import yaml\n\n\ndef load(text):\n    return yaml.safe_load(text)\n".write(
            to: root.appendingPathComponent("conf.py"), atomically: true, encoding: .utf8)
        try ("from conf import load\n\n\ndef test_load():\n    assert load(\"a: 1\") == {\"a\": 1}\n" + extraTest)
            .write(
                to: root.appendingPathComponent("test_conf.py"), atomically: true, encoding: .utf8)
        try FixtureRepo.initializeRepository(at: root)
        return FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
    }

    @Test func yamlRepositoryBreakingPatchFailsAndCorrectPatchPasses() throws {
        let repo = try yamlRepository()
        defer { repo.remove() }
        let breaking = try repo.diff {
            try replace("yaml.safe_load(text)", with: "yaml.safe_load(text.upper())", in: "conf.py", at: $0)
        }
        let broken = try check(repo.root, breaking)
        #expect(broken.report.verdict == .fail, "\(broken.report.reason) \(broken.stderr)")
        #expect(broken.status == 1)
        #expect(broken.step("environment")?.status == .passed)
        #expect(
            broken.step("pytest")?.newFailures.map(\.key) == ["test_conf.py::test_load"]
                || broken.step("pytest")?.newFailures.contains { $0.key.contains("test_load") } == true,
            "\(broken.step("pytest").map { "\($0.newFailures) \($0.preexistingFailures) \($0.outputTail)" } ?? "no pytest step")"
        )
        #expect(
            broken.report.notes.contains { $0.hasPrefix("environment: ") && $0.contains("built from requirements.txt") }
        )

        let correct = try repo.diff {
            try replace("return yaml.safe_load(text)", with: "return dict(yaml.safe_load(text))", in: "conf.py", at: $0)
        }
        let passed = try check(repo.root, correct)
        #expect(
            passed.report.verdict == .pass,
            "\(passed.report.reason) \(passed.report.steps.map { "\($0.name) \($0.status) \($0.note) \($0.outputTail.suffix(600))" })"
        )
        #expect(passed.step("environment")?.note.hasPrefix("cached") == true)
        #expect(passed.report.notes.contains("pytest: 1 passed, 0 failed, 0 skipped"))
    }

    @Test func aCheckStepCannotReachTheIndexNorWriteTheEnvironment() throws {
        // The index's address, resolved here; the host reaches it (so the test below can fail).
        let probe =
            "import socket, sys; ip = socket.gethostbyname('pypi.org'); socket.create_connection((ip, 443), timeout=10).close(); print(ip)"
        let host = try run(["/usr/bin/python3", "-c", probe])
        let ip = host.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!ip.isEmpty)
        let netTest = """


            def test_index_unreachable():
                import socket

                try:
                    socket.create_connection(("\(ip)", 443), timeout=5).close()
                except OSError:
                    return
                raise AssertionError("reached the index from a check step")


            def test_environment_is_read_only():
                import os
                import yaml

                assert yaml.__file__.startswith("/opt/selfcheck-project-env/")
                try:
                    open(os.path.join(os.path.dirname(yaml.__file__), "planted.py"), "w").close()
                except OSError:
                    return
                raise AssertionError("wrote into the project environment")
            """
        let repo = try yamlRepository(extraTest: netTest)
        defer { repo.remove() }
        let touch = try repo.diff {
            try append("\n\ndef dump(data):\n    return yaml.safe_dump(data)\n", to: "conf.py", in: $0)
        }
        let outcome = try check(repo.root, touch)
        #expect(
            outcome.report.verdict == .pass,
            "\(outcome.report.steps.map { "\($0.name) \($0.status) \($0.outputTail.suffix(800))" })")
        #expect(outcome.report.notes.contains("pytest: 3 passed, 0 failed, 0 skipped"))
    }

    @Test func aSourceOnlyDependencyIsNeverBuiltOnTheHost() throws {
        let scratch = try makeTemporaryDirectory("sdist")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("MARKER")
        // An index (a directory of files) holding only an sdist whose setup.py writes the marker.
        let source = scratch.appendingPathComponent("evilpkg-1.0")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try """
        import pathlib
        pathlib.Path(\(String(reflecting: marker.path))).write_text("build code ran")
        from setuptools import setup
        setup(name="evilpkg", version="1.0")
        """.write(to: source.appendingPathComponent("setup.py"), atomically: true, encoding: .utf8)
        try "Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n".write(
            to: source.appendingPathComponent("PKG-INFO"), atomically: true, encoding: .utf8)
        let index = scratch.appendingPathComponent("index")
        try FileManager.default.createDirectory(at: index, withIntermediateDirectories: true)
        try run([
            "tar", "-czf", index.appendingPathComponent("evilpkg-1.0.tar.gz").path, "-C", scratch.path, "evilpkg-1.0",
        ])

        let repo = try yamlRepository()
        defer { repo.remove() }
        try "evilpkg==1.0\n".write(
            to: repo.root.appendingPathComponent("requirements.txt"), atomically: true, encoding: .utf8)
        try FixtureRepo.git(["commit", "-qam", "evilpkg"], in: repo.root)
        let diff = try repo.diff { try append("\n\nVERSION = 1\n", to: "conf.py", in: $0) }
        let outcome = try check(
            repo.root, diff, ["--package-index", index.path], cache: scratch.appendingPathComponent("cache"))
        #expect(outcome.report.verdict == .error)
        #expect(outcome.step("environment")?.status == .error)
        #expect(outcome.report.reason.contains("source-only"), "\(outcome.report.reason)")
        #expect(!FileManager.default.fileExists(atPath: marker.path))

        // Control: pip building the same sdist does run its code (so the assertion above can fail).
        let control = try run(
            [
                "/opt/selfcheck-tools/bin/python", "-m", "pip", "install", "--isolated", "--no-index",
                "--no-build-isolation",
                "--find-links", index.path, "--target", scratch.appendingPathComponent("control").path, "evilpkg",
            ], check: false)
        #expect(FileManager.default.fileExists(atPath: marker.path), "\(control.stdout) \(control.stderr)")
    }

    @Test func anAllowedDependencyChangeIsJudgedInAnEnvironmentForThePatchedDeclarations() throws {
        let repo = try yamlRepository()
        defer { repo.remove() }
        let patch = try repo.diff {
            try append("text-unidecode==1.3\n", to: "requirements.txt", in: $0)
            try replace("import yaml\n", with: "import text_unidecode\nimport yaml\n", in: "conf.py", at: $0)
            try append("\n\ndef ascii(text):\n    return text_unidecode.unidecode(text)\n", to: "conf.py", in: $0)
        }
        let refused = try check(repo.root, patch)
        #expect(refused.report.verdict == .fail)
        #expect(refused.step("environment")?.newFailures.map(\.kind) == [.dependencies])
        let allowed = try check(repo.root, patch, ["--allow-dependency-change"])
        #expect(
            allowed.report.verdict == .pass,
            "\(allowed.report.reason) \(allowed.report.steps.map { "\($0.name) \($0.status) \($0.note)" })")
        #expect(
            allowed.report.notes.contains { $0.hasPrefix("dependencies: the patch adds text-unidecode==1.3 (allowed") })
        #expect(allowed.report.notes.contains("pytest: 1 passed, 0 failed, 0 skipped"))
    }

    @Test func anEnvironmentTheOperatorNamesIsUsedAsItIs() throws {
        let scratch = try makeTemporaryDirectory("named-env")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let environment = scratch.appendingPathComponent("site")
        try run([
            "/opt/selfcheck-tools/bin/python", "-m", "pip", "install", "-q", "--isolated", "--only-binary=:all:",
            "--target", environment.path, "PyYAML>=6",
        ])
        try run(["chmod", "-R", "a+rX", scratch.path])
        let repo = try yamlRepository()
        defer { repo.remove() }
        let breaking = try repo.diff {
            try replace("yaml.safe_load(text)", with: "yaml.safe_load(text.upper())", in: "conf.py", at: $0)
        }
        let outcome = try check(
            repo.root, breaking, ["--python-env", environment.path, "--no-project-env"],
            cache: scratch.appendingPathComponent("cache"))
        #expect(outcome.report.verdict == .fail, "\(outcome.report.reason)")
        #expect(outcome.step("environment")?.note == "named: \(environment.path)")
        #expect(outcome.step("pytest")?.newFailures.map(\.key) == ["test_conf.py::test_load"])
        #expect(outcome.report.notes.contains { $0.contains("named by the operator") })
        #expect(
            !FileManager.default.fileExists(atPath: scratch.appendingPathComponent("cache/environments").path),
            "nothing was built")
    }

    /// With no network beyond loopback around the runner, a build from a local index (a directory of
    /// wheels) succeeds: the builder reaches nothing but the index it is given.
    @Test func aBuildFromALocalIndexNeedsNoNetwork() throws {
        let scratch = try makeTemporaryDirectory("local-index")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let index = scratch.appendingPathComponent("index")
        try FileManager.default.createDirectory(at: index, withIntermediateDirectories: true)
        // A minimal pure-Python wheel, made here.
        let make = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1] + "/tinydep-1.0-py3-none-any.whl", "w") as wheel:
                wheel.writestr("tinydep.py", "def answer():\\n    return 42\\n")
                wheel.writestr("tinydep-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: tinydep\\nVersion: 1.0\\n")
                wheel.writestr("tinydep-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                wheel.writestr("tinydep-1.0.dist-info/RECORD", "")
            """
        try run(["/usr/bin/python3", "-c", make, index.path])
        let root = scratch.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "[project]\nname = \"uses-tinydep\"\ndependencies = [\"tinydep==1.0\"]\n".write(
            to: root.appendingPathComponent("pyproject.toml"), atomically: true, encoding: .utf8)
        try "from tinydep import answer\n\n\ndef test_answer():\n    assert answer() == 42\n".write(
            to: root.appendingPathComponent("test_answer.py"), atomically: true, encoding: .utf8)
        try FixtureRepo.initializeRepository(at: root)
        let repo = FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
        let diff = try repo.diff {
            try append("\n\ndef test_more():\n    assert answer() + 1 == 43\n", to: "test_answer.py", in: $0)
        }
        // A new network namespace with only loopback up (Foundation needs a loopback socket pair).
        let output = try run(
            [
                "unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", Self.runner, "check", "--repo",
                root.path, "--diff", "-", "--format", "json",
                "--cache-dir", scratch.appendingPathComponent("cache").path, "--package-index", index.path,
            ],
            input: Data(diff.utf8), check: false)
        let report = try CheckReport(jsonString: output.stdout)
        #expect(report.verdict == .pass, "\(report.reason) \(output.stderr)")
        #expect(report.steps.first { $0.name == "environment" }?.status == .passed)
        #expect(report.notes.contains("pytest: 2 passed, 0 failed, 0 skipped"))
    }

    // MARK: The fixtures with dependencies

    struct FixtureCase: Sendable, CustomStringConvertible {
        var name: String
        var file: String
        var breaking: (old: String, new: String)
        var brokenTest: String
        var addition: String
        var description: String { name }
    }

    static let fixtures = [
        FixtureCase(
            name: "python_slugify", file: "slugify/slugify.py",
            breaking: ("DEFAULT_SEPARATOR = '-'", "DEFAULT_SEPARATOR = \"_\""), brokenTest: "tests/test_",
            addition: "\n\ndef shout(text: str) -> str:\n    return slugify(text).upper()\n"),
        FixtureCase(
            name: "prettytable", file: "src/prettytable/prettytable.py",
            breaking: ("return wcwidth.width(val)", "return max(wcwidth.width(val), len(val))"),
            brokenTest: "tests/test_",
            addition: "\n\ndef _str_block_height(val: str) -> int:\n    return len(val.split(\"\\n\"))\n"),
    ]

    func pins(_ name: String) -> [String] {
        ["--env-requirements", Paths.fixtures.appendingPathComponent("\(name).requirements.txt").path]
    }

    @Test(arguments: fixtures) func fixtureBreakingPatchFailsNamingTheTest(_ fixture: FixtureCase) throws {
        let repo = try FixtureRepo.make(fixture.name)
        defer { repo.remove() }
        let breaking = try repo.diff {
            try replace(fixture.breaking.old, with: fixture.breaking.new, in: fixture.file, at: $0)
        }
        let outcome = try check(repo.root, breaking, pins(fixture.name))
        #expect(
            outcome.report.verdict == .fail,
            "\(outcome.report.reason) \(outcome.report.steps.map { "\($0.name) \($0.status) \($0.note)" })")
        let failures = outcome.step("pytest")?.newFailures ?? []
        #expect(
            !failures.isEmpty
                && failures.allSatisfy {
                    $0.kind == .test && $0.key.hasPrefix(fixture.brokenTest) && $0.key.contains("::test_")
                }, "\(failures)")
        #expect(outcome.step("black")?.status == .passed && outcome.step("ruff")?.status == .passed)
    }

    @Test(arguments: fixtures) func fixtureCorrectPatchPasses(_ fixture: FixtureCase) throws {
        let repo = try FixtureRepo.make(fixture.name)
        defer { repo.remove() }
        let correct = try repo.diff { try append(fixture.addition, to: fixture.file, in: $0) }
        let outcome = try check(repo.root, correct, pins(fixture.name))
        #expect(
            outcome.report.verdict == .pass,
            "\(outcome.report.reason) \(outcome.report.steps.map { "\($0.name) \($0.status) \($0.note) \($0.outputTail.suffix(1500))" })"
        )
        #expect(outcome.step("environment")?.status == .passed)
        #expect(outcome.report.notes.contains { $0.hasPrefix("environment: ") && $0.contains("pinned requirements") })
        // The tests ran for real: far more than a handful passed, none failed.
        let counts = outcome.report.notes.first { $0.hasPrefix("pytest: ") && $0.contains(" passed, ") } ?? ""
        #expect(counts.contains(" 0 failed"), "\(counts)")
        let passed = Int(counts.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(passed > 100, "\(counts)")
    }

    @Test(arguments: fixtures) func fixturePatchAddingADependencyIsADependencyChange(_ fixture: FixtureCase) throws {
        let repo = try FixtureRepo.make(fixture.name)
        defer { repo.remove() }
        let old = fixture.name == "prettytable" ? "\"wcwidth>=0.3.5\",\n" : "dependencies = [\"text-unidecode>=1.3\""
        let new =
            fixture.name == "prettytable"
            ? "\"wcwidth>=0.3.5\",\n  \"requests>=2\",\n" : "dependencies = [\"text-unidecode>=1.3\", \"requests>=2\""
        let patch = try repo.diff {
            try replace(old, with: new, in: "pyproject.toml", at: $0)
            try append(fixture.addition, to: fixture.file, in: $0)
        }
        let outcome = try check(repo.root, patch, pins(fixture.name))
        #expect(outcome.report.verdict == .fail)
        #expect(outcome.status == 1)
        let finding = outcome.step("environment")?.newFailures.first
        #expect(finding?.kind == .dependencies)
        #expect(finding?.key == "pyproject.toml")
        #expect(finding?.message == "the patch adds requests>=2")
        #expect(outcome.step("pytest") == nil, "nothing ran after the dependency change")
    }
}
