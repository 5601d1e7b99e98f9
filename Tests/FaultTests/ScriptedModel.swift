import Foundation
import Synchronization
import TestSupport

/// The LLM of the suite, as a `ScriptedHTTPServer` responder: it reads the task id and the attempt
/// number from the prompt and answers by the task's planned outcome; the first request of a task's
/// first attempt carries the task's planned fault, once (a redelivered task is not faulted again).
final class ScriptedModel: Sendable {
    let plan: [String: PlannedMessage]
    let goodDiff: String
    let refusedDiff: String
    /// Longer than the agents' LLM_TIMEOUT_SECONDS.
    let slowDelay: Duration

    private struct State {
        var requests: [String: Int] = [:]
        var faults: [ModelFault: Int] = [:]
        var unparsed = 0
    }
    private let state = Mutex(State())

    init(plan: [String: PlannedMessage], goodDiff: String, refusedDiff: String, slowDelay: Duration) {
        self.plan = plan
        self.goodDiff = goodDiff
        self.refusedDiff = refusedDiff
        self.slowDelay = slowDelay
    }

    var faultsInjected: [ModelFault: Int] { state.withLock { $0.faults } }
    var requestCount: Int { state.withLock { $0.requests.values.reduce(0, +) } }
    /// Requests whose prompt named no planned task (there should be none).
    var unparsedRequests: Int { state.withLock { $0.unparsed } }

    func respond(_ request: ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Response {
        let prompt = (try? Self.userMessage(of: request)) ?? ""
        guard let id = Self.taskID(in: prompt), let planned = plan[id] else {
            state.withLock { $0.unparsed += 1 }
            return .error(400, "the fault suite's model found no task id in the prompt")
        }
        let attempt = Self.attempt(in: prompt)
        let seen = state.withLock { state -> Int in
            state.requests["\(id)#\(attempt)", default: 0] += 1
            return state.requests["\(id)#\(attempt)"]!
        }
        if attempt == 1, seen == 1, let fault = planned.modelFault {
            state.withLock { $0.faults[fault, default: 0] += 1 }
            return faulty(fault)
        }
        switch planned.outcome {
        case .modelAuth: return .error(401, "invalid api key")
        case .passFirstTry: return .patch(diff: goodDiff)
        case .passOnRetry: return .patch(diff: attempt == 1 ? refusedDiff : goodDiff)
        case .softFail, .unknownBase, .poison: return .patch(diff: refusedDiff)
        }
    }

    private func faulty(_ fault: ModelFault) -> ScriptedHTTPServer.Response {
        switch fault {
        case .serverError: return .error(500, "upstream overloaded")
        case .rateLimited: return .error(429, "slow down", headers: [("Retry-After", "1")])
        case .slowReply:
            var response = ScriptedHTTPServer.Response.patch(diff: goodDiff)
            response.delay = slowDelay
            return response
        case .invalidContent: return .completion(content: "Sure! Here is the diff you asked for: {diff")
        case .invalidBody: return ScriptedHTTPServer.Response(body: "{\"choices\": [")
        }
    }

    static func userMessage(of request: ScriptedHTTPServer.Request) throws -> String {
        let messages = try request.json()["messages"] as? [[String: Any]] ?? []
        return messages.last { $0["role"] as? String == "user" }?["content"] as? String ?? ""
    }

    /// `fault-suite task F012` in the goal.
    static func taskID(in prompt: String) -> String? {
        guard let range = prompt.range(of: "fault-suite task ") else { return nil }
        return String(prompt[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" })
    }

    /// 1, or one more than the attempt named by the prompt's retry section.
    static func attempt(in prompt: String) -> Int {
        guard let range = prompt.range(of: "PREVIOUS ATTEMPT FAILED (attempt ") else { return 1 }
        return (Int(prompt[range.upperBound...].prefix { $0.isNumber }) ?? 0) + 1
    }
}
