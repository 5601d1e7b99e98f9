import Foundation
import Patch
import TestSupport
import Testing

/// Base checkouts shared by all tests. The engine must never write to them; `expectUntouched` checks.
enum Bases {
    private static let toolzRepo = Result { try fixture("toolz") }
    private static let inflectionRepo = Result { try fixture("inflection") }

    static func toolz() throws -> URL { try toolzRepo.get() }
    static func inflection() throws -> URL { try inflectionRepo.get() }

    private static func fixture(_ name: String) throws -> URL {
        let repo = try FixtureRepo.make(name)
        removeAtExit(repo.root.deletingLastPathComponent())
        return repo.root
    }

    /// The shared bases live as long as the test process; they are removed when it exits.
    private static let pending = PendingRemovals()
    private static let cleanupRegistered: Void = { atexit { Bases.pending.removeAll() } }()

    private static func removeAtExit(_ url: URL) {
        _ = cleanupRegistered
        pending.add(url)
    }

    /// A new base: a copy of `base` with `edit` applied and committed (for shapes the fixtures lack).
    static func derived(from base: URL, _ edit: (URL) throws -> Void) throws -> URL {
        let copy = try copyTree(base)
        try edit(copy)
        try FixtureRepo.git(["add", "-A"], in: copy)
        try FixtureRepo.git(["commit", "-q", "-m", "derived base"], in: copy)
        return copy
    }
}

/// Folders to remove at exit, guarded by a lock (fixtures are made from whichever test needs them first).
final class PendingRemovals: @unchecked Sendable {
    private let lock = NSLock()
    private var urls: [URL] = []

    func add(_ url: URL) { lock.withLock { urls.append(url) } }

    func removeAll() {
        lock.withLock {
            for url in urls { try? FileManager.default.removeItem(at: url) }
            urls = []
        }
    }
}

/// A copy of a checkout, `.git` included, in a fresh temporary folder.
func copyTree(_ root: URL) throws -> URL {
    let copy = try makeTemporaryDirectory("patch-copy")
    try run(["cp", "-a", root.path + "/.", copy.path])
    return copy
}

/// An intended change made by editing a scratch copy, with git's own diff of it as ground truth.
struct Scenario {
    let base: URL
    /// `git diff` of the intended change (renames detected).
    let diff: String
    /// `git write-tree` of the intended result: equal hashes mean byte-identical trees, modes included.
    let expectedTree: String

    init(base: URL, _ edit: (URL) throws -> Void) throws {
        let copy = try copyTree(base)
        defer { try? FileManager.default.removeItem(at: copy) }
        try edit(copy)
        try FixtureRepo.git(["add", "-A"], in: copy)
        self.base = base
        diff = try FixtureRepo.git(
            ["-c", "diff.noprefix=false", "diff", "--cached", "-M", "--no-color", "--no-ext-diff"], in: copy
        ).stdout
        expectedTree = try FixtureRepo.git(["write-tree"], in: copy).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }
}

/// Applies `diff` with real `git apply` to a copy of `base` and returns the resulting tree hash.
func treeAfterApplying(_ diff: String, to base: URL) throws -> String {
    let copy = try copyTree(base)
    defer { try? FileManager.default.removeItem(at: copy) }
    try run(["git", "apply", "-"], in: copy, input: Data(diff.utf8))
    try FixtureRepo.git(["add", "-A"], in: copy)
    return try FixtureRepo.git(["write-tree"], in: copy).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Prepares `modelText` against the scenario's base and checks that the canonical diff applies with git
/// and gives exactly the intended tree, and that the base was not touched.
@discardableResult
func expectApplies(
    _ modelText: String, _ scenario: Scenario, repaired: Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> ResolvedPatch? {
    recordFuzzSeed(modelText)
    let result = PatchEngine.prepare(modelText, against: scenario.base)
    try expectUntouched(scenario.base, sourceLocation: sourceLocation)
    guard case .success(let resolved) = result else {
        Issue.record("rejected: \(result)", sourceLocation: sourceLocation)
        return nil
    }
    #expect(
        try treeAfterApplying(resolved.canonicalDiff, to: scenario.base) == scenario.expectedTree,
        "canonical diff:\n\(resolved.canonicalDiff)", sourceLocation: sourceLocation)
    #expect(resolved.repaired == repaired, "repairs: \(resolved.repairs)", sourceLocation: sourceLocation)
    return resolved
}

/// Prepares `modelText` and expects a rejection under `rule`; returns the error for further checks.
@discardableResult
func expectRejected(
    _ modelText: String, against base: URL, rule: String, policy: PatchPolicy = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> PatchError? {
    recordFuzzSeed(modelText)
    let result = PatchEngine.prepare(modelText, against: base, policy: policy)
    try expectUntouched(base, sourceLocation: sourceLocation)
    guard case .failure(let error) = result else {
        Issue.record("accepted, expected \(rule): \(result)", sourceLocation: sourceLocation)
        return nil
    }
    #expect(error.rule == rule, "\(error)", sourceLocation: sourceLocation)
    #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    return error
}

/// With PATCH_FUZZ_SEEDS=DIR set, every model text the tests feed the engine is also written to DIR
/// (one file per distinct input): the seed corpus of the patch fuzzer (scripts/fuzz --refresh-seeds).
func recordFuzzSeed(_ modelText: String) {
    guard let directory = ProcessInfo.processInfo.environment["PATCH_FUZZ_SEEDS"], modelText.utf8.count <= 64 * 1024
    else { return }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: a stable name, so reruns do not duplicate
    for byte in modelText.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    try? Data(modelText.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent(String(hash, radix: 16)))
}

/// The engine never writes to the base: git sees no change in it.
func expectUntouched(_ base: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    // Without --no-optional-locks, status itself would refresh the base's index while other tests copy it.
    let status = try FixtureRepo.git(["--no-optional-locks", "status", "--porcelain", "--ignored"], in: base).stdout
    #expect(status.isEmpty, "base tree changed: \(status)", sourceLocation: sourceLocation)
}
