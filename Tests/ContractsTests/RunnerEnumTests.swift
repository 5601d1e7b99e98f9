import Contracts
import Foundation
import SwiftProtobuf
import TestSupport
import Testing

/// The report's verdict, step status, limit hit and finding kind are enums, but the JSON report and every
/// text made from them keep the readable names runner.proto gives them.
@Suite struct RunnerEnumTests {
    static var report: CheckReport {
        .with {
            $0.requestID = "r1"
            $0.verdict = .inconclusive
            $0.steps = [
                .with {
                    $0.name = "pytest"
                    $0.status = .failed
                    $0.limitHit = .fileSize
                    $0.newFailures = [
                        .with {
                            $0.kind = .dependencies
                            $0.key = "pyproject.toml"
                        }
                    ]
                },
                .with {
                    $0.name = "ruff"
                    $0.status = .passed
                },
            ]
            $0.tamper = [.with { $0.kind = .tamper }]
        }
    }

    @Test func jsonReportRoundTripsWithReadableNames() throws {
        let json = try Self.report.protoNamedJSON()
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let steps = try #require(object["steps"] as? [[String: Any]])
        let failure = try #require((steps[0]["new_failures"] as? [[String: Any]])?.first)
        #expect(object["verdict"] as? String == "inconclusive")
        #expect(steps.map { $0["status"] as? String } == ["failed", "passed"])
        #expect(steps[0]["limit_hit"] as? String == "file_size")
        #expect(steps[1]["limit_hit"] == nil, "no limit hit is the zero value, left out as before")
        #expect(failure["kind"] as? String == "dependencies")
        #expect((object["tamper"] as? [[String: Any]])?.first?["kind"] as? String == "tamper")
        #expect(try CheckReport(jsonString: json) == Self.report)
    }

    /// A report from an older runner or a hand-written file with the string values still reads.
    @Test func readsAReportWrittenWithStringValues() throws {
        let json = #"""
            {"verdict": "fail", "steps": [{"name": "pytest", "status": "error", "limit_hit": "wall_time",
             "new_failures": [{"kind": "limit", "key": "pytest"}]}]}
            """#
        let report = try CheckReport(jsonString: json)
        #expect(report.verdict == .fail)
        #expect(report.steps.first?.status == .error)
        #expect(report.steps.first?.limitHit == .wallTime)
        #expect(report.steps.first?.newFailures.first?.kind == .limit)
    }

    /// A name the protocol does not have is refused rather than read as the zero value.
    @Test func refusesAnUnknownName() {
        #expect(throws: (any Error).self) { try CheckReport(jsonString: #"{"verdict": "PASS"}"#) }
        #expect(throws: (any Error).self) { try CheckReport(jsonString: #"{"verdict": "passed"}"#) }
        #expect(throws: (any Error).self) {
            try StepResult(jsonString: #"{"limit_hit": "wall-time"}"#)
        }
    }

    /// `name` is the JSON name: the decoder reads it (the zero value too), the encoder prints it.
    @Test func everyNameIsTheJSONName() throws {
        try check(CheckReport.self, \.verdict, "verdict")
        try check(StepResult.self, \.status, "status")
        try check(StepResult.self, \.limitHit, "limit_hit")
        try check(Finding.self, \.kind, "kind")
        #expect(CheckReport.Verdict(name: "") == nil)
        #expect(StepResult.LimitHit(name: "") == nil)
    }

    func check<M: SwiftProtobuf.Message, E: RunnerEnumName & SwiftProtobuf.Enum>(
        _: M.Type, _ field: WritableKeyPath<M, E>, _ jsonField: String
    ) throws {
        for value in E.allCases {
            let decoded = try M(jsonString: #"{"\#(jsonField)": "\#(value.name)"}"#)
            #expect(decoded[keyPath: field] == value, "\(jsonField) \(value.name)")
            #expect(E(name: value.name) == value)
            guard value.rawValue != 0 else { continue }  // JSON leaves zero values out
            var message = M()
            message[keyPath: field] = value
            let object = try JSONSerialization.jsonObject(with: Data(message.protoNamedJSON().utf8))
            #expect((object as? [String: Any])?[jsonField] as? String == value.name)
        }
    }

    /// docs/runner-protocol.md lists every value each enum can carry (all but the never-sent zero value).
    @Test func theProtocolDocumentListsEveryValue() throws {
        let text = try String(
            contentsOf: Paths.packageRoot.appendingPathComponent("docs/runner-protocol.md"), encoding: .utf8)
        func sent<E: RunnerEnumName>(_: E.Type) -> Set<String> {
            Set(E.allCases.map(\.name).filter { $0 != "unspecified" })
        }
        #expect(try listed("verdict", in: text) == sent(CheckReport.Verdict.self))
        #expect(try listed("status", in: text) == sent(StepResult.Status.self))
        #expect(try listed("limit_hit", in: text) == sent(StepResult.LimitHit.self))
        #expect(try listed("kind", in: text) == sent(Finding.Kind.self))
    }

    /// The backquoted names in the bullet "- `field`: …" of the typed-values section (it may wrap).
    func listed(_ field: String, in text: String) throws -> Set<String> {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("- `\(field)`:") }, "no bullet for \(field)")
        var bullet = String(lines[start].dropFirst("- `\(field)`:".count))
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("  ") else { break }
            bullet += " " + line
        }
        // Only the names: the words in parentheses explain them.
        let names = bullet.replacing(/\([^)]*\)/, with: "")
        return Set(names.matches(of: /`([a-z_]+)`/).map { String($0.output.1) })
    }
}
