import AgentContracts
import AgentCore
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import LLM

/// The task's context from `RagService.SnippetStream(blob_ids)`, the snippets of the file at
/// `task.path` first. A task without blob_ids has nothing to ask for: it gets the file at `task.path`
/// from the checkout, as without a RAG service. A failure is thrown; TaskProcessor then falls back to the
/// checkout and notes why.
///
/// The prompt uses a few thousand characters of context, so a stream is read to its end (the call's
/// deadline bounds the time) but only the first `retainedBytes` (UTF-8) of the task's file and of the
/// other files are kept: a service that streams without end cannot grow the agent's memory.
public struct RagContextSource: ContextSource {
    let client: RagService.Client<HTTP2ClientTransport.Posix>
    let address: ServiceAddress
    let policy: ServiceCallPolicy
    let retainedBytes: Int

    public init(connection: ServiceConnection, policy: ServiceCallPolicy = .rag, retainedBytes: Int = 64 * 1024) {
        client = RagService.Client(wrapping: connection.client)
        address = connection.address
        self.policy = policy
        self.retainedBytes = retainedBytes
    }

    public func snippets(for task: CodingTask, checkout: URL) async throws -> [ContextSnippet] {
        guard !task.blobIds.isEmpty else { return try await CheckoutFiles().snippets(for: task, checkout: checkout) }
        let request = SnippetRequest.with { $0.blobIds = task.blobIds }
        // A retry starts the stream over: a partly read stream is discarded, never mixed with the next.
        return try await policy.run("RAG", at: address) { [retainedBytes] options in
            try await client.snippetStream(request, options: options) { response in
                var ownFile = RetainedSnippets(limit: retainedBytes)
                var others = RetainedSnippets(limit: retainedBytes)
                for try await snippet in response.messages {
                    let received = ContextSnippet(path: snippet.path, text: snippet.snippet)
                    if received.path == task.path { ownFile.add(received) } else { others.add(received) }
                }
                return ownFile.snippets + others.snippets
            }
        }
    }
}

/// Whole snippets in arrival order until `limit` bytes of text are held; later ones are dropped.
struct RetainedSnippets {
    let limit: Int
    private(set) var snippets: [ContextSnippet] = []
    private var bytes = 0

    init(limit: Int) { self.limit = limit }

    mutating func add(_ snippet: ContextSnippet) {
        guard bytes < limit else { return }
        snippets.append(snippet)
        bytes += snippet.text.utf8.count
    }
}
