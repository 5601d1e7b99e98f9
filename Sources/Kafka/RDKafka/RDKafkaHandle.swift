import CRdKafka
import Logging

/// What librdkafka's callbacks need; reached through `rd_kafka_opaque(rk)`.
final class RDKafkaContext: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    static func of(_ handle: OpaquePointer?) -> RDKafkaContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// The one owner of an `rd_kafka_t`.
///
/// `@unchecked Sendable`: librdkafka's handle is thread-safe for every call we make from several
/// threads (produce, poll of distinct queues, commit); calls that must not overlap (consumer poll and
/// close) are serialized by the owning type. `destroy()` runs once, after every user has stopped.
final class RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let context: Unmanaged<RDKafkaContext>

    /// Creates the handle (`rd_kafka_new`) from properties; `configure` sets callbacks on the
    /// `rd_kafka_conf_t` before it is handed over.
    init(
        kind: rd_kafka_type_t,
        properties: [String: String],
        logger: Logger,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .invalidArgument, message: Self.string(errorText), isRetriable: false,
                    context: "configuration property \(key)")
            }
        }
        let context = Unmanaged.passRetained(RDKafkaContext(logger: logger))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLog)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorEvent)
        configure(conf)
        // rd_kafka_new takes ownership of conf only on success.
        guard let handle = rd_kafka_new(kind, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            throw KafkaError(
                code: .invalidArgument, message: Self.string(errorText), isRetriable: false, context: "rd_kafka_new")
        }
        self.pointer = handle
        self.context = context
    }

    /// `rd_kafka_destroy`; blocks until librdkafka's threads have stopped.
    func destroy() {
        rd_kafka_destroy(pointer)
        context.release()
    }

    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// librdkafka's log lines (syslog levels) into swift-log; librdkafka's connection chatter is debug.
private let rdKafkaLog: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    guard let context = RDKafkaContext.of(handle) else { return }
    let logLevel: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : .debug
    context.logger.log(
        level: logLevel, "\(text.map { String(cString: $0) } ?? "")",
        metadata: ["rdkafka.facility": "\(facility.map { String(cString: $0) } ?? "")"])
}

/// Client-wide errors (all brokers down, fatal idempotence errors); librdkafka recovers from most.
private let rdKafkaErrorEvent:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, _ in
        guard let context = RDKafkaContext.of(handle) else { return }
        let err = rd_kafka_resp_err_t(rawValue: code)
        let level: Logger.Level =
            err == RD_KAFKA_RESP_ERR__FATAL ? .error : err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? .warning : .debug
        context.logger.log(
            level: level,
            "librdkafka \(String(cString: rd_kafka_err2name(err))): \(reason.map { String(cString: $0) } ?? "")")
    }
