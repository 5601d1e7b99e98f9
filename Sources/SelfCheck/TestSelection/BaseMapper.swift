import Contracts
import Foundation
import Patch

/// Maps bases in the background, after the check that found them unmapped returned its report. A check
/// on an unmapped base runs every test rather than map the base first (traced, about twice the cost), so
/// without this a passing check would never map its base and later checks on it would never select.
///
/// One mapping at a time per runner: a base asked for while another is mapped is left to a later check.
/// A base is tried once per runner (a base whose tests cannot run is not run again by every check).
/// `shutdown()` cancels the running mapping (its job is killed, nothing is stored) and refuses new ones.
public actor BaseMapper {
    private var running: Task<Void, Never>?
    private var tried: Set<String> = []
    private var stopped = false
    /// Bases mapped (stored) since the runner started.
    public private(set) var mapped = 0

    public init() {}

    /// Starts `work` (which returns whether it stored a map) unless a mapping runs, `key` was tried, or
    /// the runner is shutting down. Returns at once.
    @discardableResult
    func start(key: String, _ work: @escaping @Sendable () async -> Bool) -> Bool {
        guard !stopped, running == nil, !tried.contains(key) else { return false }
        if tried.count >= 10_000 { tried.removeAll() }
        tried.insert(key)
        running = Task {
            let stored = await work()
            self.finished(stored: stored)
        }
        return true
    }

    private func finished(stored: Bool) {
        if stored { mapped += 1 }
        running = nil
    }

    /// Waits until no mapping runs (for tests and the benchmark).
    public func idle() async {
        while let running { await running.value }
    }

    /// Cancels the running mapping and waits for it to end; no mapping starts afterwards.
    public func shutdown() async {
        stopped = true
        running?.cancel()
        await idle()
    }
}

extension CheckPipeline {
    /// Hands the base of a check that ran every test only because its base was not mapped to the
    /// configuration's `BaseMapper`. The mapping runs the base's tests exactly as a check's base run does
    /// (same runner, so the same sandbox profile and project environment; the request's limits), and is
    /// stored in the baseline cache under the check's key, only if the checkout still holds that base when
    /// the run starts and when it ends. `lease` keeps the project environment in the cache until then.
    func mapLater(
        _ request: CheckRequest, checkout: URL, patch: ResolvedPatch, facts: CheckFacts, lease: EnvironmentLease?
    ) async {
        guard let mapper = configuration.baseMapper, let key = facts.testKey, !request.allTests else { return }
        // A checkout passed as a directory fd is named /proc/self/fd/N, which the server closes when the
        // check ends: the mapping holds a descriptor of its own on the same directory.
        guard let held = HeldCheckout(checkout) else { return }
        await mapper.start(key: key) {
            defer { withExtendedLifetime((held, lease)) {} }
            guard !Task.isCancelled, facts.describes(held.url, request: request, tools: configuration.tools),
                let workspace = try? await runner.makeWorkspace(checkout: held.url)
            else { return false }
            var run = CheckRun(
                pipeline: self, request: request, checkout: held.url, workspace: workspace, patch: patch,
                facts: facts, emit: { _ in })
            _ = await run.baseTests(facts.pytestArguments, needMap: true)
            run.removeBase()
            try? workspace.remove()
            let stored = run.cache.load(key)
            return stored?.testMap != nil || stored?.testMapProblem != nil
        }
    }
}

extension CheckFacts {
    /// Whether `checkout` (clean) still holds the base these facts were computed for: same tree, tools and
    /// pytest arguments (the project environment, part of the key, is the one the check mounted).
    func describes(_ checkout: URL, request: CheckRequest, tools: ToolCommands) -> Bool {
        guard let key = testKey, let now = CheckFacts(request: request, checkout: checkout, tools: tools).testKey
        else { return false }
        return key == now || key.hasPrefix(now + " env ")
    }
}

/// A checkout the background mapping can still reach after the check ended: a `/proc/self/fd/N` path
/// is replaced by a descriptor of the mapping's own on the same directory (closed when this is freed).
final class HeldCheckout: Sendable {
    let url: URL
    private let descriptor: Int32

    init?(_ checkout: URL) {
        guard checkout.path.hasPrefix("/proc/self/fd/") else {
            url = checkout
            descriptor = -1
            return
        }
        let descriptor = open(checkout.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        url = URL(fileURLWithPath: "/proc/self/fd/\(descriptor)")
    }

    deinit { if descriptor >= 0 { close(descriptor) } }
}
