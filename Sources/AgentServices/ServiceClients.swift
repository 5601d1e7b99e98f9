import AgentCore
import Logging

/// The agent's RAG and SRM clients, each present only when its address is configured, and their
/// connections, which ``shutdown()`` closes.
public final class ServiceClients: Sendable {
    public let rag: ServiceConnection?
    public let srm: ServiceConnection?

    public init(ragAddress: ServiceAddress?, srmAddress: ServiceAddress?, logger: Logger) throws {
        rag = try ragAddress.map { try ServiceConnection(address: $0, logger: logger) }
        srm = try srmAddress.map { try ServiceConnection(address: $0, logger: logger) }
    }

    /// RagService, or the file at `task.path` from the checkout when no RAG address is configured.
    public var context: any ContextSource {
        rag.map { RagContextSource(connection: $0) } ?? CheckoutFiles()
    }

    /// The SRM, or nil when none is configured (each lease is then noted as not claimed).
    public var claimer: (any LeaseClaimer)? {
        srm.map { SrmLeaseClaimer(connection: $0) }
    }

    public func shutdown() async {
        await rag?.shutdown()
        await srm?.shutdown()
    }
}
