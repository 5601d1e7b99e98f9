import GRPCCore
import GRPCNIOTransportHTTP2

/// gRPC services served over plaintext HTTP/2 on an IPv4 or IPv6 address: the development SRM, and the
/// test servers. ``stop()`` lets calls in flight finish and returns when the listener is closed.
public final class GRPCServiceHost: Sendable {
    /// The bound address (the real port when asked for port 0).
    public let address: ServiceAddress
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, any Error>

    private init(
        address: ServiceAddress, server: GRPCServer<HTTP2ServerTransport.Posix>, serving: Task<Void, any Error>
    ) {
        self.address = address
        self.server = server
        self.serving = serving
    }

    /// Binds `host:port` (port 0: any free port) and starts serving; a host with a colon is an IPv6
    /// address (`::1`, `::`).
    /// - Throws: the bind error, e.g. when the port is taken.
    public static func start(host: String = "127.0.0.1", port: Int = 0, services: [any RegistrableRPCService])
        async throws -> GRPCServiceHost
    {
        let address: GRPCNIOTransportCore.SocketAddress =
            host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(address: address, transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: services)
        let serving = Task { try await server.serve() }
        do {
            let listening = try await transport.listeningAddress
            let bound: ServiceAddress
            if let ipv4 = listening.ipv4 {
                bound = ServiceAddress(host: ipv4.host, port: ipv4.port)
            } else if let ipv6 = listening.ipv6 {
                bound = ServiceAddress(host: ipv6.host, port: ipv6.port)
            } else {
                throw RuntimeError(
                    code: .transportError, message: "the server is not listening on an IP address: \(listening)")
            }
            return GRPCServiceHost(address: bound, server: server, serving: serving)
        } catch {
            server.beginGracefulShutdown()
            // serve()'s own error says why binding failed (e.g. the address is in use).
            if case .failure(let reason) = await serving.result { throw reason }
            throw error
        }
    }

    public func stop() async {
        server.beginGracefulShutdown()
        _ = await serving.result
    }

    deinit { serving.cancel() }
}
