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
        [python, "-m", "black", "--check", "--diff", "--no-color", "-q", "--"] + files
    }

    static let ruffReportPath = ".selfcheck/ruff.json"

    /// ruff writes its JSON to a file in the workspace: the job's captured output keeps only a tail.
    func ruffCheck(_ files: [String]) -> [String] {
        [toolEnvironment + "/bin/ruff", "check", "--no-cache", "--output-format", "json", "--exit-zero",
         "--output-file", Self.ruffReportPath, "--"] + files
    }

    static let junitPath = ".selfcheck/junit.xml"

    func pytest(_ arguments: [String]) -> [String] {
        [python, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=\(Self.junitPath)", "-o", "junit_family=xunit1"]
            + arguments
    }

    func versions() -> [String] {
        [python, "-c", "import black, pytest, importlib.metadata as m; print('black', black.__version__, 'pytest', pytest.__version__, 'ruff', m.version('ruff'))"]
    }
}
