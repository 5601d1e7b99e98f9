import AgentContracts
import Foundation
import TestSupport

/// What a planned task is meant to end as, and how the scripted model behaves for it.
enum PlannedOutcome: String, CaseIterable, Sendable {
    /// The model's first diff passes the check.
    case passFirstTry
    /// The first diff is refused (context that is not in the file), the second passes.
    case passOnRetry
    /// Every diff is refused; the agent stops early when the refusal repeats.
    case softFail
    /// The task names a commit the remote does not have.
    case unknownBase
    /// The model answers 401: a configuration error no retry can fix.
    case modelAuth
    /// Bytes on the task topic that are not a TaskBundle.
    case poison

    var expectedStatus: String {
        switch self {
        case .passFirstTry, .passOnRetry: "SUCCESS"
        case .softFail: "SOFT_FAIL"
        case .unknownBase, .modelAuth, .poison: "HARD_FAIL"
        }
    }

    /// How many of each in a plan of 200; every full sandbox check costs seconds, so only the two
    /// passing kinds run one (refused diffs are judged before anything runs).
    static let counts: [PlannedOutcome: Int] = [
        .passFirstTry: 50, .passOnRetry: 30, .softFail: 40, .unknownBase: 40, .modelAuth: 10, .poison: 30,
    ]
}

/// An LLM fault the scripted model injects into the first request of a task's first attempt.
enum ModelFault: String, CaseIterable, Sendable {
    case serverError = "LLM 500"
    case rateLimited = "LLM 429 Retry-After"
    case slowReply = "LLM reply past the timeout"
    case invalidContent = "LLM content not JSON"
    case invalidBody = "LLM body not JSON"
}

/// One message of the plan: a task (or a poison message) with the outcome it should end with.
struct PlannedMessage: Sendable {
    /// The task id, or the poison message's key (the worker reports it as the result's task id).
    var id: String
    var outcome: PlannedOutcome
    /// Injected into the model's first answer for this task, if any.
    var modelFault: ModelFault?
    /// The symbol lease the task reserves (claimed with the pushed commit when it succeeds).
    var lease: Int64
}

/// 200 messages of mixed outcomes in a seeded shuffle, with model faults spread over the tasks that
/// reach the model.
struct TaskPlan: Sendable {
    let messages: [PlannedMessage]
    let baseCommit: String

    init(baseCommit: String, seed: UInt64 = 9) {
        self.baseCommit = baseCommit
        var generator = SplitMix64(state: seed)
        var outcomes: [PlannedOutcome] = PlannedOutcome.allCases.flatMap {
            Array(repeating: $0, count: Self.countOf($0))
        }
        outcomes.shuffle(using: &generator)
        var faultIndex = 0
        messages = outcomes.enumerated().map { index, outcome in
            let id = outcome == .poison ? String(format: "poison-%03d", index) : String(format: "F%03d", index)
            var fault: ModelFault?
            if [.passFirstTry, .passOnRetry, .softFail].contains(outcome), index % 3 == 0 {
                // Every third model-bound task gets one fault, cycling through the kinds.
                fault = ModelFault.allCases[faultIndex % ModelFault.allCases.count]
                faultIndex += 1
            }
            return PlannedMessage(id: id, outcome: outcome, modelFault: fault, lease: 1000 + Int64(index))
        }
    }

    private static func countOf(_ outcome: PlannedOutcome) -> Int { PlannedOutcome.counts[outcome] ?? 0 }

    var byID: [String: PlannedMessage] { Dictionary(uniqueKeysWithValues: messages.map { ($0.id, $0) }) }

    /// The goal names the task so the scripted model can find its plan in the prompt.
    static func goal(for id: String) -> String { "fault-suite task \(id): add a pluralize helper" }

    /// The bytes to publish on the task topic for `message`.
    func payload(_ message: PlannedMessage) throws -> [UInt8] {
        guard message.outcome != .poison else {
            // A truncated varint field: protobuf refuses it.
            return [0x0a, 0xff, 0xff] + Array("poison \(message.id)".utf8)
        }
        let task = CodingTask.with {
            $0.id = message.id
            $0.goal = Self.goal(for: message.id)
            $0.kind = "FEAT"
            $0.path = "inflection/__init__.py"
            $0.baseCommit = message.outcome == .unknownBase ? Self.unknownCommit(message.id) : baseCommit
            $0.reservedLeaseIds = ["\(message.lease)"]
        }
        return try TaskBundle.with {
            $0.bundleID = "bundle-\(message.id)"
            $0.tasks = [task]
        }.serializedBytes()
    }

    /// A well-formed commit id the remote does not have.
    static func unknownCommit(_ id: String) -> String {
        let digits = id.unicodeScalars.map { String(format: "%02x", $0.value) }.joined()
        return String((digits + String(repeating: "e", count: 40)).prefix(40))
    }
}
