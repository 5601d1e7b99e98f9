import Contracts
import Foundation

/// The channel pytest's results reach the runner by. The tool environment's entry point
/// (scripts/check-tools/selfcheck_pytest.py) writes one record per line to a copy of the job's output
/// pipe taken before any repository code runs, each carrying a token the runner sends it on stdin. The
/// runner reads the pipe as the job runs, so a record once written cannot be taken back; a file in the
/// workspace could be rewritten by the tests before the job exits.
final class ResultChannel: @unchecked Sendable {
    static let marker = Array("@@selfcheck:".utf8)
    let token: String
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var records: [[String: Any]] = []
    private var forged: [String] = []

    init(token: String = UUID().uuidString.lowercased()) { self.token = token }

    /// What the entry point reads on stdin: the token, the files the patch touched, the tests to run
    /// (nil: all) and whether to record the test map (TestSelection/).
    func request(touched: [String], select: [String]? = nil, map: Bool = false) -> [UInt8] {
        var fields: [String: Any] = ["token": token, "files": touched]
        if let select { fields["select"] = select }
        if map { fields["map"] = true }
        let json = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return Array(json ?? Data()) + [10]
    }

    /// Takes a chunk of the job's output; returns it without the records (what the client sees).
    func feed(_ bytes: [UInt8]) -> [UInt8] {
        lock.withLock {
            pending += bytes
            guard let last = pending.lastIndex(of: 10) else { return [] }
            let complete = pending[...last]
            pending = Array(pending[(last + 1)...])
            var visible: [UInt8] = []
            for line in complete.split(separator: 10, omittingEmptySubsequences: false).dropLast() {
                if line.starts(with: Self.marker) { take(Array(line)) } else { visible += line + [10] }
            }
            return visible
        }
    }

    /// The job's output without the records (for the report's output tail).
    static func strip(_ output: String, token: String) -> String {
        output.replacingOccurrences(of: #"\n?@@selfcheck:\#(token) [^\n]*\n?"#, with: "\n", options: .regularExpression)
    }

    private func take(_ line: [UInt8]) {
        let text = String(decoding: line.dropFirst(Self.marker.count), as: UTF8.self)
        let prefix = token + " "
        guard text.hasPrefix(prefix),
            let record = try? JSONSerialization.jsonObject(with: Data(text.dropFirst(prefix.count).utf8))
                as? [String: Any]
        else { return forged.append(String(text.prefix(200))) }
        records.append(record)
    }

    /// Everything the job reported, once it has ended.
    func results() -> PytestResults {
        lock.withLock {
            // A last record the job wrote without its newline.
            if pending.starts(with: Self.marker) { take(pending) }
            pending = []
            return PytestResults(records: records, forged: forged)
        }
    }
}

/// pytest's results as the channel reported them: per-test outcomes, collection errors, and the
/// runtime tamper evidence (rewritten reports, patched internals, hooks the patch wrote, a session that
/// did not end through pytest).
struct PytestResults: Sendable {
    var started = false
    /// A `hooks` record arrived: pytest got past collection.
    var collectionFinished = false
    /// The session's own exit status and collected count; nil when it never reached its end.
    var finish: (exitStatus: Int32, collected: Int)?
    var outcomes: [TestOutcome] = []
    var tamper: [Finding] = []
    /// Hook implementations in files the patch touched: (hook, file, first line, last line).
    var hooks: [(hook: String, file: String, first: Int, last: Int)] = []

