import Contracts
import Foundation
import TestSupport
import Testing

/// `coding-agent run` and `selfcheck-runner serve` as real processes through one task whose first two
/// attempts fail (a 503 the client retries, then an unusable reply; then a failing test) and whose third
/// passes; both /metrics endpoints are scraped and the agent's JSON log read. About 15 s here.
@Suite(.serialized, .timeLimit(.minutes(5))) struct MetricsAndLogsTests {
    @Test func metricsCountWhatHappenedAndEveryTaskLineCarriesTheTaskID() async throws {
        try await OpsBed.with(replies: { served in
            (
                [
                    .error(503, "overloaded"),
                    .completion(content: "I cannot produce a diff today."),
                    .patch(diff: try served.testBreakingDiff, usage: (prompt: 100, completion: 20)),
                    .patch(diff: try served.goodDiff, usage: (prompt: 120, completion: 30)),
                ], nil
            )
        }) { bed in
            let agentPort = try GitDaemon.freePort()
            let agent = try bed.startAgent(
                "agent", metricsPort: agentPort, arguments: ["--concurrency", "2"],
                environment: ["LLM_MAX_RETRIES": "1"])
            defer { agent.kill() }
            #expect(
                await bed.groupSettled(agent, consumers: 2),
                "both workers hold partitions: \(agent.logLines.suffix(20))")

            try await bed.submit(bed.task("M1"))
            let results = try await bed.results(waitingFor: "M1")
            let result = try #require(
                results.first { $0.taskID == "M1" },
                "no result; agent log:\n\(agent.logLines.suffix(30).joined(separator: "\n"))")
            #expect(result.status == "SUCCESS", "\(result.notes)")

            let agentMetrics = try PrometheusText.scrape(port: agentPort)
            #expect(agentMetrics.value("ca_patches_total", ["result": "success"]) == 1, "\(agentMetrics.text)")
            #expect(agentMetrics.value("ca_patches_total", ["result": "fail"]) == 1)
            #expect(agentMetrics.value("ca_tasks_total", ["status": "SUCCESS"]) == 1)
            #expect(agentMetrics.value("ca_task_attempts_count") == 1)
            #expect(agentMetrics.value("ca_task_attempts_sum") == 3)
            #expect(agentMetrics.value("ca_llm_errors_total", ["kind": "badReply"]) == 1)
            #expect(
                agentMetrics.value("ca_llm_retries_total", ["kind": "server"]) == 1, "the 503 was retried by the client"
            )
            #expect(
                !agentMetrics.samples.contains { $0.name == "ca_llm_errors_total" && $0.labels["kind"] == "server" })
            #expect(agentMetrics.value("ca_llm_tokens_total", ["type": "prompt"]) == 220)
            #expect(agentMetrics.value("ca_llm_tokens_total", ["type": "completion"]) == 50)
            for (stage, count) in [("checkout", 1.0), ("context", 1), ("llm", 3), ("check", 2), ("push", 1)] {
                #expect(
                    agentMetrics.value("ca_stage_duration_seconds_count", ["stage": stage]) == count, "stage \(stage)")
            }
            #expect((agentMetrics.value("ca_stage_duration_seconds_sum", ["stage": "check"]) ?? 0) > 0)

            let runnerMetrics = try PrometheusText.scrape(port: bed.runnerMetricsPort)
            #expect(runnerMetrics.value("selfcheck_jobs_total", ["verdict": "pass"]) == 1, "\(runnerMetrics.text)")
            #expect(runnerMetrics.value("selfcheck_jobs_total", ["verdict": "fail"]) == 1)
            #expect(runnerMetrics.value("selfcheck_step_duration_seconds_count", ["step": "pytest"]) == 2)
            #expect(runnerMetrics.value("selfcheck_jobs_running") == 0)
            #expect(runnerMetrics.value("selfcheck_jobs_waiting") == 0)
            #expect(!runnerMetrics.samples.contains { $0.name == "selfcheck_limit_hits_total" }, "no limit fired")

            // The standard process series, against what /proc says from outside.
            for (name, metrics, pid) in [
                ("agent", agentMetrics, agent.pid), ("runner", runnerMetrics, bed.runner.process.processIdentifier),
            ] {
                let pid = try #require(pid)
                let openFiles = try #require(openFileCount(of: pid), "\(name) is gone")
                let reported = try #require(metrics.value("process_open_fds"), "\(name) has no process_open_fds")
                #expect(
                    abs(reported - Double(openFiles)) <= 8,
                    "\(name): process_open_fds \(reported), /proc/\(pid)/fd has \(openFiles)")
                #expect((metrics.value("process_max_fds") ?? 0) >= reported)
                let resident = try #require(metrics.value("process_resident_memory_bytes"))
                #expect(
                    resident > 4_000_000 && resident <= (metrics.value("process_virtual_memory_bytes") ?? 0),
                    "\(name): \(resident) bytes resident")
                #expect((metrics.value("process_cpu_seconds_total") ?? 0) > 0)
                let started = try #require(metrics.value("process_start_time_seconds"))
                let now = Date().timeIntervalSince1970
                #expect(started <= now + 1 && started > now - 600, "\(name) started \(now - started) s ago")
            }

            agent.terminate()
            try #require(await agent.waitForExit(timeout: .seconds(30)), "an idle agent stops at once on SIGTERM")
            #expect(agent.exitStatus == 0)

            // Every line is one JSON object; every line logged while the task ran carries its id.
            let lines = jsonLines(agent.logLines)
            #expect(!lines.isEmpty && lines.allSatisfy { $0 != nil }, "\(agent.logLines.filter { !$0.hasPrefix("{") })")
            let parsed = lines.compactMap { $0 }
            #expect(parsed.allSatisfy { $0["level"] is String && $0["message"] is String && $0["timestamp"] is String })
            let received = try #require(parsed.firstIndex { ($0["message"] as? String) == "bundle received" })
            let sent = try #require(parsed.firstIndex { ($0["message"] as? String) == "result sent" })
            // librdkafka's own lines (source Kafka) are the client's, not the task's.
            let during = parsed[(received + 1)...sent].filter { ($0["source"] as? String) != "Kafka" }
            #expect(during.count >= 4, "attempt and model lines: \(during)")
            #expect(
                during.allSatisfy { ($0["task_id"] as? String) == "M1" }, "\(during.filter { $0["task_id"] == nil })")
            #expect(parsed.filter { ($0["message"] as? String) == "attempt failed" }.count == 2)
            #expect(
                parsed.contains {
                    ($0["message"] as? String) == "chat completion" && ($0["task_id"] as? String) == "M1"
                },
                "the model client's own lines carry the task id too")

            let runnerLines = jsonLines(
                ((try? String(contentsOf: bed.runnerLog, encoding: .utf8)) ?? "").split(separator: "\n").map(
                    String.init))
            #expect(!runnerLines.isEmpty && runnerLines.allSatisfy { $0 != nil }, "the runner logs JSON lines too")
            #expect(
                runnerLines.contains {
                    ($0?["message"] as? String) == "job finished" && ($0?["request_id"] as? String) == "M1-3"
                })
        }
    }
}
