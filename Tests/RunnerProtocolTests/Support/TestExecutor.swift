import Contracts
import Foundation
import RunnerProtocolServer
import Synchronization
import TestSupport

/// A `CheckExecutor` fake: emits a step-started event per requested step, sleeps for
/// `request.limits.wallTimeMs` (honouring cancellation), then passes. Records what it saw.
final class TestExecutor: CheckExecutor {
    enum Outcome: Sendable, Equatable {
        case finished
        case cancelled
    }

    private let started = Mutex<Set<String>>([])
    /// Where each request's passed workspace fd pointed (resolved), for requests that passed one.
    private let workspaces = Mutex<[String: String]>([:])

    func execute(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, events: @escaping @Sendable (CheckEvent) async -> Void
    ) async -> CheckReport {
        if let workspace {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: workspace.path)) ?? "?"
            workspaces.withLock { $0[request.requestID] = target }
        }
        return await execute(request, events: events)
    }

    func workspace(of id: String) -> String? { workspaces.withLock { $0[id] } }
    private let outcomes = Mutex<[String: Outcome]>([:])

    func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async -> CheckReport {
        let id = request.requestID
        started.withLock { _ = $0.insert(id) }
        for step in request.steps {
            await events(CheckEvent.with { $0.stepStarted = StepStarted.with { $0.name = step } })
        }
        if request.steps == ["flood"] {
            // Output until cancelled: only the runner's backpressure and send timeout stop it.
            let chunk = CheckEvent.with {
                $0.output = OutputChunk.with {
                    $0.step = "flood"
                    $0.data = Data(count: 256 << 10)
                }
            }
            while !Task.isCancelled { await events(chunk) }
        }
        var report = CheckReport()
        do {
            try await Task.sleep(for: .milliseconds(Int(request.limits.wallTimeMs)))
            report.verdict = .pass
            report.reason = "checked \(id)"
            outcomes.withLock { $0[id] = .finished }
        } catch {
            report.verdict = .error
            report.reason = "cancelled"
            outcomes.withLock { $0[id] = .cancelled }
        }
        return report
    }

    func hasStarted(_ id: String) -> Bool { started.withLock { $0.contains(id) } }

    /// Waits (polling) until the job has started. - Returns: false after `timeout`.
    func waitUntilStarted(_ id: String, timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(within: timeout, every: .milliseconds(10)) { self.hasStarted(id) }
    }

    /// Waits until the job has returned. - Returns: its outcome, or nil after `timeout`.
    func outcome(of id: String, timeout: Duration = .seconds(10)) async -> Outcome? {
        _ = await eventually(within: timeout, every: .milliseconds(10)) { self.outcomes.withLock { $0[id] != nil } }
        return outcomes.withLock { $0[id] }
    }
}

/// A check request the `TestExecutor` answers after `sleep`.
func makeRequest(_ id: String, steps: [String] = ["apply", "black"], sleep: Duration = .zero) -> CheckRequest {
    CheckRequest.with {
        $0.requestID = id
        $0.diff = "--- a/x\n+++ b/x\n"
        $0.steps = steps
        $0.limits.wallTimeMs = UInt64(
            sleep.components.seconds * 1000 + sleep.components.attoseconds / 1_000_000_000_000_000)
    }
}