    init(records: [[String: Any]], forged: [String]) {
        var byTest: [String: TestOutcome] = [:]
        var order: [String] = []
        var seen = Set<String>()
        func tamper(_ key: String, _ message: String) {
            self.tamper.append(
                .with {
                    $0.kind = .tamper
                    $0.key = key
                    $0.message = message
                })
        }
        for text in forged.prefix(5) {
            tamper("result-channel", "a line posing as a runner record with the wrong token: \(text.prefix(120))")
        }
        for record in records {
            switch record["e"] as? String {
            case "start":
                started = true
            case "finish":
                let status = Int32(record["exitstatus"] as? Int ?? -1)
                finish = (status, record["collected"] as? Int ?? 0)
            case "internals":
                tamper(record["name"] as? String ?? "?", "pytest internals were replaced while the tests ran")
            case "hooks":
                collectionFinished = true
                if record["self"] as? Bool == false {
                    tamper("selfcheck-plugin", "the runner's pytest plugin was unregistered")
                }
                for impl in record["impls"] as? [[String: Any]] ?? [] {
                    hooks.append(
                        (
                            impl["hook"] as? String ?? "", impl["file"] as? String ?? "", impl["first"] as? Int ?? 0,
                            impl["last"] as? Int ?? 0
                        ))
                }
            case "collect":
                let id = record["id"] as? String ?? ""
                if byTest[id] == nil { order.append(id) }
                let status: TestOutcome.Status = record["skipped"] as? Bool == true ? .skipped : .error
                byTest[id] = TestOutcome(
                    id: id, status: status, isCollectionError: true, message: record["error"] as? String ?? "")
            case "test":
                let id = record["id"] as? String ?? ""
                let when = record["when"] as? String ?? ""
                guard seen.insert(id + "\u{0}" + when).inserted else {
                    tamper(id, "more than one result for its \(when) phase: results were forged")
                    continue
                }
                let derived = record["derived"] as? String ?? ""
                let reported = record["reported"] as? String ?? ""
                if derived == "failed" && reported != "failed" {
                    tamper(id, "the test failed in \(when) but its report was rewritten to \(reported)")
                }
                let failed = derived == "failed" || reported == "failed"
                // A subtest ("subtest N", during the call phase) fails its test; its skip does not skip it.
                let subtest = when.hasPrefix("subtest ")
                let status: TestOutcome.Status =
                    failed
                    ? (when == "call" || subtest ? .failed : .error)
                    : reported == "skipped" && !subtest ? .skipped : .passed
                var outcome = byTest[id] ?? TestOutcome(id: id, status: .passed, isCollectionError: false, message: "")
                if byTest[id] == nil { order.append(id) }
                // The first failure is the verdict (a failing teardown after a failed call keeps .failed).
                if !outcome.failed && (status != .passed) {
                    outcome.status = status
                    outcome.message = record["msg"] as? String ?? ""
                }
                byTest[id] = outcome
            default:
                break
            }
        }
        outcomes = order.compactMap { byTest[$0] }
    }

    /// How the session ended, from the records and the process's own exit status: tamper findings, new
    /// failures, or why the run cannot be judged at all.
    func session(exitCode: Int32) -> (tamper: [Finding], failures: [Finding], error: String?) {
        if let finish {
            if finish.collected > 0 && !outcomes.contains(where: { !$0.isCollectionError }) {
                return (
                    [], [],
                    "pytest collected \(finish.collected) tests but none reported a result through the runner's channel "
                        + "(tests run in other processes, e.g. by pytest-xdist, are not supported)"
                )
            }
            guard finish.exitStatus != exitCode else { return ([], [], nil) }
            return (
                [
                    .with {
                        $0.kind = .tamper
                        $0.key = "pytest-exit"
                        $0.message =
                            "pytest finished with status \(finish.exitStatus) but the process exited \(exitCode): an atexit hook or os._exit changed it"
                    }
                ], [], nil
            )
        }
        if collectionFinished {
            return (
                [
                    .with {
                        $0.kind = .tamper
                        $0.key = "pytest-session"
                        $0.message =
                            "the test process exited \(exitCode) while the tests ran, before pytest finished its session (os._exit, or a hook that stopped pytest)"
                    }
                ], [], nil
            )
        }
        return (
            [],
            [
                .with {
                    $0.kind = .collection
                    $0.key = "pytest-session"
                    $0.message =
                        "pytest exited \(exitCode) before it finished collecting (e.g. a conftest.py that fails to import)"
                }
            ], nil
        )
    }

    /// Hooks through which the patch itself changes collection, running or reporting: an implementation
    /// in a touched file whose lines the patch added or changed.
    func hooksWrittenByThePatch(_ added: AddedLines) -> [Finding] {
        var findings: [Finding] = []
        var reported = Set<String>()
        for hook in hooks
        where !(added.byFile[hook.file] ?? []).isDisjoint(with: Set(hook.first...max(hook.first, hook.last))) {
            guard reported.insert("\(hook.file) \(hook.hook)").inserted else { continue }
            findings.append(
                .with {
                    $0.kind = .tamper
                    $0.key = "\(hook.file)::\(hook.hook)"
                    $0.message =
                        "the patch implements pytest's \(hook.hook) hook (lines \(hook.first)–\(hook.last)), which can change what is collected, run or reported"
                })
        }
        return findings
    }
}
