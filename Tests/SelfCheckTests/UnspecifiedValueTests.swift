import Contracts
import Testing

@testable import SelfCheck

/// The runner never sends a zero (`unspecified`) verdict or step status: neither may read as a pass.
@Suite struct UnspecifiedValueTests {
    @Test func aStepWithoutStatusTurnsAPassIntoAnError() {
        var report = CheckReport.with {
            $0.verdict = .pass
            $0.reason = "every step passed"
            $0.steps = [
                .with {
                    $0.name = "black"
                    $0.status = .passed
                }, .with { $0.name = "ruff" },
            ]
        }
        report.ruleOutUnspecified()
        #expect(report.verdict == .error)
        #expect(report.reason == "step ruff ended without a status")
        #expect(report.steps.map(\.status) == [.passed, .error])
        #expect(report.steps[1].note == "the step ended without a status")
    }

    @Test func aFailStaysAFail() {
        var report = CheckReport.with {
            $0.verdict = .fail
            $0.reason = "black failed"
            $0.steps = [
                .with {
                    $0.name = "black"
                    $0.status = .failed
                }, .with { $0.name = "ruff" },
            ]
        }
        report.ruleOutUnspecified()
        #expect(report.verdict == .fail && report.reason == "black failed")
        #expect(report.steps[1].status == .error)
    }

    @Test func aReportWithoutVerdictIsAnError() {
        var report = CheckReport()
        report.ruleOutUnspecified()
        #expect(report.verdict == .error)
        #expect(report.reason == "the check ended without a verdict")
        var judged = CheckReport.with { $0.verdict = .pass }
        judged.ruleOutUnspecified()
        #expect(judged.verdict == .pass)
    }
}
