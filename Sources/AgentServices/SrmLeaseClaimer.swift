import AgentContracts
import AgentCore
import GRPCCore
import GRPCNIOTransportHTTP2

/// `SymbolReservation.Claim(lease_id, commit_sha)` with a deadline and retries. A refusal is the reply's
/// `ok == false`; a failure is thrown. TaskProcessor notes both per lease.
public struct SrmLeaseClaimer: LeaseClaimer {
    let client: SymbolReservation.Client<HTTP2ClientTransport.Posix>
    let address: ServiceAddress
    let policy: ServiceCallPolicy

    public init(connection: ServiceConnection, policy: ServiceCallPolicy = .srm) {
        client = SymbolReservation.Client(wrapping: connection.client)
        address = connection.address
        self.policy = policy
    }

    public func claim(leaseID: Int64, commitSHA: String) async throws -> ClaimReply {
        let request = ClaimRequest.with {
            $0.leaseID = leaseID
            $0.commitSha = commitSHA
        }
        // Retrying is safe: claiming a lease again with the same sha asks for the same thing.
        return try await policy.run("SRM", at: address) { options in
            try await client.claim(request, options: options)
        }
    }
}
