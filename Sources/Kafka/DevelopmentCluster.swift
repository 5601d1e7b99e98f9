import CRdKafka
import Logging

/// A Kafka protocol request type, for fault injection (`DevelopmentCluster.pushRequestErrors`).
public struct KafkaAPIKey: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = Self(rawValue: 0)
    public static let fetch = Self(rawValue: 1)
    public static let listOffsets = Self(rawValue: 2)
    public static let metadata = Self(rawValue: 3)
    public static let offsetCommit = Self(rawValue: 8)
    public static let offsetFetch = Self(rawValue: 9)
    public static let findCoordinator = Self(rawValue: 10)
    public static let joinGroup = Self(rawValue: 11)
    public static let heartbeat = Self(rawValue: 12)
    public static let syncGroup = Self(rawValue: 14)
    public static let initProducerID = Self(rawValue: 22)
}

/// An in-process Kafka cluster: librdkafka's mock cluster (`rdkafka_mock.h`), which speaks the real
/// Kafka protocol over TCP on 127.0.0.1, with consumer groups, so any Kafka client can use it.
/// For development and tests only: data lives in memory and is gone when the cluster is closed.
public final class DevelopmentCluster: Sendable {
    /// The `rd_kafka_t` the mock cluster needs as its host; it never connects anywhere.
    private let host: RDKafkaHandle
    private let cluster: SendablePointer
    private let closed = Flag()
    /// The broker ids, `1...brokers`.
    public let brokerIDs: ClosedRange<Int32>
    /// `host:port,…` of every broker, for `bootstrap.servers`.
    public let bootstrapServers: String

    /// Starts the brokers (`rd_kafka_mock_cluster_new`).
    /// - Parameter brokers: how many brokers; topics get this replication factor.
    /// - Throws: `KafkaError` when the cluster could not start.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka.dev-cluster")) throws(KafkaError) {
        precondition(brokers >= 1, "a cluster needs at least one broker")
        let host = try RDKafkaHandle(kind: RD_KAFKA_PRODUCER, properties: [:], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, Int32(brokers)) else {
            host.destroy()
            throw KafkaError(
                code: .state, message: "rd_kafka_mock_cluster_new failed", isRetriable: false,
                context: "development cluster")
        }
        self.host = host
        self.cluster = SendablePointer(pointer: cluster)
        self.brokerIDs = 1...Int32(brokers)
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit { close() }

    /// Stops the brokers and drops all data. Safe to call twice.
    public func close() {
        guard closed.set() else { return }
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        host.destroy()
    }

    /// Creates a topic (`rd_kafka_mock_topic_create`), replicated on every broker (at most 3).
    /// - Throws: `KafkaError`, e.g. when it already exists.
    public func createTopic(_ name: String, partitions: Int = 1) throws(KafkaError) {
        let replicas = min(brokerIDs.count, 3)
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicas))
        try check(err, "create topic \(name)")
    }

    /// Makes a broker unreachable: its connections close and new ones are refused
    /// (`rd_kafka_mock_broker_set_down`).
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster.pointer, id), "set broker \(id) down")
    }

    /// Brings a broker back (`rd_kafka_mock_broker_set_up`).
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster.pointer, id), "set broker \(id) up")
    }

    /// Makes the next requests of one type fail, one error per request, in order, on whichever broker
    /// receives them (`rd_kafka_mock_push_request_errors_array`).
    public func pushRequestErrors(apiKey: KafkaAPIKey, errors: [KafkaErrorCode]) {
        let codes = errors.map(\.rdKafka)
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, apiKey.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Forgets errors pushed for `apiKey` that have not been used yet.
    public func clearRequestErrors(apiKey: KafkaAPIKey) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, apiKey.rawValue)
    }

    private func check(_ err: rd_kafka_resp_err_t, _ context: String) throws(KafkaError) {
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(code: KafkaErrorCode(err), context: context) }
    }
}
