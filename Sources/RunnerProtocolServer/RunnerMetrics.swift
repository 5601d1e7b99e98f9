import Contracts
import Metrics

/// The runner's metrics, recorded through swift-metrics (`selfcheck-runner serve --metrics-port` serves
/// them in Prometheus format). Names and labels are listed in the README.
enum RunnerMetrics {
    /// `selfcheck_jobs_total{verdict}`: one per check request, by the report's verdict (`pass`, `fail`,
    /// `rejected`, `error`, `inconclusive`), or `busy` (refused: no slot or queue place) or `cancelled` (by
    /// the client's request or the runner's shutdown, before or while running). A client that disconnects
    /// mid-check is counted as `cancelled` too.
    static func jobEnded(_ verdict: String) {
        Counter(label: "selfcheck_jobs_total", dimensions: [("verdict", verdict)]).increment()
    }

    /// `selfcheck_step_duration_seconds{step}` for each step that ran, and `selfcheck_limit_hits_total{kind}`
    /// for each step a sandbox limit stopped (`wall_time`, `cpu_time`, `memory`, `pids`, `output`, `file_size`).
    static func stepsRan(_ report: CheckReport) {
        for step in report.steps where step.status != .skipped {
            Timer(label: "selfcheck_step_duration_seconds", dimensions: [("step", step.name)])
                .recordMilliseconds(step.durationMs)
            if step.limitHit != .none && step.limitHit != .cancelled {
                Counter(label: "selfcheck_limit_hits_total", dimensions: [("kind", step.limitHit.name)]).increment()
            }
        }
    }

    /// `selfcheck_jobs_running` and `selfcheck_jobs_waiting`: the queue depth, updated on every change.
    static func queueChanged(running: Int, waiting: Int) {
        Gauge(label: "selfcheck_jobs_running").record(running)
        Gauge(label: "selfcheck_jobs_waiting").record(waiting)
    }
}
