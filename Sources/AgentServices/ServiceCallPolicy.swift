import GRPCCore
import LLM

/// How patiently the agent calls a gRPC service: a deadline for each call, and retries with
/// exponential backoff and full jitter (the LLM client's `RetryPolicy`; GRPCCore has its own of that
/// name) when the service is unavailable or missed the deadline. Any other status is final at once.
public struct ServiceCallPolicy: Sendable {
    /// Time allowed for one call, from sending to the last response message.
    public var deadline: Duration
    public var retry: LLM.RetryPolicy

    public init(deadline: Duration, retry: LLM.RetryPolicy) {
        self.deadline = deadline
        self.retry = retry
    }

    /// RAG: 10 s per call, 2 retries after 0.2 s, 0.4 s (jittered).
    public static let rag = ServiceCallPolicy(
        deadline: .seconds(10),
        retry: LLM.RetryPolicy(
            maxRetries: 2, backoffBase: .milliseconds(200), backoffCap: .seconds(2), maxRetryAfter: .zero))
    /// SRM: 5 s per claim, 2 retries after 0.2 s, 0.4 s (jittered).
    public static let srm = ServiceCallPolicy(
        deadline: .seconds(5),
        retry: LLM.RetryPolicy(
            maxRetries: 2, backoffBase: .milliseconds(200), backoffCap: .seconds(2), maxRetryAfter: .zero))

    static let retriedCodes: Set<RPCError.Code> = [.unavailable, .deadlineExceeded]

    /// Runs `call` with the deadline, retrying transient failures.
    /// - Throws: ``ServiceCallError`` naming the service, its address, the status and how many calls were made.
    func run<Result: Sendable>(
        _ service: String, at address: ServiceAddress, _ call: (CallOptions) async throws -> Result
    ) async throws -> Result {
        var options = CallOptions.defaults
        options.timeout = deadline
        var generator = SystemRandomNumberGenerator()
        var calls = 0
        while true {
            calls += 1
            do {
                return try await call(options)
            } catch let error as RPCError where Self.retriedCodes.contains(error.code) && calls <= retry.maxRetries {
                try await Task.sleep(for: retry.delay(beforeRetry: calls, retryAfter: nil, using: &generator))
            } catch {
                throw ServiceCallError(service: service, address: address, calls: calls, underlying: error)
            }
        }
    }
}

/// A call that failed for good; its description is what TaskProcessor puts in the result's notes.
public struct ServiceCallError: Error, CustomStringConvertible {
    public var service: String
    public var address: ServiceAddress
    public var calls: Int
    public var underlying: any Error

    /// The gRPC status, when the failure was one.
    public var code: RPCError.Code? { (underlying as? RPCError)?.code }

    public var description: String {
        let what =
            (underlying as? RPCError).map { "\($0.code): \($0.message)\($0.cause.map { " (\($0))" } ?? "")" }
            ?? "\(underlying)"
        return "\(service) at \(address) failed after \(calls) call\(calls == 1 ? "" : "s"): \(what)"
    }
}
