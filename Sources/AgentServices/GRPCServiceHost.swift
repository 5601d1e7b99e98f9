import GRPCCore
import GRPCNIOTransportHTTP2

/// gRPC services served over plaintext HTTP/2 on an IPv4 address: the development SRM, and the test
/// servers. ``stop()`` lets calls in flight finish and returns when the listener is closed.
public final class GRPCServiceHost: Sendable {
    /// The bound address (the real port when asked for port 0).
    public let address: ServiceAddress
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, any Error>

    private init(address: ServiceAddress, server: GRPCServer<HTTP2ServerTransport.Posix>, serving: Task<Void, any Error>) {
        self.address = address
        self.server = server
        self.serving = serving
    }

    /// Binds `host:port` (port 0: any free port) and starts serving.
    /// - Throws: the bind error, e.g. when the port is taken.
    public static func start(host: String = "127.0.0.1", port: Int = 0, services: [any RegistrableRPCService]) async throws -> GRPCServiceHost {
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: services)
        let serving = Task { try await server.serve() }
        do {
            guard let bound = try await transport.listeningAddress.ipv4 else {
                throw RuntimeError(code: .transportError, message: "the server is not listening on an IPv4 address")
            }
            return GRPCServiceHost(address: ServiceAddress(host: bound.host, port: bound.port), server: server, serving: serving)
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
