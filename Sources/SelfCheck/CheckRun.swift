import Contracts
import Foundation
import Patch

/// The state of one check while its steps run: the patched workspace, and — only when a step found
/// something — a second workspace at the base to tell new failures from old ones.
struct CheckRun: Sendable {
    private(set) var pipeline: CheckPipeline
    let request: CheckRequest
    let checkout: URL
    let workspace: any CheckWorkspace
    let patch: ResolvedPatch
    let emit: CheckPipeline.Emit

    var isolation: [String] = []
    var notes: [String] = []
    var tamper: [Finding] = []
    /// The tests the pytest step ran (TestSelection/); nil until it ran.
    var selection: TestChoice?
    /// The base's test map, once the base's tests ran or came from the cache.
    var baseMap: Result<TestMap, TestChoice>?
    private var baseWorkspace: (any CheckWorkspace)?
    private var touchedPythonFiles: [String]?
    private(set) var facts: CheckFacts
    let cache: BaselineCache

    init(
        pipeline: CheckPipeline, request: CheckRequest, checkout: URL, workspace: any CheckWorkspace,
        patch: ResolvedPatch, facts: CheckFacts, emit: @escaping CheckPipeline.Emit
    ) {
        self.pipeline = pipeline
        self.request = request
        self.checkout = checkout
        self.workspace = workspace
        self.patch = patch
        self.facts = facts
        self.emit = emit
        cache = BaselineCache(directory: pipeline.configuration.cacheDirectory)
    }

    /// Touched Python files that exist after the patch (looked up once, after the apply step).
    mutating func pythonFiles() -> [String] {
        if let touchedPythonFiles { return touchedPythonFiles }
        let files = patch.files.filter { $0.hasSuffix(".py") && ((try? workspace.read($0)) ?? nil) != nil }
        touchedPythonFiles = files
        return files
    }

    /// The remaining steps run with a project environment mounted (ProjectEnvironment/).
    mutating func use(_ pipeline: CheckPipeline, facts: CheckFacts) {
        self.pipeline = pipeline
        self.facts = facts
    }

    mutating func removeBase() {
        try? baseWorkspace?.remove()
        baseWorkspace = nil
    }

    // MARK: Steps

    /// Runs one named step with its start and finish events.
    mutating func step(_ name: String) async -> StepResult {
        emit(.stepStarted(.with { $0.name = name }))
        let result: StepResult
        switch name {
        case "black": result = await blackStep()
        case "ruff": result = await ruffStep()
        case "pytest": result = await pytestStep()
        default:
            result = .with {
                $0.name = name
                $0.status = .error
                $0.note = "unknown step \(name)"
            }
        }
        emit(.stepFinished(result))
        return result
    }

    mutating func applyStep() async -> StepResult {
        let (result, step) = await execute(
            "apply", pipeline.configuration.tools.gitApply(), stdin: Array(patch.canonicalDiff.utf8))
        guard let result else { return step }
        var finished = step
        finished.status = result.exitCode == 0 && result.finishedNormally ? .passed : .failed
        if finished.status == .failed {
            finished.newFailures = [
                .with {
                    $0.kind = .apply
                    $0.key = "git apply"
                    $0.message = String(result.output.prefix(500))
                }
            ]
        }
        return finished
    }

    mutating func blackStep() async -> StepResult {
        let files = pythonFiles()
        guard !files.isEmpty else { return Self.skipped("black", "the patch touches no Python file") }
        let black = pipeline.configuration.tools.blackDiff(files, config: facts.baseConfig)
        let (result, step) = await execute("black", black.command, stdin: black.stdin)
        guard let result else { return step }
        var finished = step
        guard result.finishedNormally else { return Self.limited(finished, result) }
        switch result.exitCode {
        case 0:
            finished.status = .passed
        case 1, 123:
            let added = AddedLines(diff: patch.canonicalDiff)
            let judged = FormatJudge.judge(blackDiff: result.output, added: added)
            let unparseable = FormatJudge.unparseable(blackOutput: result.output, files: files)
            finished.newFailures = unparseable + judged.new
            finished.preexistingFailures = judged.preexisting
            finished.status = finished.newFailures.isEmpty ? .passed : .failed
            if result.exitCode == 123 && unparseable.isEmpty {
                finished.status = .error
                finished.note = "black failed on a file it should be able to read"
            } else if finished.status == .passed {
                finished.note = "only formatting the patch did not touch differs from black"
            }
        default:
            finished.status = .error
            finished.note = "black exited \(result.exitCode)"
        }
        return finished
    }

