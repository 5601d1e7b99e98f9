import CRdKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`): negative values are client-side errors, positive
/// values are the Kafka protocol's error codes.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }
    var rdKafka: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

    /// librdkafka's symbolic name, e.g. `REQUEST_TIMED_OUT` or `_MSG_TIMED_OUT`.
    public var name: String { String(cString: rd_kafka_err2name(rdKafka)) }
    public var description: String { name }

    // Client-side errors.
    public static let messageTimedOut = Self(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    public static let timedOut = Self(RD_KAFKA_RESP_ERR__TIMED_OUT)
    public static let transport = Self(RD_KAFKA_RESP_ERR__TRANSPORT)
    public static let allBrokersDown = Self(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    public static let purgeQueue = Self(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
    public static let purgeInflight = Self(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
    public static let fatal = Self(RD_KAFKA_RESP_ERR__FATAL)
    public static let destroyed = Self(RD_KAFKA_RESP_ERR__DESTROY)
    public static let invalidArgument = Self(RD_KAFKA_RESP_ERR__INVALID_ARG)
    public static let state = Self(RD_KAFKA_RESP_ERR__STATE)
    public static let waitCoordinator = Self(RD_KAFKA_RESP_ERR__WAIT_COORD)
    public static let queueFull = Self(RD_KAFKA_RESP_ERR__QUEUE_FULL)

    // Broker errors (the Kafka protocol's codes), the ones fault-injection tests use.
    public static let leaderNotAvailable = Self(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
    public static let notLeaderForPartition = Self(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    public static let requestTimedOut = Self(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
    public static let networkException = Self(RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION)
    public static let coordinatorLoadInProgress = Self(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS)
    public static let coordinatorNotAvailable = Self(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
    public static let notCoordinator = Self(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
    public static let notEnoughReplicas = Self(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
    public static let rebalanceInProgress = Self(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    public static let illegalGeneration = Self(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)
    public static let unknownMemberID = Self(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
    public static let unknownTopicOrPartition = Self(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    public static let offsetMetadataTooLarge = Self(RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE)
}

/// An error reported by librdkafka, with enough to decide whether to try again.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public var code: KafkaErrorCode
    /// librdkafka's symbolic name of `code`, e.g. `_MSG_TIMED_OUT`.
    public var name: String { code.name }
    /// A human-readable explanation (librdkafka's, when it gave one).
    public var message: String
    /// The same operation may succeed if tried again (librdkafka retries these internally first).
    public var isRetriable: Bool
    /// The client instance is unusable; it must be closed and created again.
    public var isFatal: Bool
    /// What we were doing, e.g. `produce to coding-tasks`.
    public var context: String

    public init(
        code: KafkaErrorCode, message: String? = nil, isRetriable: Bool? = nil, isFatal: Bool = false, context: String
    ) {
        self.code = code
        self.message = message ?? String(cString: rd_kafka_err2str(code.rdKafka))
        self.isRetriable = isRetriable ?? Self.retriableCodes.contains(code)
        self.isFatal = isFatal || code == .fatal
        self.context = context
    }

    public var description: String { "\(context): \(name) (\(code.rawValue)): \(message)" }

    /// Codes that describe a transient condition (the broker or network recovers on its own).
    static let retriableCodes: Set<KafkaErrorCode> = [
        .messageTimedOut, .timedOut, .transport, .allBrokersDown, .waitCoordinator, .queueFull,
        .leaderNotAvailable, .notLeaderForPartition, .requestTimedOut, .networkException,
        .coordinatorLoadInProgress, .coordinatorNotAvailable, .notCoordinator, .notEnoughReplicas,
        .rebalanceInProgress,
    ]

    /// The instance's fatal error (`rd_kafka_fatal_error`) when `code` is `_FATAL`, else a plain error.
    static func from(_ err: rd_kafka_resp_err_t, handle: OpaquePointer?, context: String) -> KafkaError {
        if err == RD_KAFKA_RESP_ERR__FATAL, let handle {
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return KafkaError(
                code: KafkaErrorCode(underlying), message: text, isRetriable: false, isFatal: true, context: context)
        }
        return KafkaError(code: KafkaErrorCode(err), context: context)
    }
}
