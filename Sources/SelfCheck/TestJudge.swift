import Contracts
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// How one test ended, as pytest's JUnit XML says.
struct TestOutcome: Sendable, Hashable, Codable {
    enum Status: String, Sendable, Codable { case passed, failed, error, skipped }
    /// `tests/test_x.py::TestK::test_m[1]` for a test; the file for a collection error.
    var id: String
    var status: Status
    var isCollectionError: Bool
    var message: String

    var ran: Bool { status != .skipped }
    var failed: Bool { status == .failed || status == .error }
}

enum TestJudge {
    /// Parses pytest's `--junitxml` (xunit1 family, which carries the `file` attribute).
    static func parse(junitXML: Data) -> [TestOutcome]? {
        let delegate = JUnitReader()
        let parser = XMLParser(data: junitXML)
        parser.delegate = delegate
        return parser.parse() && delegate.sawSuite ? delegate.outcomes : nil
    }

    /// New failures: failing now and not failing at the base (a new test that fails counts).
    /// Pre-existing: failing now and already failing at the base.
    static func judge(patched: [TestOutcome], base: [TestOutcome]?) -> (new: [Finding], preexisting: [Finding]) {
        let failingAtBase = Set((base ?? []).filter(\.failed).map(\.id))
        var new: [Finding] = [], preexisting: [Finding] = []
        for outcome in patched where outcome.failed {
            let finding = Finding.with {
                $0.kind = outcome.isCollectionError ? "collection" : "test"
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
                $0.kind = "tamper"
                $0.key = outcome.id
                $0.message = skippedNow.contains(outcome.id)
                    ? "ran at the base, skipped after the patch"
                    : "ran at the base, no longer collected or selected after the patch"
            }
        }
    }
}

/// SAX reader for pytest's JUnit XML: one outcome per <testcase>.
private final class JUnitReader: NSObject, XMLParserDelegate {
    var outcomes: [TestOutcome] = []
    private(set) var sawSuite = false
    private var current: TestOutcome?

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch name {
        case "testsuite":
            sawSuite = true
        case "testcase":
            let classname = attributes["classname"] ?? ""
            let testName = attributes["name"] ?? ""
            let file = attributes["file"] ?? ""
            if classname.isEmpty {
                // A collection error: pytest names the module; the file says where.
                let path = file.isEmpty ? testName.replacingOccurrences(of: ".", with: "/") + ".py" : file
                current = TestOutcome(id: path, status: .passed, isCollectionError: true, message: "")
            } else {
                current = TestOutcome(id: Self.nodeID(classname: classname, name: testName, file: file),
                                      status: .passed, isCollectionError: false, message: "")
            }
        case "failure", "error", "skipped":
            guard var outcome = current else { return }
            // A failing teardown adds an <error> to a test already failed; keep the first verdict.
            if outcome.status == .passed || name != "skipped" && outcome.status == .skipped {
                outcome.status = name == "failure" ? .failed : name == "error" ? .error : .skipped
                outcome.message = String((attributes["message"] ?? name).prefix(300))
            }
            if name == "error" && outcome.isCollectionError { outcome.status = .error }
            current = outcome
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "testcase", let outcome = current {
            outcomes.append(outcome)
            current = nil
        }
    }

    /// `tests.test_x.TestK` + `test_m` in `tests/test_x.py` → `tests/test_x.py::TestK::test_m`.
    static func nodeID(classname: String, name: String, file: String) -> String {
        guard !file.isEmpty else { return "\(classname)::\(name)" }
        let module = file.hasSuffix(".py") ? String(file.dropLast(3)).replacingOccurrences(of: "/", with: ".") : file
        var rest = classname
        if rest == module {
            rest = ""
        } else if rest.hasPrefix(module + ".") {
            rest = String(rest.dropFirst(module.count + 1))
        }
        let classes = rest.isEmpty ? "" : rest.replacingOccurrences(of: ".", with: "::") + "::"
        return "\(file)::\(classes)\(name)"
    }
}
