import Contracts
import Foundation
import Patch

/// The self-check: resolve the patch, apply it to a copy-on-write workspace, then black → ruff → pytest,
/// judging the patch rather than the repository (see the README, "Judging the patch").
public struct CheckPipeline: Sendable {
    public struct Configuration: Sendable {
        public var tools = ToolCommands()
        /// Where baselines are cached; nil turns the cache off.
        public var cacheDirectory: URL?
        /// Per-step wall-time limits when the request gives none.
        public var defaultStepTimeoutsMs: [String: UInt64] = [
            "apply": 60_000, "black": 120_000, "ruff": 120_000, "pytest": 900_000,
        ]
        /// How much of a step's output the report keeps (the tail).
        public var outputTailBytes = 4000
        /// Run pytest in its own workspace alongside black and ruff (it is cancelled when they fail).
        public var testsAlongside = true
        /// The project environment the steps import from (see ProjectEnvironment/); nil: none.
        public var environments: ProjectEnvironments?
        /// Run the base's tests (traced, about 2x an untraced run) before a check whose patch selection
        /// could narrow, when they are not mapped yet. Off: such a check runs every test, as one without
        /// selection would, and the base is mapped the first time it runs anyway (to tell a new failure
        /// from a pre-existing one), so later checks on that base select. Off keeps a cold check's cost.
        public var mapBaseBeforeSelecting = false
        /// Maps, in the background, the base of a check that ran every test because it was not mapped
        /// (TestSelection/BaseMapper.swift); nil: only a check that runs the base maps it.
        public var baseMapper: BaseMapper?
        public init(cacheDirectory: URL? = nil) { self.cacheDirectory = cacheDirectory }
    }

    public static let defaultSteps = ["black", "ruff", "pytest"]

    var runner: any JobRunner
    let patches: any PatchResolver
    let configuration: Configuration

    public init(runner: any JobRunner, patches: any PatchResolver, configuration: Configuration = .init()) {
        self.runner = runner
        self.patches = patches
        self.configuration = configuration
    }

    /// Runs one check; progress goes to `events`; honours Task cancellation (the job's tree is killed).
    public func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async
        -> CheckReport
    {
        let clock = ContinuousClock.now
        let (stream, continuation) = AsyncStream<CheckEvent>.makeStream()
        let forwarder = Task { for await event in stream { await events(event) } }
        var report = await check(
            request,
            emit: { kind in
                continuation.yield(
                    CheckEvent.with {
                        $0.requestID = request.requestID
                        $0.kind = kind
                    })
            })
        continuation.finish()
        await forwarder.value
        report.ruleOutUnspecified()
        report.requestID = request.requestID
        report.durationMs = UInt64((ContinuousClock.now - clock).milliseconds)
        if Task.isCancelled && report.verdict != .pass {
            report.verdict = .error
            report.reason = "cancelled"
        }
        return report
    }

    typealias Emit = @Sendable (CheckEvent.OneOf_Kind) -> Void

