import AgentCore
import Contracts
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import LLM

/// The task's context from `RagService.SnippetStream(blob_ids)`, the snippets of the file at
/// `task.path` first. A task without blob_ids has nothing to ask for: it gets the file at `task.path`
/// from the checkout, as without a RAG service. A failure is thrown; TaskProcessor then falls back to the
/// checkout and notes why.
public struct RagContextSource: ContextSource {
    let client: RagService.Client<HTTP2ClientTransport.Posix>
    let address: ServiceAddress
    let policy: ServiceCallPolicy

    public init(connection: ServiceConnection, policy: ServiceCallPolicy = .rag) {
        client = RagService.Client(wrapping: connection.client)
        address = connection.address
        self.policy = policy
    }

    public func snippets(for task: CodingTask, checkout: URL) async throws -> [ContextSnippet] {
        guard !task.blobIds.isEmpty else { return try await CheckoutFiles().snippets(for: task, checkout: checkout) }
        let request = SnippetRequest.with { $0.blobIds = task.blobIds }
        // A retry starts the stream over: a partly read stream is discarded, never mixed with the next.
        let received = try await policy.run("RAG", at: address) { options in
            try await client.snippetStream(request, options: options) { response in
                var snippets: [ContextSnippet] = []
                for try await snippet in response.messages {
                    snippets.append(ContextSnippet(path: snippet.path, text: snippet.snippet))
                }
                return snippets
            }
        }
        return received.filter { $0.path == task.path } + received.filter { $0.path != task.path }
    }
}