    mutating func ruffStep() async -> StepResult {
        let files = pythonFiles()
        guard !files.isEmpty else { return Self.skipped("ruff", "the patch touches no Python file") }
        let ruff = pipeline.configuration.tools.ruffCheck(files, config: facts.baseConfig)
        let (result, step) = await execute("ruff", ruff.command, stdin: ruff.stdin)
        guard let result else { return step }
        var finished = step
        guard result.finishedNormally else { return Self.limited(finished, result) }
        let view = workspace
        guard result.exitCode == 0, let json = Self.text(view, ToolCommands.ruffReportPath),
            let patched = try? LintJudge.parse(ruffJSON: json, files: files, source: { Self.text(view, $0) })
        else {
            finished.status = .error
            finished.note = "ruff exited \(result.exitCode) without a JSON report"
            return finished
        }
        finished.outputTail = pipeline.tail(
            patched.map { "\($0.file):\($0.row): \($0.code) \($0.message)" }.joined(separator: "\n"))
        guard !patched.isEmpty else {
            finished.status = .passed
            return finished
        }
        guard let base = await baseLint(files) else {
            finished.status = .error
            finished.note = "ruff could not be run at the base to tell new findings from old ones"
            return finished
        }
        let judged = LintJudge.judge(patched: patched, base: base, diff: DiffLineMap(diff: patch.canonicalDiff))
        finished.newFailures = judged.new
        finished.preexistingFailures = judged.preexisting
        finished.status = judged.new.isEmpty ? .passed : .failed
        return finished
    }

    /// One run of pytest on the tests `choice` names (all of them when it names none).
    mutating func pytestStep(_ choice: TestChoice) async -> StepResult {
        let arguments = facts.pytestArguments
        let channel = ResultChannel()
        let (result, step) = await execute(
            "pytest", pipeline.configuration.tools.pytest(arguments),
            stdin: channel.request(touched: patch.files, select: choice.selected), channel: channel)
        guard let result else { return step }
        var finished = step
        if !request.pytestArgs.isEmpty {
            finished.note = "pytest arguments from the request"
        } else if arguments.contains("fast") {
            finished.note = "the repository declares a fast marker: -m fast"
        }
        guard result.finishedNormally else { return Self.limited(finished, result) }
        // The verdict comes from the result channel only; the exit code and the output are not trusted.
        let results = channel.results()
        guard results.started else {
            finished.status = .error
            finished.note = "pytest exited \(result.exitCode) without reporting a result through the runner's channel"
            return finished
        }
        let session = results.session(exitCode: result.exitCode)
        if let error = session.error {
            finished.status = .error
            finished.note = error
            return finished
        }
        tamper +=
            TamperScan.findings(diff: patch.canonicalDiff, files: patch.files) + results.tamper
            + results.hooksWrittenByThePatch(AddedLines(diff: patch.canonicalDiff)) + session.tamper
        tamper = Self.unique(tamper)
        let patched = results.outcomes
        let failing = patched.contains(where: \.failed)
        let nothingRan = TestsThatRan.executed(patched) == 0 && choice.selected?.isEmpty != true
        let base = failing || nothingRan || touchesTestsOrConfiguration ? await baseTests(arguments) : nil
        let judged = TestJudge.judge(patched: patched, base: base)
        finished.newFailures = session.failures + judged.new
        finished.preexistingFailures = judged.preexisting
        finished.status = finished.newFailures.isEmpty && results.finish != nil ? .passed : .failed
        if failing && base == nil {
            finished.note = "pytest could not be run at the base; every failure counts as new"
        }
        if let base, touchesTestsOrConfiguration || nothingRan {
            // Tests the selection left out did not vanish.
            let selected = choice.selected.map(Set.init)
            guardAgainstTampering(patched: patched, base: base.filter { selected?.contains($0.id) ?? true })
        }
        if nothingRan && base?.isEmpty == true && judged.new.isEmpty {
            finished.note = "no tests collected, at the base either"
        }
        let ran = TestsThatRan(patched: patched, base: base)
        notes += ran.notes
        if finished.status == .passed, let why = ran.inconclusive(touched: patch.files, checkout: checkout) {
            finished.status = .inconclusive
            finished.note = why
        }
        let counts = Dictionary(grouping: patched, by: \.status).mapValues(\.count)
        notes.append(
            "pytest: \(counts[.passed] ?? 0) passed, \((counts[.failed] ?? 0) + (counts[.error] ?? 0)) failed, \(counts[.skipped] ?? 0) skipped"
        )
        return finished
    }