    private func check(_ request: CheckRequest, emit: @escaping Emit) async -> CheckReport {
        var report = CheckReport()
        // An empty path would be the runner's own working directory.
        guard request.repoPath.hasPrefix("/") else { return Self.error("repo_path must be an absolute path") }
        let checkout = URL(fileURLWithPath: request.repoPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkout.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            return Self.error("repository \(request.repoPath) is not a directory")
        }

        let prepared: ResolvedPatch
        switch patches.prepare(request.diff, against: checkout) {
        case .failure(let rejection):
            report.verdict = .rejected
            report.reason = rejection.description
            report.patch = .with { $0.rejectionRule = rejection.rule }
            return report
        case .success(let patch):
            prepared = patch
        }
        report.patch = .with {
            $0.files = prepared.files
            $0.repaired = !prepared.repairs.isEmpty
            $0.repairs = prepared.repairs
            $0.canonicalDiff = prepared.canonicalDiff
            $0.linesAdded = UInt32(prepared.linesAdded)
            $0.linesRemoved = UInt32(prepared.linesRemoved)
        }
        emit(.patchResolved(report.patch))

        let workspace: any CheckWorkspace
        do {
            workspace = try await runner.makeWorkspace(checkout: checkout)
        } catch {
            return Self.error("the sandbox workspace could not be set up: \(error)", patch: report.patch)
        }
        defer { try? workspace.remove() }

        var facts = CheckFacts(request: request, checkout: checkout, tools: configuration.tools)
        var run = CheckRun(
            pipeline: self, request: request, checkout: checkout, workspace: workspace,
            patch: prepared, facts: facts, emit: emit)
        defer { run.removeBase() }
        let apply = await run.applyStep()
        report.steps.append(apply)
        if apply.status != .passed {
            report.verdict = apply.status == .error ? .error : .fail
            report.reason = "the patch did not apply in the sandbox"
            report.isolation = run.isolation
            return report
        }
        report.configChanges = ConfigChanges.find(
            diff: prepared.canonicalDiff, base: { BaseFile.read(checkout, $0) },
            patched: { (try? workspace.read($0)) ?? nil })

        // The project environment: later steps run with it mounted (a new runner), or the check stops.
        var active = self
        var environmentLease: EnvironmentLease?
        defer { withExtendedLifetime(environmentLease) {} }  // the cache trim skips it until the check ends
        if let environments = configuration.environments {
            emit(.stepStarted(.with { $0.name = ProjectEnvironments.stepName }))
            let outcome = await environments.prepare(
                checkout: checkout, workspace: workspace, patchFiles: prepared.files, runner: runner, request: request)
            // Nothing declared and nothing named: no step, the check runs as it always did.
            if outcome.step.status != .skipped {
                report.steps.append(outcome.step)
                emit(.stepFinished(outcome.step))
            }
            run.notes += outcome.notes
            environmentLease = outcome.lease
            guard let mounted = outcome.runner else {
                report.verdict = outcome.step.status == .failed ? .fail : .error
                report.reason = outcome.step.note
                report.notes = run.notes
                report.isolation = run.isolation
                return report
            }
            active.runner = mounted
            facts = facts.with(environment: outcome.environmentKey)
            run.use(active, facts: facts)
        }

        let chosen = active
        let chosenFacts = facts
        let steps = request.steps.isEmpty ? Self.defaultSteps : request.steps
        // pytest is the slow step. When it comes last, it starts at once in a workspace of its own (the
        // patch applied again) while the quick steps run, and is cancelled if one of them fails.
        let alongside = configuration.testsAlongside && steps.count > 1 && steps.last == "pytest"
        let sequential = alongside ? Array(steps.dropLast()) : steps
        var stopped = false
        var testRun: CheckRun?
        await withTaskGroup(of: TestsOutcome.self) { group in
            if alongside {
                group.addTask {
                    await chosen.testsInOwnWorkspace(
                        request, checkout: checkout, patch: prepared, facts: chosenFacts, emit: emit)
                }
            }
            for name in sequential {
                if stopped || Task.isCancelled {
                    report.steps.append(Self.skippedAfterFailure(name))
                    continue
                }
                let result = await run.step(name)
                report.steps.append(result)
                if result.status != .passed && result.status != .skipped && !request.keepGoing {
                    stopped = true
                    group.cancelAll()
                }
            }
            guard alongside, let outcome = await group.next() else { return }
            // Deterministic whatever the timing: after a failed step, pytest counts as skipped, and
            // nothing it found (tamper findings, notes) is reported.
            guard !stopped else { return report.steps.append(Self.skippedAfterFailure("pytest")) }
            emit(.stepFinished(outcome.step))
            report.steps.append(outcome.step)
            testRun = outcome.run
        }

        report.tamper = run.tamper + (testRun?.tamper ?? [])
        report.isolation = run.isolation
        report.notes = run.notes + (testRun?.notes ?? [])
        if let selection = testRun?.selectionReport ?? run.selectionReport { report.testSelection = selection }
        let failed = report.steps.filter { $0.status == .failed }.map(\.name)
        let errored = report.steps.filter { $0.status == .error }.map(\.name)
        if !errored.isEmpty {
            report.verdict = .error
            report.reason = "step \(errored.joined(separator: ", ")) could not run"
        } else if !failed.isEmpty || !report.tamper.isEmpty {
            report.verdict = .fail
            var reasons = failed.map { "\($0) failed" }
            if !report.tamper.isEmpty {
                reasons.append("tamper: \(report.tamper.count) finding(s) against the test infrastructure")
            }
            report.reason = reasons.joined(separator: "; ")
        } else if let step = report.steps.first(where: { $0.status == .inconclusive }) {
            report.verdict = .inconclusive
            report.reason = step.note
        } else {
            report.verdict = .pass
            report.reason = "every step passed"
        }
        report.judgeConfigChanges(allowed: request.allowConfigChange)
        if (testRun ?? run).mapsBaseLater && !Task.isCancelled {
            await chosen.mapLater(
                request, checkout: checkout, patch: prepared, facts: chosenFacts, lease: environmentLease)
        }
        return report
    }

