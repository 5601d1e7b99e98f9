/// Where a gRPC service listens: `host:port`, or `[v6-address]:port` (RAG_ADDR, SRM_ADDR, --rag-addr, --srm-addr).
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`.
    /// - Throws: ``ServiceAddressError`` naming what is wrong, e.g. a missing or out-of-range port.
    public init(parsing text: String) throws(ServiceAddressError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let host: Substring
        let portText: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"), trimmed[trimmed.index(after: close)...].hasPrefix(":") else {
                throw ServiceAddressError(text, "an IPv6 address is written [address]:port")
            }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            portText = trimmed[trimmed.index(close, offsetBy: 2)...]
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else { throw ServiceAddressError(text, "no port") }
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains("/") else { throw ServiceAddressError(text, "no host") }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw ServiceAddressError(text, "the port must be a number from 1 to 65535")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct ServiceAddressError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String, _ problem: String) {
        description = "\"\(text)\" is not a host:port address (\(problem)), e.g. 127.0.0.1:9090"
    }
}
