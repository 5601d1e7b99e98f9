import Contracts
import Foundation

/// How one test ended, as the result channel reported it.
struct TestOutcome: Sendable, Hashable, Codable {
    enum Status: String, Sendable, Codable { case passed, failed, error, skipped }
    /// pytest's node id: `tests/test_x.py::TestK::test_m[1]` for a test; the file for a collection error.
    var id: String
    var status: Status
    var isCollectionError: Bool
    var message: String

    var ran: Bool { status != .skipped }
    var failed: Bool { status == .failed || status == .error }
}

enum TestJudge {
    /// New failures: failing now and not failing at the base (a new test that fails counts).
    /// Pre-existing: failing now and already failing at the base.
    static func judge(patched: [TestOutcome], base: [TestOutcome]?) -> (new: [Finding], preexisting: [Finding]) {
        let failingAtBase = Set((base ?? []).filter(\.failed).map(\.id))
        var new: [Finding] = []
        var preexisting: [Finding] = []
        for outcome in patched where outcome.failed {
            let finding = Finding.with {
                $0.kind = outcome.isCollectionError ? .collection : .test
                $0.key = outcome.id
                $0.message = outcome.message
            }
            if failingAtBase.contains(outcome.id) { preexisting.append(finding) } else { new.append(finding) }
        }
        return (new, preexisting)
    }

    /// The tamper guard: tests that ran at the base and no longer run (deleted, skipped, deselected).
    static func vanished(patched: [TestOutcome], base: [TestOutcome]) -> [Finding] {
        let runningNow = Set(patched.filter(\.ran).map(\.id))
        let skippedNow = Set(patched.filter { !$0.ran }.map(\.id))
        return base.filter { $0.ran && !$0.isCollectionError && !runningNow.contains($0.id) }.map { outcome in
            Finding.with {
                $0.kind = .tamper
                $0.key = outcome.id
                $0.message =
                    skippedNow.contains(outcome.id)
                    ? "ran at the base, skipped after the patch"
                    : "ran at the base, no longer collected or selected after the patch"
            }
        }
    }
}
