import AgentContracts
import GRPCCore
import Synchronization

/// A development SymbolReservation server: it grants every claim except the leases it is told to
/// refuse, and records every claim it answers. `coding-agent dev-srm` serves it and logs the claims;
/// tests assert on what it received.
public final class DevelopmentSRM: Sendable {
    public struct Claim: Sendable, Hashable {
        public var leaseID: Int64
        public var commitSHA: String
        /// Whether it was granted.
        public var granted: Bool

        public init(leaseID: Int64, commitSHA: String, granted: Bool) {
            self.leaseID = leaseID
            self.commitSHA = commitSHA
            self.granted = granted
        }
    }

    private let service: Service
    private let host: GRPCServiceHost

    public var address: ServiceAddress { host.address }
    /// Every claim answered so far, in arrival order.
    public var claims: [Claim] { service.state.withLock { $0.claims } }

    private init(service: Service, host: GRPCServiceHost) {
        self.service = service
        self.host = host
    }

    /// Serves on `host:port` (port 0: any free port).
    /// - Parameters:
    ///   - refusing: leases whose claims are refused (`ok: false`).
    ///   - onClaim: called with each claim as it is answered.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, refusing: Set<Int64> = [],
        onClaim: @escaping @Sendable (Claim) -> Void = { _ in }
    ) async throws -> DevelopmentSRM {
        let service = Service(refused: refusing, onClaim: onClaim)
        return DevelopmentSRM(
            service: service, host: try await GRPCServiceHost.start(host: host, port: port, services: [service]))
    }

    /// Refuse the claims of these leases from now on.
    public func refuse(_ leaseIDs: Set<Int64>) {
        service.state.withLock { $0.refused = leaseIDs }
    }

    public func stop() async { await host.stop() }

    final class Service: SymbolReservation.SimpleServiceProtocol, Sendable {
        struct State {
            var refused: Set<Int64>
            var claims: [Claim] = []
        }
        let state: Mutex<State>
        let onClaim: @Sendable (Claim) -> Void

        init(refused: Set<Int64>, onClaim: @escaping @Sendable (Claim) -> Void) {
            state = Mutex(State(refused: refused))
            self.onClaim = onClaim
        }

        func claim(request: ClaimRequest, context: ServerContext) async throws -> ClaimReply {
            let reply: ClaimReply
            if request.commitSha.isEmpty {
                reply = .with { $0.message = "no commit_sha" }
            } else if state.withLock({ $0.refused.contains(request.leaseID) }) {
                reply = .with { $0.message = "lease \(request.leaseID) is refused by this development SRM" }
            } else {
                reply = .with {
                    $0.ok = true
                    $0.message = "lease \(request.leaseID) claimed for \(request.commitSha)"
                }
            }
            let claim = Claim(leaseID: request.leaseID, commitSHA: request.commitSha, granted: reply.ok)
            state.withLock { $0.claims.append(claim) }
            onClaim(claim)
            return reply
        }
    }
}