    // MARK: Tamper guard

    /// A patch can only make tests disappear by touching test files or the test configuration.
    private var touchesTestsOrConfiguration: Bool {
        patch.files.contains { path in
            let name = (path as NSString).lastPathComponent
            return name.hasPrefix("test_") || name.hasSuffix("_test.py") || name == "conftest.py"
                || ["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"].contains(name)
        }
    }

    private mutating func guardAgainstTampering(patched: [TestOutcome], base: [TestOutcome]) {
        guard !request.allowTestRemoval else { return }
        tamper += TestJudge.vanished(patched: patched, base: base)
    }

    // MARK: The base

    private mutating func base() async -> (any CheckWorkspace)? {
        if let baseWorkspace { return baseWorkspace }
        baseWorkspace = try? await pipeline.runner.makeWorkspace(checkout: checkout)
        return baseWorkspace
    }

    private mutating func baseLint(_ files: [String]) async -> [LintFinding]? {
        var cached = cache.load(facts.lintKey) ?? Baseline()
        let missing = files.filter { cached.lint[$0] == nil }
        if missing.isEmpty {
            notes.append("ruff baseline from cache")
            return files.flatMap { cached.lint[$0] ?? [] }
        }
        let existing = missing.filter {
            FileManager.default.fileExists(atPath: checkout.appendingPathComponent($0).path)
        }
        var found: [LintFinding] = []
        if !existing.isEmpty {
            guard let base = await base() else { return nil }
            let ruff = pipeline.configuration.tools.ruffCheck(existing, config: facts.baseConfig)
            let (result, _) = await execute("ruff (base)", ruff.command, stdin: ruff.stdin, in: base, streaming: false)
            guard let result, result.exitCode == 0, let json = Self.text(base, ToolCommands.ruffReportPath),
                let parsed = try? LintJudge.parse(ruffJSON: json, files: existing, source: { Self.text(base, $0) })
            else { return nil }
            found = parsed
        }
        for file in missing { cached.lint[file] = found.filter { $0.file == file } }
        cache.store(cached, for: facts.lintKey)
        return files.flatMap { cached.lint[$0] ?? [] }
    }

    /// The base's test outcomes (cached, or run now). Unless the request turns selection off, the run
    /// also maps which tests execute which functions; `needMap` runs the base again for a cached
    /// baseline recorded without one.
    mutating func baseTests(_ arguments: [String], needMap: Bool = false) async -> [TestOutcome]? {
        if let cached = cache.load(facts.testKey), let tests = cached.tests,
            !needMap || cached.testMap != nil || cached.testMapProblem != nil
        {
            notes.append("pytest baseline from cache")
            if baseMap == nil {
                baseMap = cached.testMap.map { .success($0) } ?? cached.testMapProblem.map { .failure(.all($0)) }
            }
            return tests
        }
        guard let base = await base() else { return nil }
        let channel = ResultChannel()
        let recordMap = !request.allTests
        let (result, _) = await execute(
            "pytest (base)", pipeline.configuration.tools.pytest(arguments),
            stdin: channel.request(touched: [], map: recordMap), in: base, streaming: false, channel: channel)
        let results = channel.results()
        guard let result, result.finishedNormally, results.finish != nil else { return nil }
        let outcomes = results.outcomes
        notes.append("pytest ran at the base to tell new failures from pre-existing ones")
        var record = cache.load(facts.testKey) ?? Baseline()
        record.tests = outcomes
        if recordMap {
            let map = TestMap.parse((try? base.read(TestMap.path)) ?? nil)
            baseMap = map
            record.testMap = try? map.get()
            if case .failure(let why) = map { record.testMapProblem = why.reason }
        }
        // Stored only if the checkout still holds the base (a background mapping runs after its check).
        guard facts.describes(checkout, request: request, tools: pipeline.configuration.tools) else { return outcomes }
        cache.store(record, for: facts.testKey)
        return outcomes
    }

    // MARK: Running

