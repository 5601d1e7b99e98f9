import FoundationEssentials
import Logging
import Synchronization

/// Writes each log record as one JSON object on one line of standard error: `timestamp` (ISO 8601, UTC),
/// `level`, `label`, `message`, `source`, and every metadata value as a top-level key (the fixed keys win
/// over metadata of the same name). Nested metadata becomes nested JSON.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var object = merged.mapValues(JSONValue.init)
        object["timestamp"] = .string(Self.timestamp.format(Date()))
        object["level"] = .string(event.level.rawValue)
        object["label"] = .string(label)
        object["message"] = .string("\(event.message)")
        object["source"] = .string(event.source)
        guard var line = try? Self.encoder.encode(object) else { return }
        line.append(0x0A)
        Self.output.withLock { _ in StandardStreams.write(line, to: 2) }
    }

    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static let encoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// One writer at a time, so lines from different threads never interleave.
    private static let output = Mutex(())

    /// A metadata value as JSON: strings, arrays and objects.
    private enum JSONValue: Encodable {
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let string): self = .string(string)
            case .stringConvertible(let convertible): self = .string("\(convertible)")
            case .array(let array): self = .array(array.map(JSONValue.init))
            case .dictionary(let dictionary): self = .object(dictionary.mapValues(JSONValue.init))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let string): try container.encode(string)
            case .array(let array): try container.encode(array)
            case .object(let object): try container.encode(object)
            }
        }
    }
}
