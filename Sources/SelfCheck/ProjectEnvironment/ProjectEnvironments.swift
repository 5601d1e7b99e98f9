import Contracts
import Foundation

/// How a check gets its project environment: the one the operator named, or one built (and cached) from
/// what the repository declares. Runs after the apply step, as the `environment` step.
public struct ProjectEnvironments: Sendable {
    /// The operator's environment (`--python-env DIR`); used as it is, nothing is built.
    public var named: ProjectEnvironment?
    /// Environments a request may pick by name (`--python-env NAME=DIR`; CheckRequest.python_env). A
    /// request names one of these or none: it never gives a path.
    public var choices: [String: ProjectEnvironment] = [:]
    /// Builds from the declarations when nothing is named; nil turns building off.
    public var builder: EnvironmentBuilder?
    /// A patch that changes the declared dependencies is judged (in an environment built for the patched
    /// declarations) instead of failing with a `dependencies` finding.
    public var allowDependencyChange = false
    /// Why environments are not where the cache directory says (for `doctor`).
    public var directoryNote: String?

    public init(
        named: ProjectEnvironment? = nil, builder: EnvironmentBuilder? = nil, allowDependencyChange: Bool = false
    ) {
        self.named = named
        self.builder = builder
        self.allowDependencyChange = allowDependencyChange
    }

    public static let stepName = "environment"

    struct Outcome {
        var step: StepResult
        /// The runner for the remaining steps (the environment mounted), nil when the check stops here.
        var runner: (any JobRunner)?
        var notes: [String]
        /// Part of the baseline-cache key of the tests.
        var environmentKey: String?
        /// Keeps a built environment in the cache while the check runs; hold it until the check ends.
        var lease: EnvironmentLease?
    }

    func prepare(
        checkout: URL, workspace: any CheckWorkspace, patchFiles: [String], runner: any JobRunner,
        request: CheckRequest
    ) async -> Outcome {
        let clock = ContinuousClock.now
        var step = StepResult()
        step.name = Self.stepName
        var notes: [String] = []
        var key: String?
        var lease: EnvironmentLease?
        func finish(_ status: StepResult.Status, _ note: String, runner: (any JobRunner)?) -> Outcome {
            step.status = status
            step.note = note
            step.durationMs = UInt64((ContinuousClock.now - clock).milliseconds)
            return Outcome(step: step, runner: runner, notes: notes, environmentKey: key, lease: lease)
        }

        let base = Declarations.read(checkout: checkout)
        var declarations = base
        if let change = Self.dependencyChange(base: base, workspace: workspace, patchFiles: patchFiles) {
            let finding = Finding.with {
                $0.kind = .dependencies
                $0.key = change.files.joined(separator: ", ")
                $0.message = change.description
            }
            guard allowDependencyChange || request.allowDependencyChange else {
                step.newFailures = [finding]
                return finish(
                    .failed, "the patch changes the declared dependencies; allow it with --allow-dependency-change",
                    runner: nil)
            }
            notes.append(
                "dependencies: \(change.description) (allowed: judged in an environment for the patched declarations)")
            declarations = change.patched
        }
        notes += declarations.refused.map { "dependencies: refused \($0)" }

        let srcLayout = Self.hasSrcLayout(checkout)
        let environment: ProjectEnvironment
        var how = "cached"
        if !request.pythonEnv.isEmpty {
            guard let chosen = choices[request.pythonEnv] else {
                return finish(
                    .error,
                    "python_env \"\(request.pythonEnv.prefix(64))\" is not an environment this runner was given (--python-env NAME=DIR)",
                    runner: nil)
            }
            environment = chosen
            how = "named"
        } else if let named {
            environment = named
            how = "named"
        } else if let builder {
            guard !declarations.isEmpty || builder.settings.pinnedRequirements != nil else {
                return finish(.skipped, "the repository declares no dependencies", runner: runner)
            }
            do {
                let (built, fresh, held) = try await builder.environment(for: declarations, runner: runner)
                environment = built
                lease = held
                if fresh { how = "built" }
            } catch {
                notes.append("environment: not available: \(error)")
                return finish(.error, "the project environment could not be built: \(error)", runner: nil)
            }
        } else {
            return finish(.skipped, "no project environment (building is off and none is named)", runner: runner)
        }
        notes.append(environment.summary)
        key = environment.hash == "operator" ? "operator \(environment.path)" : environment.hash
        let mounted = (runner as? any EnvironmentMounting)?.mounting(environment, srcLayout: srcLayout) ?? runner
        return finish(
            .passed, "\(how): \(environment.path)" + (srcLayout ? " (src layout: src/ on the path)" : ""),
            runner: mounted)
    }

    struct DependencyChange {
        var files: [String]
        var patched: Declarations
        var description: String
    }

    /// Whether the patch changes what the repository declares (only declaration files can).
    static func dependencyChange(base: Declarations, workspace: any CheckWorkspace, patchFiles: [String])
        -> DependencyChange?
    {
        let touched = patchFiles.filter(Declarations.declarationFiles.contains)
        guard !touched.isEmpty else { return nil }
        let patched = Declarations.read { (try? workspace.read($0)) ?? nil }
        let added = patched.requirements.filter { !base.requirements.contains($0) }
        let removed = base.requirements.filter { !patched.requirements.contains($0) }
        let refusedNew = patched.refused.filter { !base.refused.contains($0) }
        guard !added.isEmpty || !removed.isEmpty || !refusedNew.isEmpty else { return nil }
        var parts: [String] = []
        if !added.isEmpty { parts.append("adds " + added.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("removes " + removed.joined(separator: ", ")) }
        if !refusedNew.isEmpty { parts.append("declares what is refused: " + refusedNew.joined(separator: "; ")) }
        return DependencyChange(
            files: touched, patched: patched, description: "the patch " + parts.joined(separator: "; "))
    }

    static func hasSrcLayout(_ checkout: URL) -> Bool {
        var info = stat()
        return lstat(checkout.appendingPathComponent("src").path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