    /// Runs a step's command in the sandbox and fills in what every step reports.
    private mutating func execute(
        _ name: String, _ command: [String], stdin: [UInt8]? = nil, in target: (any CheckWorkspace)? = nil,
        streaming: Bool = true,
        channel: ResultChannel? = nil
    ) async -> (JobResult?, StepResult) {
        var step = StepResult()
        step.name = name
        let emit = self.emit
        var onOutput: (@Sendable ([UInt8]) -> Void)?
        if streaming || channel != nil {
            onOutput = { bytes in
                let visible = channel?.feed(bytes) ?? bytes
                guard streaming, !visible.isEmpty else { return }
                var chunk = OutputChunk()
                chunk.step = name
                chunk.data = Data(visible)
                emit(.output(chunk))
            }
        }
        do {
            let stepName = name.split(separator: " ").first.map(String.init) ?? name
            let result = try await pipeline.runner.run(
                command, in: target ?? workspace, stdin: stdin, limits: pipeline.wallTime(for: stepName, request),
                onOutput: onOutput)
            step.exitCode = result.exitCode
            step.signal = result.signal
            step.limitHit = result.limitHit
            step.durationMs = result.durationMs
            step.cpuMs = result.cpuMs
            step.peakRssKb = result.peakRssKb
            step.outputTail = pipeline.tail(
                channel.map { ResultChannel.strip(result.output, token: $0.token) } ?? result.output)
            if isolation.isEmpty { isolation = result.isolation }
            return (result, step)
        } catch {
            step.status = .error
            step.note = "the sandbox could not run \(name): \(error)"
            return (nil, step)
        }
    }

    /// One finding per key (the diff scan and the runtime records can both name the same hook).
    static func unique(_ findings: [Finding]) -> [Finding] {
        var seen = Set<String>()
        return findings.filter { seen.insert($0.key).inserted }
    }

    static func skipped(_ name: String, _ note: String) -> StepResult {
        .with {
            $0.name = name
            $0.status = .skipped
            $0.note = note
        }
    }

    /// A step stopped by a limit fails, whatever it printed.
    static func limited(_ step: StepResult, _ result: JobResult) -> StepResult {
        var step = step
        step.status = .failed
        let why =
            result.limitHit == .none
            ? "killed by signal \(result.signal)" : "stopped by the \(result.limitHit.name) limit"
        step.note = why
        step.newFailures = [
            .with {
                $0.kind = result.limitHit == .none ? .signal : .limit
                $0.key = step.name
                $0.message = why
            }
        ]
        return step
    }

    static func text(_ workspace: any CheckWorkspace, _ path: String) -> String? {
        ((try? workspace.read(path)) ?? nil).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// What a check learns about its checkout before its steps run, once, and shares between its runs:
/// the test selection and the baseline-cache keys (the runner reads the index and walks the tree; no git runs).
struct CheckFacts: Sendable {
    let pytestArguments: [String]
    /// nil when the checkout has uncommitted changes: such a base is never cached.
    let lintKey: String?
    private(set) var testKey: String?
    /// black's and ruff's configuration at the base: the patched files are judged by it.
    let baseConfig: BaseToolConfig

    init(request: CheckRequest, checkout: URL, tools: ToolCommands) {
        baseConfig = BaseToolConfig(checkout: checkout)
        if !request.pytestArgs.isEmpty {
            pytestArguments = request.pytestArgs
        } else {
            var arguments = ["-q", "--continue-on-collection-errors"]
            if RepositoryInfo.declaresFastMarker(checkout) { arguments += ["-m", "fast"] }
            pytestArguments = arguments
        }
        var pins = (try? String(contentsOfFile: tools.toolEnvironment + "/.pins", encoding: .utf8)) ?? "unknown-tools"
        // The entry point decides what a result is: a new one must not reuse baselines of the old.
        let entryPoint = ["selfcheck_pytest.py", "selfcheck_testmap.py"].reduce(into: Data()) {
            $0 += FileManager.default.contents(atPath: tools.toolEnvironment + "/selfcheck/" + $1) ?? Data()
        }
        pins +=
            " entry-point-"
            + String(
                entryPoint.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 },
                radix: 16)
        let base = CheckoutState.cleanKey(checkout).map { "\($0) \(pins)" }
        lintKey = base.map { "lint \($0)" }
        testKey = base.map { [pytestArguments] in "tests \($0) \(pytestArguments.joined(separator: " "))" }
    }

    /// Test outcomes depend on what the tests can import: the environment is part of the baseline key.
    func with(environment key: String?) -> CheckFacts {
        var facts = self
        if let key { facts.testKey = facts.testKey.map { "\($0) env \(key)" } }
        return facts
    }
}
