import ArgumentParser
import Contracts
import Foundation
import Logging
import Logs
import Sandbox
import SelfCheck
import Telemetry

/// `selfcheck-runner check --repo DIR --diff FILE|-`: checks any diff against any repository.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a diff against a repository in the sandbox: apply, black, ruff, pytest.",
        discussion: """
            Exit codes: 0 pass, 1 a check failed, 2 patch rejected, 3 runner or sandbox error, 4 inconclusive \
            (the tests could not run at the base: the report says why and how to fix it), 64 usage \
            (bad options, an unreadable or non-UTF-8 diff, a --junit path that cannot be written).
            Options that take tool arguments accept values starting with -: --pytest-args "-q -x".
            """)

    @Option(help: "The repository checkout (never modified).") var repo: String
    @Option(help: "The diff: a file, or - for standard input. Markdown fences and prose around it are fine.")
    var diff: String
    @Option(help: "human or json (the CheckReport of runner.proto, proto field names).") var format: OutputFormat =
        .human
    @Option(help: "Also write a JUnit XML report to this file.") var junit: String?
    @Option(help: "Steps to run, comma-separated.") var steps: String = CheckPipeline.defaultSteps.joined(
        separator: ",")
    @Flag(help: "Run later steps after a failing one.") var keepGoing = false
    @Flag(help: "Allow the patch to remove or skip tests that ran at the base.") var allowTestRemoval = false
    @Flag(help: "Run every test, not only those that executed the functions the patch changes.") var allTests = false
    @Flag(help: "Allow the patch to change black's, ruff's or pytest's configuration (still judged by the base's).")
    var allowConfigChange = false
    // `.unconditional`: every pytest argument starts with `-`, which would otherwise read as an option.
    @Option(
        parsing: .unconditional,
        help: "pytest arguments replacing the default selection (-m fast when the repo declares it), e.g. \"-q -x\".")
    var pytestArgs: String?
    @Option(help: "Wall-time limit of one step, as STEP=SECONDS (repeatable), e.g. pytest=600.")
    var stepTimeout: [String] = []
    @OptionGroup var runner: RunnerOptions

    enum OutputFormat: String, ExpressibleByArgument { case human, json }

    func validate() throws {
        for item in stepTimeout
        where item.split(separator: "=").count != 2 || Double(item.split(separator: "=")[1]) == nil {
            throw ValidationError("--step-timeout takes STEP=SECONDS, got \(item)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: repo, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--repo \(repo) is not a directory")
        }
        if let junit, let problem = CheckInput.unwritableReason(junit) {
            throw ValidationError("--junit \(junit): \(problem)")
        }
    }

    func run() async throws {
        LogSetup.bootstrapFromEnvironment(defaultLevel: .warning)
        let logger = Logger(label: "selfcheck-runner")
        let diffText: String
        do { diffText = try CheckInput.readDiff(diff) } catch {
            FileHandle.standardError.write(Data("selfcheck-runner check: \(error)\n".utf8))
            throw ExitCode(64)
        }
        var request = CheckRequest()
        request.requestID = "check-\(getpid())"
        request.repoPath = URL(fileURLWithPath: repo).standardizedFileURL.path
        request.diff = diffText
        request.steps = steps.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        request.keepGoing = keepGoing
        request.allowTestRemoval = allowTestRemoval
        request.allTests = allTests
        request.allowConfigChange = allowConfigChange
        if let pytestArgs { request.pytestArgs = pytestArgs.split(separator: " ").map(String.init) }
        for item in stepTimeout {
            let parts = item.split(separator: "=")
            request.stepTimeoutsMs[String(parts[0])] = UInt64(Double(parts[1])! * 1000)
        }

        let pipeline = try runner.pipeline(logger: logger)
        let live = format == .human && isatty(STDERR_FILENO) == 1
        let report = await pipeline.execute(request) { event in
            guard live else { return }
            switch event.kind {
            case .stepStarted(let step): FileHandle.standardError.write(Data("… \(step.name)\n".utf8))
            case .stepFinished(let step):
                FileHandle.standardError.write(
                    Data("  \(step.name): \(step.status.name) (\(step.durationMs) ms)\n".utf8))
            default: break
            }
        }
        do {
            if let junit { try report.junitXML().write(toFile: junit, atomically: true, encoding: .utf8) }
            switch format {
            case .human: print(report.humanReadable())
            case .json: print(try report.protoNamedJSON())
            }
        } catch {
            // Not 1, which says a check failed: the runner could not deliver its report.
            FileHandle.standardError.write(Data("selfcheck-runner check: cannot write the report: \(error)\n".utf8))
            throw ExitCode(3)
        }
        throw ExitCode(report.exitCode)
    }
}

/// What `check` and `serve` share: the sandbox profile and the baseline cache.
struct RunnerOptions: ParsableArguments {
    @Option(help: "Sandbox profile (a name from sandbox-profiles/ or a JSON file).") var profile = "python-selfcheck"
    @Option(help: "Where baselines of checked bases are cached.") var cacheDir: String?
    @Flag(help: "Do not cache baselines.") var noCache = false
    @Option(
        help: ArgumentHelp(
            "Folder of the runner's own for overlay workspaces (default: TMPDIR when the job can reach it, else \(WorkspaceFolder.rootDefault) for a root runner).",
            discussion: "Created when missing; must belong to the runner and be writable by no one else."))
    var stateDir: String?
    @OptionGroup var environment: EnvironmentOptions

    /// The workspace folder, resolved once (with `--state-dir`).
    func workspaceFolder() throws -> URL {
        WorkspaceFolder.configure(stateDir)
        return try WorkspaceFolder.resolve()
    }

    func pipeline(logger: Logger) throws -> CheckPipeline { try pipeline(profile: profile, logger: logger) }

    func pipeline(profile: String, logger: Logger, baseMapper: BaseMapper? = nil) throws -> CheckPipeline {
        let sandboxProfile: SandboxProfile
        do { sandboxProfile = try SandboxProfile.named(profile) } catch {
            throw ValidationError("sandbox profile \(profile): \(error)")
        }
        WorkspaceFolder.configure(stateDir)
        var configuration = CheckPipeline.Configuration(cacheDirectory: noCache ? nil : cacheDirectory)
        configuration.tools = ToolCommands()
        configuration.baseMapper = baseMapper
        configuration.environments = try environment.environments(
            cacheDirectory: cacheDirectory, tools: configuration.tools)
        return CheckPipeline(
            runner: SandboxJobRunner(profile: sandboxProfile, logger: logger),
            patches: PatchEngineResolver(), configuration: configuration)
    }

    var cacheDirectory: URL { Self.cacheDirectory(cacheDir) }

    static func cacheDirectory(_ cacheDir: String?) -> URL {
        if let cacheDir { return URL(fileURLWithPath: cacheDir) }
        let base =
            ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
            ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: base).appendingPathComponent("selfcheck-runner")
    }
}
