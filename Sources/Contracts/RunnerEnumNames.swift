/// The names of the runner protocol's enums as `Protos/runner.proto` spells them: what the JSON report
/// prints, and what the human report, logs, notes and metrics labels show.
public protocol RunnerEnumName: CaseIterable, Equatable {
    var name: String { get }
}

extension RunnerEnumName {
    /// The value with this proto name; nil for a name the protocol does not have.
    public init?(name: String) {
        guard let value = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = value
    }
}

extension CheckReport.Verdict: RunnerEnumName {
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .pass: "pass"
        case .fail: "fail"
        case .rejected: "rejected"
        case .error: "error"
        case .inconclusive: "inconclusive"
        case .UNRECOGNIZED(let number): String(number)
        }
    }
}

extension StepResult.Status: RunnerEnumName {
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .passed: "passed"
        case .failed: "failed"
        case .skipped: "skipped"
        case .error: "error"
        case .inconclusive: "inconclusive"
        case .UNRECOGNIZED(let number): String(number)
        }
    }
}

extension StepResult.LimitHit: RunnerEnumName {
    public var name: String {
        switch self {
        case .none: "none"
        case .wallTime: "wall_time"
        case .cpuTime: "cpu_time"
        case .memory: "memory"
        case .pids: "pids"
        case .output: "output"
        case .fileSize: "file_size"
        case .disk: "disk"
        case .cancelled: "cancelled"
        case .UNRECOGNIZED(let number): String(number)
        }
    }
}

extension Finding.Kind: RunnerEnumName {
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .format: "format"
        case .lint: "lint"
        case .test: "test"
        case .collection: "collection"
        case .tamper: "tamper"
        case .apply: "apply"
        case .config: "config"
        case .dependencies: "dependencies"
        case .signal: "signal"
        case .limit: "limit"
        case .UNRECOGNIZED(let number): String(number)
        }
    }
}