    struct TestsOutcome: Sendable {
        var step: StepResult
        var run: CheckRun?
    }

    /// pytest in a second copy-on-write workspace with the patch applied, so it can run alongside the
    /// quick steps (they only read the tree; pytest writes caches and reports).
    private func testsInOwnWorkspace(
        _ request: CheckRequest, checkout: URL, patch: ResolvedPatch, facts: CheckFacts, emit: @escaping Emit
    ) async -> TestsOutcome {
        let workspace: any CheckWorkspace
        do { workspace = try await runner.makeWorkspace(checkout: checkout) } catch {
            return TestsOutcome(
                step: .with {
                    $0.name = "pytest"
                    $0.status = .error
                    $0.note = "no sandbox workspace: \(error)"
                })
        }
        defer { try? workspace.remove() }
        var run = CheckRun(
            pipeline: self, request: request, checkout: checkout, workspace: workspace, patch: patch, facts: facts,
            emit: emit)
        let apply = await run.applyStep()
        guard apply.status == .passed else {
            run.removeBase()
            return TestsOutcome(
                step: .with {
                    $0.name = "pytest"
                    $0.status = .error
                    $0.note = "the patch did not apply a second time"
                }, run: run)
        }
        guard !Task.isCancelled else { return TestsOutcome(step: Self.skippedAfterFailure("pytest"), run: run) }
        emit(.stepStarted(.with { $0.name = "pytest" }))
        let result = await run.pytestStep()
        run.removeBase()
        return TestsOutcome(step: result, run: run)
    }

    static func skippedAfterFailure(_ name: String) -> StepResult {
        .with {
            $0.name = name
            $0.status = .skipped
            $0.note = "an earlier step failed"
        }
    }

    static func error(_ reason: String, patch: PatchSummary? = nil) -> CheckReport {
        .with {
            $0.verdict = .error
            $0.reason = reason
            if let patch { $0.patch = patch }
        }
    }

    func wallTime(for step: String, _ request: CheckRequest) -> Limits {
        var limits = request.limits
        limits.wallTimeMs =
            request.stepTimeoutsMs[step]
            ?? (limits.wallTimeMs > 0 ? limits.wallTimeMs : configuration.defaultStepTimeoutsMs[step] ?? 300_000)
        return limits
    }

    /// The last `outputTailBytes` of a step's output, cut at a line start when one is near.
    func tail(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > configuration.outputTailBytes else { return text }
        var start = bytes.count - configuration.outputTailBytes
        if let newline = bytes[start...].prefix(200).firstIndex(of: 10) { start = newline + 1 }
        return "…" + String(decoding: bytes[start...], as: UTF8.self)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
