/// The check tools and how each is invoked. They live in the read-only tool environment that
/// scripts/setup builds (`/opt/selfcheck-tools`), which the sandbox mounts at the same path.
public struct ToolCommands: Sendable, Hashable, Codable {
    public var toolEnvironment: String = "/opt/selfcheck-tools"
    public init(toolEnvironment: String = "/opt/selfcheck-tools") { self.toolEnvironment = toolEnvironment }

    var python: String { toolEnvironment + "/bin/python" }

    func gitApply() -> [String] {
        // safe.directory: the checkout belongs to another uid than the sandboxed job.
        ["git", "-c", "safe.directory=*", "-c", "core.hooksPath=/dev/null", "apply", "--whitespace=nowarn", "-"]
    }

    func blackDiff(_ files: [String]) -> [String] {
        // -P: the workspace (the job's cwd) is not on sys.path, so a black.py there cannot shadow black.
        [python, "-P", "-s", "-m", "black", "--check", "--diff", "--no-color", "-q", "--"] + files
    }

    static let ruffReportPath = ".selfcheck/ruff.json"

    /// ruff writes its JSON to a file in the workspace: the job's captured output keeps only a tail.
    func ruffCheck(_ files: [String]) -> [String] {
        [
            toolEnvironment + "/bin/ruff", "check", "--no-cache", "--output-format", "json", "--exit-zero",
            "--output-file", Self.ruffReportPath, "--",
        ] + files
    }

    /// pytest through the tool environment's entry point, which reports results on the job's output
    /// (see ResultChannel). -P keeps the workspace off sys.path and -s the user site (HOME) out of it;
    /// no -I/-E: a project environment reaches the tests through PYTHONPATH.
    func pytest(_ arguments: [String]) -> [String] {
        [python, "-P", "-s", toolEnvironment + "/selfcheck/selfcheck_pytest.py", "-p", "no:cacheprovider"] + arguments
    }

    func versions() -> [String] {
        [
            python, "-c",
            "import black, pytest, importlib.metadata as m; print('black', black.__version__, 'pytest', pytest.__version__, 'ruff', m.version('ruff'))",
        ]
    }
}
