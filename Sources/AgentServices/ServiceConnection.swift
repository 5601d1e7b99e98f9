import GRPCCore
import GRPCNIOTransportHTTP2
import Logging

/// One gRPC client over plaintext HTTP/2 to a `host:port`, and the task that runs its connections.
///
/// The connection is made on the first call and re-made after a failure. ``shutdown()`` lets calls in
/// flight finish and waits for the connection task, so nothing outlives the owner; an owner that never
/// calls it still cancels the task when it goes away.
public final class ServiceConnection: Sendable {
    public let address: ServiceAddress
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, Never>

    public init(address: ServiceAddress, logger: Logger) throws {
        self.address = address
        let transport = try HTTP2ClientTransport.Posix(
            target: .dns(host: address.host, port: address.port), transportSecurity: .plaintext)
        let client = GRPCClient(transport: transport)
        self.client = client
        connections = Task {
            do { try await client.runConnections() } catch {
                logger.warning(
                    "gRPC client stopped with an error", metadata: ["address": "\(address)", "error": "\(error)"])
            }
        }
    }

    /// Stops taking calls, lets the ones in flight finish, and returns when the connections are closed.
    public func shutdown() async {
        client.beginGracefulShutdown()
        await connections.value
    }

    deinit { connections.cancel() }
}
