import Contracts
import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// What a repository declares, read by the runner on the host from hostile files.
@Suite struct ProjectEnvironmentDeclarationTests {
    func declarations(_ files: [String: String]) -> Declarations {
        Declarations.read { files[$0].map { Data($0.utf8) } }
    }

    @Test func readsPEP621DependenciesTestExtrasAndPEP735Groups() {
        let found = declarations([
            "pyproject.toml": """
            [build-system]
            requires = ["setuptools"]  # not a dependency of the tests

            [project]
            name = "My_Project"
            authors = [
              { name = "A", email = "a@example.invalid" },
            ]
            dependencies = [
              "PyYAML>=6",  # a comment
              'requests[socks] ; python_version >= "3.8"',
            ]
            optional-dependencies.tests = ["pytest-lazy-fixtures"]

            [project.optional-dependencies]
            docs = ["sphinx"]
            test = ["hypothesis>=6", "my-project[docs]"]

            [dependency-groups]
            lint = ["ruff"]
            base = ["attrs"]
            dev = ["freezegun", {include-group = "base"}, {include-group = "dev"}]
            """
        ])
        #expect(
            found.requirements == [
                "PyYAML>=6", "requests[socks] ; python_version >= \"3.8\"", "hypothesis>=6",
                "pytest-lazy-fixtures", "freezegun", "attrs",
            ])
        #expect(found.projectName == "my-project")
        #expect(found.refused == ["my-project[docs]: the project itself comes from the workspace, not the index"])
        #expect(found.sources.first == "pyproject.toml [project.dependencies]")
        #expect(
            !found.requirements.contains("sphinx") && !found.requirements.contains("ruff")
                && !found.requirements.contains("setuptools"))
    }

    @Test func requirementFilesRefuseOptionsURLsAndPaths() {
        let found = declarations([
            "requirements.txt": """
            # comment
            six==1.16.0 \\
                --hash=sha256:abc
            -r ../../etc/other.txt
            --index-url https://evil.example/simple
            --extra-index-url=https://evil.example/simple
            -e .
            -e git+https://example.invalid/x.git#egg=x
            ./local-package
            /abs/path/pkg.whl
            evil @ https://evil.example/evil.tar.gz
            https://evil.example/direct.whl
            name; os.system('x') == 1
            """,
            "requirements/test.txt": "pytest-mock>=3  # inline comment\n",
            "requirements-nonstandard.txt": "never-read\n",
        ])
        #expect(found.requirements == ["six==1.16.0", "pytest-mock>=3"])
        #expect(found.sources == ["requirements.txt", "requirements/test.txt"])
        #expect(found.refused.count == 10, "\(found.refused)")
        #expect(found.refused.allSatisfy { !$0.isEmpty })
        #expect(!found.requirements.contains { $0.contains("evil") || $0.hasPrefix("-") || $0.contains("/") })
    }

    @Test func oversizedFilesAndSymlinksAreNotRead() throws {
        let root = try makeTemporaryDirectory("decl")
        defer { try? FileManager.default.removeItem(at: root) }
        let secret = root.appendingPathComponent("secret.txt")
        try "leaked-package==1\n".write(to: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("requirements.txt").path, withDestinationPath: secret.path)
        try String(repeating: "a==1\n", count: 60_000).write(
            to: root.appendingPathComponent("requirements-dev.txt"), atomically: true, encoding: .utf8)
        let found = Declarations.read(checkout: root)
        #expect(found.requirements.isEmpty)
        #expect(found.refused.contains { $0.hasPrefix("requirements-dev.txt: larger than") })
    }

    @Test func aPatchThatChangesTheDeclarationsIsADependencyChange() throws {
        let root = try makeTemporaryDirectory("decl")
        defer { try? FileManager.default.removeItem(at: root) }
        let work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "[project]\nname = \"x\"\ndependencies = [\"PyYAML\"]\n".write(
            to: work.appendingPathComponent("pyproject.toml"), atomically: true, encoding: .utf8)
        let base = Declarations.read(checkout: work)
        let workspace = CopiedWorkspace(root: work)
        #expect(
            ProjectEnvironments.dependencyChange(base: base, workspace: workspace, patchFiles: ["pyproject.toml"])
                == nil)
        try "[project]\nname = \"x\"\ndependencies = [\"PyYAML\", \"requests>=2\"]\n".write(
            to: work.appendingPathComponent("pyproject.toml"), atomically: true, encoding: .utf8)
        let change = try #require(
            ProjectEnvironments.dependencyChange(base: base, workspace: workspace, patchFiles: ["pyproject.toml"]))
        #expect(change.description == "the patch adds requests>=2")
        #expect(change.files == ["pyproject.toml"])
        // A file outside the declaration files is never one.
        #expect(ProjectEnvironments.dependencyChange(base: base, workspace: workspace, patchFiles: ["x.py"]) == nil)
    }

    @Test func aRequestMayOnlyPickAnEnvironmentTheOperatorNamed() async throws {
        let root = try makeTemporaryDirectory("decl")
        defer { try? FileManager.default.removeItem(at: root) }
        var environments = ProjectEnvironments()
        environments.choices["ml"] = ProjectEnvironment(
            path: root.path, sitePackages: "", interpreter: "python", hash: "operator", origin: "named")
        let runner = HostRunner()
        for hostile in ["/etc", "../ml", "ml/../..", "ML"] {
            let outcome = await environments.prepare(
                checkout: root, workspace: CopiedWorkspace(root: root), patchFiles: [], runner: runner,
                request: .with { $0.pythonEnv = hostile })
            #expect(outcome.step.status == .error)
            #expect(outcome.runner == nil)
        }
        let chosen = await environments.prepare(
            checkout: root, workspace: CopiedWorkspace(root: root), patchFiles: [], runner: runner,
            request: .with { $0.pythonEnv = "ml" })
        #expect(chosen.step.status == .passed)
        #expect(chosen.notes.contains { $0.contains(root.path) })
    }

    @Test func theCacheIsTrimmedLeastRecentlyUsedFirst() throws {
        let root = try makeTemporaryDirectory("env-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        for (index, name) in ["old", "middle", "new", "current"].enumerated() {
            let directory = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(count: 1000).write(to: directory.appendingPathComponent("payload"))
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: Double(index - 10) * 60)], ofItemAtPath: directory.path)
        }
        // "current" is the oldest by mtime here but is the one in use: it stays.
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)],
            ofItemAtPath: root.appendingPathComponent("current").path)
        EnvironmentCache(directory: root).trim(toBytes: 2000, keeping: "current")
        let left = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(left == ["current", "new"])
    }

    @Test func aCacheUnderADirectoryTheSandboxCannotSearchMovesToAPrivateOne() throws {
        let root = try makeTemporaryDirectory("env-dir")
        defer { try? FileManager.default.removeItem(at: root) }
        let closed = root.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        chmod(closed.path, 0o700)
        #expect(
            EnvironmentDirectory.blockedAncestor(of: closed.appendingPathComponent("cache/environments")) == closed.path
        )
        #expect(EnvironmentDirectory.blockedAncestor(of: root.appendingPathComponent("open/environments")) == nil)
        let (chosen, note) = try EnvironmentDirectory.choose(preferred: closed.appendingPathComponent("environments"))
        #expect(chosen.path.hasPrefix(FileManager.default.temporaryDirectory.path))
        #expect(note != nil)
    }

    @Test func theEnvironmentGoesOnPythonPathAfterTheWorkspace() {
        let flat = ProjectEnvironment(path: "/x", sitePackages: "env", interpreter: "p", hash: "h", origin: "o")
        #expect(flat.pythonPath(srcLayout: false) == "/work:/opt/selfcheck-project-env/env")
        #expect(flat.pythonPath(srcLayout: true) == "/work:/work/src:/opt/selfcheck-project-env/env")
    }
}
