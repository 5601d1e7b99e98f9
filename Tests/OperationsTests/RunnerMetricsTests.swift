import Contracts
import Foundation
import RunnerProtocolClient
import TestSupport
import Testing

/// `selfcheck-runner serve --jobs 1 --queue 0 --metrics-port N`: a check stopped by its wall-time limit
/// and one refused as busy beside it, as the endpoint counts them. About 5 s here.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RunnerMetricsTests {
    @Test func limitHitsRefusalsAndQueueDepthAreCounted() async throws {
        let port = try GitDaemon.freePort()
        let server = try RunnerProcess(jobs: 1, arguments: ["--queue", "0", "--metrics-port", "\(port)"])
        defer { server.stop() }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let sleeping = try repo.sleepingTestDiff
        let limited = CheckRequest.with {
            $0.requestID = "limit-1"
            $0.repoPath = repo.root.path
            $0.diff = sleeping
            $0.stepTimeoutsMs = ["pytest": 3000]
        }
        var report: CheckReport?
        var refusal: (any Error)?
        var whileRunning: PrometheusText?
        for try await update in RunnerClient(socketPath: server.socket).check(limited) {
            switch update {
            case .event(let event):
                guard case .stepStarted(let step) = event.kind, step.name == "pytest", whileRunning == nil else {
                    continue
                }
                whileRunning = try PrometheusText.scrape(port: port)
                // The one slot is taken and no one may wait: a second check is refused.
                do {
                    for try await _ in RunnerClient(socketPath: server.socket).check(
                        .with {
                            $0.requestID = "busy-1"
                            $0.repoPath = repo.root.path
                            $0.diff = sleeping
                        })
                    {}
                } catch {
                    refusal = error
                }
            case .report(let final):
                report = final
            }
        }
        #expect(whileRunning?.value("selfcheck_jobs_running") == 1)
        #expect((refusal as? RunnerClientError)?.serverCode == "busy", "\(String(describing: refusal))")
        let final = try #require(report)
        #expect(final.verdict == .fail)
        #expect(final.steps.contains { $0.name == "pytest" && $0.limitHit == .wallTime })

        let metrics = try PrometheusText.scrape(port: port)
        #expect(metrics.value("selfcheck_limit_hits_total", ["kind": "wall_time"]) == 1, "\(metrics.text)")
        #expect(metrics.value("selfcheck_jobs_total", ["verdict": "fail"]) == 1)
        #expect(metrics.value("selfcheck_jobs_total", ["verdict": "busy"]) == 1)
        #expect(metrics.value("selfcheck_jobs_running") == 0)
        #expect(metrics.value("selfcheck_step_duration_seconds_count", ["step": "pytest"]) == 1)
    }
}
