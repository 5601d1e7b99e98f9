import LLM
import Metrics

/// The agent's metrics, recorded through swift-metrics: the executable decides where they go
/// (`coding-agent run` serves them in Prometheus format). Names and labels are listed in the README.
enum AgentMetrics {
    /// The stages of a task whose durations are recorded in `ca_stage_duration_seconds{stage}`.
    enum Stage: String {
        /// Mirror fetch (when the base commit is missing), the redelivery look-up and the per-task checkout.
        case checkout
        /// RAG snippets or the task's files.
        case context
        /// One `proposePatch` (the client's own retries included).
        case llm
        /// One check by the runner.
        case check
        /// Commit of the canonical diff and push of `agt/<id>`.
        case push
    }

    /// The seed's `ca_patches_total{result}`: one per patch the model proposed and the runner judged,
    /// `success` when it passed the self-check, `fail` when it was refused or failed a step.
    static func patchJudged(passed: Bool) {
        Counter(label: "ca_patches_total", dimensions: [("result", passed ? "success" : "fail")]).increment()
    }

    /// `ca_tasks_total{status}`: one per result acknowledged by Kafka.
    static func taskFinished(status: String) {
        Counter(label: "ca_tasks_total", dimensions: [("status", status)]).increment()
    }

    /// `ca_task_attempts`: histogram of the patches asked of the model per task.
    static func attemptsUsed(_ count: Int) {
        Recorder(label: "ca_task_attempts").record(count)
    }

    /// `ca_llm_errors_total{kind}`: errors the model returned to the agent (after the client's retries).
    static func modelFailed(_ error: LLMError) {
        Counter(label: "ca_llm_errors_total", dimensions: [("kind", error.kind.rawValue)]).increment()
    }

    /// `ca_llm_tokens_total{type}`: prompt and completion tokens, when the server reports usage.
    static func tokensUsed(_ usage: TokenUsage?) {
        guard let usage else { return }
        Counter(label: "ca_llm_tokens_total", dimensions: [("type", "prompt")]).increment(by: usage.promptTokens)
        Counter(label: "ca_llm_tokens_total", dimensions: [("type", "completion")]).increment(
            by: usage.completionTokens)
    }

    /// Runs `body` and records its duration (also when it throws) in `ca_stage_duration_seconds{stage}`.
    static func timed<T, E: Error>(_ stage: Stage, _ body: () async throws(E) -> T) async throws(E) -> T {
        let start = ContinuousClock.now
        defer { record(stage, since: start) }
        return try await body()
    }

    /// Records the time from `start` to now in `ca_stage_duration_seconds{stage}`.
    static func record(_ stage: Stage, since start: ContinuousClock.Instant) {
        Timer(label: "ca_stage_duration_seconds", dimensions: [("stage", stage.rawValue)])
            .recordNanoseconds((ContinuousClock.now - start).nanosecondsCount)
    }
}

extension Duration {
    var nanosecondsCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
